"""Near me, offline: the territory by distance from the phone's position, with the reason to go."""

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import log_in, shot, wait_synced
from tests.pwa.test_field_app import api, token

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_near_me_lists_the_accounts_around_the_rep_by_distance_with_reasons_offline(context, page, live_server):
    t = token(live_server, "rep1")
    accounts = api(live_server, "/api/accounts?per_page=500&overdue=true", t)["items"]
    target = next(a for a in accounts if a["latitude"] is not None and a["last_contact_at"] is not None)
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": target["latitude"], "longitude": target["longitude"], "accuracy": 15})
    log_in(page, "rep1")
    wait_synced(page)
    context.set_offline(True)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Near me").click()
    first = page.locator("#nearby-list li.nearby").first
    expect(first).to_have_attribute("data-account", target["id"])
    expect(first).to_contain_text("0.0 km · 0 min")
    expect(first).to_contain_text(f"Overdue: {target['days_since_contact']} days")
    expect(page.locator("#nearby-origin")).to_contain_text("GPS ±15 m")
    distances = [float(x.split(" km")[0]) for x in page.locator("#nearby-list li.nearby .muted").all_inner_texts()]
    assert distances == sorted(distances) and len(distances) > 5
    page.get_by_label("Reason to go").select_option("opportunity")
    assert page.locator("#nearby-list li.nearby").count() > 0  # the demo opens deals at about a third of its accounts
    for item in page.locator("#nearby-list li.nearby").all():
        expect(item).to_contain_text("Opportunity ")
    shot(page, "nearby")
    page.get_by_label("Reason to go").select_option("overdue")
    page.locator("#nearby-list li.nearby").first.get_by_role("link", name="Start a visit").click()
    page.wait_for_url(f"**/#/visit/new?account={target['id']}")
