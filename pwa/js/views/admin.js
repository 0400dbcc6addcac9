// Administration: the people an admin looks after (everyone) or a manager (their team). List them, create one
// or many (a CSV, checked first), and for one person: their details and team, where their day starts and ends
// (on a map or by address), a password reset, and deactivation with a hand-over of their territory in one step.
// Online only: every change is the server's to make and check.
import { online } from "../api.js";
import { createUser, deactivateUser, getUser, importUsers, listTeams, listUsers, reactivateUser, resetPassword,
         updateUser } from "../people.js";
import { t } from "../i18n.js";
import { geocoding } from "../settings.js";
import { fieldMap } from "../map.js";
import { HHMM, describe, html } from "../ui.js";
import { report as importReport } from "./transfer.js";

const LOCALES = ["zh-CN", "en"];
const ROLES = ["rep", "manager", "admin"];
const LISTED = 500; // the API's largest page: the first 500 people by username

async function people() {
  const [users, teams] = await Promise.all([listUsers({ per_page: LISTED }), listTeams(LISTED)]);
  return { users: users.items, total: users.total, teams: teams.items };
}

function teamName(teams, id) {
  return teams.find((team) => team.id === id)?.name ?? t("admin.no_team");
}

function userTags(u) {
  return html`<span class="tag">${t(`admin.role.${u.role}`)}</span>
    ${u.active ? "" : html`<span class="tag bad">${t("admin.inactive")}</span>`}
    ${u.must_change_password ? html`<span class="tag warn">${t("admin.must_change")}</span>` : ""}
    ${u.role === "rep" && u.start_lat == null ? html`<span class="tag warn">${t("admin.no_start")}</span>` : ""}`;
}

function options(values, selected, label) {
  return values.map((value) => html`<option value="${value}" ${value === selected ? html`selected` : ""}>${label(value)}</option>`);
}

function teamOptions(teams, selected, { none = false } = {}) {
  return html`${none ? html`<option value="">${t("admin.no_team")}</option>` : ""}${teams.map((team) =>
    html`<option value="${team.id}" ${team.id === selected ? html`selected` : ""}>${team.name}</option>`)}`;
}

/** The users' import report: the counts and problems as the account import shows them, then one line per row. */
function usersReport(result) {
  return html`${importReport(result)}
    ${result.users?.length ? html`<div class="card" style="overflow-x:auto"><table class="report-table" id="import-users">
      <thead><tr><th>${t("transfer.row")}</th><th>${t("admin.username")}</th><th>${t("admin.outcome")}</th>
        <th>${t("admin.temporary_password")}</th><th>${t("admin.plannable")}</th></tr></thead>
      <tbody>${result.users.map((u) => html`<tr data-username="${u.username}" data-outcome="${u.outcome}">
        <td>${u.row}</td><td>${u.username}</td><td>${t(`admin.outcome.${u.outcome}`)}</td>
        <td><code>${u.temporary_password ?? ""}</code></td><td>${u.plannable ? t("admin.yes") : t("admin.no")}</td></tr>`)}
      </tbody></table></div>` : ""}`;
}

