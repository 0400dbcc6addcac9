// The manager's screen: where the team's time goes and the method's numbers, with tables and CSV.
import { online } from "../api.js";
import { all } from "../db.js";
import { t } from "../i18n.js";
import { pickedTeam, reportTeams, teamPicker } from "../teams.js";
import { dayDate, defaultPeriodKind, describe, hhmm, html, money, nextTask, period, shortDate, stageLabel } from "../ui.js";
import { fitTable, fitTables } from "../tables.js";
import { vocab } from "../settings.js";
import { chartjs } from "../lazy.js";
import { word } from "./records.js";
import { renderScorecard } from "./scorecard.js";
import { renderOverdue, renderTargets } from "./teamlists.js";
import { keepTeamFigures, keptTeamFigures, report, reportCsv, reportNames, saveFaceTimeGoal } from "../reports.js";

// The reports to fetch come from the server's list (GET /api/reports); the scorecard draws first, on its own.
const charts = [];

/** A report's table, its `amounts` columns as money; a card a row on a phone where it would not fit. */
function table(columns, rows, amounts = []) {
  return fitTable(columns, rows, (row, key) => cell(row[key], amounts.includes(key)));
}

/** A cell: an amount, a figure, or a list of figures side by side that wrap a whole figure at a time. */
function cell(value, amount) {
  if (Array.isArray(value)) return html`<span class="steps">${value.map((v) => html`<span>${v}</span>`)}</span>`;
  return amount && value != null ? money(value) : fmt(value);
}

function fmt(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(1);
  return String(value);
}

function section(name, title, body) {
  return html`<section class="card" id="report-${name}" aria-labelledby="h-${name}">
    <div class="row"><h2 id="h-${name}">${title}</h2>
      <button type="button" class="secondary" data-csv="${name}" style="flex:0 0 auto">${t("team.csv")}</button></div>
    ${body}</section>`;
}

/** The reports are many screens long on a phone: one menu at the top goes to any of them by its heading. */
function jumps(main, target) {
  const box = main.querySelector("#team-jump");
  const select = box.querySelector("select");
  select.innerHTML = html`<option value="">${t("team.jump_pick")}</option>${[...target.querySelectorAll("section[id^=report-] h2")]
    .map((h) => html`<option value="${h.closest("section").id}">${h.textContent}</option>`)}`;
  box.hidden = false;
  select.onchange = () => {
    main.querySelector(`#${select.value}`)?.scrollIntoView({ block: "start" });
    select.value = "";
  };
}

async function drawCharts(main, data, pictures) {
  charts.splice(0).forEach((c) => c.destroy());
  // Chart.js loads the first time the Team screen draws its charts, never on a rep's screens.
  if (!(await chartjs()) || !main.isConnected) return;
  await pictures.drawAll(Chart, main, pictures.tables, charts);
  const ratios = data["time-ratios"];
  const weeks = ratios.extra.weeks;
  await nextTask();
  if (weeks.length && main.querySelector("#chart-trend")?.isConnected) {
    charts.push(new Chart(main.querySelector("#chart-trend"), {
      type: "line",
      data: { labels: weeks.map((w) => dayDate(w.week_start)),
              datasets: [{ label: t("category.face_to_face"), data: weeks.map((w) => w.face_to_face_pct), borderColor: "#0f766e" },
                         { label: t("team.target"), data: weeks.map(() => ratios.extra.face_time_target_pct), borderColor: "#b91c1c", borderDash: [6, 4], pointRadius: 0 }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } },
    }));
  }
}

function mifMatrix(report) {
  const cells = new Map(report.rows.map((r) => [`${r.ownership}|${r.volume_band}|${r.age_band}`, r]));
  return ["ours", "competitor"].map((ownership) => html`<h3>${t(`device.${ownership}`)}</h3>
    <div style="overflow-x:auto"><table class="report-table mif-table"><thead><tr><th>${t("team.volume")}</th>
      ${report.extra.age_bands.map((a) => html`<th scope="col">${a === "unknown" ? "?" : a}</th>`)}</tr></thead><tbody>
      ${report.extra.volume_bands.slice().reverse().map((v) => html`<tr><th scope="row">${v}</th>
        ${report.extra.age_bands.map((a) => {
          const cell = cells.get(`${ownership}|${v}|${a}`);
          if (!cell) return html`<td>·</td>`;
          return html`<td><button type="button" class="${cell.replacement_opportunity ? "" : "secondary"}"
            data-mif="${cell.account_ids.join(",")}" data-names="${JSON.stringify(cell.account_names ?? [])}" aria-label="${v} ${a}: ${cell.devices}"
            title="${cell.replacement_opportunity ? t("team.replacement") : ""}">${cell.devices}</button></td>`;
        })}</tr>`)}</tbody></table></div>`);
}

