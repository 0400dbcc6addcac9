// One opportunity through S-P-A-D-C-O, with the method's rules on the phone: one stage at a time unless
// the rep confirms a jump, a reason to move back, M-A-N looked at before P->A, O is won, lost says why.
import { byIndex, get, writeLocal } from "../db.js";
import { t } from "../i18n.js";
import { daysSince, html, money, shortDate, stageLabel } from "../ui.js";
import { vocab } from "../settings.js";
import { word } from "./records.js";

/** The funnel's stages in order, S-P-A-D-C-O, as the server defines them. */
export const stages = () => vocab("stage");
const HORIZON_DAYS = 180; // the prospect horizon: an expected close further out is flagged
const CLOSE_STALE_DAYS = 30; // a C-stage opportunity older than this is flagged
const MAN = ["money", "authority", "need"];

/** The method's warnings for an opportunity, as catalogue keys with their values. */
export function flags(opportunity, now = new Date()) {
  const out = [];
  if (opportunity.status === "open" && opportunity.expected_close
      && (new Date(`${opportunity.expected_close}T00:00:00`) - now) / 86_400_000 > HORIZON_DAYS) {
    out.push(["opportunity.flag_horizon", { days: HORIZON_DAYS }]);
  }
  const inStage = daysSince(opportunity.stage_changed_at, now);
  if (opportunity.status === "open" && opportunity.stage === "C" && inStage !== null && inStage > CLOSE_STALE_DAYS) {
    out.push(["opportunity.flag_stale_close", { days: inStage }]);
  }
  return out;
}

/** Which of M, A, N are still unknown. */
export function manUnknown(opportunity) {
  return MAN.filter((k) => !opportunity[`man_${k}`]);
}

/** What moving from `from` to `to` needs: null (go), "jump", "back" or "man". */
export function moveNeeds(opportunity, to) {
  const a = stages().indexOf(opportunity.stage);
  const b = stages().indexOf(to);
  if (b < a) return "back";
  if (b > a + 1) return "jump";
  if (opportunity.stage === "P" && to === "A" && manUnknown(opportunity).length) return "man";
  return null;
}

