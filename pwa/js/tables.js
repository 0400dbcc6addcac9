// Report tables on a phone: a card a row where a table would not fit its box.

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
