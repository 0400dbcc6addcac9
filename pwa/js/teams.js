// The teams a manager or admin may report on, and the picker the report screens show for them; the two report
// screens' own tabs (daily, weekly) under the tab bar's Reports.
import { online, request } from "./api.js";
import { getMeta, setMeta } from "./db.js";
import { t } from "./i18n.js";
import { byName, html } from "./ui.js";

/** {teams, own}: the caller's reportable teams (none for reps or offline) and the one to show first. */
export async function reportTeams(user) {
  const teams = user.role !== "rep" && online()
    ? await request("GET", "/api/reports/teams").then((r) => r.teams, () => []) : [];
  return { teams, own: teams.find((team) => team.id === user.team_id) ?? teams[0] };
}

/** A labelled select of the teams, or nothing when there is no choice to make. */
export function teamPicker({ teams, own }) {
  if (teams.length < 2) return "";
  return html`<div><label for="team">${t("team.team")}</label>
    <select id="team" name="team">${teams.map((team) =>
      html`<option value="${team.id}" ${team === own ? html`selected` : ""}>${team.name}</option>`)}</select></div>`;
}

/** The team_id a report request should carry, or null (reps report on themselves). */
export function pickedTeam(form, { own }) {
  return form.team?.value ?? own?.id ?? null;
}

/** The reps a manager or admin may see, [{id, name}] by name as people read it (rep2 before rep10): asked of the
 *  server when online and kept on the phone for the accounts list without signal; none for a rep. */
export async function teamReps(user) {
  if (user?.role === "rep") return [];
  if (online()) {
    try {
      const { items } = await request("GET", "/api/users?role=rep&per_page=500");
      const reps = items.map((u) => ({ id: u.id, name: u.display_name || u.username }))
        .sort(byName.of((a) => a.name));
      await setMeta("team_reps", reps);
      return reps;
    } catch {
      // offline meanwhile or refused: the list kept from the last time
    }
  }
  return getMeta("team_reps", []);
}

/** The name of rep `id` for a manager or admin (a rep's accounts are their own): {name, later}: the name as kept
 *  on the phone, or null; when it is not kept (a rep added since, no list fetched yet), `later` promises it (or
 *  null) once the team's reps have been asked again, so a screen draws first and fills the name in. */
export async function repName(user, id) {
  if (!user || user.role === "rep" || !id) return { name: null, later: null };
  const named = (reps) => reps.find((r) => r.id === id)?.name ?? null;
  const name = named(await getMeta("team_reps", []));
  return { name, later: name ? null : teamReps(user).then(named) };
}

const REPORT_SCREENS = [["daily", "#/report"], ["weekly", "#/week"]];

/** The report screens' tabs, the one showing marked: the tab bar's Reports leads to both. */
export function reportTabs(active) {
  return html`<nav class="subtabs" aria-label="${t("tab.report")}">${REPORT_SCREENS.map(([name, href]) =>
    html`<a href="${href}" ${name === active ? html`aria-current="page"` : ""}>${t(`report.tab.${name}`)}</a>`)}</nav>`;
}
