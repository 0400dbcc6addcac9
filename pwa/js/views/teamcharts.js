// The Team screen's pictures: the funnel as a funnel (conversion between steps, median days in stage), the
// time split as stacked bars per rep against the method's baseline, first-visit times as a strip per day
// against the first-appointment time, coverage week by week as lines, loss reasons as bars. Each chart has
// its table behind a toggle and its own CSV (the figures the chart draws). Loaded by team.js only when a
// manager's Team screen draws its charts (a dynamic import), with Chart.js itself (lazy.js).
import { t } from "../i18n.js";
import { dayDate, html, nextTask, stageLabel } from "../ui.js";
import { fitTable, fitTables } from "../tables.js";
import { vocab } from "../settings.js";
import { word } from "./records.js";

const COLOURS = { face_to_face: "#0f766e", travel: "#f59e0b", admin: "#6366f1", meeting: "#94a3b8", unrecorded: "#e5e7eb" };
const REPS = ["#0f766e", "#b45309", "#4338ca", "#be123c", "#15803d", "#0369a1", "#7c3aed", "#a16207"];
const CLASSES = { A: "#b91c1c", B: "#d97706", C: "#0f766e" };
const num = (v, digits = 1) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));
const minutesOf = (hhmm) => { const [h, m] = hhmm.split(":").map(Number); return h * 60 + m; };
const clockText = (minutes) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(Math.round(minutes % 60)).padStart(2, "0")}`;

/** The figures of each chart, as a table: columns [key, heading] and rows; the same feed the CSV. */
export function chartTables(data) {
  const funnel = data.funnel;
  const stages = funnel.extra.stages;
  const ratios = data["time-ratios"];
  const split = vocab("time_split");
  const first = data["first-appointment"];
  const names = new Map(first.rows.map((r) => [r.rep_id, r.name]));
  const coverage = data.coverage.extra.weeks;
  const lost = data["win-loss"].extra.loss_reasons;
  return {
    funnel: {
      title: t("team.funnel"),
      columns: [["stage", t("chart.stage")], ["reached", t("team.reached")], ["conversion", t("chart.conversion_from")],
                ["median_days", t("chart.median_days")], ["open", t("chart.open_now")]],
      rows: stages.map((s, i) => ({
        stage: stageLabel(s),
        reached: funnel.team.reached[s],
        conversion: i ? funnel.team.conversion_pct[`${stages[i - 1]}>${s}`] : null,
        median_days: funnel.team.median_days_in_stage[s] ?? null,
        open: funnel.team.open_by_stage[s],
      })),
    },
    split: {
      title: t("team.ratios"),
      columns: [["name", t("team.rep")], ...split.map((k) => [`${k}_pct`, `${t(`category.${k}`)} %`])],
      rows: [...ratios.rows, { name: t("team.team"), ...ratios.team },
             { name: t("team.baseline"), ...Object.fromEntries(Object.entries(ratios.extra.baseline_pct).map(([k, v]) => [`${k}_pct`, v])),
               unrecorded_pct: null }],
    },
    first: {
      title: t("team.first"),
      columns: [["date", t("chart.day")], ["name", t("team.rep")], ["at", t("chart.first_visit")], ["target", t("team.target")]],
      rows: first.rows.flatMap((rep) => (first.extra.first_visits[rep.rep_id] ?? []).map((v) => ({
        date: v.date, name: names.get(rep.rep_id), at: v.at, target: rep.first_appointment_time })))
        .sort((a, b) => a.date.localeCompare(b.date) || a.at.localeCompare(b.at)),
    },
    coverage: {
      title: t("team.cadence_weeks"),
      columns: [["week_start", t("team.week")], ...["A", "B", "C"].flatMap((c) => [[`${c}_pct`, `${c} %`], [`${c}_share`, c]])],
      rows: coverage.map((w) => ({ ...w, ...Object.fromEntries(["A", "B", "C"].map((c) => [`${c}_share`, `${w[`${c}_covered`]}/${w[`${c}_accounts`]}`])) })),
    },
    losses: {
      title: t("team.loss_reasons"),
      columns: [["reason", t("team.loss_reasons")], ["code", t("chart.code")], ["lost", t("team.lost")]],
      rows: lost.map((r) => ({ reason: word("loss_reason", r.reason), code: r.reason, lost: r.lost })),
    },
  };
}

const DAYS = new Set(["date", "week_start"]);

/** A table cell: a day ("date", "week_start": ISO in the data and its CSV) said as the app says days elsewhere. */
function cell(value, key) {
  if (value === null || value === undefined) return "–";
  if (DAYS.has(key)) return dayDate(value);
  return typeof value === "number" && !Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** A chart's block: the canvas, a button that shows its table, a button for its CSV, and the hidden table. */
export function chartBlock(key, table, height) {
  return html`<figure class="chart-block" id="chart-block-${key}">
    <div class="chart-box" style="height:${height}px"><canvas id="chart-${key}" role="img" aria-label="${table.title}"></canvas></div>
    <figcaption class="row chart-actions">
      <button type="button" class="secondary" data-chart-table="${key}" aria-expanded="false" aria-controls="chart-table-${key}">${t("chart.show_table")}</button>
      <button type="button" class="secondary" data-chart-csv="${key}">${t("chart.csv")}</button>
    </figcaption>
    <div id="chart-table-${key}" class="chart-table" hidden>${fitTable(table.columns, table.rows, (row, k) => cell(row[k], k), "chart-data")}</div>
  </figure>`;
}

/** A chart's table as CSV text: its headings in the chosen language, one line per row. */
export function csvText(table) {
  const quote = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [table.columns.map(([, label]) => quote(label)).join(","),
          ...table.rows.map((row) => table.columns.map(([k]) => quote(row[k])).join(","))].join("\r\n") + "\r\n";
}

function saveCsv(key, table, period) {
  // A byte-order mark first, so a spreadsheet reads the Chinese headings as UTF-8.
  const blob = new Blob(["\ufeff", csvText(table)], { type: "text/csv;charset=utf-8" });
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: `chart-${key}-${period.from}-${period.to}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** Wire each block's table toggle and CSV button. */
export function wireBlocks(root, tables, period) {
  root.querySelectorAll("[data-chart-table]").forEach((button) => button.addEventListener("click", () => {
    const box = root.querySelector(`#chart-table-${button.dataset.chartTable}`);
    box.hidden = !box.hidden;
    button.setAttribute("aria-expanded", String(!box.hidden));
    button.textContent = t(box.hidden ? "chart.show_table" : "chart.hide_table");
    fitTables(box);
  }));
  root.querySelectorAll("[data-chart-csv]").forEach((button) => button.addEventListener("click", () =>
    saveCsv(button.dataset.chartCsv, tables[button.dataset.chartCsv], period)));
}

