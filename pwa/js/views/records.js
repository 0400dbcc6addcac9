// What the rep records at the customer, offline: prospects, contacts, machines (MIF), opportunities,
// appointments. Each form writes the record and its outbox entry in one transaction (db.writeLocal);
// edits send only the changed fields with the version the phone saw.
import { addressAt, online } from "../api.js";
import { downloadAppointment } from "../calendar.js";
import { all, byIndex, get, uuid, writeLocal } from "../db.js";
import { has, t } from "../i18n.js";
import { geocoding, vocab } from "../settings.js";
import { addDays, byName, html, localDate, metresBetween, position } from "../ui.js";
import { fieldMap } from "../map.js";
import { may } from "../may.js";
import { teamReps } from "../teams.js";

// The usual copier brands; any other can be typed.
export const BRANDS = ["Canon", "Ricoh", "Konica Minolta", "Kyocera", "Sharp", "Xerox", "Fujifilm", "Toshiba",
  "Epson", "HP", "Brother", "Lexmark"];

/** A stored code in words, through the catalogue. */
export function word(vocab, code) {
  return code === null || code === undefined || code === "" ? "–" : t(`code.${vocab}.${code}`);
}

/** A free-text field that may hold a code (an industry): its words when the catalogue has them, else the text. */
export function wordOrText(vocab, text) {
  return text && has(`code.${vocab}.${text}`) ? t(`code.${vocab}.${text}`) : text;
}

const FORMS = {
  account: {
    store: "accounts",
    fields: [
      { name: "name", required: true, max: 200 }, { name: "address", max: 400 },
      { name: "account_class", vocab: "account_class", initial: "C" }, { name: "org_type", vocab: "org_type", initial: "head_office" },
      { name: "industry", max: 80 }, { name: "employee_band", vocab: "employee_band", optional: true },
      { name: "region", kind: "region", max: 80 }, { name: "notes", kind: "textarea", max: 20000 },
    ],
  },
  contact: {
    store: "contacts",
    fields: [
      { name: "name", required: true, max: 120 }, { name: "title", max: 120 },
      { name: "purchase_role", vocab: "purchase_role", optional: true }, { name: "phone", kind: "tel", max: 40 },
      { name: "email", kind: "email", max: 200 }, { name: "notes", kind: "textarea", max: 20000 },
    ],
  },
  device: {
    store: "devices",
    fields: [
      { name: "ownership", vocab: "ownership", initial: "competitor" }, { name: "brand", required: true, max: 80, list: BRANDS },
      { name: "model", max: 80 }, { name: "colour", vocab: "colour", initial: "mono" },
      { name: "installed_on", kind: "month" }, { name: "monthly_volume", kind: "number", min: 0, max: 10_000_000 },
      { name: "notes", kind: "textarea", max: 20000 },
    ],
  },
  opportunity: {
    store: "opportunities",
    fields: [
      { name: "title", required: true, max: 200 }, { name: "kind", vocab: "kind", initial: "replacement" },
      { name: "amount", kind: "number", min: 0, step: "0.01" }, { name: "expected_close", kind: "date" },
      { name: "device_id", kind: "device" },
    ],
  },
  appointment: {
    store: "appointments",
    fields: [
      { name: "day", kind: "date", required: true }, { name: "time", kind: "time", required: true, initial: "10:00" },
      { name: "duration", kind: "number", min: 5, max: 600, initial: 45 }, { name: "purpose", max: 500 },
      { name: "notes", kind: "textarea", max: 5000 },
    ],
  },
};

function fieldId(name) {
  return `f-${name.replace(/_/g, "-")}`;
}

