// The teams a manager or admin may report on, and the picker the report screens show for them.
import { online, request } from "./api.js";
import { t } from "./i18n.js";
import { html } from "./ui.js";

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
