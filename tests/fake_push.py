"""A local push service answering as RFC 8030 says, for Web Push (server/notify/webpush.py).

A browser's subscription is made here as a browser makes one: a P-256 key pair and a 16-octet auth secret
(RFC 8291), and a push resource URL on this service (`subscribe()`). A message POSTed to that URL:
- without a TTL header is refused, 400 (RFC 8030 §5.2: the application server MUST include TTL);
- without `Content-Encoding: aes128gcm`, or an Authorization that is not `vapid t=<JWT>,k=<key>` whose ES256
  signature checks against k, whose `aud` is this service's origin and whose `exp` is within 24 hours
  (RFC 8292 §2, §3), is refused: 400 / 401 / 403;
- to a subscription that was removed (`gone`) answers 410 Gone, to one never made 404 (RFC 8030 §7.3);
- in `mode` "busy" answers 429 Too Many Requests (RFC 8030 §8.4);
- else it is decrypted with the subscription's private key (so the test reads what the browser would) and
  answered 201 Created with the message's Location (RFC 8030 §5).
"""

import base64
import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.fake_http import serve_on_a_free_port


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_keys():
    """(private key for VAPID_PRIVATE_KEY: base64url raw 32 octets, public key base64url uncompressed point)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(private), b64url(public)


@dataclass
class FakePushService:
    url: str = ""
    subscriptions: dict = field(default_factory=dict)  # token -> (private key, auth secret)
    gone: set = field(default_factory=set)
    received: list = field(default_factory=list)  # (token, payload dict, headers with lower-case names)
    refused: list = field(default_factory=list)  # (status, why)
    mode: set = field(default_factory=set)  # "busy": every message answered 429 Too Many Requests (§8.4)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self):
        """A browser's subscription on this service, as PushSubscription.toJSON() gives it."""
        token = uuid.uuid4().hex
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self.subscriptions[token] = (key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.url}/push/{token}",
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }

    def to(self, subscription):
        token = subscription["endpoint"].rsplit("/", 1)[-1]
        return [payload for t, payload, _ in self.received if t == token]

    def _vapid_refusal(self, authorization):
        """None when the VAPID authorization checks (RFC 8292), else (status, why)."""
        if not authorization.startswith("vapid "):
            return 401, "no vapid authorization"
        params = dict(part.strip().split("=", 1) for part in authorization[6:].split(","))
        token, key = params.get("t", ""), params.get("k", "")
        try:
            header, claims, signature = token.split(".")
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            raw = unb64url(signature)
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
            claims = json.loads(unb64url(claims))
        except (ValueError, InvalidSignature):
            return 403, "vapid signature does not check"
        if claims.get("aud") != self.url or not time.time() < claims.get("exp", 0) <= time.time() + 86400:
            return 403, f"vapid claims refused: {claims}"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return 403, "vapid sub is no contact"
        return None

    def answer(self, path, headers, body):
        token = path.rsplit("/", 1)[-1]
        if path.startswith("/moved/"):  # a service answering elsewhere: 307 keeps the POST and its body
            return 307, None
        if not path.startswith("/push/"):
            return 404, "no such resource"
        if token in self.gone:
            return 410, "subscription gone"
        if token not in self.subscriptions:
            return 404, "no such subscription"
        if "busy" in self.mode:
            return 429, "too many requests"
        if headers.get("TTL") is None:
            return 400, "TTL missing"
        if headers.get("Content-Encoding") != "aes128gcm":
            return 400, "content encoding must be aes128gcm"
        refusal = self._vapid_refusal(headers.get("Authorization", ""))
        if refusal:
            return refusal
        key, auth = self.subscriptions[token]
        payload = json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm"))
        self.received.append((token, payload, {k.lower(): v for k, v in headers.items()}))
        return 201, None


@contextmanager
def serving(fake):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with fake.lock:
                status, why = fake.answer(self.path, self.headers, body)
                if why:
                    fake.refused.append((status, why))
            self.send_response(status)
            if status == 201:
                self.send_header("Location", f"{fake.url}/message/{uuid.uuid4().hex}")
            if status == 307:
                self.send_header("Location", f"{fake.url}/push/{self.path.rsplit('/', 1)[-1]}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with serve_on_a_free_port(Handler) as url:
        fake.url = url
        yield fake