function createForm(user, teams) {
  const roles = user.role === "admin" ? ROLES : ["rep"];
  return html`<details class="card" id="new-user"><summary>${t("admin.new")}</summary>
    <form id="create-form" novalidate>
      <label for="new-username">${t("admin.username")}</label><input id="new-username" name="username" autocomplete="off" required>
      <label for="new-display">${t("admin.display_name")}</label><input id="new-display" name="display_name" autocomplete="off">
      <label for="new-role">${t("admin.role")}</label><select id="new-role" name="role">${options(roles, "rep", (r) => t(`admin.role.${r}`))}</select>
      ${user.role === "admin" ? html`<label for="new-team">${t("admin.team")}</label>
        <select id="new-team" name="team_id">${teamOptions(teams, teams[0]?.id, { none: true })}</select>` : ""}
      <label for="new-password">${t("admin.initial_password")}</label>
      <input id="new-password" name="password" type="text" autocomplete="off" minlength="8" required>
      ${geocoding() ? html`<label for="new-start">${t("admin.start_address")}</label><input id="new-start" name="start_address" autocomplete="off">`
        : html`<p class="muted" id="new-start-note">${t("admin.start_on_map")}</p>`}
      <div class="row"><div><label for="new-first">${t("admin.first_appointment")}</label>
        <input id="new-first" name="first_appointment_time" value="08:45" pattern="${HHMM}" inputmode="numeric"></div>
        <div><label for="new-locale">${t("admin.locale")}</label>
        <select id="new-locale" name="locale">${options(LOCALES, "zh-CN", (l) => t(`admin.locale.${l}`))}</select></div></div>
      <p id="create-error" class="error-text" role="alert"></p>
      <button type="submit">${t("admin.create")}</button>
    </form></details>`;
}

const IMPORT_FORM = () => html`<details class="card" id="import-users-card"><summary>${t("admin.import")}</summary>
  <form id="users-import-form">
    <p class="muted">${t("admin.import_columns")}</p>
    <label for="users-file">${t("transfer.file")}</label>
    <input id="users-file" name="file" type="file" accept=".csv,text/csv" required>
    <label class="check"><input type="checkbox" name="dry_run" checked>${t("transfer.dry_run")}</label>
    <button type="submit">${t("transfer.upload")}</button>
  </form>
  <p id="users-import-error" class="error-text" role="alert"></p>
  <div id="users-import-result" aria-live="polite"></div></details>`;

/** The list of people, the new-user form and the CSV import. */
export async function render(main, { user, navigate }) {
  if (!online()) {
    main.innerHTML = html`<h1>${t("admin.title")}</h1><p class="card">${t("admin.offline")}</p>`;
    return;
  }
  let data;
  try {
    data = await people();
  } catch (e) {
    main.innerHTML = html`<h1>${t("admin.title")}</h1><p class="error-text" role="alert">${describe(e)}</p>`;
    return;
  }
  const { users, teams, total } = data;
  main.innerHTML = html`<h1>${t("admin.title")}</h1>
    <p class="muted">${t(user.role === "admin" ? "admin.scope_all" : "admin.scope_team", { n: total })}
      ${total > users.length ? t("admin.first_listed", { n: users.length }) : ""}</p>
    ${createForm(user, teams)}
    ${IMPORT_FORM()}
    <ul class="list card" id="user-list">${users.map((u) => html`<li><a class="item" href="#/admin/user/${u.id}" data-username="${u.username}">
      <strong>${u.display_name || u.username}</strong> <span class="muted unit">${u.username} · ${teamName(teams, u.team_id)}</span><br>
      ${userTags(u)}</a></li>`)}</ul>`;

  const form = main.querySelector("#create-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = main.querySelector("#create-error");
    error.textContent = "";
    const body = Object.fromEntries(Object.entries(Object.fromEntries(new FormData(form))).filter(([, v]) => v !== ""));
    if ("team_id" in form.elements && !form.team_id.value) body.team_id = null;
    try {
      const created = await createUser(body);
      navigate(`#/admin/user/${created.id}`);
    } catch (e) {
      error.textContent = describe(e);
    }
  });

  const importForm = main.querySelector("#users-import-form");
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = main.querySelector("#users-import-error");
    const result = main.querySelector("#users-import-result");
    error.textContent = "";
    if (!importForm.file.files.length) return;
    const body = new FormData();
    body.append("file", importForm.file.files[0]);
    try {
      const answer = await importUsers(body, importForm.dry_run.checked);
      result.innerHTML = usersReport(answer);
      if (answer.written) { // the list below shows the new people; the report (with the passwords) stays
        const fresh = await people();
        main.querySelector("#user-list").innerHTML = html`${fresh.users.map((u) => html`<li><a class="item" href="#/admin/user/${u.id}" data-username="${u.username}">
          <strong>${u.display_name || u.username}</strong> <span class="muted unit">${u.username} · ${teamName(fresh.teams, u.team_id)}</span><br>
          ${userTags(u)}</a></li>`)}`;
      }
    } catch (e) {
      error.textContent = describe(e);
      if (e.body?.error?.report) result.innerHTML = usersReport(e.body.error.report);
    }
  });
}

