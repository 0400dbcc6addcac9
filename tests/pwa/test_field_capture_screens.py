"""Capture screens in Chromium at 360x740, at one fixed instant (see `fixed_clock`): an account edit that
clashes with the office, the capture screens and the whole capture in Chinese words, a prospect placed on the
map without GPS, and moving the opportunity during a visit. None of it turns on the date; what does (today's
visits, appointments, cadence) is test_field_capture's, in the calendar set."""

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import log_in, phone_context, save_new_account, shot, wait_synced
from tests.pwa.test_field_app import api, token
from tests.pwa.test_field_capture import assert_words_not_codes, rep_get

pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_an_account_edit_that_clashes_with_the_office_shows_both_and_the_reps_choice_is_kept(
    context, page, live_server
):
    log_in(page, "rep1")
    wait_synced(page)
    accounts = rep_get(live_server, "/api/accounts?per_page=5")["items"]
    target = accounts[0]
    page.goto(f"/#/account/{target['id']}/edit")
    context.set_offline(True)
    page.get_by_label("Notes").fill("Rep: the buyer moved to the 5th floor")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/#/account/{target['id']}")
    manager = token(live_server, "manager")
    import json as _json
    import urllib.request

    request = urllib.request.Request(
        f"{live_server.url}/api/accounts/{target['id']}",
        method="PATCH",
        data=_json.dumps({"notes": "Office: call before visiting"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {manager}"},
    )
    urllib.request.urlopen(request).close()
    context.set_offline(False)
    wait_synced(page, 0)
    expect(page.locator("#banner")).to_contain_text("clash")
    page.goto(f"/#/account/{target['id']}")
    card = page.locator(".card.conflict")
    expect(card).to_contain_text("Rep: the buyer moved to the 5th floor")
    expect(card).to_contain_text("Office: call before visiting")
    shot(page, "capture-conflict")
    with live_server.app.app_context():  # the server holds the conflict open until the rep decides
        assert _open_conflicts(target["id"]) == [True]
    card.get_by_role("button", name="Keep mine").click()
    expect(page.locator(".card.conflict")).to_have_count(0)
    wait_synced(page, 0)
    assert rep_get(live_server, f"/api/accounts/{target['id']}")["notes"] == "Rep: the buyer moved to the 5th floor"
    # The phone told the server the rep decided (the manager hears of no conflict left open).
    for _ in range(100):
        with live_server.app.app_context():
            if _open_conflicts(target["id"]) == [False]:
                break
        page.wait_for_timeout(100)
    with live_server.app.app_context():
        assert _open_conflicts(target["id"]) == [False]
    assert page.evaluate(DECIDED) == []


DECIDED = """async () => (await import('/js/db.js')).getMeta('conflicts_decided', [])"""


def _open_conflicts(account_id):
    """For each conflict journaled on this account: whether it is still open."""
    import uuid

    from server.extensions import db
    from server.models import SyncMutation

    rows = db.session.scalars(
        db.select(SyncMutation).where(
            SyncMutation.entity_id == uuid.UUID(account_id), SyncMutation.conflict_at.is_not(None)
        )
    ).all()
    db.session.remove()
    return [row.resolved_at is None for row in rows]


def test_the_capture_screens_speak_chinese_with_no_code_on_screen(browser, live_server):
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, "rep1", password="demo-password-1")
        with_devices = next(
            a
            for a in rep_get(live_server, "/api/accounts?per_page=200")["items"]
            if rep_get(live_server, f"/api/devices?account_id={a['id']}")["total"]
        )
        for path in (
            f"/#/account/{with_devices['id']}",
            "/#/account/new",
            f"/#/device/new?account={with_devices['id']}",
            f"/#/contact/new?account={with_devices['id']}",
            f"/#/opportunity/new?account={with_devices['id']}",
            f"/#/appointment/new?account={with_devices['id']}",
        ):
            page.goto(path)
            page.wait_for_selector("main h1")
            assert_words_not_codes(page)
        shot(page, "capture-zh")
    finally:
        context.close()


def test_without_gps_the_prospect_is_placed_on_the_map(context, page, live_server):
    context.clear_permissions()  # the rep refused the location
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)
    page.goto("/#/account/new")
    expect(page.locator("#position-line")).to_contain_text("No position yet")
    page.get_by_label("Name *").fill("地图上的客户 Map Placed")
    page.wait_for_selector("#pick-map.leaflet-container")  # the map joins once Leaflet has loaded
    page.locator("#pick-map").click(position={"x": 180, "y": 100})  # the middle of the map
    expect(page.locator("#position-line")).to_contain_text("tap the map to move it")
    shot(page, "capture-map-position")
    account_id = save_new_account(page)
    context.set_offline(False)
    wait_synced(page, 0)
    stored = rep_get(live_server, f"/api/accounts/{account_id}")
    me = rep_get(live_server, "/api/auth/me")
    # The map opened on the rep's start; a tap in its middle is within a few hundred metres of it.
    assert abs(stored["latitude"] - me["start_lat"]) < 0.005 and abs(stored["longitude"] - me["start_lng"]) < 0.005
    assert stored["plannable"] is True


def test_moving_the_opportunity_during_a_visit_follows_the_method(page, live_server):
    log_in(page, "rep1")
    wait_synced(page)
    t = token(live_server, "rep1")
    opportunity = next(o for o in api(live_server, "/api/opportunities?status=open&stage=S&per_page=100", t)["items"])
    page.goto(f"/#/visit/new?account={opportunity['account_id']}")
    page.get_by_label("Purpose of this visit (required)").fill("Move the deal on")
    page.get_by_label("Opportunity").select_option(opportunity["id"])
    page.get_by_role("button", name="Check in").click()
    page.wait_for_selector("#visit-form")
    page.locator("#stage").select_option("D")  # S to D skips P and A
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#stage-note")).to_contain_text("skips stages")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#visit-saved")).to_contain_text("Saved")
    page.locator("#stage").select_option("P")  # back from D
    page.get_by_role("button", name="Check out").click()
    expect(page.locator("#stage-note")).to_contain_text("Say why the deal moves back")
    page.locator("#stage-why").fill("The buyer wants to rethink the budget")
    page.get_by_role("button", name="Check out").click()
    page.wait_for_selector("text=Checked out at")
    wait_synced(page, 0)
    stored = api(live_server, f"/api/opportunities/{opportunity['id']}", t)
    assert stored["stage"] == "P" and "rethink the budget" in stored["loss_note"]


def test_without_a_geocoder_a_new_prospect_asks_no_address_of_its_position(context, page, live_server):
    assert live_server.app.config["GEOCODER"] == "none"  # the test server's default
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/geocode/" in r.url else None)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 31.2304, "longitude": 121.4737, "accuracy": 15})
    log_in(page, "rep1")
    wait_synced(page)
    page.goto("/#/account/new")
    expect(page.locator("#position-line")).to_contain_text("From the phone's GPS")
    page.wait_for_timeout(500)  # a request for the address would have gone with the fix
    assert asked == [] and page.get_by_label("Address").input_value() == ""