function input(field, value, devices, regions = []) {
  const id = fieldId(field.name);
  const required = field.required ? html`required` : "";
  if (field.kind === "region") {
    // Picked from the territory's regions (the accounts on the phone name them), not typed: one spelling each.
    const options = [...new Set(["", ...regions, value ?? ""])];
    return html`<select id="${id}" name="${field.name}">${options.map((r) => html`<option value="${r}"
      ${String(value ?? "") === r ? html`selected` : ""}>${r || t("form.none")}</option>`)}</select>`;
  }
  if (field.vocab) {
    const options = [...(field.optional ? [""] : []), ...vocab(field.vocab)];
    return html`<select id="${id}" name="${field.name}">${options.map((code) => html`<option value="${code}"
      ${String(value ?? "") === code ? html`selected` : ""}>${code ? word(field.vocab, code) : t("form.none")}</option>`)}</select>`;
  }
  if (field.kind === "device") {
    return html`<select id="${id}" name="${field.name}"><option value="">${t("form.none")}</option>
      ${devices.map((d) => html`<option value="${d.id}" ${d.id === value ? html`selected` : ""}>${d.brand} ${d.model} (${word("ownership", d.ownership)})</option>`)}</select>`;
  }
  if (field.kind === "textarea") {
    return html`<textarea id="${id}" name="${field.name}" maxlength="${field.max}">${value ?? ""}</textarea>`;
  }
  const type = { tel: "tel", email: "email", number: "number", date: "date", month: "month", time: "time" }[field.kind] ?? "text";
  const shown = field.kind === "month" && value ? String(value).slice(0, 7) : value ?? "";
  const limits = [field.max && type === "text" ? html` maxlength="${field.max}"` : "",
    field.min !== undefined ? html` min="${field.min}"` : "", field.max && type === "number" ? html` max="${field.max}"` : "",
    field.step ? html` step="${field.step}"` : ""];
  const list = field.list ? html`<datalist id="${id}-list">${field.list.map((b) => html`<option value="${b}">`)}</datalist>` : "";
  return html`<input id="${id}" name="${field.name}" type="${type}" value="${shown}"${limits} ${required}
    ${field.list ? html`list="${id}-list" autocomplete="off"` : ""} ${type === "tel" ? html`inputmode="tel"` : ""}>${list}`;
}

/** The form's values in the record's own shape (numbers as numbers, a month as its first day). */
function read(form, spec) {
  const values = {};
  for (const field of spec.fields) {
    const raw_ = form.elements[field.name].value.trim();
    if (field.kind === "number") values[field.name] = raw_ === "" ? null : Number(raw_);
    else if (field.kind === "month") values[field.name] = raw_ ? `${raw_}-01` : null;
    else if (field.vocab || field.kind === "device" || field.kind === "date") values[field.name] = raw_ || null;
    else values[field.name] = raw_;
  }
  return values;
}

function simplified(name) {
  return String(name ?? "").toLowerCase().replace(/(有限公司|分公司|公司|工厂|co\.?|ltd\.?|inc\.?|[\s\p{P}])/gu, "");
}

/** Accounts in the territory that look like the one being created: a similar name, or within ~100 m. */
export async function lookalikes(name, where) {
  const mine = simplified(name);
  return (await all("accounts")).filter((a) => {
    const theirs = simplified(a.name);
    const similar = mine.length >= 2 && theirs.length >= 2 && (theirs.includes(mine) || mine.includes(theirs));
    const near = where && a.latitude != null && a.longitude != null && metresBetween(where.latitude, where.longitude, a.latitude, a.longitude) <= 100;
    return similar || near;
  });
}

async function save(entity, id, values, current) {
  if (!current) {
    // A new record sends what was filled in; the server's defaults stand for the rest.
    // The phone's own creation time stands until the server's comes back: the cadence counts from it.
    const local = entity === "account" ? { created_at: new Date().toISOString() } : {};
    await writeLocal(entity, "create", id, Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== "")),
      { local });
    return;
  }
  const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => (current[k] ?? null) !== (v ?? null)
    && !(k === "amount" && Number(current[k]) === Number(v))));
  if (Object.keys(changes).length) await writeLocal(entity, "update", id, changes, { baseVersion: current.version ?? 0 });
}

function appointmentValues(form, accountId) {
  const [day, time, duration] = ["day", "time", "duration"].map((n) => form.elements[n].value);
  const start = new Date(`${day}T${time}`);
  const end = new Date(start.getTime() + (Number(duration) || 45) * 60_000);
  return { account_id: accountId, starts_at: start.toISOString(), ends_at: end.toISOString(),
           purpose: form.elements.purpose.value.trim(), notes: form.elements.notes.value.trim() };
}

