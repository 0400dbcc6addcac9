"""Photos queued offline, then uploaded: 50 pictures of about 400 KB each, in Chromium at phone size.

    make bench

Prints: the time to take (scale, watermark, keep) the 50 photos offline, the time from the network's
return to the last upload (the indicator at 0 waiting), the page's JS heap after queuing and after
draining, and the bytes the phone kept. It checks only that every photo reached the server once.
"""

import io
import os
import time

from PIL import Image
from sqlalchemy import func, select

from server.extensions import db
from server.models import Photo
from tests.pwa.conftest import browser, live_server, log_in, phone_context, wait_synced  # noqa: F401 (fixtures)
from tests.pwa.test_field_app import token
from tests.pwa.test_visit_loop import A, check_in, rep_accounts

PHOTOS = int(os.environ.get("BENCH_PHOTOS", "50"))

KEPT = """async () => { const { waitingFiles } = await import('/js/db.js');
  return (await waitingFiles('photo')).reduce((sum, f) => sum + f.blob.size, 0); }"""


def picture(i):
    """About 400 KB of JPEG: noise, the worst case for compression, each one its own."""
    image = Image.frombytes("RGB", (900, 680), os.urandom(900 * 680 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return {"name": f"IMG_{i:04d}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def heap_mb(cdp):
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1_048_576


def test_fifty_photos_queued_offline_then_drained(browser, live_server):  # noqa: F811 (fixtures)
    account = rep_accounts(live_server, token(live_server))[1]
    context = phone_context(browser, live_server.url, service_workers="allow")
    context.grant_permissions(["geolocation"])
    context.set_geolocation(A)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    try:
        log_in(page)
        wait_synced(page)
        context.set_offline(True)
        check_in(page, account["id"], purpose="Photo benchmark")
        files = [picture(i) for i in range(PHOTOS)]
        sizes = [len(f["buffer"]) for f in files]
        t0 = time.perf_counter()
        page.locator("#photo-album").set_input_files(files)
        page.wait_for_function(
            "(n) => document.querySelectorAll('#photo-list li.photo').length === n", arg=PHOTOS, timeout=600_000
        )
        queued_s = time.perf_counter() - t0
        kept = page.evaluate(KEPT)
        heap_queued = heap_mb(cdp)

        context.set_offline(False)
        t0 = time.perf_counter()
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_synced(page, 0, timeout=600_000)
        drained_s = time.perf_counter() - t0
        heap_drained = heap_mb(cdp)
    finally:
        context.close()
    with live_server.app.app_context():
        uploaded = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.uploaded_at.is_not(None)))
        db.session.remove()
    assert uploaded >= PHOTOS
    print(
        f"\nphotos: {PHOTOS} pictures of {sum(sizes) / len(sizes) / 1024:.0f} KB on average"
        f"\n  taken offline (scaled, watermarked, kept): {queued_s:.1f} s ({queued_s / PHOTOS * 1000:.0f} ms each),"
        f" {kept / 1_048_576:.1f} MB kept on the phone"
        f"\n  drained after the network came back: {drained_s:.1f} s"
        f"\n  JS heap: {heap_queued:.1f} MB queued, {heap_drained:.1f} MB drained"
    )