export async function render(main, { user }) {
  const state = { kind: defaultPeriodKind(), from: null, to: null, rep: "" };
  [state.from, state.to] = period(state.kind);
  const accounts = new Map((await all("accounts")).map((a) => [a.id, a]));
  const teams = await reportTeams(user); // an admin reports on any team, a manager on their own
  main.classList.add("team-screen"); // wide on a desktop: the scorecard's columns side by side
  main.innerHTML = html`
    <div class="team-head"><h1>${t("team.title")}</h1>
    <form id="team-filters" class="card">
      <div class="row">
        ${teamPicker(teams)}
        <div><label for="period">${t("team.period")}</label>
          <select id="period" name="period">${["day", "week", "month", "last_month", "custom"].map((k) =>
            html`<option value="${k}" ${k === state.kind ? html`selected` : ""}>${t(`team.period.${k}`)}</option>`)}</select></div>
        <div><label for="from">${t("team.from")}</label><input id="from" name="from" type="date" value="${state.from}"></div>
        <div><label for="to">${t("team.to")}</label><input id="to" name="to" type="date" value="${state.to}"></div>
      </div>
      <button type="submit">${t("team.show")}</button>
    </form>
    <p id="period-shown" class="muted" aria-live="polite"></p>
    <a href="#/week" id="week-link">${t("week.open")}</a>
    <div id="team-jump" class="jump" hidden><label for="jump-to">${t("team.jump")}</label><select id="jump-to"></select></div></div>
    <p id="team-error" class="error-text" role="alert"></p>
    <section id="scorecard" class="card scorecard-card" aria-busy="true"></section>
    <div id="team-reports"></div>`;
  const form = main.querySelector("#team-filters");
  form.period.addEventListener("change", () => {
    if (form.period.value !== "custom") [form.from.value, form.to.value] = period(form.period.value);
  });
  const custom = () => { form.period.value = "custom"; };
  form.from.addEventListener("change", custom);
  form.to.addEventListener("change", custom);
  // Each Show starts a load; only the latest one draws (an earlier period's answers arriving late are dropped).
  let latest = 0;
  const drawScorecard = (report, query) => {
    const card = main.querySelector("#scorecard");
    if (!card) return;
    renderScorecard(card, report, { week: report.period.to, onCsv: () => reportCsv("scorecard", query)
      .catch((e) => { main.querySelector("#team-error").textContent = describe(e); }) });
    card.setAttribute("aria-busy", "false");
  };
  const load = async () => {
    const mine = ++latest;
    const error = main.querySelector("#team-error");
    error.textContent = "";
    let query = new URLSearchParams({ from: form.from.value, to: form.to.value });
    const team = pickedTeam(form, teams);
    if (user.role === "rep") query.set("rep_id", user.id);
    else if (team) query.set("team_id", team);
    let data;
    let pictures;
    const offline = !online();
    if (offline) { // the figures last shown online, said to be so, or nothing to show
      const kept = await keptTeamFigures();
      if (mine !== latest) return;
      if (!kept) {
        error.textContent = t("team.offline");
        return;
      }
      error.textContent = t("team.offline_kept", { at: `${shortDate(kept.at)} ${hhmm(kept.at)}` });
      query = new URLSearchParams(kept.query);
      data = kept.data;
      drawScorecard(kept.scorecard, query);
      pictures = await import("./teamcharts.js").then((module) => ({ ...module, tables: module.chartTables(data) }));
    } else {
      // The scorecard first: it draws as soon as it comes, the other reports under it after.
      const scorecard = report("scorecard", query).then((answer) => {
        if (mine === latest) drawScorecard(answer, query);
        return answer;
      });
      scorecard.catch(() => {}); // a failure shows once, below, with the other reports'
      try {
        const names = await reportNames();
        // The charts' code: only on this screen, loaded while the reports come.
        const [answers, module] = await Promise.all([Promise.all(names.map((name) => report(name, query))),
                                                     import("./teamcharts.js")]);
        const card = await scorecard;
        data = Object.fromEntries(names.map((name, i) => [name, answers[i]]));
        pictures = { ...module, tables: module.chartTables(data) };
        if (mine === latest) await keepTeamFigures(query, card, data);
      } catch (e) {
        if (!error.isConnected) return;
        error.textContent = describe(e);
        return;
      }
    }
    const target = main.querySelector("#team-reports");
    if (!target || mine !== latest) return; // the manager moved on to another screen meanwhile
    const shown = data["time-ratios"].period;
    main.querySelector("#period-shown").textContent = t("team.period_shown", {
      kind: t(`team.period.${form.period.value}`), from: dayDate(shown.from), to: dayDate(shown.to) });
    const ratios = data["time-ratios"];
    const manages = user.role !== "rep"; // managers and admins set the targets; a rep sees them
    const withTeam = (report) => [...report.rows, { name: t("team.team"), ...report.team }];
    target.innerHTML = html`${[
      section("time-ratios", t("team.ratios"), html`
        <p class="muted" id="goal-line">${t("team.target_line", { pct: ratios.extra.face_time_target_pct })}
          ${ratios.extra.face_time_target_set_by_name ? t("team.set_by", { name: ratios.extra.face_time_target_set_by_name,
            at: `${shortDate(ratios.extra.face_time_target_set_at)} ${hhmm(ratios.extra.face_time_target_set_at)}` }) : ""}</p>
        ${manages ? html`<form id="goal-form" class="row" novalidate>
          <div><label for="goal-pct">${t("team.goal_pct")}</label>
            <input id="goal-pct" name="pct" type="number" inputmode="decimal" min="0" max="100" step="1" required value="${ratios.extra.face_time_target_pct}"></div>
          <button type="submit" class="secondary">${t("team.set_goal")}</button></form>` : ""}
        <p class="muted">${t("chart.split_hint", { pct: ratios.extra.baseline_pct.face_to_face, admin: ratios.extra.baseline_pct.admin })}</p>
        ${pictures.chartBlock("split", pictures.tables.split, 60 + 34 * (ratios.rows.length + 2))}
        ${table([["name", t("team.rep")], ...vocab("time_split").map((k) => [`${k}_pct`, `${t(`category.${k}`)} %`]), ["working_days", t("team.days")],
                 ["open_visits", t("team.open_visits")], ["joint_visits", t("team.joint_visits")], ["joint_min", t("team.joint_min")]], withTeam(ratios))}
        <h3>${t("team.managers")}</h3>
        <div id="managers-time">${ratios.extra.managers?.length
          ? table([["name", t("team.manager")], ["joint_visits", t("team.joint_visits")], ["working_days", t("team.days")],
                   ...vocab("time_split").map((k) => [`${k}_min`, `${t(`category.${k}`)} min`]), ["face_to_face_pct", `${t("category.face_to_face")} %`]],
                  ratios.extra.managers)
          : html`<p class="muted">${t("team.managers_none")}</p>`}</div>
        <h3>${t("team.trend")}</h3><div style="height:180px"><canvas id="chart-trend" role="img" aria-label="${t("team.trend")}"></canvas></div>`),
      section("first-appointment", t("team.first"), html`${pictures.chartBlock("first", pictures.tables.first, 240)}${table([["name", t("team.rep")], ["first_appointment_time", t("team.target")],
        ["working_days", t("team.days")], ["on_time_days", t("team.on_time")], ["on_time_pct", "%"],
        ["median_first_visit", t("team.median_first")]], withTeam(data["first-appointment"]))}`),
      section("activity", t("team.activity"), table([["name", t("team.rep")], ["visits", t("team.visits")],
        ["visits_per_day", t("team.per_day")], ["face_to_face_visits", t("team.effective")], ["with_purpose", t("team.with_purpose")],
        ["not_met", t("team.not_met")], ["away_from_account", t("team.away")],
        ["planned", t("team.planned")], ["planned_due", t("team.due")], ["planned_done", t("team.done")], ["plan_done_pct", "%"]], withTeam(data.activity))),
      section("funnel", t("team.funnel"), html`<p class="muted">${t("chart.funnel_hint")}</p>${pictures.chartBlock("funnel", pictures.tables.funnel, 300)}
        ${table([["name", t("team.rep")], ...data.funnel.extra.stages.map((s) => [`open_${s}`, t("team.open_stage", { stage: s })]), ["conv", t("team.conversion")],
                 ["won", t("team.won")], ["lost", t("team.lost")], ["reasons", t("team.loss_reasons")]],
                withTeam(data.funnel).map((r) => ({ ...r, ...Object.fromEntries(Object.entries(r.open_by_stage).map(([s, n]) => [`open_${s}`, n])),
                  // In the funnel's order, S>P>A>D>C>O, never alphabetically.
                  conv: data.funnel.extra.stages.slice(1).map((s, i) => `${data.funnel.extra.stages[i]}>${s}`)
                    .map((k) => `${k}\u00a0${fmt(r.conversion_pct[k])}%`), // side by side, a whole step a line on a phone
                  // Side by side too, a reason at a time (its words wrap only where one is wider than the line, its count
                  // kept with them): on a phone a line of its own, not squeezed into half of one.
                  reasons: Object.entries(r.loss_reasons).map(([k, v]) => html`<span class="words">${word("loss_reason", k)}</span>\u00a0${v}`) })))}`),
      section("cadence", t("team.cadence"), html`${table([["name", t("team.rep")], ["A_overdue", "A"], ["B_overdue", "B"], ["C_overdue", "C"],
        ["overdue", t("team.overdue")]], withTeam(data.cadence))}
        <h3>${t("overdue.title")}</h3><div id="overdue-accounts"></div>`),
      section("method-ratios", t("team.method_ratios"), html`<p class="muted">${t("team.method_hint")}</p>
        ${(() => {
          const r = data["method-ratios"];
          const pairs = Object.values(r.extra.chains).flatMap((steps) => steps.slice(1).map((after, i) => [steps[i], after]));
          const people = [...r.rows, { name: t("team.team"), ...r.team }];
          const share = (row, [before, after]) => {
            const pct = row[`${before}_to_${after}_pct`];
            // Nothing to divide (none reached the step before): no figure, not "– % (0/0)".
            return pct === null || pct === undefined ? fmt(pct) : `${pct}\u00a0% (${row[after]}/${row[before]})`;
          };
          return table([["step", t("team.step")], ["method", t("team.method")], ...people.map((p, i) => [`p${i}`, p.name])],
            pairs.map((pair) => ({ step: `${t(`ratio.${pair[0]}`)} → ${t(`ratio.${pair[1]}`)}`,
                                   method: `${r.extra.method[`${pair[0]}_to_${pair[1]}_pct`]}\u00a0%`,
                                   ...Object.fromEntries(people.map((p, i) => [`p${i}`, share(p, pair)])) })));
        })()}`),
      section("coverage", t("team.coverage"), html`<p class="muted">${t("team.coverage_hint")}</p>
        ${table([["name", t("team.rep")], ["new_accounts", t("team.new_accounts")], ["new_visited", t("team.new_visited")],
                 ["new_coverage_pct", "%"]], withTeam(data.coverage))}
        ${data.coverage.extra.unvisited_new.length ? html`<ul class="list" id="coverage-unvisited">${data.coverage.extra.unvisited_new.slice(0, 30)
          .map((i) => html`<li><a class="item" href="#/account/${i.account_id}">${i.name} <span class="tag">${i.account_class}</span>
            <span class="muted">${i.rep_name ?? ""} · ${t("team.taken_on", { date: dayDate(i.taken_on) })}</span></a></li>`)}</ul>` : ""}
        <h3>${t("team.cadence_weeks")}</h3>
        ${pictures.chartBlock("coverage", pictures.tables.coverage, 220)}`),
      section("qualification", t("team.qualification"), html`${table([["name", t("team.rep")],
        ["undecided", t("team.undecided")], ["beyond_horizon", t("team.beyond_horizon")], ["stale_at_c", t("team.stale_at_c")]],
        withTeam(data.qualification))}
        ${[["undecided", (i) => t("team.undecided_item", { n: i.visits })],
           ["beyond_horizon", (i) => t("team.beyond_item", { title: i.title, stage: i.stage, date: dayDate(i.expected_close) })],
           ["stale_at_c", (i) => t("team.stale_item", { title: i.title, n: i.days_at_c })]].map(([kind, what]) => {
          const items = data.qualification.extra[`${kind}_list`];
          return items.length ? html`<h3>${t(`team.${kind}`)}</h3><ul class="list" id="qualification-${kind}">${items.slice(0, 30).map((i) =>
            html`<li><a class="item" href="#/account/${i.account_id}">${i.name}
              <span class="muted">${i.rep_name ?? ""} · ${what(i)}</span></a></li>`)}</ul>` : "";
        })}`),
      section("win-loss", t("team.win_loss"), html`${table([["name", t("team.rep")], ["won", t("team.won")],
          ["lost", t("team.lost")], ["win_pct", `${t("team.won")} %`]], withTeam(data["win-loss"]))}
        ${[["by_stage", t("team.by_stage")], ["by_visits", t("team.by_visits")], ["by_man", t("team.by_man")],
           ["by_class", t("team.by_class")]].map(([key, title]) => data["win-loss"].extra[key].length ? html`<h3>${title}</h3>
          ${table([["key", title], ["won", t("team.won")], ["lost", t("team.lost")], ["win_pct", `${t("team.won")} %`]],
                  data["win-loss"].extra[key].map((r) => ({ ...r, key: key === "by_stage" ? stageLabel(r.key) : r.key })))}` : "")}
        <h3>${t("team.loss_reasons")}</h3>
        ${data["win-loss"].extra.loss_reasons.length
          ? pictures.chartBlock("losses", pictures.tables.losses, 60 + 30 * data["win-loss"].extra.loss_reasons.length)
          : html`<p class="muted">${t("chart.no_losses")}</p>`}`),
      section("hunting-farming", t("team.hunting_farming"), html`<p class="muted">${t("team.hunting_hint")}</p>
        ${table([["name", t("team.rep")], ["visits", t("team.effective")], ["farming", t("team.farming")],
                 ["hunting", t("team.hunting")], ["farming_pct", `${t("team.farming")} %`]], withTeam(data["hunting-farming"]))}
        ${table([["week_start", t("team.week")], ["farming", t("team.farming")], ["hunting", t("team.hunting")]],
                data["hunting-farming"].extra.weeks.map((w) => ({ ...w, week_start: dayDate(w.week_start) })))}`),
      section("installed-base", t("team.mif"), html`<p class="muted">${t("team.mif_hint")}</p>${mifMatrix(data["installed-base"])}
        <ul id="mif-accounts" class="list" aria-live="polite"></ul>`),
      section("targets", t("team.targets"), html`<div id="targets-panel"></div>`),
    ]}`;
    const needsNetwork = html`<p class="muted">${t("team.lists_online")}</p>`;
    if (offline) ["#overdue-accounts", "#targets-panel"].forEach((id) => { main.querySelector(id).innerHTML = needsNetwork; });
    const lists = offline ? Promise.resolve() : Promise.all([ // their own requests, while the charts draw
      renderOverdue(main.querySelector("#overdue-accounts"), { query, reps: data.cadence.rows }),
      renderTargets(main.querySelector("#targets-panel"), { teamId: user.role === "rep" ? null : pickedTeam(form, teams),
                                                           month: shown.to.slice(0, 7), editable: manages }),
    ]);
    fitTables(target);
    jumps(main, target);
    pictures.wireBlocks(main, pictures.tables, shown);
    if (mine !== latest) return;
    await drawCharts(main, data, pictures);
    await lists;
    const settle = async (event, send) => {
      // Targets and the face-time goal are set here (managers, admins); the figures reload with them.
      event.preventDefault();
      const error = main.querySelector("#team-error");
      error.textContent = "";
      if (!event.target.checkValidity()) {
        error.textContent = t("team.target_invalid");
        return;
      }
      try {
        await send(event.target);
      } catch (e) {
        error.textContent = describe(e);
        return;
      }
      await load();
      main.querySelector("#team-saved")?.remove();
      main.querySelector("#team-error").insertAdjacentHTML("afterend", html`<p id="team-saved" class="muted" role="status">${t("team.saved")}</p>`);
    };
    main.querySelector("#goal-form")?.addEventListener("submit", (event) => settle(event, (f) =>
      saveFaceTimeGoal(pickedTeam(form, teams) ?? user.team_id, Number(f.pct.value))));
    main.querySelectorAll("[data-csv]").forEach((b) => b.addEventListener("click", () =>
      reportCsv(b.dataset.csv, query).catch((e) => { main.querySelector("#team-error").textContent = describe(e); })));
    main.querySelectorAll("[data-mif]").forEach((b) => b.addEventListener("click", () => {
      const names = JSON.parse(b.dataset.names || "[]");
      main.querySelector("#mif-accounts").innerHTML = b.dataset.mif.split(",").map((id, i) =>
        html`<li><a class="item" href="#/account/${id}">${names[i] ?? accounts.get(id)?.name ?? t("account.missing")}</a></li>`).join("");
    }));
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  await load();
}
