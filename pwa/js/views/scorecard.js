// The scorecard: the team at a glance, a row per rep (a card on a phone), each figure marked against its
// target or the method's rule by the server (good, warn, bad) and shown with a symbol and a word as well as a
// colour, the rule in a tooltip and in words under the table. Any column sorts (buttons: keyboard and tap);
// a rep's name opens that rep's week.
import { t } from "../i18n.js";
import { byName, distinctNames, html, money, stageLabel } from "../ui.js";

const SYMBOL = { good: "✓", warn: "!", bad: "✗" };
const pct = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(1)}\u00a0%`);
const count = (n, of) => `${n ?? 0} / ${of ?? "–"}`;

/** The rule behind each mark, in words, from the thresholds the server sent (`extra.rules`). */
export function ruleWords(rules, row = {}) {
  const cadence = rules.cadence_days;
  return {
    visits: t("score.rule.visits", { a: cadence.A, b: cadence.B, c: cadence.C, warn: rules.visits.warn_pct }),
    face_to_face: t("score.rule.face", { goal: rules.face_to_face.goal_pct, baseline: rules.face_to_face.baseline_pct }),
    on_time: t("score.rule.on_time", { time: row.first_appointment_time ?? "08:45", tol: rules.on_time.tolerance_min,
                                       good: rules.on_time.good_pct, warn: rules.on_time.warn_pct }),
    overdue_a: t("score.rule.overdue_a", { a: cadence.A, warn: rules.overdue_a.warn_pct }),
    pipeline: t("score.rule.pipeline"),
    won: t("score.rule.won", { good: rules.won.good_pct, warn: rules.won.warn_pct }),
  };
}

/** The columns: key, heading, the value sorted on, what the cell shows, and the mark it carries. */
function columns(stages) {
  return [
    { key: "name", label: t("team.rep"), sort: (r) => r.name, text: true },
    { key: "visits", label: t("score.visits"), sort: (r) => r.visits, show: (r) => count(r.visits, r.visits_target), mark: "visits" },
    { key: "face", label: t("score.face"), sort: (r) => r.face_to_face_pct, show: (r) => pct(r.face_to_face_pct), mark: "face_to_face" },
    { key: "on_time", label: t("score.on_time"), sort: (r) => r.on_time_pct, show: (r) => count(r.on_time_days, r.working_days), mark: "on_time" },
    { key: "overdue_a", label: t("score.overdue_a"), sort: (r) => r.a_overdue, show: (r) => count(r.a_overdue, r.a_accounts), mark: "overdue_a" },
    ...stages.map((s) => ({ key: `stage_${s}`, label: s, title: t("score.open_at", { stage: stageLabel(s) }),
                            sort: (r) => r.pipeline[s], show: (r) => money(r.pipeline[s]), stage: true })),
    { key: "pipeline", label: t("score.pipeline"), sort: (r) => r.pipeline_total, show: (r) => money(r.pipeline_total), mark: "pipeline" },
    { key: "won_amount", label: t("score.won_amount"), sort: (r) => r.won_amount,
      // A period's target is the months' spread over working days: shown to the yuan, as the weekly review does.
      show: (r) => (r.target ? `${money(r.won_amount)} / ${money(Math.round(r.target))}` : money(r.won_amount)), mark: "won" },
    { key: "won_lost", label: t("score.won_lost"), sort: (r) => r.won, show: (r) => `${r.won} / ${r.lost}` },
  ];
}

function compare(column, direction) {
  return (a, b) => {
    const x = column.sort(a);
    const y = column.sort(b);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1; // no figure: last either way
    if (y === null || y === undefined) return -1;
    const order = column.text ? byName(String(x), String(y)) : x - y;
    return direction === "descending" ? -order : order;
  };
}

function cell(column, row, words, { head = false, link = "" } = {}) {
  if (head) {
    return html`<th scope="row" data-label="${column.label}"><a href="${link}" class="rep-week">${row.name}</a></th>`;
  }
  const mark = column.mark ? row.marks[column.mark] : null;
  const rule = column.mark ? words[column.mark] : column.title ?? "";
  return html`<td data-label="${column.label}" data-col="${column.key}" ${mark ? html`data-mark="${mark}"` : ""}
    class="${mark ? `mark ${mark}` : column.stage ? "stage" : ""}" title="${rule}"><span class="v">${
      mark ? html`<span class="sym" aria-hidden="true">${SYMBOL[mark]}</span> ` : ""}${column.show(row)}${
      mark ? html`<span class="mark-word"> ${t(`score.mark.${mark}`)}</span>` : ""}</span></td>`;
}

/** Draw the scorecard `report` (GET /api/reports/scorecard) into `el`; the order chosen survives a redraw. */
export function renderScorecard(el, report, { week = "", onCsv = null } = {}) {
  const stages = report.extra.stages.filter((s) => s !== "O"); // O is an order won: never open
  const cols = columns(stages);
  const state = { key: el.dataset.sortKey || "name", direction: el.dataset.sortDirection || "ascending" };
  const draw = () => {
    const column = cols.find((c) => c.key === state.key) ?? cols[0];
    const rows = distinctNames(report.rows).sort(compare(column, state.direction));
    const team = { name: t("team.team"), ...report.team };
    const weekOf = (row) => `#/week?rep=${row.rep_id}${week ? `&week=${week}` : ""}`;
    el.innerHTML = html`
      <h2 id="h-scorecard" class="visually-hidden">${t("score.title")}</h2>
      <table class="scorecard" aria-labelledby="h-scorecard" aria-describedby="scorecard-rules">
        <thead><tr>${cols.map((c) => {
          const sort = c.key === state.key ? state.direction : "none";
          return html`<th scope="col" aria-sort="${sort}" data-col="${c.key}" class="${c.stage ? "stage" : ""}" title="${c.title ?? ""}">
            <button type="button" data-sort="${c.key}">${c.label}<span class="arrow" aria-hidden="true">${
              sort === "ascending" ? "▲" : sort === "descending" ? "▼" : "↕"}</span></button></th>`;
        })}</tr></thead>
        <tbody>${rows.map((row) => {
          const words = ruleWords(report.extra.rules, row);
          return html`<tr data-rep="${row.rep_id}">${cols.map((c, i) => cell(c, row, words, { head: i === 0, link: weekOf(row) }))}</tr>`;
        })}</tbody>
        <tfoot><tr class="team-row"><th scope="row" data-label="${cols[0].label}">${team.name}</th>${cols.slice(1).map((c) =>
          cell(c, team, ruleWords(report.extra.rules)))}</tr></tfoot>
      </table>
      <p class="muted mark-legend">${["good", "warn", "bad"].map((m) => html`<span class="mark ${m}"><span aria-hidden="true">${SYMBOL[m]}</span> ${t(`score.mark.${m}`)}</span> `)}
        ${onCsv ? html`<button type="button" class="secondary" id="scorecard-csv">${t("team.csv")}</button>` : ""}</p>
      <dl id="scorecard-rules" class="muted scorecard-rules">${Object.entries(ruleWords(report.extra.rules)).map(([k, words]) =>
        html`<dt>${t(`score.rule_title.${k}`)}</dt><dd>${words}</dd>`)}</dl>`;
    el.querySelector("#scorecard-csv")?.addEventListener("click", onCsv);
    el.querySelectorAll("[data-sort]").forEach((button) => button.addEventListener("click", () => {
      const key = button.dataset.sort;
      // A new column starts in its natural order: names A-Z, figures largest first; the same column flips.
      state.direction = key === state.key ? (state.direction === "ascending" ? "descending" : "ascending")
        : key === "name" ? "ascending" : "descending";
      state.key = key;
      el.dataset.sortKey = state.key;
      el.dataset.sortDirection = state.direction;
      draw();
      el.querySelector(`[data-sort="${key}"]`)?.focus(); // the keyboard stays where it was
    }));
  };
  draw();
}