/** A new or existing record of `entity`; `accountId` for a new child record; `navigate` to go back. */
/** The account's position: the GPS fix (with its accuracy) for a new one, or a tap on the map. */
function positionPicker(main, current, user) {
  const map = main.querySelector("#pick-map");
  const line = main.querySelector("#position-line");
  const picked = { lat: current?.latitude ?? null, lng: current?.longitude ?? null };
  let view = null;
  let marker = null;
  const show = () => {
    line.textContent = picked.lat === null ? t("form.position_none")
      : t(picked.source === "gps" ? "form.position_gps_fix" : "form.position_at",
          { lat: picked.lat.toFixed(5), lng: picked.lng.toFixed(5), m: Math.round(picked.accuracy ?? 0) });
    if (view && picked.lat !== null) {
      marker ??= view.marker(picked.lat, picked.lng).addTo(view.map);
      view.place(marker, picked.lat, picked.lng);
    }
  };
  // The map joins once Leaflet has loaded; the position line and the GPS button work without it.
  // map.js converts for the team's tile source: a tap is kept as the WGS-84 position it shows.
  if (map) fieldMap(map).then((drawn) => {
    if (!drawn) return;
    view = drawn;
    const centre = picked.lat !== null ? [picked.lat, picked.lng]
      : user?.start_lat != null ? [user.start_lat, user.start_lng] : [31.2304, 121.4737];
    view.fit([centre], { zoom: 15 });
    view.onTap((tapped) => {
      Object.assign(picked, { ...tapped, source: "map", accuracy: null });
      show();
    });
    show();
  });
  show();
  picked.ready = Promise.resolve();
  if (!current) {
    picked.ready = position().then((gps) => {
      if (!gps || picked.source === "map") return; // a tap on the map wins over a late fix
      Object.assign(picked, { lat: gps.lat, lng: gps.lng, accuracy: gps.accuracy, source: "gps" });
      view?.fit([[gps.lat, gps.lng]], { zoom: 16 });
      show();
    });
  }
  return picked;
}

/** A new prospect's address from its GPS fix: asked of the server when online (the rep can correct
 *  it); offline the server fills an empty address when the prospect syncs. A typed address is kept. */
async function fillAddress(form, picked, line) {
  await picked.ready;
  // No geocoder on the server: no address comes from a position (asking would only answer 503).
  if (picked.lat === null || form.elements.address.value.trim() || !geocoding()) return;
  if (!online()) {
    line.textContent = t("form.address_at_sync");
    return;
  }
  const address = await addressAt(picked.lat, picked.lng);
  if (address && !form.elements.address.value.trim()) {
    form.elements.address.value = address;
    line.textContent = t("form.address_from_position");
  }
}

