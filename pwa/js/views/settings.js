// A team's settings of the method (managers: their team; admins: any): cadence, the day's timings, the check-in
// radius, working days and the visit presets, with who changed them last and when, and every change before it
// (who, when, each value before and after). An admin creates a team here too: its name, time zone, manager
// and cadence in one step. Below, the team's notice channel (views/channel.js) and its notices, each with
// whether it was sent. The server checks every value.
import { noticeOutbox, online } from "../api.js";
import { createTeam, listTeams, listUsers, saveTeamSettings, settingsHistory, teamSettingsOf } from "../people.js";
import { lang, t } from "../i18n.js";
import { noticeItem } from "../notices.js";
import { renderChannel } from "./channel.js";
import { fetchTeamSettings } from "../sync.js";
import { clockInput, describe, html, shortDate, hhmm } from "../ui.js";

const CLASSES = ["A", "B", "C"];
const DAYS = [1, 2, 3, 4, 5, 6, 7];
const TILE_SOURCES = ["osm", "tianditu", "amap", "tencent"]; // the server's catalogue (server/tiles.py)

/** An ISO weekday (1 Monday .. 7 Sunday) as the phone's language names it. */
function weekday(n) {
  return new Intl.DateTimeFormat(lang(), { weekday: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, n)));
}

/** Presets as lines "English | 中文" and back. */
function presetLines(list) {
  return (list ?? []).map((p) => `${p.en} | ${p["zh-CN"]}`).join("\n");
}

function parsePresets(text) {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [en, zh = en] = line.split("|").map((part) => part.trim());
    return { en, "zh-CN": zh || en };
  });
}

function number(id, label, value, { min, max, step = 1 } = {}) {
  return html`<div><label for="${id}">${label}</label>
    <input id="${id}" name="${id}" type="number" inputmode="numeric" min="${min}" max="${max}" step="${step}" value="${value}" required></div>`;
}

function clock(id, label, value) {
  return html`<div><label for="${id}">${label}</label>${clockInput(id, value)}</div>`;
}

function changedLine(s) {
  if (!s.changed_at) return html`<p id="settings-changed" class="muted" data-changed-by="">${t("settings.never")}</p>`;
  return html`<p id="settings-changed" class="muted" data-changed-by="${s.changed_by_name ?? ""}">${t("settings.changed",
    { name: s.changed_by_name ?? "?", date: shortDate(s.changed_at), time: hhmm(s.changed_at) })}</p>`;
}

/** A setting's value as the history shows it: times and numbers as they are, A/B/C as "A 10 · B 14 · C 30",
 *  working days by name, presets by their words in the phone's language, nothing as "—". */
