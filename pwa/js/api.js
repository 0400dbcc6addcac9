// HTTP to the Fieldday API: attaches the token when sending, refreshes it once on 401,
// and turns every failure into an ApiError carrying the server's error envelope.
import { getMeta, setMeta } from "./db.js";
import { emit } from "./state.js";

/** Whether the phone has a network now (the browser's view): the one place the app asks. */
export function online() {
  return navigator.onLine;
}

export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    const error = body?.error ?? {};
    super(error.message || (status === 0 ? "offline" : `HTTP ${status}`));
    this.status = status; // 0: the network did not answer
    this.code = error.code || (status === 0 ? "offline" : "http_error");
    this.fields = error.fields || {};
    this.fieldCodes = error.field_codes || {}; // each message as {code, params}, to show in the phone's language
    this.body = body;
    // Seconds to wait before asking again (a busy planner's 503, a 429): the Retry-After header, else the body's.
    const wait = Number.parseInt(retryAfter ?? error.retry_after_s ?? "", 10);
    this.retryAfter = Number.isFinite(wait) && wait >= 0 ? wait : null;
    this.params = this.retryAfter === null ? {} : { seconds: this.retryAfter };
  }
}

export async function session() {
  return getMeta("auth", null);
}

async function send(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get("Retry-After"));
  return data;
}

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** A new access token. The refresh token is an HttpOnly cookie the browser sends to /api/auth only
 *  (no script here can read it); the CSRF cookie beside it proves the request is the app's own.
 *  A session from before cookies (a refresh token kept in IndexedDB) is refreshed the old way once. */
async function refresh(auth, again = true) {
  try {
    let tokens;
    if (auth.refresh_token) {
      tokens = await send("POST", "/api/auth/refresh", undefined, auth.refresh_token);
    } else {
      tokens = await sendWithCsrf("/api/auth/refresh");
    }
    const { refresh_token: _spent, ...rest } = auth; // never kept where scripts can read it
    const updated = { ...rest, access_token: tokens.access_token, ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}) };
    await setMeta("auth", updated);
    return updated;
  } catch (error) {
    if (error.code === "refresh_rotated" && again) {
      // Another tab refreshed a moment ago: the browser holds the new cookie (or IndexedDB the new token).
      await new Promise((resolve) => setTimeout(resolve, 200));
      return refresh(await session(), false);
    }
    if (error.status === 401 || error.status === 422) return null;
    throw error;
  }
}

