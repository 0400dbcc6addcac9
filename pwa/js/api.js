// HTTP to the Fieldday API: attaches the token when sending, refreshes it once on 401,
// and turns every failure into an ApiError carrying the server's error envelope.
import { getMeta, setMeta } from "./db.js";
import { emit } from "./state.js";

/** Whether the phone has a network now (the browser's view): the one place the app asks. */
export function online() {
  return navigator.onLine;
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message || (status === 0 ? "offline" : `HTTP ${status}`));
    this.status = status; // 0: the network did not answer
    this.code = error.code || (status === 0 ? "offline" : "http_error");
    this.fields = error.fields || {};
    this.fieldCodes = error.field_codes || {}; // each message as {code, params}, to show in the phone's language
    this.body = body;
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
  if (!response.ok) throw new ApiError(response.status, data);
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