export async function render(main, { id, navigate }) {
  const opportunity = await get("opportunities", id);
  if (!opportunity) {
    main.innerHTML = html`<p class="card">${t("form.missing")}</p>`;
    return;
  }
  const account = (await get("accounts", opportunity.account_id)) ?? { id: opportunity.account_id, name: "?" };
  const device = opportunity.device_id ? (await byIndex("devices", "account_id", account.id)).find((d) => d.id === opportunity.device_id) : null;
  const open = opportunity.status === "open";
  const unknown = manUnknown(opportunity);
  main.innerHTML = html`<h1>${opportunity.title}</h1>
    <p class="muted"><a href="#/account/${account.id}">${account.name}</a> · ${word("kind", opportunity.kind)}
      ${opportunity.amount ? ` · ${money(opportunity.amount)}` : ""}${opportunity.expected_close ? ` · ${t("field.expected_close")} ${opportunity.expected_close}` : ""}</p>
    ${device ? html`<p class="muted">${t("opportunity.replaces", { machine: `${device.brand} ${device.model}` })}</p>` : ""}
    <p><span class="tag">${stageLabel(opportunity.stage)}</span> <span class="tag ${open ? "" : opportunity.status === "won" ? "" : "bad"}">${word("status", opportunity.status)}</span>
      ${opportunity.loss_reason ? html`<span class="tag bad">${word("loss_reason", opportunity.loss_reason)}</span>` : ""}
      ${opportunity.closed_at ? html`<span class="muted">${shortDate(opportunity.closed_at)}</span>` : ""}</p>
    ${flags(opportunity).map(([key, values]) => html`<p><span class="tag warn">${t(key, values)}</span></p>`)}
    <form id="man-form" class="card"><strong>${t("visit.man")}</strong>
      ${MAN.map((k) => html`<label class="check"><input type="checkbox" name="man_${k}" ${opportunity[`man_${k}`] ? html`checked` : ""} ${open ? "" : html`disabled`}>${t(`visit.man_${k}`)}</label>`)}
      <p class="muted" id="man-unknown">${unknown.length ? t("opportunity.man_unknown", { which: unknown.map((k) => t(`opportunity.man_${k}`)).join(" ") }) : t("opportunity.man_known")}</p>
    </form>
    ${open ? html`<form id="stage-form" class="card" novalidate>
      <label for="stage">${t("opportunity.move_to")}</label>
      <select id="stage" name="stage">${stages().map((s, i, all) => html`<option value="${s}" ${s === (all[all.indexOf(opportunity.stage) + 1] ?? all.at(-1)) ? html`selected` : ""}>${stageLabel(s)}</option>`)}</select>
      <div id="back-reason" hidden><label for="why">${t("opportunity.why_back")}</label><input id="why" name="why" maxlength="500"></div>
      <p id="stage-note" class="muted" role="status" aria-live="polite"></p>
      <button type="submit" id="move-stage">${t("opportunity.move")}</button>
    </form>
    <form id="lost-form" class="card" novalidate>
      <label for="loss-reason">${t("opportunity.lost_reason")}</label>
      <select id="loss-reason" name="loss_reason">${vocab("loss_reason").map((r) => html`<option value="${r}">${word("loss_reason", r)}</option>`)}</select>
      <label for="loss-note">${t("opportunity.lost_note")}</label><input id="loss-note" name="loss_note" maxlength="2000">
      <p id="lost-error" class="error-text" role="alert"></p>
      <button type="submit" class="secondary" id="mark-lost">${t("opportunity.mark_lost")}</button>
    </form>` : ""}
    <div class="row"><a class="button secondary" href="#/opportunity/${opportunity.id}/edit">${t("form.edit")}</a>
      <a class="button secondary" href="#/account/${account.id}">${t("form.back")}</a></div>`;

  const update = async (changes) => {
    const current = await get("opportunities", id);
    await writeLocal("opportunity", "update", id, changes, { baseVersion: current.version ?? 0 });
  };
  main.querySelector("#man-form").addEventListener("change", async (event) => {
    if (!event.target.name?.startsWith("man_")) return;
    await update({ [event.target.name]: event.target.checked });
    await render(main, { id, navigate });
  });
  const stageForm = main.querySelector("#stage-form");
  if (!stageForm) return;
  let confirmed = null;
  const note = main.querySelector("#stage-note");
  stageForm.stage.addEventListener("change", () => {
    confirmed = null;
    note.textContent = "";
    main.querySelector("#back-reason").hidden = moveNeeds(opportunity, stageForm.stage.value) !== "back";
  });
  stageForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const to = stageForm.stage.value;
    if (to === opportunity.stage) return;
    const needs = moveNeeds(opportunity, to);
    if (needs === "back" && !stageForm.why.value.trim()) {
      main.querySelector("#back-reason").hidden = false;
      note.textContent = t("opportunity.why_back_needed");
      stageForm.why.focus();
      return;
    }
    if ((needs === "jump" || needs === "man") && confirmed !== to) {
      confirmed = to;
      note.textContent = needs === "jump" ? t("opportunity.confirm_jump", { from: opportunity.stage, to })
        : t("opportunity.confirm_man", { which: manUnknown(opportunity).map((k) => t(`opportunity.man_${k}`)).join(" ") });
      main.querySelector("#move-stage").textContent = t("opportunity.confirm");
      return;
    }
    const changes = { stage: to };
    if (to === "O") changes.status = "won"; // O is the order: reaching it closes the deal as won
    if (needs === "back") changes.loss_note = t("opportunity.back_note", { from: opportunity.stage, to, why: stageForm.why.value.trim() });
    await update(changes);
    await render(main, { id, navigate });
  });
  main.querySelector("#lost-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    if (form.loss_reason.value === "other" && !form.loss_note.value.trim()) {
      main.querySelector("#lost-error").textContent = t("opportunity.other_needs_text");
      return;
    }
    await update({ status: "lost", loss_reason: form.loss_reason.value, loss_note: form.loss_note.value.trim() });
    await render(main, { id, navigate });
  });
}