export async function renderForm(main, { entity, id = null, accountId = null, query = new URLSearchParams(), navigate, user = null }) {
  const spec = FORMS[entity];
  const asks = { account: "create_account", appointment: "book_appointment" }[entity];
  if (!id && asks && !may(user, asks)) { // the server would refuse it: not offered (a link kept from elsewhere)
    main.innerHTML = html`<p class="card" id="not-offered">${t(`${entity}.not_offered`)}</p>`;
    return;
  }
  const current = id ? await get(spec.store, id) : null;
  if (id && !current) {
    main.innerHTML = html`<p class="card">${t("form.missing")}</p>`;
    return;
  }
  const account = entity === "account" ? current : await get("accounts", current?.account_id ?? accountId);
  if (entity !== "account" && !account) {
    main.innerHTML = html`<p class="card">${t("account.missing")}</p>`;
    return;
  }
  const devices = entity === "opportunity" ? await byIndex("devices", "account_id", account.id) : [];
  const regions = entity === "account"
    ? [...new Set((await all("accounts")).map((a) => a.region).filter(Boolean))].sort(byName) : [];
  const values = { ...Object.fromEntries(spec.fields.map((f) => [f.name, f.initial ?? null])), ...(current ?? {}) };
  if (entity === "opportunity" && !current && query.get("device")) {
    const device = devices.find((d) => d.id === query.get("device"));
    if (device) Object.assign(values, { device_id: device.id, kind: "replacement",
                                        title: t("opportunity.replace_title", { brand: device.brand, model: device.model }) });
  }
  if (entity === "appointment") {
    const start = current ? new Date(current.starts_at) : null;
    values.day = start ? localDate(start) : query.get("day") ?? localDate(addDays(new Date(), 1));
    values.time = start ? start.toTimeString().slice(0, 5) : query.get("time") ?? "10:00";
    values.duration = current ? Math.round((new Date(current.ends_at) - start) / 60_000) : 45;
    values.purpose = current?.purpose ?? query.get("purpose") ?? "";
  }
  // A manager gives an existing account to another rep of the team (a new rep's territory is made so).
  const owners = entity === "account" && current && may(user, "reassign_account") ? await teamReps(user) : [];
  const title = t(`form.${entity}.${current ? "edit" : "new"}`) + (account && entity !== "account" ? ` · ${account.name}` : "");
  main.innerHTML = html`<h1>${title}</h1>
    <form id="record-form" class="card" novalidate>
      ${spec.fields.map((f) => html`<label for="${fieldId(f.name)}">${t(`field.${f.name}`)}${f.required ? " *" : ""}</label>
        ${input(f, values[f.name], devices, regions)}`)}
      ${owners.length ? html`<label for="f-owner-id">${t("accounts.owner")}</label>
        <select id="f-owner-id" name="owner_id">${[...owners, ...(owners.some((r) => r.id === current.owner_id) ? []
          : [{ id: current.owner_id ?? "", name: t("form.none") }])].map((r) => html`<option value="${r.id}"
          ${r.id === (current.owner_id ?? "") ? html`selected` : ""}>${r.name}</option>`)}</select>` : ""}
      ${entity === "account" ? html`<label>${t("form.position")}</label>
        <div id="pick-map" class="map pick" role="application" aria-label="${t("form.position_map")}"></div>
        <p id="position-line" class="muted" aria-live="polite"></p>
        <p id="address-line" class="muted" aria-live="polite"></p>` : ""}
      <div id="lookalikes" role="status" aria-live="polite"></div>
      <p id="form-error" class="error-text" role="alert"></p>
      <div class="row"><button type="submit" id="save-record">${t("form.save")}</button>
        ${entity === "appointment" && current ? html`<button type="button" class="secondary" id="cancel-appointment">${t("appointment.cancel")}</button>
          <button type="button" class="secondary" id="appointment-ics" ${online() ? "" : html`disabled`}>${t("appointment.ics")}</button>` : ""}
        <a class="button secondary" href="${account ? `#/account/${account.id}` : "#/accounts"}">${t("form.back")}</a></div>
    </form>`;
  const form = main.querySelector("#record-form");
  const picked = entity === "account" ? positionPicker(main, current, user) : null;
  if (entity === "account" && !current) fillAddress(form, picked, main.querySelector("#address-line"));
  let confirmedLookalike = false;
  form.addEventListener("input", () => { confirmedLookalike = false; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = main.querySelector("#form-error");
    error.textContent = "";
    const missing = spec.fields.filter((f) => f.required && !form.elements[f.name].value.trim());
    if (missing.length) {
      error.textContent = t("form.required", { fields: missing.map((f) => t(`field.${f.name}`)).join(", ") });
      form.elements[missing[0].name].focus();
      return;
    }
    if (!form.checkValidity()) {
      const bad = [...form.elements].find((el) => el.validity && !el.validity.valid);
      error.textContent = t("form.invalid", { field: t(`field.${bad.name}`) });
      bad.focus();
      return;
    }
    const recordId = id ?? uuid();
    let data = entity === "appointment" ? appointmentValues(form, account.id) : read(form, spec);
    if (entity === "opportunity" && data.amount !== null) data.amount = data.amount.toFixed(2);
    if (entity !== "account" && entity !== "appointment") data.account_id = account.id;
    if (entity === "opportunity" && !current) data = { ...data, stage: "S", status: "open", opened_at: new Date().toISOString() };
    const owner = form.elements.owner_id?.value;
    if (owner && owner !== current?.owner_id) data.owner_id = owner;
    if (entity === "account") await picked.ready; // a GPS fix still coming is waited for (it times out)
    if (entity === "account" && picked.lat !== null) Object.assign(data, { latitude: picked.lat, longitude: picked.lng });
    if (entity === "account" && !current) {
      const similar = await lookalikes(data.name, picked.lat !== null ? { latitude: picked.lat, longitude: picked.lng } : null);
      if (similar.length && !confirmedLookalike) {
        main.querySelector("#lookalikes").innerHTML = html`<div class="card"><strong>${t("form.lookalike")}</strong>
          <ul>${similar.slice(0, 5).map((a) => html`<li><a href="#/account/${a.id}">${a.name}</a> <span class="muted">${a.address}</span></li>`)}</ul>
          <p class="muted">${t("form.lookalike_again")}</p></div>`;
        confirmedLookalike = true;
        return;
      }
    }
    try {
      await save(entity, recordId, data, current);
    } catch {
      error.textContent = t("error.local", { message: "" });
      return;
    }
    navigate(entity === "account" ? `#/account/${recordId}` : entity === "opportunity" ? `#/opportunity/${recordId}`
      : `#/account/${account.id}`, { replace: true });
  });
  main.querySelector("#appointment-ics")?.addEventListener("click", () => downloadAppointment(current));
  main.querySelector("#cancel-appointment")?.addEventListener("click", async () => {
    await writeLocal("appointment", "delete", id, {}, { baseVersion: current.version ?? 0 });
    navigate(`#/account/${account.id}`, { replace: true });
  });
}
