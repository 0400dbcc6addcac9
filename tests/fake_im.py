"""Local stand-ins for WeCom (企业微信) and DingTalk (钉钉), answering as each documents (CHINA.md,
Notifications): an access token for the app's credentials (7200 s, on the real clock as the provider's
are), a message send, and the sign-in
code exchanged for a userid.

Each fake records what it was asked (`asked`) and what reached whom (`delivered`). It keeps the
provider's per-user limits as the provider does: WeCom delivers 30 a minute / 1,000 an hour to a member
and drops the excess without a word (the answer is still "ok": `dropped` counts them); DingTalk delivers
the same content to a user once a day. `mode` turns on error answers: "busy" (errcode -1 on every send),
"expire_once" (the next send answers 42001, the token expired), "down" (HTTP 503); DingTalk's sends also
"too_frequent" (errcode 90018), "too_frequent_88" (errcode 88, sub_code 90018) and "no_permission" (errcode 88,
sub_code 60011).
"""

import json
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from server import clock
from tests.fake_http import serve_on_a_free_port

TOKEN_S = 7200


@dataclass
class FakeProvider:
    app_id: str
    secret: str
    agent_id: str
    url: str = ""
    codes: dict = field(default_factory=dict)  # sign-in code -> userid (each used once)
    members: set = field(default_factory=set)
    asked: list = field(default_factory=list)  # (path, query, body)
    delivered: list = field(default_factory=list)  # (userid, title, text, at)
    dropped: int = 0
    tokens: dict = field(default_factory=dict)  # token -> expires at (real clock)
    mode: set = field(default_factory=set)
    token_s: int = TOKEN_S  # the lifetime the tokens are given (expires_in)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, path_part):
        return [(q, b) for p, q, b in self.asked if path_part in p]

    def _new_token(self):
        token = uuid.uuid4().hex
        self.tokens[token] = clock.real_now() + timedelta(seconds=self.token_s)
        return token

    def _token_ok(self, query):
        expires = self.tokens.get(query.get("access_token"))
        return expires is not None and expires > clock.real_now()

    def to(self, userid):
        return [d for d in self.delivered if d[0] == userid]


class FakeWeCom(FakeProvider):
    def answer(self, path, query, body):
        if path == "/cgi-bin/gettoken":
            if query.get("corpid") != self.app_id:
                return {"errcode": 40013, "errmsg": "invalid corpid"}
            if query.get("corpsecret") != self.secret:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            return {"errcode": 0, "errmsg": "ok", "access_token": self._new_token(), "expires_in": self.token_s}
        if not self._token_ok(query):
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if path == "/cgi-bin/auth/getuserinfo":
            userid = self.codes.pop(query.get("code"), None)
            if userid is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            return {"errcode": 0, "errmsg": "ok", "userid": userid, "user_ticket": uuid.uuid4().hex}
        if path == "/cgi-bin/message/send":
            if "expire_once" in self.mode:
                self.mode.discard("expire_once")
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if "busy" in self.mode:
                return {"errcode": -1, "errmsg": "system busy"}
            if str(body.get("agentid")) != self.agent_id:
                return {"errcode": 40056, "errmsg": "invalid agentid"}
            userid = body.get("touser")
            if userid not in self.members:
                return {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
            now = clock.now()
            recent = [d for d in self.to(userid) if d[3] > now - timedelta(minutes=1)]
            hour = [d for d in self.to(userid) if d[3] > now - timedelta(hours=1)]
            if len(recent) >= 30 or len(hour) >= 1000:
                self.dropped += 1  # WeCom answers ok and drops it
            else:
                card = body["textcard"]
                self.delivered.append((userid, card["title"], card["description"], now, card["url"]))
            return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": uuid.uuid4().hex}
        return {"errcode": 40035, "errmsg": "invalid args"}


class FakeDingTalk(FakeProvider):
    def answer(self, path, query, body):
        if path == "/gettoken":
            if query.get("appkey") != self.app_id or query.get("appsecret") != self.secret:
                return {"errcode": 40089, "errmsg": "不合法的appkey或appsecret"}
            return {"errcode": 0, "errmsg": "ok", "access_token": self._new_token(), "expires_in": self.token_s}
        if not self._token_ok(query):
            return {"errcode": 40014, "errmsg": "不合法的access_token"}
        if path == "/topapi/v2/user/getuserinfo":
            userid = self.codes.pop(body.get("code"), None)
            if userid is None:
                return {"errcode": 40078, "errmsg": "不存在的临时授权码"}
            return {"errcode": 0, "errmsg": "ok", "result": {"userid": userid, "name": userid}}
        if path == "/topapi/message/corpconversation/asyncsend_v2":
            if "busy" in self.mode:
                return {"errcode": -1, "errmsg": "系统繁忙"}
            if "too_frequent" in self.mode:  # the app's calls of the API over 40 a second
                return {"errcode": 90018, "errmsg": "当前企业的应用调用该接口的频率超过限制"}
            if "too_frequent_88" in self.mode:  # the gateway's way: errcode 88, the limit as sub_code
                return {
                    "errcode": 88,
                    "sub_code": "90018",
                    "sub_msg": "当前企业的应用调用该接口的频率超过限制",
                    "errmsg": "ding talk error[subcode=90018,submsg=当前企业的应用调用该接口的频率超过限制]",
                    "request_id": uuid.uuid4().hex[:12],
                }
            if "no_permission" in self.mode:
                return {
                    "errcode": 88,
                    "sub_code": "60011",
                    "sub_msg": "没有调用该接口的权限",
                    "errmsg": "ding talk error[subcode=60011,submsg=没有调用该接口的权限]",
                    "request_id": uuid.uuid4().hex[:12],
                }
            if str(body.get("agent_id")) != self.agent_id:
                return {"errcode": 40056, "errmsg": "不合法的agentid"}
            card = body["msg"]["action_card"]
            now = clock.now()
            for userid in body.get("userid_list", "").split(","):
                today = (now + timedelta(hours=8)).date()  # DingTalk's day: China time
                same = [
                    d
                    for d in self.to(userid)
                    if d[2] == card["markdown"] and (d[3] + timedelta(hours=8)).date() == today
                ]
                if userid in self.members and not same:
                    self.delivered.append((userid, card["title"], card["markdown"], now, card["single_url"]))
                else:
                    self.dropped += 1
            return {"errcode": 0, "errmsg": "ok", "task_id": 1, "request_id": uuid.uuid4().hex}
        return {"errcode": 22, "errmsg": "Invalid method"}


@contextmanager
def serving(fake):
    """Serve `fake` on a free localhost port (fake.url is set while it runs)."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self, body):
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            with fake.lock:
                fake.asked.append((parsed.path, query, body))
                if "down" in fake.mode:
                    status, answer = 503, {}
                else:
                    status, answer = 200, fake.answer(parsed.path, query, body or {})
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._handle(None)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self._handle(json.loads(self.rfile.read(length) or b"{}"))

        def log_message(self, *args):
            pass

    with serve_on_a_free_port(Handler) as url:
        fake.url = url
        yield fake
