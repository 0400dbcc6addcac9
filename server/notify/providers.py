"""The HTTP clients of WeCom (企业微信) and DingTalk (钉钉): an access token per app, kept until it
expires, a message send, and the sign-in code exchanged for the user's id.

WeCom: GET /cgi-bin/gettoken?corpid&corpsecret -> access_token, expires_in (7200 s);
POST /cgi-bin/message/send (textcard); GET /cgi-bin/auth/getuserinfo?code -> userid (OAuth2 snsapi_base).
DingTalk: GET /gettoken?appkey&appsecret; POST /topapi/message/corpconversation/asyncsend_v2 (work
notice); POST /topapi/v2/user/getuserinfo {code} -> result.userid (免登 auth code).
Each answers {"errcode": 0, ...} on success. A secret goes into a request's query or body only, never
into a log line or an error text (`ProviderError` says the errcode and the provider's errmsg).
"""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from .. import clock

TIMEOUT_S = 10
TOKEN_MARGIN_S = 300  # a token is fetched again this long (at most a tenth of its life) before it expires
INVALID_TOKEN = {40014, 42001}  # invalid / expired access_token (both providers): fetch a new one, once

# Answers worth retrying later: the provider busy or throttling the app, or not reached at all.
WECOM_RETRY = {-1, 45009, 45033}  # system busy, API call limit, concurrent call limit
# DingTalk answers a call made too often with one of these (its frequency-limit codes, as DingTalk's
# developer answers and the SDKs that handle them name them): 90002 the API's limit across all companies,
# 90005 the company's calls to one API over 1,500 a minute, 90006 the app's over 1,500 a minute, 90018 the
# app's over 40 a second, 90019 a third-party app's over 40 a second per company, 41047 / 41048 the work
# notices a minute (the company's, and all of them). The newer gateway answers errcode 88 with the same code
# as its `sub_code`; 88 with another sub_code (no permission, say) is a refusal.
DINGTALK_TOO_FREQUENT = {90002, 90005, 90006, 90018, 90019, 41047, 41048}
DINGTALK_RETRY = {-1} | DINGTALK_TOO_FREQUENT  # system busy, or throttled: tried again with backoff


class ProviderError(Exception):
    """A provider's refusal or an unreachable provider; `retry` says whether trying later may help."""

    def __init__(self, provider, errcode, errmsg, retry):
        super().__init__(f"{provider} errcode {errcode}: {errmsg}")
        self.provider, self.errcode, self.errmsg, self.retry = provider, errcode, errmsg, retry


_tokens = {}  # (provider, base URL, app id, secret) -> (token, expires at)
_tokens_lock = threading.Lock()


def forget_tokens():
    with _tokens_lock:
        _tokens.clear()


def _call(provider, url, body=None):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            answer = json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        raise ProviderError(provider, f"HTTP {exc.code}", "the server answered with an error status", True) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise ProviderError(provider, "unreachable", type(exc).__name__, True) from None
    return answer


