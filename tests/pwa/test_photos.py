"""Photos at a visit, in Chromium at 360x740 with a fake camera (the file input fed a JPEG): two taken
offline after check-in, scaled and watermarked on the phone, still there after a reload offline, uploaded
once each when the network is back, and shown on the visit and in the account's history."""

import base64
import io
import json
import re
import time
import urllib.request
import uuid
from collections import Counter
from random import Random
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageStat
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.extensions import db
from server.models import Photo
from server.photos.storage import make_store
from tests.pwa.conftest import (
    IDB_GET_META,
    TZ,
    idb_all,
    log_in,
    phone_context,
    shot,
    wait_controlled,
    wait_synced,
)
from tests.pwa.test_field_app import api, token
from tests.pwa.test_visit_loop import A, check_in, rep_accounts

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def camera_jpeg(colour, size=(2400, 1800)):
    """What the fake camera gives: a large, bright picture (so the watermark's dark band shows)."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=92)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


REFERENCE = """async ([takenAt, accountName, fix, repName, colour]) => {
  const { watermark, watermarkLines } = await import('/js/photos.js');
  const user = (await (await import('/js/db.js')).getMeta('auth')).user;
  const canvas = document.createElement('canvas');
  canvas.width = 1600; canvas.height = 1200;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = `rgb(${colour.join(',')})`;
  ctx.fillRect(0, 0, 1600, 1200);
  const base = await new Promise((ok) => canvas.toBlob(ok, 'image/jpeg', 0.8));
  const lines = watermarkLines({ takenAt: new Date(takenAt), accountName, fix,
                                 repName: repName ?? (user.display_name || user.username) });
  const bytes = new Uint8Array(await (await watermark(base, lines)).arrayBuffer());
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""


def random_bytes(n, seed=29):
    return Random(seed).randbytes(n)


def patch_settings(live_server, team_id, tok, body):
    request = urllib.request.Request(
        f"{live_server.url}/api/teams/{team_id}/settings",
        method="PATCH",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def band_difference(a, b, height):
    """Mean difference of two pictures over the watermark's band (the bottom `height` px)."""
    a, b = (i.convert("L") for i in (a, b))
    box = (0, a.height - height, a.width, a.height)
    return ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean[0]


def take(page, picture, caption=""):
    before = page.locator("#photo-list li.photo").count()
    page.locator("#photo-caption").fill(caption)
    page.locator("#photo-input").set_input_files(picture)
    expect(page.locator("#photo-list li.photo")).to_have_count(before + 1, timeout=20_000)


def test_two_photos_taken_offline_are_kept_and_uploaded_once_each(context, page, live_server):
    account = rep_accounts(live_server, token(live_server))[0]
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if r.method == "PUT" and "/api/photos/" in r.url else None)
    log_in(page)
    wait_controlled(page)
    wait_synced(page)

    context.set_offline(True)
    visit_id = check_in(page, account["id"])
    take(page, camera_jpeg((250, 250, 240)), caption="Shop front")
    take(page, camera_jpeg((240, 245, 250)), caption="Counter")
    states = page.locator("#photo-list li.photo").evaluate_all("els => els.map((e) => e.dataset.state)")
    assert states == ["waiting", "waiting"]
    kept = [p for p in idb_all(page, "photos") if p["visit_id"] == visit_id]
    assert len(kept) == 2 and {p["caption"] for p in kept} == {"Shop front", "Counter"}
    assert all(p["latitude"] == A["latitude"] and p["accuracy_m"] == A["accuracy"] for p in kept)
    blobs = page.evaluate(  # this visit's: the demo's photos of other visits are on the server, not on the phone
        """async (visitId) => { const { getFile } = await import('/js/db.js');
             const { all } = await import('/js/db.js');
             const photos = (await all('photos')).filter((p) => p.visit_id === visitId);
             return Promise.all(photos.map(async (p) => { const f = await getFile('photo', p.id);
               return { size: f.blob.size, type: f.blob.type, isBlob: f.blob instanceof Blob,
                        declared: p.size }; })); }""",
        visit_id,
    )
    assert len(blobs) == 2 and all(
        b["isBlob"] and b["type"] == "image/jpeg" and b["size"] == b["declared"] for b in blobs
    )
    assert all(b["size"] < 400_000 for b in blobs)  # scaled on the phone, not the camera's 2400 px original

    page.reload()  # still offline: the shell from the service worker, the photos from IndexedDB
    expect(page.locator("#photo-list li.photo")).to_have_count(2, timeout=20_000)
    assert uploads == []
    page.locator("#photos-title").scroll_into_view_if_needed()
    shot(page, "photos-visit-offline")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page, 0, timeout=60_000)
    assert sorted(uploads) == sorted({u for u in uploads}) and len(uploads) == 2  # once each
    page.reload()
    expect(page.locator('#photo-list li.photo[data-state="sent"]')).to_have_count(2, timeout=20_000)
    page.evaluate("document.getElementById('photos-title').scrollIntoView()")
    shot(page, "photos-visit-two-watermarked")

    app = live_server.app
    with app.app_context():
        rows = db.session.scalars(select(Photo).where(Photo.visit_id == uuid.UUID(visit_id))).all()
        assert len(rows) == 2 and all(r.uploaded_at is not None and r.content_type == "image/jpeg" for r in rows)
        store = make_store(app.config.get("PHOTO_STORE", ""), app.instance_path)
        for row in rows:
            image = Image.open(io.BytesIO(store.get(str(row.id))))
            assert image.format == "JPEG" and max(image.size) == 1600
            width, height = image.size
            # The watermark: a dark band with light text across the bottom of a bright picture.
            band = ImageStat.Stat(image.convert("L").crop((0, height - 60, width, height - 10)))
            top = ImageStat.Stat(image.convert("L").crop((0, 0, width, 200)))
            assert top.mean[0] > 200 and band.mean[0] < 140 and band.extrema[0][1] > 200
        stored = {r.caption: (r, Image.open(io.BytesIO(store.get(str(r.id))))) for r in rows}
        db.session.remove()
    # The watermark's words, read back against a reference render of the expected text on the same picture:
    # the stored band matches it, and not a render naming someone else.
    colours = {"Shop front": [250, 250, 240], "Counter": [240, 245, 250]}
    for caption, (row, image) in stored.items():
        fix = {"lat": row.latitude, "lng": row.longitude, "accuracy": row.accuracy_m}
        args = [row.taken_at.isoformat(), account["name"], fix, None, colours[caption]]
        same = Image.open(io.BytesIO(base64.b64decode(page.evaluate(REFERENCE, args))))
        other = Image.open(io.BytesIO(base64.b64decode(page.evaluate(REFERENCE, [*args[:3], "Someone Else", args[4]]))))
        assert band_difference(image, same, 180) < 1.5
        assert band_difference(image, other, 180) > 2 * band_difference(image, same, 180)

    page.goto("/#/report")  # the rep's daily report: the visit with its two photos
    expect(page.locator(f'[data-visit="{visit_id}"] img.photo-thumb[src^="blob:"]')).to_have_count(2, timeout=20_000)
    page.locator(f'[data-visit="{visit_id}"] .daily-photos').scroll_into_view_if_needed()
    shot(page, "photos-daily-report")

    page.goto(f"/#/account/{account['id']}")
    expect(page.locator("#account-photos > li")).to_have_count(2, timeout=20_000)
    expect(page.locator("#account-photos img")).to_have_count(2)
    page.evaluate("document.getElementById('account-photos').scrollIntoView()")
    shot(page, "photos-account-history")