const BASE = { animation: false, responsive: true, maintainAspectRatio: false };

function funnelChart(Chart, canvas, table) {
  // A funnel: each stage a bar centred on zero, as wide as the deals that reached it; the step's conversion
  // from the stage before and the median days spent in the stage ride on its label.
  const widest = Math.max(1, ...table.rows.map((r) => r.reached));
  // A line each (the stage and its count, the step's conversion, its days), so a phone's narrow axis (at most half
  // the chart's width) shows them whole: "conv. 65.5% · 2.5 d in stage" on one line was cut at its start.
  const labels = table.rows.map((r, i) => {
    const figures = [];
    if (i) figures.push(`${t("chart.conv_short")} ${r.conversion === null ? "–" : `${num(r.conversion)}%`}`);
    if (r.median_days !== null) figures.push(t("chart.days_short", { n: num(r.median_days) }));
    return [`${r.stage.split(" ")[0]} · ${r.reached}`, ...figures];
  });
  return new Chart(canvas, {
    type: "bar",
    data: { labels, datasets: [{ label: t("team.reached"), data: table.rows.map((r) => [-r.reached / 2, r.reached / 2]),
                                 backgroundColor: table.rows.map((_, i) => `hsl(174 70% ${22 + i * 8}%)`), barPercentage: 0.95, categoryPercentage: 1 }] },
    options: { ...BASE, indexAxis: "y",
               plugins: { legend: { display: false },
                          tooltip: { callbacks: { label: (item) => `${t("team.reached")}: ${table.rows[item.dataIndex].reached}` } } },
               scales: { x: { display: false, min: -widest / 2, max: widest / 2 }, y: { grid: { display: false } } } },
  });
}

