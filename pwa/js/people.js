// People and teams on the server, for the admin's and manager's screens to draw: users (made one at a time
// or imported from a file, edited, reset, deactivated with their accounts handed over), teams and their
// settings with the history of changes.
import { request, upload } from "./api.js";

export function listUsers(query) {
  return request("GET", `/api/users?${new URLSearchParams(query)}`);
}

export function listTeams(perPage) {
  return request("GET", `/api/teams?per_page=${perPage}`);
}

export function getUser(id) {
  return request("GET", `/api/users/${id}`);
}

export function createUser(body) {
  return request("POST", "/api/users", body);
}

/** Import users from a CSV (`form`: the multipart body); `dryRun` checks only. */
export function importUsers(form, dryRun) {
  return upload(`/api/users/import?${new URLSearchParams({ dry_run: dryRun })}`, form);
}

export function updateUser(id, body) {
  return request("PATCH", `/api/users/${id}`, body);
}

export function resetPassword(id) {
  return request("POST", `/api/users/${id}/password-reset`, {});
}

/** Deactivate a user, their accounts handed over to `handOverTo` (a rep's id). */
export function deactivateUser(id, handOverTo) {
  return request("POST", `/api/users/${id}/deactivate`, { hand_over_to: handOverTo });
}

export function reactivateUser(id) {
  return request("POST", `/api/users/${id}/reactivate`);
}

export function createTeam(values) {
  return request("POST", "/api/teams", values);
}

export function teamSettingsOf(teamId) {
  return request("GET", `/api/teams/${teamId}/settings`);
}

export function saveTeamSettings(teamId, values) {
  return request("PATCH", `/api/teams/${teamId}/settings`, values);
}

/** The latest changes to a team's settings (who, when, each value before and after). */
export function settingsHistory(teamId) {
  return request("GET", `/api/teams/${teamId}/settings/history?per_page=20`);
}