FULL = """() => {
  const put = IDBObjectStore.prototype.put;
  window.__restorePut = () => { IDBObjectStore.prototype.put = put; };
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === 'photo_files') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return put.apply(this, args);
  };
}"""


def test_a_full_phone_says_so_keeps_the_visit_and_offers_to_send_what_waits(context, page, live_server):
    # rep2: rep1's visit of the test above is still open (one visit at a time).
    account = rep_accounts(live_server, token(live_server, "rep2"))[0]
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    log_in(page, "rep2")
    wait_synced(page)
    context.set_offline(True)
    visit_id = check_in(page, account["id"])
    page.evaluate(FULL)  # the phone's storage refuses the next photo's bytes
    page.locator("#photo-input").set_input_files(camera_jpeg((250, 250, 240)))
    expect(page.locator("#photo-status")).to_contain_text("storage is full", timeout=20_000)
    expect(page.locator("#photo-send-now")).to_be_visible()
    # Nothing of the photo stayed (its record, bytes and mutation were one transaction); the visit did.
    assert [p for p in idb_all(page, "photos") if p["visit_id"] == visit_id] == []
    assert [m for m in idb_all(page, "outbox") if m["entity"] == "photo"] == []
    assert visit_id in {v["id"] for v in idb_all(page, "visits")}
    expect(page.locator("#photo-list li.photo")).to_have_count(0)
    context.set_offline(False)
    page.locator("#photo-send-now").click()  # what waits (the visit) goes now
    wait_synced(page, 0, timeout=60_000)
    page.evaluate("window.__restorePut()")  # room again: the next photo is kept, and sent
    take(page, camera_jpeg((250, 250, 240)))
    wait_synced(page, 0, timeout=60_000)
    expect(page.locator('#photo-list li.photo[data-state="sent"]')).to_have_count(1, timeout=20_000)


