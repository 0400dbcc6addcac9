"""A local stand-in for an S3-compatible object store, answering as Amazon S3's API reference documents
for the calls the photo store makes: PutObject, GetObject, HeadObject and DeleteObject, path-style
(`/<bucket>/<key>`).

Every request must carry a Signature Version 4 `Authorization` header for a known access key, with
`x-amz-date` and an `x-amz-content-sha256` that matches the body; the signature itself is computed here
again from the canonical request (AWS's "Create a signed AWS API request" steps) and compared. Errors are
S3's XML bodies with their codes and statuses: NoSuchKey (404), NoSuchBucket (404), AccessDenied (403),
InvalidAccessKeyId (403), SignatureDoesNotMatch (403), XAmzContentSHA256Mismatch (400). A HEAD answers
the status alone. `deny` makes every request AccessDenied (a bucket policy that refuses the key).
"""

import hashlib
import hmac
import re
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote, unquote, urlsplit

from tests.fake_http import serve_on_a_free_port

AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/aws4_request,\s*"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def _sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class FakeS3:
    def __init__(self, bucket="fieldday-photos", key_id="FAKEKEYID", secret="fake-secret-key", region="cn-east-1"):
        self.bucket, self.key_id, self.secret, self.region = bucket, key_id, secret, region
        self.objects = {}  # key -> bytes
        self.seen = []  # (method, path, status) of every request
        self.deny = False
        self.url = ""

    def _signature(self, method, path, query, headers, signed, day, stamp, payload_hash):
        canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
        canonical = "\n".join(
            [
                method,
                quote(unquote(path), safe="/-_.~"),
                "&".join(sorted(query.split("&"))) if query else "",
                canonical_headers,
                ";".join(signed),
                payload_hash,
            ]
        )
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = _sign(_sign(_sign(_sign(f"AWS4{self.secret}".encode(), day), self.region), "s3"), "aws4_request")
        return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()

    def check(self, method, raw_path, headers, body):
        """(status, code) of a refusal, or None when the request is S3's to answer."""
        match = AUTH.match(headers.get("authorization", ""))
        stamp = headers.get("x-amz-date", "")
        payload_hash = headers.get("x-amz-content-sha256", "")
        if not match or not stamp or not payload_hash:
            return 403, "AccessDenied"
        if match["key"] != self.key_id:
            return 403, "InvalidAccessKeyId"
        if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
            return 400, "XAmzContentSHA256Mismatch"
        signed = match["signed"].split(";")
        if "host" not in signed or match["region"] != self.region or not stamp.startswith(match["day"]):
            return 403, "SignatureDoesNotMatch"
        path, _, query = raw_path.partition("?")
        expected = self._signature(method, path, query, headers, signed, match["day"], stamp, payload_hash)
        if not hmac.compare_digest(expected, match["signature"]):
            return 403, "SignatureDoesNotMatch"
        if self.deny:
            return 403, "AccessDenied"
        return None


def _error(code, resource):
    messages = {
        "NoSuchKey": "The specified key does not exist.",
        "NoSuchBucket": "The specified bucket does not exist",
        "AccessDenied": "Access Denied",
        "InvalidAccessKeyId": "The AWS Access Key Id you provided does not exist in our records.",
        "SignatureDoesNotMatch": "The request signature we calculated does not match the signature you provided.",
        "XAmzContentSHA256Mismatch": "The provided 'x-amz-content-sha256' header does not match what was computed.",
    }
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{messages[code]}</Message>"
        f"<Resource>{resource}</Resource><RequestId>FAKE0000</RequestId></Error>"
    ).encode()


@contextmanager
def fake_s3(**kwargs):
    """A running FakeS3 on a free localhost port (its `url` is the endpoint)."""
    fake = FakeS3(**kwargs)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status, body=b"", headers=None, head=False):
            fake.seen.append((self.command, self.path, status))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if body and "Content-Type" not in (headers or {}):
                self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amz-request-id", "FAKE0000")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _handle(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            path = urlsplit(self.path).path
            refused = fake.check(method, self.path, headers, body)
            head = method == "HEAD"
            if refused:
                return self._answer(refused[0], b"" if head else _error(refused[1], path), head=head)
            bucket, _, key = unquote(path).lstrip("/").partition("/")
            if bucket != fake.bucket:
                return self._answer(404, b"" if head else _error("NoSuchBucket", path), head=head)
            if method == "PUT":
                fake.objects[key] = body
                etag = f'"{hashlib.md5(body).hexdigest()}"'  # S3: the ETag of a single-part upload
                return self._answer(200, headers={"ETag": etag})
            if method == "DELETE":
                fake.objects.pop(key, None)
                return self._answer(204)
            if key not in fake.objects:
                return self._answer(404, b"" if head else _error("NoSuchKey", path), head=head)
            data = fake.objects[key]
            meta = {"Content-Type": "binary/octet-stream", "ETag": f'"{hashlib.md5(data).hexdigest()}"'}
            if head:
                fake.seen.append((method, self.path, 200))
                self.send_response(200)
                for name, value in meta.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                return None
            return self._answer(200, data, headers=meta)

        def do_PUT(self):
            self._handle("PUT")

        def do_GET(self):
            self._handle("GET")

        def do_HEAD(self):
            self._handle("HEAD")

        def do_DELETE(self):
            self._handle("DELETE")

        def log_message(self, *args):
            pass

    with serve_on_a_free_port(Handler) as url:
        fake.url = url
        yield fake