async function sendWithCsrf(path) {
  let response;
  try {
    response = await fetch(path, { method: "POST", credentials: "same-origin",
                                   headers: { Accept: "application/json", "X-CSRF-TOKEN": cookie("csrf_refresh_token") } });
  } catch {
    throw new ApiError(0, null);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Call the API as the logged-in user; a 401 that a refresh cannot fix asks for a new login. */
export async function request(method, path, body) {
  let auth = await session();
  if (!auth) throw new ApiError(401, { error: { code: "login_required", message: "Log in first." } });
  try {
    return await send(method, path, body, auth.access_token);
  } catch (error) {
    if (error.code === PASSWORD_CHANGE_REQUIRED) emit("password-change-required");
    if (error.status !== 401) throw error;
    auth = await refresh(auth);
    if (!auth) {
      await setMeta("auth", { ...(await session()), expired: true });
      emit("auth-required");
      throw new ApiError(401, { error: { code: "login_required", message: "Your session ended; log in again." } });
    }
    return send(method, path, body, auth.access_token);
  }
}

/** The address at a WGS-84 position from the server's geocoder, or null when offline, when the
 *  server has no geocoder or the provider knows none (a prospect saved without one gets it at sync). */
export async function addressAt(lat, lng) {
  if (!online()) return null;
  try {
    const found = await request("GET", `/api/geocode/reverse?latitude=${lat.toFixed(7)}&longitude=${lng.toFixed(7)}`);
    return found?.address || null;
  } catch {
    return null;
  }
}

/** Fetch with the session's token (refreshed once on 401); for bodies that are not JSON. */
async function authorisedFetch(path, init = {}) {
  const attempt = async (auth) => {
    try {
      return await fetch(path, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${auth.access_token}` } });
    } catch {
      throw new ApiError(0, null);
    }
  };
  let auth = await session();
  if (!auth) throw new ApiError(401, { error: { code: "login_required", message: "Log in first." } });
  let response = await attempt(auth);
  if (response.status === 401 && (auth = await refresh(auth))) response = await attempt(auth);
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response;
}

/** Download a file the API makes (a CSV export) under `filename`. */
export async function download(path, filename) {
  const url = URL.createObjectURL(await (await authorisedFetch(path)).blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** POST a multipart form (a CSV upload); answers the JSON body. */
export async function upload(path, form) {
  return (await authorisedFetch(path, { method: "POST", body: form, headers: { Accept: "application/json" } })).json();
}

/** The server refuses every call but /api/auth's while the password is a temporary one (after a reset). */
export const PASSWORD_CHANGE_REQUIRED = "password_change_required";

/** Change one's own password; the kept user no longer has to. Answers the user as the server has them. */
export async function changePassword(oldPassword, newPassword) {
  const user = await request("POST", "/api/auth/password", { old_password: oldPassword, new_password: newPassword });
  const auth = await session();
  if (auth) await setMeta("auth", { ...auth, user });
  return user;
}

/** PUT bytes (a photo) under `path` with their SHA-256; answers the JSON body (the record as stored). */
export async function putBytes(path, blob, sha256) {
  const headers = { Accept: "application/json", "Content-Type": blob.type || "application/octet-stream",
                    "X-Content-SHA256": sha256 };
  return (await authorisedFetch(path, { method: "PUT", body: blob, headers })).json();
}

/** GET bytes (a photo's thumbnail) as a Blob. */
export async function getBlob(path) {
  return (await authorisedFetch(path)).blob();
}

export async function login(username, password) {
  return send("POST", "/api/auth/login", { username, password, refresh_in_cookie: true });
}

export async function logout() {
  const auth = await session();
  if (auth && !auth.expired) {
    // The server revokes the refresh token (the cookie's, or a kept one) and the browser drops the cookie.
    await send("POST", "/api/auth/logout", auth.refresh_token ? { refresh_token: auth.refresh_token } : {},
               auth.access_token).catch(() => {});
  }
}

/** The logged-in user as the server sees them now (what their phone may create, their manager), kept with the
 *  session; null when it cannot be asked (offline, or the session ended). */
export async function refreshUser() {
  const auth = await session();
  if (!auth || auth.expired || !online()) return null;
  const user = await request("GET", "/api/auth/me").catch(() => null);
  if (!user) return null;
  await setMeta("auth", { ...(await session()), user });
  return user;
}

/** Sign in from inside WeCom or DingTalk with the code it gave this page; the tokens as the login's.
 *  A 409 `confirm_link` carries a ticket the user confirms once with their password (`confirmImLink`). */
export async function imSignIn(provider, corpId, code) {
  return send("POST", "/api/auth/im", { provider, corp_id: corpId, code, refresh_in_cookie: true });
}

export async function confirmImLink(ticket, password) {
  return send("POST", "/api/auth/im/confirm", { ticket, password, refresh_in_cookie: true });
}

/** The user's notices, newest first (none when offline: they are not kept on the phone), in `lang` (the language
 *  the app shows; without it the server's words are in the user's own, as the channel said them). */
export async function notices({ unread = false, lang } = {}) {
  if (!online()) return [];
  const query = new URLSearchParams({ ...(unread ? { unread: "true" } : {}), ...(lang ? { lang } : {}) });
  return request("GET", `/api/notifications${String(query) ? `?${query}` : ""}`);
}

export async function markNoticeRead(id) {
  return request("POST", `/api/notifications/${id}/read`);
}

export async function noticePrefs() {
  return request("GET", "/api/notifications/prefs");
}

export async function saveNoticePrefs(kinds) {
  return request("PUT", "/api/notifications/prefs", { kinds });
}

/** A team's notices with their states (its manager, or an admin). */
export async function noticeOutbox(teamId) {
  return request("GET", `/api/notifications/outbox?limit=50&team_id=${encodeURIComponent(teamId)}`);
}

/** A team's notice channel (its manager, or an admin): the secrets never come back, only whether each is set. */
export async function teamChannel(teamId) {
  return request("GET", `/api/teams/${encodeURIComponent(teamId)}/channel`);
}

/** Change a team's channel; a secret left out is kept as it is. */
export async function saveTeamChannel(teamId, values) {
  return request("PATCH", `/api/teams/${encodeURIComponent(teamId)}/channel`, values);
}