def sync_once(page):
    """Start a sync (as coming back online does) and wait for it to end."""
    before = page.evaluate("() => document.getElementById('sync-status').dataset.lastSync || ''")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        """(before) => { const s = document.getElementById('sync-status').dataset;
                         return s.state === 'idle' && (s.lastSync || '') !== before; }""",
        arg=before,
    )


def test_an_upload_cut_in_the_middle_is_sent_again_and_stored_once(context, page, live_server):
    """The first PUT is lost on the way (the network drops before the server sees it); the second reaches the
    server, which stores the photo, but its answer is lost; the third is answered "already stored"."""
    account = rep_accounts(live_server, token(live_server, "rep2"))[1]
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    log_in(page, "rep2")
    wait_synced(page)
    attempts = []

    def cut(route):
        attempts.append(route.request.method)
        if len(attempts) == 1:
            route.abort("connectionreset")  # cut before the server saw a byte
        elif len(attempts) == 2:
            route.fetch()  # the server stores it ...
            route.abort("connectionreset")  # ... and the answer is lost on the way back
        else:
            route.continue_()

    page.route(
        "**/api/photos/*/content", lambda route: cut(route) if route.request.method == "PUT" else route.continue_()
    )
    open_visit = [v for v in idb_all(page, "visits") if not v.get("check_out_at") and not v.get("cancelled_at")]
    visit_id = open_visit[0]["id"] if open_visit else check_in(page, account["id"])
    page.goto(f"/#/visit/{visit_id}")
    expect(page.locator("#photo-input")).to_be_attached()
    take(page, camera_jpeg((230, 250, 230)), caption="Delivery note")
    # The phone's clock is fixed: photos taken "at the same instant" list in any order, so find it by caption.
    photo_id = page.locator("#photo-list li.photo", has_text="Delivery note").get_attribute("data-id")
    for _ in range(5):  # one sync at a time, each started here (not by the phone's timer): what waits goes again
        if len(attempts) >= 3:
            break
        sync_once(page)
    wait_synced(page, 0)
    expect(page.locator(f'#photo-list li.photo[data-id="{photo_id}"]')).to_have_attribute(
        "data-state", "sent", timeout=30_000
    )
    assert attempts == ["PUT", "PUT", "PUT"]
    app = live_server.app
    with app.app_context():
        row = db.session.get(Photo, uuid.UUID(photo_id))
        store = make_store(app.config.get("PHOTO_STORE", ""), app.instance_path)
        stored = store.get(str(row.id))
        assert row.uploaded_at is not None and stored is not None and len(stored) == row.size
        db.session.remove()


