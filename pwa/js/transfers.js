// Imports and exports on the server, for the Data screen to draw: a file sent (checked, written, or a job
// for a large one), the jobs and how one is going, an empty template per kind and language, and exports.
import { download, request, upload } from "./api.js";
import { lang } from "./i18n.js";

/** Send a CSV of `kind` (`form`: the multipart body; `options`: dry_run, skip_invalid, owner, datum). */
export function importFile(kind, form, options) {
  return upload(`/api/imports/${kind}?${new URLSearchParams(options)}`, form);
}

/** The caller's import jobs, newest first. */
export async function importJobs() {
  return (await request("GET", "/api/imports/jobs")).jobs;
}

export function importJob(id) {
  return request("GET", `/api/imports/jobs/${id}`);
}

/** The empty file to fill for `kind`, its columns named in `language` (zh-CN or en). */
export function importTemplate(kind, language) {
  return download(`/api/imports/${kind}/template?lang=${language}`, `${kind}-template-${language}.csv`);
}

/** An export of `kind` for a period as `format` (csv, json; zip with photos), in the app's language. */
export function exportFile(kind, from, to, format) {
  const query = new URLSearchParams({ from, to, format, lang: lang() }); // words in the app's language, codes beside
  return download(`/api/exports/${kind}?${query}`, `${kind}.${format}`);
}
