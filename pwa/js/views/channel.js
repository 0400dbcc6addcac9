// The team's notice channel on the Settings screen: in-app only, WeCom or DingTalk, the chosen provider's ids and
// secret, and the working hours notices keep to. Secrets are write-only: the form shows whether each is set, never
// its value; one left empty is kept. The server checks every value and its refusals are shown under each field.
import { saveTeamChannel, teamChannel } from "../api.js";
import { errorText, t } from "../i18n.js";
import { clockInput, html, messageText } from "../ui.js";

const CHANNELS = ["inapp", "wecom", "dingtalk"];
const PROVIDERS = {
  wecom: { ids: ["wecom_corp_id", "wecom_agent_id"], secret: "wecom_secret" },
  dingtalk: { ids: ["dingtalk_corp_id", "dingtalk_app_key", "dingtalk_agent_id"], secret: "dingtalk_app_secret" },
};
const HOURS = ["hours_from", "hours_until"];

function fieldError(name) {
  return html`<p id="channel-error-${name}" class="error-text" role="alert"></p>`;
}

function textInput(name, value) {
  return html`<div><label for="${name}">${t(`channel.${name}`)}</label>
    <input id="${name}" name="${name}" value="${value ?? ""}" autocomplete="off" spellcheck="false">${fieldError(name)}</div>`;
}

/** A write-only secret: an empty password box and whether one is set (the value never reaches the phone). */
function secretInput(name, isSet) {
  return html`<div><label for="${name}">${t(`channel.${name}`)}</label>
    <input id="${name}" name="${name}" type="password" value="" autocomplete="new-password"
      placeholder="${isSet ? t("channel.secret_keep") : ""}" aria-describedby="${name}-state">
    <p id="${name}-state" class="muted" data-set="${isSet ? "true" : "false"}">${isSet ? t("channel.secret_set") : t("channel.secret_not_set")}</p>
    ${fieldError(name)}</div>`;
}

function providerFields(provider, c) {
  const { ids, secret } = PROVIDERS[provider];
  return html`<fieldset id="channel-${provider}" ${c.channel === provider ? "" : html`hidden`}>
    <legend>${t(`channel.${provider}`)}</legend>
    ${ids.map((name) => textInput(name, c[name]))}
    ${secretInput(secret, c[`${secret}_set`])}
  </fieldset>`;
}

function formHtml(c, saved) {
  return html`<form id="channel-form" class="card settings" novalidate>
    <h2>${t("channel.title")}</h2>
    <p class="muted">${t("channel.hint")}</p>
    ${saved ? html`<p id="channel-saved" class="muted" role="status">${t("channel.saved")}</p>` : ""}
    <div><label for="channel">${t("channel.channel")}</label>
      <select id="channel" name="channel">${CHANNELS.map((name) => html`<option value="${name}"
        ${c.channel === name ? html`selected` : ""}>${t(`channel.${name}`)}</option>`)}</select>${fieldError("channel")}</div>
    <p id="channel-ready" class="muted" data-ready="${c.ready ? "true" : "false"}">${c.ready ? t("channel.ready") : t("channel.not_ready")}</p>
    ${Object.keys(PROVIDERS).map((provider) => providerFields(provider, c))}
    <fieldset><legend>${t("channel.hours")}</legend><div class="row">
      ${HOURS.map((name) => html`<div><label for="${name}">${t(`channel.${name}`)}</label>
        ${clockInput(name, c[name])}${fieldError(name)}</div>`)}</div>
    </fieldset>
    <p id="channel-error" class="error" role="alert"></p>
    <button type="submit">${t("channel.save")}</button>
  </form>`;
}

/** What the form sends: every id as typed (empty: none), a secret only when one was typed (else it is kept). */
function values(form) {
  const out = { channel: form.channel.value };
  for (const { ids, secret } of Object.values(PROVIDERS)) {
    for (const name of ids) out[name] = form[name].value.trim() || null;
    if (form[secret].value) out[secret] = form[secret].value;
  }
  for (const name of HOURS) out[name] = form[name].value;
  return out;
}

/** The server's refusal: its code at the top, each field's problem under that field, in the phone's language. */
function showErrors(form, error) {
  form.querySelector("#channel-error").textContent = errorText(error.code, error.message, error.params);
  const codes = error.fieldCodes || {};
  for (const [name, messages] of Object.entries(error.fields || {})) {
    const list = Array.isArray(messages) ? messages : [messages];
    const text = list.map((m, i) => messageText(m, codes[name]?.[i])).join(" ");
    const slot = form.querySelector(`#channel-error-${name}`);
    if (slot) {
      slot.textContent = text;
      form.querySelector(`[name="${name}"]`)?.setAttribute("aria-invalid", "true");
    } else {
      form.querySelector("#channel-error").textContent += ` ${name}: ${text}`;
    }
  }
}

function clearErrors(form) {
  for (const slot of form.querySelectorAll("[id^=channel-error]")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/** Draw the team's channel card into `container` and keep it working; a failure to read it is said in place. */
export async function renderChannel(container, teamId) {
  const draw = (c, saved = false) => {
    container.innerHTML = formHtml(c, saved);
    const form = container.querySelector("#channel-form");
    if (saved) form.querySelector("#channel-saved").scrollIntoView({ block: "center" }); // the answer, now
    form.channel.addEventListener("change", () => {
      for (const provider of Object.keys(PROVIDERS)) {
        form.querySelector(`#channel-${provider}`).hidden = form.channel.value !== provider;
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      let answer;
      try {
        answer = await saveTeamChannel(teamId, values(form));
      } catch (e) {
        showErrors(form, e);
        return;
      }
      draw(answer, true);
    });
  };
  try {
    draw(await teamChannel(teamId));
  } catch (e) {
    container.innerHTML = html`<p class="card error">${errorText(e.code, e.message, e.params)}</p>`;
  }
}