def test_a_photo_larger_than_the_server_takes_says_so_and_blocks_nothing(context, page, live_server):
    """A picture of about 20 MB from the album is scaled on the phone before it goes; one the server still
    finds too large (its limit lowered here) is refused with the sizes in words, and the next photo is sent."""
    app = live_server.app
    account = rep_accounts(live_server, token(live_server, "rep2"))[1]
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    log_in(page, "rep2")
    wait_synced(page)
    open_visit = [v for v in idb_all(page, "visits") if not v.get("check_out_at") and not v.get("cancelled_at")]
    visit_id = open_visit[0]["id"] if open_visit else check_in(page, account["id"])
    page.goto(f"/#/visit/{visit_id}")
    expect(page.locator("#photo-input")).to_be_attached()
    # About 20 MB: noise does not compress. The phone scales it to 1600 px before keeping it.
    noise = Image.frombytes("RGB", (3000, 2600), bytes(random_bytes(3000 * 2600 * 3)))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=100)
    big = out.getvalue()
    assert len(big) > 15_000_000
    limit = app.config["PHOTO_MAX_BYTES"]
    app.config["PHOTO_MAX_BYTES"] = 300_000  # below the scaled noise, above a plain picture
    try:
        before = page.locator("#photo-list li.photo").count()
        page.locator("#photo-album").set_input_files({"name": "IMG_BIG.jpg", "mimeType": "image/jpeg", "buffer": big})
        expect(page.locator("#photo-list li.photo")).to_have_count(before + 1, timeout=60_000)
        take(page, camera_jpeg((250, 240, 240)), caption="After the big one")
        page.evaluate("window.dispatchEvent(new Event('online'))")
        refused = page.locator('#photo-list li.photo[data-state="refused"]')
        expect(refused).to_have_count(1, timeout=60_000)
        expect(refused).to_contain_text("a photo may be at most 293 KB")
        expect(page.locator("#photo-list li.photo", has_text="After the big one")).to_have_attribute(
            "data-state", "sent", timeout=60_000
        )
        page.evaluate("document.getElementById('photos-title').scrollIntoView()")
        shot(page, "photos-too-large")
    finally:
        app.config["PHOTO_MAX_BYTES"] = limit


def test_camera_only_is_the_teams_setting_and_reaches_the_phone(browser, context, page, live_server):
    """The manager ticks "Camera only" on the settings screen; after its next sync a rep's visit offers the
    camera and no album; unticked, the album is back."""
    account = rep_accounts(live_server, token(live_server))[1]
    manager = token(live_server, "manager")
    team_id = api(live_server, "/api/auth/me", manager)["team_id"]
    boss = phone_context(browser, live_server.url, service_workers="allow")
    try:
        screen = boss.new_page()
        log_in(screen, "manager", wait=None)
        screen.get_by_role("link", name="Settings").click()
        box = screen.get_by_label("Camera only: no photos picked from the album")
        expect(box).not_to_be_checked()
        box.check()
        screen.get_by_role("button", name="Save settings").click()
        expect(screen.locator("#settings-saved")).to_be_visible()
        assert api(live_server, f"/api/teams/{team_id}/settings", manager)["photo_camera_only"] is True

        context.grant_permissions(["geolocation"])
        context.set_geolocation(A)
        log_in(page)
        wait_synced(page)
        assert page.evaluate(IDB_GET_META, "team_settings")["photo_camera_only"] is True
        open_visit = [v for v in idb_all(page, "visits") if not v.get("check_out_at") and not v.get("cancelled_at")]
        visit_id = open_visit[0]["id"] if open_visit else check_in(page, account["id"])
        page.goto(f"/#/visit/{visit_id}")
        expect(page.locator("#take-photo")).to_be_visible()
        expect(page.locator("#pick-photo")).to_have_count(0)
        expect(page.locator("#photo-album")).to_have_count(0)
        assert page.locator("#photo-input").get_attribute("capture") == "environment"

        screen.get_by_label("Camera only: no photos picked from the album").uncheck()
        screen.get_by_role("button", name="Save settings").click()
        expect(screen.locator("#settings-saved")).to_be_visible()
        deadline = time.monotonic() + 60
        while page.evaluate(IDB_GET_META, "team_settings")["photo_camera_only"] is not False:
            assert time.monotonic() < deadline, "the team's settings did not reach the phone"
            page.evaluate("window.dispatchEvent(new Event('online'))")  # a sync fetches the team's settings
            page.wait_for_timeout(500)
        page.reload()
        expect(page.locator("#pick-photo")).to_be_visible(timeout=20_000)
    finally:
        patch_settings(live_server, team_id, manager, {"photo_camera_only": False})
        boss.close()