function splitChart(Chart, canvas, table) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: table.rows.map((r) => r.name),
            datasets: vocab("time_split").map((k) => ({ label: t(`category.${k}`), data: table.rows.map((r) => r[`${k}_pct`] ?? 0), backgroundColor: COLOURS[k] })) },
    options: { ...BASE, indexAxis: "y", scales: { x: { stacked: true, max: 100, ticks: { callback: (v) => `${v}%` } }, y: { stacked: true } } },
  });
}

function firstChart(Chart, canvas, table) {
  // One dot per rep and working day at the first check-in's time; the dashed line is the first-appointment
  // time (8:45 by the method; the first rep's team's when set otherwise).
  const days = [...new Set(table.rows.map((r) => r.date))].sort();
  const reps = [...new Set(table.rows.map((r) => r.name))];
  const target = minutesOf(table.rows[0]?.target ?? "08:45");
  const times = table.rows.map((r) => minutesOf(r.at));
  const low = Math.min(target - 30, ...times);
  const high = Math.max(target + 30, ...times);
  return new Chart(canvas, {
    type: "scatter",
    data: { labels: days.map(dayDate),
            datasets: [...reps.map((name, i) => ({ label: name, backgroundColor: REPS[i % REPS.length], pointRadius: 4,
                                                   data: table.rows.filter((r) => r.name === name).map((r) => ({ x: days.indexOf(r.date), y: minutesOf(r.at) })) })),
                       { type: "line", label: `${t("team.target")} ${clockText(target)}`, data: days.map((_, i) => ({ x: i, y: target })),
                         borderColor: "#b91c1c", borderDash: [6, 4], pointRadius: 0, showLine: true }] },
    options: { ...BASE,
               plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${clockText(item.parsed.y)}` } } },
               scales: { x: { type: "linear", min: -0.5, max: Math.max(days.length - 0.5, 0.5),
                              ticks: { stepSize: 1, autoSkip: true, callback: (v) => (Number.isInteger(v) && days[v] ? dayDate(days[v]) : "") } },
                         y: { min: Math.floor(low / 15) * 15, max: Math.ceil(high / 15) * 15, reverse: true, ticks: { stepSize: 15, callback: (v) => clockText(v) } } } },
  });
}

function coverageChart(Chart, canvas, table) {
  return new Chart(canvas, {
    type: "line",
    data: { labels: table.rows.map((w) => dayDate(w.week_start)),
            datasets: ["A", "B", "C"].map((c) => ({ label: c, data: table.rows.map((w) => w[`${c}_pct`]), borderColor: CLASSES[c],
                                                    backgroundColor: CLASSES[c], spanGaps: true })) },
    options: { ...BASE, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } } },
  });
}

function lossChart(Chart, canvas, table) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: table.rows.map((r) => r.reason), datasets: [{ label: t("team.lost"), data: table.rows.map((r) => r.lost), backgroundColor: "#be123c" }] },
    options: { ...BASE, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

const DRAW = { funnel: funnelChart, split: splitChart, first: firstChart, coverage: coverageChart, losses: lossChart };

/** Draw every chart whose block is on the screen, one a task, each Chart object pushed to `drawn` as it is made
 *  (to destroy on the next draw). */
export async function drawAll(Chart, root, tables, drawn) {
  for (const [key, draw] of Object.entries(DRAW)) {
    await nextTask(); // one chart a task: the screen answers a tap between them
    const canvas = root.querySelector(`#chart-${key}`);
    if (canvas?.isConnected && tables[key].rows.length) drawn.push(draw(Chart, canvas, tables[key]));
  }
}