function shownValue(field, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (field === "working_days") return value.map(weekday).join(" ");
  if (Array.isArray(value)) return value.map((p) => p[lang()] ?? p.en ?? String(p)).join(", ");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} ${v}`).join(" · ");
  return String(value);
}

function historyHtml(page) {
  if (!page.items.length) return html`<section class="card" id="settings-history"><h2>${t("settings.history")}</h2>
    <p class="muted">${t("settings.history_none")}</p></section>`;
  return html`<section class="card" id="settings-history"><h2>${t("settings.history")}</h2>
    <ol class="list history">${page.items.map((item) => html`<li data-changed-by="${item.changed_by_name ?? ""}">
      <p><strong>${item.changed_by_name ?? t("settings.history_system")}</strong>
        <span class="muted">${shortDate(item.changed_at)} ${hhmm(item.changed_at)}</span></p>
      <ul>${item.changes.map((c) => html`<li data-field="${c.field}">${t(`settings.field.${c.field}`)}:
        <span class="before">${shownValue(c.field, c.before)}</span> → <strong class="after">${shownValue(c.field, c.after)}</strong></li>`)}</ul>
    </li>`)}</ol>
    ${page.total > page.items.length ? html`<p class="muted">${t("settings.history_more", { n: page.total - page.items.length })}</p>` : ""}
  </section>`;
}

/** An admin's new team: name, time zone, its manager (an active manager, who moves to it) and its cadence
 *  (empty: the method's days, which the server fills in). */
function newTeamHtml(managers) {
  return html`<details class="card" id="new-team"><summary>${t("settings.new_team")}</summary>
    <form id="team-form" novalidate>
      <div><label for="team-name">${t("settings.team_name")}</label><input id="team-name" name="name" autocomplete="off" required></div>
      <div><label for="team-timezone">${t("settings.timezone")}</label>
        <input id="team-timezone" name="timezone" autocomplete="off"></div>
      <div><label for="team-manager">${t("settings.team_manager")}</label>
        <select id="team-manager" name="manager_id"><option value="">${t("settings.team_no_manager")}</option>
          ${managers.map((m) => html`<option value="${m.id}">${m.display_name || m.username} (${m.username})</option>`)}</select></div>
      <fieldset><legend>${t("settings.cadence")}</legend>
        <p class="muted">${t("settings.team_cadence_hint")}</p><div class="row">
        ${CLASSES.map((c) => html`<div><label for="team-cadence-${c}">${t("settings.class_days", { cls: c })}</label>
          <input id="team-cadence-${c}" name="cadence_${c}" type="number" inputmode="numeric" min="1" max="365"></div>`)}</div>
      </fieldset>
      <p id="team-error" class="error" role="alert"></p>
      <button type="submit">${t("settings.create_team")}</button>
    </form></details>`;
}

function newTeamValues(form) {
  const body = { name: form.name.value.trim() };
  if (form.timezone.value.trim()) body.timezone = form.timezone.value.trim(); // empty: the server's default zone
  if (form.manager_id.value) body.manager_id = form.manager_id.value;
  const cadence = Object.fromEntries(CLASSES.filter((c) => form[`cadence_${c}`].value !== "")
    .map((c) => [c, Number(form[`cadence_${c}`].value)]));
  if (Object.keys(cadence).length) body.settings = { cadence_days: cadence };
  return body;
}

function formHtml(s, saved) {
  return html`<form id="settings-form" class="card settings" novalidate>
    ${changedLine(s)}
    ${saved ? html`<p id="settings-saved" class="muted" role="status">${t("settings.saved")}</p>` : ""}
    <fieldset><legend>${t("settings.cadence")}</legend><div class="row">
      ${CLASSES.map((c) => number(`cadence_${c}`, t("settings.class_days", { cls: c }), s.cadence_days[c], { min: 1, max: 365 }))}</div>
    </fieldset>
    <fieldset><legend>${t("settings.day")}</legend>
      ${clock("first_appointment_time", t("settings.first_appointment"), s.first_appointment_time)}
      <div class="row">${CLASSES.map((c) => number(`service_${c}`, t("settings.class_minutes", { cls: c }), s.service_minutes[c], { min: 5, max: 480 }))}</div>
      <div class="row">${clock("lunch_earliest", t("settings.lunch_earliest"), s.lunch_earliest)}
        ${clock("lunch_latest", t("settings.lunch_latest"), s.lunch_latest)}
        ${number("lunch_minutes", t("settings.lunch_minutes"), s.lunch_minutes, { min: 10, max: 180 })}</div>
    </fieldset>
    <fieldset><legend>${t("settings.reminders")}</legend><div class="row">
      ${number("leave_reminder_minutes", t("settings.leave_reminder"), s.leave_reminder_minutes, { min: 0, max: 60 })}
      ${number("appointment_reminder_minutes", t("settings.appointment_reminder"), s.appointment_reminder_minutes, { min: 1, max: 120 })}</div>
    </fieldset>
    <fieldset><legend>${t("settings.photos")}</legend>
      <label class="check"><input type="checkbox" id="photo_camera_only" name="photo_camera_only"
        ${s.photo_camera_only ? html`checked` : ""}> ${t("settings.camera_only")}</label>
    </fieldset>
    <fieldset><legend>${t("settings.working_days")}</legend><div class="row days">
      ${DAYS.map((d) => html`<label class="check"><input type="checkbox" name="working_day" value="${d}"
        ${s.working_days.includes(d) ? html`checked` : ""}> ${weekday(d)}</label>`)}</div>
    </fieldset>
    <fieldset><legend>${t("settings.place")}</legend>
      ${number("checkin_radius_m", t("settings.radius"), s.checkin_radius_m, { min: 20, max: 5000 })}
      <div><label for="timezone">${t("settings.timezone")}</label>
        <input id="timezone" name="timezone" value="${s.timezone}" required autocomplete="off"></div>
    </fieldset>
    <fieldset><legend>${t("settings.map")}</legend>
      <div><label for="map_tiles">${t("settings.map_tiles")}</label>
        <select id="map_tiles" name="map_tiles">${TILE_SOURCES.map((source) => html`<option value="${source}"
          ${s.map_tiles === source ? html`selected` : ""}>${t(`settings.map_tiles.${source}`)}</option>`)}</select></div>
      <div><label for="map_tile_key">${t("settings.map_tile_key")}</label>
        <input id="map_tile_key" name="map_tile_key" value="${s.map_tile_key ?? ""}" autocomplete="off"></div>
      <p class="muted" id="map-attribution">${s.map?.attribution ?? ""}</p>
    </fieldset>
    <fieldset><legend>${t("settings.presets")}</legend>
      <p class="muted">${t("settings.presets_hint")}</p>
      <div><label for="visit_purposes">${t("settings.purposes")}</label>
        <textarea id="visit_purposes" name="visit_purposes" rows="6">${presetLines(s.visit_purposes)}</textarea></div>
      <div><label for="visit_outcomes">${t("settings.outcomes")}</label>
        <textarea id="visit_outcomes" name="visit_outcomes" rows="6">${presetLines(s.visit_outcomes)}</textarea></div>
    </fieldset>
    <p id="settings-error" class="error" role="alert"></p>
    <button type="submit">${t("settings.save")}</button>
  </form>`;
}

function values(form) {
  const whole = (name) => Number(form[name].value);
  return {
    cadence_days: Object.fromEntries(CLASSES.map((c) => [c, whole(`cadence_${c}`)])),
    first_appointment_time: form.first_appointment_time.value,
    service_minutes: Object.fromEntries(CLASSES.map((c) => [c, whole(`service_${c}`)])),
    lunch_earliest: form.lunch_earliest.value,
    lunch_latest: form.lunch_latest.value,
    lunch_minutes: whole("lunch_minutes"),
    leave_reminder_minutes: whole("leave_reminder_minutes"),
    appointment_reminder_minutes: whole("appointment_reminder_minutes"),
    photo_camera_only: form.photo_camera_only.checked,
    checkin_radius_m: whole("checkin_radius_m"),
    working_days: [...form.querySelectorAll("[name=working_day]:checked")].map((box) => Number(box.value)),
    timezone: form.timezone.value.trim(),
    visit_purposes: parsePresets(form.visit_purposes.value),
    visit_outcomes: parsePresets(form.visit_outcomes.value),
    map_tiles: form.map_tiles.value,
    map_tile_key: form.map_tile_key.value.trim() || null,
  };
}

/** The team's latest notices and how each went (queued, sent, failed and why). */
function outboxCard(outbox) {
  return html`<div class="card" id="notice-outbox"><h2>${t("notice.outbox")}</h2>
    ${outbox.length ? html`<ul class="notices">${outbox.map((n) => noticeItem(n, { who: true }))}</ul>` : html`<p>${t("notice.none")}</p>`}</div>`;
}

export async function render(main, { user }) {
  main.innerHTML = html`<h1>${t("settings.title")}</h1><div id="settings-body" class="busy"></div>`;
  const body = main.querySelector("#settings-body");
  if (!online()) {
    body.className = "";
    body.innerHTML = html`<p class="card">${t("settings.offline")}</p>`;
    return;
  }
  const admin = user.role === "admin";
  let teams = admin ? (await listTeams(500)).items : [];
  const managers = admin ? (await listUsers({ role: "manager", active: true, per_page: 500 })).items : [];
  let teamId = user.team_id ?? teams[0]?.id ?? null;
  const load = async () => Promise.all([teamSettingsOf(teamId), settingsHistory(teamId)]);
  const picker = () => teams.length > 1 ? html`<div class="card"><label for="settings-team">${t("team.team")}</label>
    <select id="settings-team">${teams.map((team) => html`<option value="${team.id}" ${team.id === teamId ? html`selected` : ""}>${team.name}</option>`)}
    </select></div>` : "";
  const listenNewTeam = () => body.querySelector("#team-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = form.querySelector("#team-error");
    error.textContent = "";
    let made;
    try {
      made = await createTeam(newTeamValues(form));
    } catch (e) {
      error.textContent = describe(e);
      return;
    }
    teams = (await listTeams(500)).items;
    teamId = made.id;
    draw(...await load());
    body.querySelector("#settings-team")?.scrollIntoView({ block: "start" });
  });
  if (!teamId) {
    body.className = "";
    body.innerHTML = html`${admin ? newTeamHtml(managers) : ""}<p class="card">${t("settings.no_team")}</p>`;
    listenNewTeam();
    return;
  }
  const draw = async (s, history, saved = false) => {
    const outbox = await noticeOutbox(teamId).catch(() => []);
    body.className = "";
    body.innerHTML = html`${admin ? newTeamHtml(managers) : ""}${picker()}${formHtml(s, saved)}${historyHtml(history)}<div id="channel-card"></div>${outboxCard(outbox)}`;
    renderChannel(body.querySelector("#channel-card"), teamId);
    if (saved) body.querySelector("#settings-changed").scrollIntoView({ block: "center" }); // who changed them, now
    listenNewTeam();
    body.querySelector("#settings-team")?.addEventListener("change", async (event) => {
      teamId = event.target.value;
      draw(...await load());
    });
    body.querySelector("#settings-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = form.querySelector("#settings-error");
      error.textContent = "";
      let answer;
      try {
        answer = await saveTeamSettings(teamId, values(form));
      } catch (e) {
        error.textContent = describe(e);
        return;
      }
      // The caller's own team: this phone plans and flags by the new values at once.
      if (teamId === user.team_id) await fetchTeamSettings().catch(() => {});
      const history = await settingsHistory(teamId);
      draw(answer, history, true);
    });
  };
  try {
    draw(...await load());
  } catch (e) {
    body.className = "";
    body.innerHTML = html`<p class="card error">${describe(e)}</p>`;
  }
}