class Client:
    name = ""
    retry_codes = set()

    def __init__(self, base_url, app_id, secret):
        self.base_url, self.app_id, self.secret = base_url.rstrip("/"), app_id, secret

    def _key(self):
        return (self.name, self.base_url, self.app_id, self.secret)

    def token(self):
        """The app's access token, fetched when there is none or it is about to expire. Its lifetime is the
        provider's, on the machine's real clock (a shifted business clock does not age it)."""
        now = clock.real_now()
        with _tokens_lock:
            held = _tokens.get(self._key())
        if held and held[1] > now:
            return held[0]
        answer = _call(self.name, self._token_url())
        if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
            code = answer.get("errcode")
            raise ProviderError(self.name, code, answer.get("errmsg", ""), self._retryable(answer))
        lifetime = int(answer.get("expires_in", 7200))
        expires = now + timedelta(seconds=lifetime - min(TOKEN_MARGIN_S, lifetime // 10))
        with _tokens_lock:
            _tokens[self._key()] = (answer["access_token"], expires)
        return answer["access_token"]

    def _retryable(self, answer):
        return answer.get("errcode") in self.retry_codes

    def _drop_token(self):
        with _tokens_lock:
            _tokens.pop(self._key(), None)

    def _authorised(self, path, body=None, query=None):
        """Call with the token; an invalid or expired token is fetched again and the call made once more."""
        for attempt in (0, 1):
            params = {"access_token": self.token(), **(query or {})}
            answer = _call(self.name, f"{self.base_url}{path}?{urllib.parse.urlencode(params)}", body)
            code = answer.get("errcode", 0)
            if code in INVALID_TOKEN and attempt == 0:
                self._drop_token()
                continue
            if code != 0:
                raise ProviderError(self.name, code, answer.get("errmsg", ""), self._retryable(answer))
            return answer
        raise AssertionError("unreachable")  # pragma: no cover


class WeCom(Client):
    name = "wecom"
    retry_codes = WECOM_RETRY

    def __init__(self, base_url, corp_id, secret, agent_id=None):
        super().__init__(base_url, corp_id, secret)
        self.agent_id = agent_id

    def _token_url(self):
        query = urllib.parse.urlencode({"corpid": self.app_id, "corpsecret": self.secret})
        return f"{self.base_url}/cgi-bin/gettoken?{query}"

    def send(self, userid, title, description, url):
        """A text card to one member; a member WeCom does not know is a refusal, not a success."""
        answer = self._authorised(
            "/cgi-bin/message/send",
            {
                "touser": userid,
                "msgtype": "textcard",
                "agentid": int(self.agent_id) if str(self.agent_id).isdigit() else self.agent_id,
                "textcard": {"title": title, "description": description, "url": url, "btntxt": "详情"},
            },
        )
        if userid in (answer.get("invaliduser") or "").split("|"):
            raise ProviderError(self.name, "invaliduser", f"WeCom does not know the member {userid}", False)
        return answer.get("msgid")

    def user_id(self, code):
        """The member's userid for an OAuth2 code (snsapi_base); None for a code WeCom refuses or a non-member."""
        self.token()  # refused credentials are the team's problem, not the code's
        try:
            answer = self._authorised("/cgi-bin/auth/getuserinfo", query={"code": code})
        except ProviderError as exc:
            if exc.errcode in (40029, 40163):  # invalid code / code already used
                return None
            raise
        return answer.get("userid") or answer.get("UserId")


# What DingTalk's markdown reads as markup, escaped with a backslash: anywhere, emphasis, code, strike-through,
# the brackets of links and images and the start of its HTML (<font>); at a line's start, headings, quotes and
# list marks. Nothing else is escaped: DingTalk documents no backslash escapes, so a backslash is put only where
# the text would otherwise turn into markup ("1-007", "No. 3" and dates stay as written).
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<~])")
MARKDOWN_LINE_START = re.compile(r"^([ \t]*)([#>]|[+\-](?=\s)|\d+\.(?=\s))", re.MULTILINE)


def markdown_text(text):
    """Plain text (a notice's words, with the account names, steps and purposes users wrote) as DingTalk markdown
    that shows it as written: no user's text becomes a link, an image, a heading, a list or coloured type."""
    text = MARKDOWN_INLINE.sub(r"\\\1", text)
    return MARKDOWN_LINE_START.sub(lambda m: m.group(1) + _escaped_mark(m.group(2)), text)


def _escaped_mark(mark):
    return mark[:-1] + "\\." if mark.endswith(".") else "\\" + mark


class DingTalk(Client):
    name = "dingtalk"
    retry_codes = DINGTALK_RETRY

    def __init__(self, base_url, app_key, secret, agent_id=None):
        super().__init__(base_url, app_key, secret)
        self.agent_id = agent_id

    def _retryable(self, answer):
        """Busy or throttled, also when said as errcode 88 with the throttling code as its sub_code."""
        if answer.get("errcode") == 88:
            try:
                return int(answer.get("sub_code")) in DINGTALK_TOO_FREQUENT
            except (TypeError, ValueError):
                return False
        return super()._retryable(answer)

    def _token_url(self):
        return f"{self.base_url}/gettoken?{urllib.parse.urlencode({'appkey': self.app_id, 'appsecret': self.secret})}"

    def send(self, userid, title, description, url):
        """A work notice (an action card linking to the app) to one user; the task id."""
        answer = self._authorised(
            "/topapi/message/corpconversation/asyncsend_v2",
            {
                "agent_id": int(self.agent_id) if str(self.agent_id).isdigit() else self.agent_id,
                "userid_list": userid,
                "msg": {
                    "msgtype": "action_card",
                    "action_card": {
                        "title": title,
                        "markdown": f"### {markdown_text(title)}\n{markdown_text(description)}",
                        "single_title": "详情",
                        "single_url": url,
                    },
                },
            },
        )
        return answer.get("task_id")

    def user_id(self, code):
        """The user's userid for a 免登 auth code; None for a code DingTalk refuses."""
        self.token()
        try:
            answer = self._authorised("/topapi/v2/user/getuserinfo", {"code": code})
        except ProviderError as exc:
            if not exc.retry and exc.errcode not in INVALID_TOKEN:
                return None
            raise
        return (answer.get("result") or {}).get("userid")


def client_for(config, row, provider=None):
    """The client of a team's channel row (`provider`: another than its channel, for sign-in)."""
    provider = provider or row.channel
    if provider == "wecom":
        return WeCom(config["WECOM_API_URL"], row.wecom_corp_id, row.wecom_secret, row.wecom_agent_id)
    if provider == "dingtalk":
        return DingTalk(
            config["DINGTALK_API_URL"], row.dingtalk_app_key, row.dingtalk_app_secret, row.dingtalk_agent_id
        )
    return None
