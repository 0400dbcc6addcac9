"""Where photo bytes are kept, behind one small interface.

A store keeps opaque byte strings under string keys: `put` (atomic: a reader never sees half a file,
an interrupted write leaves nothing), `get` (None when absent) and `delete`. The default is a folder
under the instance path; `S3Store` keeps them in a bucket of any S3-compatible object store (signed
by botocore, pinned); tests use `MemoryStore`, and an S3 stand-in (tests/fake_s3.py) for `S3Store`.
"""

import os
import re
import tempfile
from pathlib import Path

from flask import current_app

from ..errors import Unavailable

KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def _checked(key):
    if not KEY.match(key) or key.startswith("."):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class FolderStore:
    """Files in one folder, written to a temporary name then renamed into place."""

    def __init__(self, root):
        self.root = Path(root)

    def put(self, key, data):
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.root / _checked(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key):
        try:
            return (self.root / _checked(key)).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key):
        (self.root / _checked(key)).unlink(missing_ok=True)


class MemoryStore:
    """A store in a dict: the local test double of the interface."""

    def __init__(self):
        self.items = {}

    def put(self, key, data):
        self.items[_checked(key)] = bytes(data)

    def get(self, key):
        return self.items.get(_checked(key))

    def delete(self, key):
        self.items.pop(_checked(key), None)


class StoreUnavailable(Unavailable):
    """The object store refused or did not answer: nothing was stored, the phone sends the photo later."""

    code = "photo_store_unavailable"
    retry_after_s = 30


class S3Store:
    """Objects in one bucket of an S3-compatible store (AWS S3, MinIO, 阿里云 OSS, 腾讯云 COS ...), each under
    `prefix + key`. A PUT is whole or nothing on the store's side; a missing object reads as None."""

    def __init__(
        self, endpoint, bucket, key_id, secret, region="us-east-1", prefix="", addressing="path", timeout_s=10
    ):
        import botocore.session
        from botocore.config import Config

        if not bucket:
            raise ValueError("PHOTO_S3_BUCKET is needed with PHOTO_STORE=s3:")
        if addressing not in ("path", "virtual"):
            raise ValueError(f"PHOTO_S3_ADDRESSING={addressing!r}: use path or virtual")
        self.bucket, self.prefix = bucket, prefix
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"max_attempts": 3, "mode": "standard"},
            # Plain PUTs: the CRC32 checksums (aws-chunked bodies) botocore sends by default since 1.36 are
            # not answered by every compatible store; the upload's SHA-256 is checked before it gets here,
            # and SigV4 signs the body's SHA-256 (x-amz-content-sha256).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = botocore.session.get_session().create_client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region or "us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=config,
        )

    def _name(self, key):
        return self.prefix + _checked(key)

    def _call(self, operation, key, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, Key=self._name(key), **kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if operation == "get_object" and code in ("NoSuchKey", "404"):
                return None
            raise StoreUnavailable(f"The photo store refused the request ({code}); try again later.") from error
        except BotoCoreError as error:
            raise StoreUnavailable("The photo store did not answer; try again later.") from error

    def put(self, key, data):
        self._call("put_object", key, Body=bytes(data))

    def get(self, key):
        answer = self._call("get_object", key)
        if answer is None:
            return None
        with answer["Body"] as body:
            return body.read()

    def delete(self, key):
        self._call("delete_object", key)  # S3 answers 204 when the key is absent too


def make_store(setting, instance_path, config=None):
    """The store a `PHOTO_STORE` setting names: `folder:<path>` (relative to the instance folder),
    `s3:` (the bucket and keys from the `PHOTO_S3_*` settings in `config`), `memory:`, or empty for the
    default folder `instance/photos`."""
    kind, _, where = (setting or "").partition(":")
    if kind in ("", "folder"):
        return FolderStore(Path(instance_path) / (where or "photos"))
    if kind == "memory":
        return MemoryStore()
    if kind == "s3":
        config = config or {}
        return S3Store(
            endpoint=config.get("PHOTO_S3_ENDPOINT", ""),
            bucket=config.get("PHOTO_S3_BUCKET", ""),
            key_id=config.get("PHOTO_S3_KEY_ID", ""),
            secret=config.get("PHOTO_S3_SECRET", ""),
            region=config.get("PHOTO_S3_REGION", "us-east-1"),
            prefix=config.get("PHOTO_S3_PREFIX", ""),
            addressing=config.get("PHOTO_S3_ADDRESSING", "path"),
        )
    raise ValueError(f"PHOTO_STORE={setting!r}: use folder:<path>, s3: or memory:")


def store():
    """The app's photo store, made once from its settings."""
    ext = current_app.extensions
    if "photo_store" not in ext:
        ext["photo_store"] = make_store(
            current_app.config.get("PHOTO_STORE", ""), current_app.instance_path, current_app.config
        )
    return ext["photo_store"]
