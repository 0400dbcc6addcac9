"""Photos at visits: metadata synced like a record, bytes uploaded once under the photo's id,
checked by content and size, and served only to those who may see the visit."""

import hashlib
import io
import uuid
import zipfile
from datetime import UTC, datetime

import pytest
from PIL import Image

from server.photos.storage import FolderStore, MemoryStore, make_store
from tests.conftest import iso


def jpeg(colour=(200, 40, 40), size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=80)
    return out.getvalue()


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _fixed_day(clock):
    """The photos are taken on 2 November 2026; the server's clock reads the day after (sync refuses
    happened-at times a day ahead of it)."""
    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))


@pytest.fixture
def store(app):
    app.extensions["photo_store"] = MemoryStore()
    return app.extensions["photo_store"]


def push(client, world, user, mutations):
    response = client.post(
        "/api/sync/push",
        json={"client_id": str(uuid.uuid4()), "mutations": mutations},
        headers=world.headers(user),
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def photo_of(client, world, data, user="r1", caption="Shop front"):
    """Make a photo's metadata as the phone does: a create mutation in a sync push."""
    photo_id = str(uuid.uuid4())
    body = {
        "id": photo_id,
        "visit_id": str(world.visits[user]),
        "taken_at": iso(2026, 11, 2, 1, 10),
        "latitude": 31.2001,
        "longitude": 121.4002,
        "accuracy_m": 12.5,
        "caption": caption,
        "size": len(data),
        "sha256": sha(data),
    }
    mutation = {"id": str(uuid.uuid4()), "seq": 1, "entity": "photo", "entity_id": photo_id, "op": "create"}
    [result] = push(client, world, user, [{**mutation, "data": body}])
    assert result["status"] == "applied", result
    return photo_id


def put(client, world, photo_id, data, user="r1", **headers):
    return client.put(
        f"/api/photos/{photo_id}/content",
        data=data,
        headers={**world.headers(user), "Content-Type": "image/jpeg", **headers},
    )


def test_a_photo_is_stored_once_however_often_it_is_sent(client, world, store):
    data = jpeg()
    photo_id = photo_of(client, world, data)
    meta = client.get(f"/api/photos/{photo_id}", headers=world.headers("r1")).get_json()
    assert meta["uploaded_at"] is None and meta["account_id"] == str(world.accounts["r1"])
    assert client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r1")).status_code == 404

    first = put(client, world, photo_id, data, **{"X-Content-SHA256": sha(data)})
    assert first.status_code == 201, first.get_json()
    stored_at = first.get_json()["uploaded_at"]
    assert stored_at is not None and first.get_json()["content_type"] == "image/jpeg"
    again = put(client, world, photo_id, data)  # a retry after a lost answer, or a doubled upload
    assert again.status_code == 200 and again.get_json()["uploaded_at"] == stored_at
    assert again.get_json()["version"] == first.get_json()["version"]
    assert sorted(store.items) == sorted([photo_id, f"{photo_id}.thumb.jpg"])

    got = client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r1"))
    assert got.status_code == 200 and got.data == data and got.mimetype == "image/jpeg"
    assert got.headers["Cache-Control"].startswith("private") and "public" not in got.headers["Cache-Control"]
    assert got.headers["ETag"] == f'"{sha(data)}"'
    again = client.get(
        f"/api/photos/{photo_id}/content", headers={**world.headers("r1"), "If-None-Match": got.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    thumb = client.get(f"/api/photos/{photo_id}/thumbnail", headers=world.headers("r1"))
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(thumb.data)).size == (64, 48)  # already smaller than a thumbnail


def test_a_large_photo_gets_a_thumbnail_for_lists(client, world, store):
    data = jpeg(size=(1600, 1200))
    photo_id = photo_of(client, world, data)
    assert put(client, world, photo_id, data).status_code == 201
    thumb = client.get(f"/api/photos/{photo_id}/thumbnail", headers=world.headers("r1"))
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320 and len(thumb.data) < len(data)


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(client, world, store):
    """A PNG of one colour packs 25 million pixels into a few kilobytes; its thumbnail would decode them all."""
    out = io.BytesIO()
    Image.new("1", (5000, 5000)).save(out, "PNG")
    data = out.getvalue()
    assert len(data) < 50_000
    photo_id = photo_of(client, world, data)
    refused = put(client, world, photo_id, data)
    assert refused.status_code == 422, refused.get_json()
    assert "pixels" in refused.get_json()["error"]["fields"]["body"][0]
    assert store.items == {}


def test_other_content_under_the_same_id_is_refused(client, world, store):
    data, other = jpeg(), jpeg(colour=(10, 200, 10))
    photo_id = photo_of(client, world, data)
    refused = put(client, world, photo_id, other)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "content_mismatch"
    assert store.items == {}
    assert put(client, world, photo_id, data).status_code == 201
    after = put(client, world, photo_id, other)
    assert after.status_code == 409
    assert store.get(photo_id) == data


def test_bytes_damaged_on_the_way_are_refused_and_can_be_sent_again(client, world, store):
    data = jpeg()
    photo_id = photo_of(client, world, data)
    cut = put(client, world, photo_id, data[: len(data) // 2], **{"X-Content-SHA256": sha(data)})
    assert cut.status_code == 422 and cut.get_json()["error"]["code"] == "digest_mismatch"
    assert store.items == {}
    assert put(client, world, photo_id, data, **{"X-Content-SHA256": sha(data)}).status_code == 201


def test_a_20_mb_photo_is_refused_with_a_clear_message(client, world, store):
    data = b"\xff\xd8\xff" + bytes(20 * 1024 * 1024)
    photo_id = photo_of(client, world, jpeg())
    refused = put(client, world, photo_id, data)
    assert refused.status_code == 413
    error = refused.get_json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["message"] == "The photo is 20 MB; a photo may be at most 10 MB."
    assert store.items == {}


def test_the_size_limit_is_a_setting(app, client, world, store):
    app.config["PHOTO_MAX_BYTES"] = 1000
    data = jpeg(size=(400, 300))
    assert len(data) > 1000
    photo_id = photo_of(client, world, data)
    refused = put(client, world, photo_id, data)
    assert refused.status_code == 413
    assert (
        refused.get_json()["error"]["message"]
        == f"The photo is {len(data) / 1024:.1f} KB; a photo may be at most 1000 bytes."
    )


def test_what_is_not_a_photo_is_refused_by_its_content(client, world, store):
    text = b"GIF89a pretending to be a photo" + bytes(100)
    photo_id = photo_of(client, world, text)
    named = put(client, world, photo_id, text)  # sent as image/jpeg: the content decides
    assert named.status_code == 415 and named.get_json()["error"]["code"] == "unsupported_media_type"
    broken = b"\xff\xd8\xff\xe0" + bytes(200)  # a JPEG's first bytes and nothing readable after
    broken_id = photo_of(client, world, broken)
    unreadable = put(client, world, broken_id, broken)
    assert unreadable.status_code == 422 and unreadable.get_json()["error"]["fields"] == {
        "body": ["Not a readable image."]
    }
    assert store.items == {}


def test_png_and_webp_are_photos_too(client, world, store):
    for kind, mime in (("PNG", "image/png"), ("WEBP", "image/webp")):
        out = io.BytesIO()
        Image.new("RGB", (30, 20), (1, 2, 3)).save(out, kind)
        data = out.getvalue()
        photo_id = photo_of(client, world, data)
        stored = put(client, world, photo_id, data)
        assert stored.status_code == 201 and stored.get_json()["content_type"] == mime
        got = client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r1"))
        assert got.mimetype == mime


def test_another_territory_never_sees_a_photo(client, world, store):
    data = jpeg()
    photo_id = photo_of(client, world, data)
    assert put(client, world, photo_id, data).status_code == 201
    for user in ("r3", "m2", "r2"):  # another team's rep and manager; a teammate with another territory
        for path in ("", "/content", "/thumbnail"):
            answer = client.get(f"/api/photos/{photo_id}{path}", headers=world.headers(user))
            assert answer.status_code == 404, (user, path)
        assert put(client, world, photo_id, data, user=user).status_code == 404
        listed = client.get(f"/api/photos?visit_id={world.visits['r1']}", headers=world.headers(user)).get_json()
        assert listed["items"] == []
    # The rep's manager sees it, as they see the visit.
    assert client.get(f"/api/photos/{photo_id}/content", headers=world.headers("m1")).data == data


def test_a_photo_is_taken_at_a_visit_of_ones_own(client, world, store):
    data = jpeg()
    mutation = {
        "id": str(uuid.uuid4()),
        "seq": 1,
        "entity": "photo",
        "entity_id": str(uuid.uuid4()),
        "op": "create",
        "data": {
            "visit_id": str(world.visits["r3"]),
            "taken_at": iso(2026, 11, 2, 1, 10),
            "size": len(data),
            "sha256": sha(data),
        },
    }
    [result] = push(client, world, "r1", [mutation])
    assert result["status"] == "rejected" and result["fields"] == {"visit_id": ["Unknown visit."]}


def test_a_photos_content_fields_cannot_change(client, world, store):
    data = jpeg()
    photo_id = photo_of(client, world, data)
    changed = client.patch(f"/api/photos/{photo_id}", json={"sha256": "0" * 64}, headers=world.headers("r1"))
    assert changed.status_code == 422 and "sha256" in changed.get_json()["error"]["fields"]
    caption = client.patch(f"/api/photos/{photo_id}", json={"caption": "Counter"}, headers=world.headers("r1"))
    assert caption.status_code == 200 and caption.get_json()["caption"] == "Counter"


def test_photo_metadata_travels_in_pull_pages_without_its_bytes(client, world, store):
    data = jpeg(size=(800, 600))
    photo_id = photo_of(client, world, data)
    assert put(client, world, photo_id, data).status_code == 201
    page = client.get("/api/sync/pull?limit=1000", headers=world.headers("r1")).get_json()
    [change] = [c for c in page["changes"] if c["entity"] == "photo"]
    assert change["id"] == photo_id and change["data"]["sha256"] == sha(data)
    assert change["data"]["uploaded_at"] is not None
    assert set(change["data"]) >= {"visit_id", "taken_at", "latitude", "accuracy_m", "size", "caption"}
    assert len(str(change)) < 2000  # the metadata only
    # The upload is a change of the record: a phone that pulled before it hears of it.
    others = client.get("/api/sync/pull?limit=1000", headers=world.headers("r3")).get_json()
    assert [c for c in others["changes"] if c["entity"] == "photo"] == []


def test_a_reassigned_accounts_photos_follow_the_visits_scope(client, world, store):
    data = jpeg()
    photo_id = photo_of(client, world, data)
    assert put(client, world, photo_id, data).status_code == 201
    moved = client.patch(
        f"/api/accounts/{world.accounts['r1']}", json={"owner_id": str(world.users["r2"])}, headers=world.headers("m1")
    )
    assert moved.status_code == 200, moved.get_json()
    # As with its visit: the rep who took it keeps it, the account's new holder sees it too.
    for user in ("r1", "r2"):
        assert client.get(f"/api/photos/{photo_id}/content", headers=world.headers(user)).status_code == 200
    assert client.get(f"/api/photos/{photo_id}/content", headers=world.headers("r3")).status_code == 404


def test_the_folder_store_keeps_bytes_whole_under_their_key(tmp_path):
    folder = FolderStore(tmp_path / "photos")
    assert folder.get("a") is None
    folder.put("a", b"one")
    folder.put("a", b"two")
    assert folder.get("a") == b"two"
    assert [p.name for p in (tmp_path / "photos").iterdir()] == ["a"]  # no temporary file left
    folder.delete("a")
    assert folder.get("a") is None
    with pytest.raises(ValueError):
        folder.put("../escape", b"x")
    assert isinstance(make_store("", tmp_path), FolderStore)
    assert make_store("", tmp_path).root == tmp_path / "photos"
    assert isinstance(make_store("memory:", tmp_path), MemoryStore)
    with pytest.raises(ValueError):
        make_store("ftp:somewhere", tmp_path)


def test_the_default_store_is_a_folder_under_the_instance(app, client, world):
    data = jpeg()
    photo_id = photo_of(client, world, data)
    assert put(client, world, photo_id, data).status_code == 201
    from pathlib import Path

    assert (Path(app.instance_path) / "photos" / photo_id).read_bytes() == data


def test_the_phone_learns_the_photo_settings_from_the_server(app, client, world):
    settings = client.get("/api/client-settings").get_json()
    assert settings["photo_max_bytes"] == 10 * 1024 * 1024 and "photo_camera_only" not in settings
    # Camera only is the team's to choose, not the server's: it comes with the team's settings.
    assert client.get("/api/settings", headers=world.headers("r1")).get_json()["photo_camera_only"] is False


def test_camera_only_is_a_team_setting_its_manager_changes(client, world):
    north = client.get("/api/settings", headers=world.headers("m1")).get_json()["team_id"]
    url = f"/api/teams/{north}/settings"
    bad = client.patch(url, json={"photo_camera_only": "sometimes"}, headers=world.headers("m1"))
    assert bad.status_code == 422 and "photo_camera_only" in bad.get_json()["error"]["fields"]
    assert client.patch(url, json={"photo_camera_only": True}, headers=world.headers("r1")).status_code == 403
    ok = client.patch(url, json={"photo_camera_only": True}, headers=world.headers("m1"))
    assert ok.status_code == 200 and ok.get_json()["photo_camera_only"] is True
    assert client.get("/api/settings", headers=world.headers("r1")).get_json()["photo_camera_only"] is True
    assert client.get("/api/settings", headers=world.headers("r3")).get_json()["photo_camera_only"] is False
    # Changing another setting keeps it.
    client.patch(url, json={"lunch_minutes": 30}, headers=world.headers("m1"))
    assert client.get("/api/settings", headers=world.headers("r1")).get_json()["photo_camera_only"] is True


def test_the_daily_report_lists_each_visits_photos_for_the_rep_and_their_manager(client, world, store):
    data = jpeg()
    sent = photo_of(client, world, data, caption="Shop front")
    waiting = photo_of(client, world, jpeg(colour=(1, 1, 1)), caption="Counter")
    assert put(client, world, sent, data).status_code == 201
    for user, query in (("r1", "date=2026-11-02"), ("m1", f"date=2026-11-02&rep_id={world.users['r1']}")):
        answer = client.get(f"/api/reports/daily?{query}", headers=world.headers(user))
        assert answer.status_code == 200, answer.get_json()
        [report] = answer.get_json()["reports"]
        [visit] = [v for v in report["visits"] if v["id"] == str(world.visits["r1"])]
        assert {(p["id"], p["caption"], p["uploaded"]) for p in visit["photos"]} == {
            (sent, "Shop front", True),
            (waiting, "Counter", False),
        }


def test_the_weekly_review_counts_photos_per_day(client, world, store):
    for colour in ((1, 2, 3), (4, 5, 6)):
        photo_of(client, world, jpeg(colour=colour))
    answer = client.get("/api/reports/weekly-review?week=2026-11-04", headers=world.headers("r1"))
    assert answer.status_code == 200, answer.get_json()
    [review] = answer.get_json()["reviews"]
    assert review["do"]["photos_per_day"] == [{"date": "2026-11-02", "photos": 2}]
    other = client.get("/api/reports/weekly-review?week=2026-11-04", headers=world.headers("r3")).get_json()
    assert other["reviews"][0]["do"]["photos_per_day"] == []
    assert (
        client.get("/api/reports/weekly-review?week=2026-11-04&format=csv", headers=world.headers("r1")).status_code
        == 200
    )


def test_the_export_names_the_photos_and_zips_them_on_request(client, world, store):
    data = jpeg()
    sent = photo_of(client, world, data, caption="Shop front")
    waiting = photo_of(client, world, jpeg(colour=(9, 9, 9)), caption="Counter")
    assert put(client, world, sent, data).status_code == 201
    query = f"rep_id={world.users['r1']}&from=2026-11-01&to=2026-11-07"
    manager = world.headers("m1")
    rows = client.get(f"/api/exports/photos?{query}&format=json", headers=manager).get_json()["rows"]
    files = {row["id"]: row["file"] for row in rows}
    assert set(files) == {sent, waiting} and files[waiting] == ""  # not uploaded: no file yet
    assert files[sent].startswith("photos/20261102-") and files[sent].endswith(f"{sent}.jpg")
    [visit] = client.get(f"/api/exports/visits?{query}&format=json", headers=manager).get_json()["rows"]
    assert visit["photos"] == files[sent]

    answer = client.get(f"/api/exports/photos?{query}&format=zip", headers=manager)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    body = answer.data
    answer.close()  # as a WSGI server does once it has sent the body: the temporary file goes
    archive = zipfile.ZipFile(io.BytesIO(body))
    csv_name = "photos-2026-11-01-2026-11-07.csv"
    assert sorted(archive.namelist()) == sorted([csv_name, files[sent]])
    assert archive.read(files[sent]) == data and files[sent] in archive.read(csv_name).decode()
    # A kind that names no photos zips its CSV alone (the document offers zip for every kind).
    accounts = client.get(f"/api/exports/accounts?{query}&format=zip", headers=manager)
    assert accounts.status_code == 200 and accounts.mimetype == "application/zip"
    body = accounts.data
    accounts.close()
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == ["accounts-2026-11-01-2026-11-07.csv"]
    # Another team's manager gets nothing of it.
    other = client.get(f"/api/exports/photos?{query}&format=zip", headers=world.headers("m2"))
    assert other.status_code == 404