/** Start and end on a map: the chosen one moves where the map is tapped (map.js takes and gives WGS-84). */
async function positionsMap(element, picked, which) {
  const field = await fieldMap(element);
  if (!field) return;
  const known = ["start", "end"].filter((k) => picked[k]).map((k) => picked[k]);
  field.fit(known.length ? known : [[31.2304, 121.4737]], { pad: 0.3, zoom: 12 });
  const markers = {};
  const draw = () => {
    for (const kind of ["start", "end"]) {
      if (!picked[kind]) {
        markers[kind]?.remove();
        delete markers[kind];
        continue;
      }
      const [lat, lng] = picked[kind];
      markers[kind] ??= field.marker(lat, lng, { title: t(`admin.${kind}`), alt: t(`admin.${kind}`),
                                                 icon: L.divIcon({ className: "stop-pin", html: `<span>${kind === "start" ? "S" : "E"}</span>` }) })
        .addTo(field.map);
      field.place(markers[kind], lat, lng);
    }
  };
  draw();
  field.onTap(({ lat, lng }) => {
    picked[which()] = [Number(lat.toFixed(6)), Number(lng.toFixed(6))];
    picked.changed();
    draw();
  });
  picked.redraw = draw;
}

/** Where a day starts or ends, in words for the manager: the start's own words (start_label) when it has them,
 *  else that it is set on the map; never bare coordinates. */
function positionText(point, words = "") {
  if (!point) return t("admin.position_none");
  return words || t(words === null ? "admin.position_set" : "admin.start_unnamed");
}

