// The notices the server keeps for the user (server/notify/): the newest unread one as a banner, the list and
// the per-kind switches on the Me screen, and the team's outbox (each notice's state) for a manager. Nothing of
// them is kept on the phone: offline there is nothing to show.
import { markNoticeRead, notices } from "./api.js";
import { lang, t } from "./i18n.js";
import { hhmm, html, shortDate } from "./ui.js";

/** Show the newest unread notice in `el` (hidden when none); dismissing it marks it read. */
export async function showNoticeBanner(el) {
  const unread = await notices({ unread: true, lang: lang() }).catch(() => []);
  const newest = unread[0];
  el.hidden = !newest;
  if (!newest) {
    el.innerHTML = "";
    return;
  }
  el.innerHTML = html`<span><strong>${newest.title}</strong> ${newest.text}</span>
    <button type="button" class="secondary" id="notice-dismiss">${t("notice.dismiss")}</button>`;
  el.querySelector("#notice-dismiss").addEventListener("click", async () => {
    await markNoticeRead(newest.id).catch(() => {});
    showNoticeBanner(el);
  });
}

/** One notice as a list item: when, what, and (for the outbox) to whom and how it went. */
export function noticeItem(notice, { who = false } = {}) {
  const state = t(`notice.state.${notice.state}`);
  const failure = notice.state === "failed" && notice.failure ? html` — ${notice.failure}` : "";
  return html`<li class="notice ${notice.read_at ? "" : "unread"}" data-state="${notice.state}">
    <span class="when">${shortDate(notice.sent_at || notice.not_before)} ${hhmm(notice.sent_at || notice.not_before)}</span>
    ${who ? html`<strong>${notice.display_name || notice.username}</strong>: ` : ""}<strong>${notice.title}</strong> ${notice.text}
    <small>${t(`notice.channel.${notice.channel}`)} · ${state}${failure}</small></li>`;
}
