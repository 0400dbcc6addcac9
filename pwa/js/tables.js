// Report tables on a phone: a card a row where a table would not fit its box.
import { html } from "./ui.js";

/** A report's table (`columns` [[key, label]], `rows`, `value(row, key)` the cell's content): a row a rep or a
 *  step, named in its first cell; each other cell carries its column's name, for the card a row (fitTables). */
export function fitTable(columns, rows, value, className = "") {
  const [[first], ...rest] = columns;
  return html`<div class="table-box"><table class="report-table fit ${className}">
    <thead><tr>${columns.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${rows.map((row) => html`<tr><th scope="row">${value(row, first)}</th>${rest.map(([key, label]) =>
      html`<td data-label="${label}"><span class="v">${value(row, key)}</span></td>`)}</tr>`)}</tbody>
  </table></div>`;
}

let refitting = false;

/** Each report table (`table.fit`) under `root` that would scroll sideways in its box becomes a card a row
 *  (`.cards`, laid out so at phone widths only: app.css); one that fits stays a table. Measured as drawn, and
 *  again when the window's width changes (a phone turned). Its cells carry their column's name (data-label). */
export function fitTables(root) {
  for (const table of root.querySelectorAll("table.fit")) {
    table.classList.remove("cards");
    const box = table.parentElement;
    if (box.clientWidth > 0 && box.scrollWidth > box.clientWidth + 1) table.classList.add("cards");
  }
  if (!refitting) {
    refitting = true;
    let width = innerWidth;
    addEventListener("resize", () => {
      if (innerWidth === width) return;
      width = innerWidth;
      fitTables(document.body);
    });
  }
}