/** One person: details, team, start and end, password reset, deactivation with a hand-over. */
export async function renderUser(main, { user, id, navigate }) {
  if (!online()) {
    main.innerHTML = html`<h1>${t("admin.title")}</h1><p class="card">${t("admin.offline")}</p>`;
    return;
  }
  let person;
  let data;
  try {
    [person, data] = await Promise.all([getUser(id), people()]);
  } catch (e) {
    main.innerHTML = html`<h1>${t("admin.title")}</h1><p class="error-text" role="alert">${describe(e)}</p>
      <a href="#/admin">${t("admin.back")}</a>`;
    return;
  }
  const { users, teams } = data;
  const isAdmin = user.role === "admin";
  const successors = users.filter((u) => u.role === "rep" && u.active && u.id !== person.id && u.team_id === person.team_id);
  const picked = {
    start: person.start_lat != null ? [person.start_lat, person.start_lng] : null,
    end: person.end_lat != null ? [person.end_lat, person.end_lng] : null,
    dirty: false,
  };
  main.innerHTML = html`<p><a href="#/admin">${t("admin.back")}</a></p>
    <h1>${person.display_name || person.username}</h1>
    <p class="muted" id="person-summary">${person.username} · ${teamName(teams, person.team_id)}</p><p id="person-tags">${userTags(person)}</p>
    <p id="admin-done" class="banner" role="status" hidden></p>
    <form id="details-form" class="card" novalidate><h2>${t("admin.details")}</h2>
      <label for="edit-display">${t("admin.display_name")}</label>
      <input id="edit-display" name="display_name" value="${person.display_name}" autocomplete="off">
      ${isAdmin ? html`<label for="edit-role">${t("admin.role")}</label>
        <select id="edit-role" name="role">${options(ROLES, person.role, (r) => t(`admin.role.${r}`))}</select>
        <label for="edit-team">${t("admin.move_team")}</label>
        <select id="edit-team" name="team_id">${teamOptions(teams, person.team_id, { none: true })}</select>` : ""}
      <div class="row"><div><label for="edit-first">${t("admin.first_appointment")}</label>
        <input id="edit-first" name="first_appointment_time" value="${person.first_appointment_time}" pattern="${HHMM}" inputmode="numeric"></div>
        <div><label for="edit-locale">${t("admin.locale")}</label>
        <select id="edit-locale" name="locale">${options(LOCALES, person.locale, (l) => t(`admin.locale.${l}`))}</select></div></div>
      <p id="details-error" class="error-text" role="alert"></p>
      <button type="submit">${t("admin.save")}</button>
    </form>
    <form id="positions-form" class="card" novalidate><h2>${t("admin.positions")}</h2>
      <p class="muted" id="positions-explain">${t(geocoding() ? "admin.positions_explain" : "admin.positions_explain_map")}</p>
      <div class="row" role="radiogroup" aria-label="${t("admin.map_sets")}">
        <label class="check"><input type="radio" name="which" value="start" checked>${t("admin.start")}</label>
        <label class="check"><input type="radio" name="which" value="end">${t("admin.end")}</label></div>
      <div id="positions-map" class="map pick" role="application" aria-label="${t("admin.positions_map")}"></div>
      <p>${t("ui.labelled", { label: t("admin.start") })}<span id="start-at">${positionText(picked.start, person.start_label)}</span><br>
         ${t("ui.labelled", { label: t("admin.end") })}<span id="end-at">${positionText(picked.end, null)}</span></p>
      <label for="start-label">${t("admin.start_label")}</label>
      <input id="start-label" name="start_label" value="${person.start_label}" autocomplete="off">
      ${geocoding() ? html`<label for="start-address">${t("admin.start_address")}</label>
      <input id="start-address" name="start_address" autocomplete="off">
      <label for="end-address">${t("admin.end_address")}</label>
      <input id="end-address" name="end_address" autocomplete="off">` : ""}
      <label class="check"><input type="checkbox" name="end_at_start">${t("admin.end_at_start")}</label>
      <p id="positions-error" class="error-text" role="alert"></p>
      <button type="submit">${t("admin.save_positions")}</button>
    </form>
    <section class="card" id="reset-card"><h2>${t("admin.reset")}</h2>
      <p class="muted">${t("admin.reset_explain")}</p>
      <p id="temporary-password" class="banner" role="status" hidden></p>
      <p id="reset-error" class="error-text" role="alert"></p>
      <button type="button" id="reset-password" class="secondary">${t("admin.reset_button")}</button>
    </section>
    <section class="card" id="deactivate-card"><h2>${t(person.active ? "admin.deactivate" : "admin.reactivate")}</h2>
      ${person.active ? html`<p class="muted">${t("admin.deactivate_explain")}</p>
        <label for="hand-over">${t("admin.hand_over_to")}</label>
        <select id="hand-over">${successors.length ? "" : html`<option value="">${t("admin.nobody")}</option>`}
          ${successors.map((u) => html`<option value="${u.id}">${u.display_name || u.username} (${u.username})</option>`)}</select>
        <p id="deactivate-error" class="error-text" role="alert"></p>
        <button type="button" id="deactivate">${t("admin.deactivate_button")}</button>`
        : html`<p id="deactivate-error" class="error-text" role="alert"></p>
        <button type="button" id="reactivate" class="secondary">${t("admin.reactivate")}</button>`}
    </section>`;

  const done = (text) => {
    const note = main.querySelector("#admin-done");
    note.hidden = false;
    note.textContent = text;
    note.scrollIntoView({ block: "nearest" });
  };
  const attempt = async (errorId, work) => {
    const error = main.querySelector(errorId);
    error.textContent = "";
    try {
      return await work();
    } catch (e) {
      error.textContent = describe(e);
      return null;
    }
  };

  const details = main.querySelector("#details-form");
  details.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { display_name: details.display_name.value.trim(), first_appointment_time: details.first_appointment_time.value.trim(),
                   locale: details.locale.value };
    if (isAdmin) Object.assign(body, { role: details.role.value, team_id: details.team_id.value || null });
    const saved = await attempt("#details-error", () => updateUser(id, body));
    if (saved) {
      main.querySelector("#person-summary").textContent = `${saved.username} · ${teamName(teams, saved.team_id)}`;
      done(t("admin.saved"));
    }
  });

  const positions = main.querySelector("#positions-form");
  const showPicked = () => {
    main.querySelector("#start-at").textContent = positionText(picked.start, positions.start_label.value.trim());
    main.querySelector("#end-at").textContent = positionText(picked.end, null);
  };
  picked.changed = () => {
    picked.dirty = true;
    showPicked();
  };
  positions.start_label.addEventListener("input", showPicked); // the start said in the words being typed
  positionsMap(main.querySelector("#positions-map"), picked, () => positions.which.value);
  positions.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { start_label: positions.start_label.value.trim() };
    if (picked.dirty) {
      if (picked.start) Object.assign(body, { start_lat: picked.start[0], start_lng: picked.start[1] });
      if (picked.end) Object.assign(body, { end_lat: picked.end[0], end_lng: picked.end[1] });
    }
    const startAddress = positions.start_address?.value.trim();
    const endAddress = positions.end_address?.value.trim();
    if (startAddress) {
      Object.assign(body, { start_address: startAddress });
      delete body.start_lat;
      delete body.start_lng;
      if (body.start_label === person.start_label) delete body.start_label; // the address becomes the label
    }
    if (endAddress) {
      Object.assign(body, { end_address: endAddress });
      delete body.end_lat;
      delete body.end_lng;
    }
    if (positions.end_at_start.checked) Object.assign(body, { end_lat: null, end_lng: null });
    const saved = await attempt("#positions-error", () => updateUser(id, body));
    if (saved) {
      Object.assign(person, saved);
      picked.start = saved.start_lat != null ? [saved.start_lat, saved.start_lng] : null;
      picked.end = saved.end_lat != null ? [saved.end_lat, saved.end_lng] : null;
      picked.dirty = false;
      showPicked();
      picked.redraw?.();
      positions.start_label.value = saved.start_label;
      if (positions.start_address) positions.start_address.value = "";
      if (positions.end_address) positions.end_address.value = "";
      main.querySelector("#person-tags").innerHTML = userTags(person); // "no start" goes once there is one
      positions.end_at_start.checked = false;
      done(t("admin.saved"));
    }
  });

  main.querySelector("#reset-password").addEventListener("click", async () => {
    const answer = await attempt("#reset-error", () => resetPassword(id));
    if (answer) {
      const note = main.querySelector("#temporary-password");
      note.hidden = false;
      note.innerHTML = html`${t("admin.temporary_is")} <code id="temporary-value">${answer.temporary_password}</code>`;
    }
  });

  main.querySelector("#deactivate")?.addEventListener("click", async (event) => {
    event.target.disabled = true;
    const to = main.querySelector("#hand-over").value || null;
    const answer = await attempt("#deactivate-error", () => deactivateUser(id, to));
    event.target.disabled = false;
    if (answer) {
      await renderUser(main, { user, id, navigate });
      done(t("admin.deactivated", { accounts: answer.accounts, opportunities: answer.opportunities,
                                    appointments: answer.appointments, left: answer.accounts_left }));
    }
  });
  main.querySelector("#reactivate")?.addEventListener("click", async () => {
    if (await attempt("#deactivate-error", () => reactivateUser(id))) {
      await renderUser(main, { user, id, navigate });
      done(t("admin.reactivated"));
    }
  });
}
