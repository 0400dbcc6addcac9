"""The photo store's interface, one set of tests for each store: a folder, the in-memory double, and an
S3-compatible bucket (tests/fake_s3.py, checking SigV4 signatures and answering S3's XML errors)."""

import uuid

import pytest

from server.errors import Unavailable
from server.photos.storage import FolderStore, MemoryStore, S3Store, make_store
from tests.fake_s3 import fake_s3
from tests.server.test_photos import _fixed_day, jpeg, photo_of, put  # noqa: F401 (the fixed day, autouse)


@pytest.fixture(scope="module")
def s3():
    with fake_s3() as fake:
        yield fake


def s3_store(fake, **changes):
    settings = {
        "endpoint": fake.url,
        "bucket": fake.bucket,
        "key_id": fake.key_id,
        "secret": fake.secret,
        "region": fake.region,
        "prefix": f"t-{uuid.uuid4().hex[:8]}/",
    }
    return S3Store(**{**settings, **changes})


@pytest.fixture(params=["folder", "memory", "s3"])
def any_store(request, tmp_path, s3):
    if request.param == "folder":
        return FolderStore(tmp_path / "photos")
    if request.param == "memory":
        return MemoryStore()
    return s3_store(s3)


def test_a_store_keeps_bytes_whole_under_their_key(any_store):
    assert any_store.get("a") is None
    any_store.put("a", b"one")
    any_store.put("b", bytes(range(256)) * 1000)
    assert any_store.get("a") == b"one"
    any_store.put("a", b"two")  # a second put replaces the first
    assert any_store.get("a") == b"two"
    assert any_store.get("b") == bytes(range(256)) * 1000
    any_store.delete("a")
    any_store.delete("a")  # deleting what is gone is no error
    assert any_store.get("a") is None
    assert any_store.get("b") is not None


def test_a_store_refuses_keys_that_could_leave_its_place(any_store):
    for key in ("../escape", "a/b", ".hidden", "", "x" * 201):
        with pytest.raises(ValueError):
            any_store.put(key, b"x")
        with pytest.raises(ValueError):
            any_store.get(key)


def test_the_bucket_keeps_each_photo_under_the_prefix_signed_with_sigv4(s3):
    store = s3_store(s3, prefix="photos/")
    before = len(s3.seen)
    store.put("abc", b"bytes")
    assert s3.objects["photos/abc"] == b"bytes"
    assert s3.seen[before:] == [("PUT", f"/{s3.bucket}/photos/abc", 200)]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"secret": "not-the-secret"}, "SignatureDoesNotMatch"),
        ({"key_id": "UNKNOWNKEY"}, "InvalidAccessKeyId"),
        ({"bucket": "no-such-bucket"}, "NoSuchBucket"),
    ],
)
def test_a_refusing_bucket_is_a_503_to_retry_never_a_photo_taken_as_stored(s3, changes, code):
    store = s3_store(s3, **changes)
    with pytest.raises(Unavailable) as refused:
        store.put("abc", b"bytes")
    assert code in refused.value.message and refused.value.status == 503
    with pytest.raises(Unavailable):
        store.get("abc")  # not a missing photo: the store could not be read


def test_a_bucket_policy_that_denies_the_key_is_said_so(s3):
    store = s3_store(s3)
    s3.deny = True
    try:
        with pytest.raises(Unavailable, match="AccessDenied"):
            store.put("abc", b"bytes")
    finally:
        s3.deny = False


def test_a_store_that_does_not_answer_is_a_503_too():
    with fake_s3() as fake:
        url = fake.url
    store = S3Store(url, "b", "k", "s", "cn-east-1")
    store.client.meta.config.retries["total_max_attempts"] = 1
    with pytest.raises(Unavailable, match="did not answer"):
        store.get("abc")


def test_the_settings_name_the_bucket(tmp_path, s3):
    config = {
        "PHOTO_S3_ENDPOINT": s3.url,
        "PHOTO_S3_BUCKET": s3.bucket,
        "PHOTO_S3_KEY_ID": s3.key_id,
        "PHOTO_S3_SECRET": s3.secret,
        "PHOTO_S3_REGION": s3.region,
        "PHOTO_S3_PREFIX": "named/",
    }
    store = make_store("s3:", tmp_path, config)
    assert isinstance(store, S3Store) and store.bucket == s3.bucket and store.prefix == "named/"
    store.put("k", b"v")
    assert s3.objects["named/k"] == b"v"
    with pytest.raises(ValueError, match="PHOTO_S3_BUCKET"):
        make_store("s3:", tmp_path, {**config, "PHOTO_S3_BUCKET": ""})
    with pytest.raises(ValueError, match="PHOTO_S3_ADDRESSING"):
        make_store("s3:", tmp_path, {**config, "PHOTO_S3_ADDRESSING": "sideways"})
    virtual = make_store("s3:", tmp_path, {**config, "PHOTO_S3_ADDRESSING": "virtual"})
    assert virtual.client.meta.config.s3["addressing_style"] == "virtual"


def test_photos_upload_to_and_are_served_from_the_bucket(app, client, world, s3):
    app.extensions["photo_store"] = s3_store(s3, prefix="app/")
    data = jpeg()
    photo_id = photo_of(client, world, data)
    assert put(client, world, photo_id, data).status_code == 201
    assert put(client, world, photo_id, data).status_code == 200  # sent again: stored once
    assert s3.objects[f"app/{photo_id}"] == data and f"app/{photo_id}.thumb.jpg" in s3.objects
    got = client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r1"))
    assert got.status_code == 200 and got.data == data
    thumb = client.get(f"/api/photos/{photo_id}/thumbnail", headers=world.headers("r1"))
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r3")).status_code == 404


def test_an_upload_the_bucket_refuses_is_a_503_and_the_photo_waits(app, client, world, s3):
    app.extensions["photo_store"] = s3_store(s3, prefix="refused/")
    data = jpeg()
    photo_id = photo_of(client, world, data)
    s3.deny = True
    try:
        refused = put(client, world, photo_id, data)
    finally:
        s3.deny = False
    assert refused.status_code == 503, refused.get_json()
    assert refused.get_json()["error"]["code"] == "photo_store_unavailable" and refused.headers["Retry-After"] == "30"
    assert client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r1")).status_code == 404
    assert put(client, world, photo_id, data).status_code == 201  # sent again once the bucket takes it