def open_card(page, selector):
    """A report's card for one rep: a manager's are folded (details), a rep's own open."""
    card = page.locator(selector).first
    expect(card).to_be_attached(timeout=20_000)
    if card.evaluate("(el) => el.tagName") == "DETAILS" and not card.evaluate("(el) => el.open"):
        card.locator("summary").first.click()
    return card


def test_waiting_photos_show_on_me_and_the_manager_sees_them_in_the_reports(browser, context, page, live_server):
    """Offline, the Me screen counts the photos waiting with their size; once sent, the manager's daily
    report shows the rep's visit with its thumbnails, and the weekly review counts photos per day."""
    account = rep_accounts(live_server, token(live_server))[2]
    rep_id = api(live_server, "/api/auth/me", token(live_server))["id"]
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    log_in(page)
    wait_synced(page)
    context.set_offline(True)
    open_visit = [v for v in idb_all(page, "visits") if not v.get("check_out_at") and not v.get("cancelled_at")]
    visit_id = open_visit[0]["id"] if open_visit else check_in(page, account["id"])
    page.goto(f"/#/visit/{visit_id}")
    expect(page.locator("#photo-input")).to_be_attached()
    take(page, camera_jpeg((245, 245, 235)), caption="Machine counter")
    size = next(p["size"] for p in idb_all(page, "photos") if p["caption"] == "Machine counter")
    page.goto("/#/me")
    waiting = page.locator("#photos-waiting")
    expect(waiting).to_contain_text(f"Photos waiting to upload: 1 ({round(size / 1024)} KB)")
    shot(page, "photos-waiting-on-me")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page, 0, timeout=60_000)
    page.reload()
    expect(page.locator("#view")).to_be_visible()
    expect(page.locator("#photos-waiting")).to_have_count(0, timeout=20_000)
    with live_server.app.app_context():
        visit_photos = db.session.scalar(
            select(func.count()).select_from(Photo).where(Photo.visit_id == uuid.UUID(visit_id))
        )
        # Per day, in the team's zone: this test's photos today, the demo's of the rep's latest visits before.
        taken = db.session.scalars(select(Photo.taken_at).where(Photo.rep_id == uuid.UUID(rep_id))).all()
        days = [at.astimezone(ZoneInfo(TZ)).date() for at in taken]
        per_day = Counter(d for d in days if d.isocalendar()[:2] == max(days).isocalendar()[:2])  # today's week
        db.session.remove()

    boss = phone_context(browser, live_server.url, service_workers="allow")
    try:
        screen = boss.new_page()
        # The manager's start screen is Team, not Today: logged in by hand (log_in waits for Today).
        log_in(screen, "manager", wait=None)
        screen.goto("/#/report")
        card = open_card(screen, f'.daily[data-rep="{rep_id}"]')
        thumbs = card.locator(f'[data-visit="{visit_id}"] img.photo-thumb')
        expect(thumbs).to_have_count(visit_photos, timeout=20_000)
        expect(thumbs.first).to_have_attribute("src", re.compile(r"^blob:"), timeout=20_000)  # the server's thumbnail
        card.locator(f'[data-visit="{visit_id}"] .daily-photos').scroll_into_view_if_needed()
        shot(screen, "photos-daily-report-manager")
        screen.goto("/#/week")
        week = open_card(screen, f'.week[data-rep="{rep_id}"]')
        expect(week.locator(".photos-per-day")).to_contain_text("Photos at visits", timeout=20_000)
        counts = re.findall(r": (\d+)(?: ·|$)", week.locator(".photos-per-day").inner_text().strip())
        assert [int(n) for n in counts] == [per_day[day] for day in sorted(per_day)], (counts, per_day)
    finally:
        boss.close()
