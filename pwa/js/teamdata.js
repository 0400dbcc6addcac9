// The Team screen's figures as last shown online, kept on this device: a manager on the underground still
// reads the team, marked with when the figures were fetched. One view is kept, the last one shown; another
// user on this device never sees it (clearRecords forgets it with the other records).
import { getMeta, setMeta } from "./db.js";

export const TEAM_FIGURES = "team_figures";

/** Keep the figures of `query` (the scorecard and every other report's answer) with the time they came. */
export function keepTeamFigures(query, scorecard, data) {
  return setMeta(TEAM_FIGURES, { query: String(query), at: new Date().toISOString(), scorecard, data });
}

/** The last figures kept ({query, at, scorecard, data}), or null. */
export function keptTeamFigures() {
  return getMeta(TEAM_FIGURES, null);
}
