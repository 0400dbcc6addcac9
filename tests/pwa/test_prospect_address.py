"""A new prospect's address from its GPS position, in Chromium at 360x740 against a fake 高德: online
the form fills the address field from the server's reverse geocoder; offline it says the address will
come at sync, and the server fills it when the prospect is pushed."""

import pytest
from playwright.sync_api import expect

from server.datum import wgs84_to_gcj02
from tests.fake_geocoders import configure, fake_amap
from tests.pwa.conftest import idb_all, log_in, save_new_account, shot, wait_synced, wait_until
from tests.pwa.test_field_capture import rep_get

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

HERE = {"latitude": 31.1955, "longitude": 121.4365, "accuracy": 9}


def expected_address():
    lng, lat = wgs84_to_gcj02(HERE["longitude"], HERE["latitude"])  # the fake answers where it was asked
    return f"上海市徐汇区@{lng:.6f},{lat:.6f}"


@pytest.fixture
def amap(live_server):
    saved = {k: live_server.app.config.get(k) for k in ("GEOCODER", "GEOCODER_URL", "GEOCODER_KEY")}
    with fake_amap() as fake:
        configure(live_server.app, "amap", fake)
        yield fake
    live_server.app.config.update(saved)


def test_online_the_form_fills_the_address_at_the_gps_position(context, page, live_server, amap):
    context.grant_permissions(["geolocation"])
    context.set_geolocation(HERE)
    log_in(page, "rep1")
    wait_synced(page)
    page.goto("/#/account/new")
    expect(page.get_by_label("Address")).to_have_value(expected_address())
    expect(page.locator("#address-line")).to_contain_text("Address found at this position")
    assert len(amap.requests("/v3/geocode/regeo")) == 1
    shot(page, "prospect-address-online")
    page.get_by_label("Name *").fill("徐汇新客户 Address Online")
    account_id = save_new_account(page)
    wait_synced(page, 0)
    assert rep_get(live_server, f"/api/accounts/{account_id}")["address"] == expected_address()


def test_offline_the_address_is_filled_at_sync(context, page, live_server, amap):
    context.grant_permissions(["geolocation"])
    context.set_geolocation(HERE)
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)
    page.goto("/#/account/new")
    expect(page.locator("#address-line")).to_contain_text("filled in when the prospect syncs")
    expect(page.get_by_label("Address")).to_have_value("")
    page.get_by_label("Name *").fill("徐汇新客户 Address Offline")
    account_id = save_new_account(page)
    assert amap.asked == []
    context.set_offline(False)
    wait_synced(page, 0)
    assert rep_get(live_server, f"/api/accounts/{account_id}")["address"] == expected_address()
    # The server's edit reaches the phone with a pull, and the account screen shows it.
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(
        page,
        """async (id) => { const db = await new Promise((ok) => { const r = indexedDB.open('fieldday');
                                                                   r.onsuccess = () => ok(r.result); });
             const a = await new Promise((ok) => { const r = db.transaction('accounts').objectStore('accounts').get(id);
                                                   r.onsuccess = () => ok(r.result); });
             db.close(); return Boolean(a && a.address); }""",
        arg=account_id,
    )
    stored = next(a for a in idb_all(page, "accounts") if a["id"] == account_id)
    assert stored["address"] == expected_address()
    page.goto("/#/accounts")
    page.goto(f"/#/account/{account_id}")
    expect(page.locator("main")).to_contain_text(expected_address())
