"""Reminders while the app is open, offline, in Chromium at 360x740 with the clock set: the leave-by banner
shows at the minute the team's setting says (from the server) and not a minute before; and the Me screen's
calendar feed: its private URL with Copy and a QR code, the feed it names parsed with `icalendar`."""

import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from server.notify.reminders import reminder_tag
from tests.pwa.conftest import TZ, log_in, phone_context, shot, start_live_server, today_local, wait_synced
from tests.pwa.test_field_app import api, token

CHECK = "async () => { const { checkReminders } = await import('/js/reminders.js'); await checkReminders(); }"


def patch(live_server, path, tok, body):
    import json

    request = urllib.request.Request(
        live_server.url + path,
        method="PATCH",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {tok}"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def browser_now(page):
    return datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, ZoneInfo(TZ))


def log_in_at(browser, live_server, at, username="rep1"):
    context = phone_context(browser, live_server.url, at=at)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, username)
    wait_synced(page)
    return context, page, errors


@pytest.mark.calendar
def test_the_leave_by_banner_shows_at_the_teams_minute_offline(browser, live_server):
    rep = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", rep)["id"]
    # The minutes come from the team's settings on the server: the manager makes them 7.
    boss = token(live_server, "manager")
    team = api(live_server, "/api/settings", boss)["team_id"]
    assert (
        patch(live_server, f"/api/teams/{team}/settings", boss, {"leave_reminder_minutes": 7})["leave_reminder_minutes"]
        == 7
    )
    stops = sorted(api(live_server, f"/api/routes/{me}/{today_local()}", rep)["stops"], key=lambda s: s["position"])
    first = stops[0]
    leave_by = datetime.fromisoformat(first["planned_arrival"]) - timedelta(minutes=first["travel_minutes"])
    remind_at = leave_by - timedelta(minutes=7)
    names = {a["id"]: a["name"] for a in api(live_server, "/api/accounts?per_page=500", rep)["items"]}
    context, page, errors = log_in_at(browser, live_server, remind_at - timedelta(minutes=3))
    try:
        context.set_offline(True)
        banner = page.locator("#reminder-banner")
        leave = banner.locator("[data-reminder=leave]")
        # A minute before the reminder's minute: nothing yet.
        page.clock.fast_forward(int((remind_at - timedelta(minutes=1) - browser_now(page)).total_seconds() * 1000))
        page.evaluate(CHECK)
        expect(leave).to_have_count(0)
        # At the minute: the banner, with the leave-by time Today shows for the stop.
        page.clock.fast_forward(int((remind_at - browser_now(page)).total_seconds() * 1000) + 1000)
        page.evaluate(CHECK)
        hhmm = leave_by.astimezone(ZoneInfo(TZ)).strftime("%H:%M")
        arrive = datetime.fromisoformat(first["planned_arrival"]).astimezone(ZoneInfo(TZ)).strftime("%H:%M")
        expect(leave).to_contain_text(f"Leave by {hhmm} for stop 1, {names[first['account_id']]} (arrive {arrive}).")
        expect(banner).to_be_visible()
        page.get_by_role("link", name="Today").click()
        expect(page.locator("#next-leave")).to_have_text(f"Leave by {hhmm} · arrive {arrive}")
        shot(page, "reminder-leave-by")
        # The timer alone (no one asks) keeps it there; dismissed, it stays away.
        page.clock.run_for(20_000)
        expect(leave).to_have_count(1)
        # Still there once the leave-by time has gone by (halfway to the planned arrival): it says leave now and when
        # that gets there, no time gone by.
        if first["travel_minutes"]:
            late = leave_by + timedelta(seconds=first["travel_minutes"] * 30)
            page.clock.fast_forward(int((late - browser_now(page)).total_seconds() * 1000))
            page.evaluate(CHECK)
            there = {
                (late + timedelta(minutes=first["travel_minutes"] + n)).astimezone(ZoneInfo(TZ)).strftime("%H:%M")
                for n in (0, 1)
            }
            said = leave.inner_text()
            name = names[first["account_id"]]
            assert any(f"Leave now for stop 1, {name} (there about {t})." in said for t in there), said
        leave.get_by_role("button", name="Dismiss").click()
        expect(leave).to_have_count(0)
        page.evaluate(CHECK)
        expect(leave).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_allowed_notifications_carry_the_reminder_instead_of_the_banner(browser, live_server):
    rep = token(live_server, "rep1")
    me = api(live_server, "/api/auth/me", rep)["id"]
    first = min(api(live_server, f"/api/routes/{me}/{today_local()}", rep)["stops"], key=lambda s: s["position"])
    leave_by = datetime.fromisoformat(first["planned_arrival"]) - timedelta(minutes=first["travel_minutes"])
    minutes = api(live_server, "/api/settings", rep)["leave_reminder_minutes"]
    context, page, errors = log_in_at(browser, live_server, leave_by - timedelta(minutes=minutes, seconds=-30))
    try:
        context.grant_permissions(["notifications"], origin=live_server.url)
        page.goto("/#/me")
        expect(page.locator("#reminders-state")).to_have_attribute("data-state", "granted")
        context.set_offline(True)
        page.evaluate(CHECK)
        seen = page.evaluate(
            "async () => { const { getMeta } = await import('/js/db.js'); return getMeta('reminders_seen', {}); }"
        )
        key = next(k for k in seen if k.startswith(f"leave:{first['account_id']}:"))
        assert seen[key] == "notified"
        # Its notification's tag is the one the server's pushed reminder of the same leave-by has: one, not two.
        assert key == reminder_tag("leave", first["account_id"], leave_by)
        expect(page.locator("#reminder-banner [data-reminder=leave]")).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_the_me_screen_shows_the_calendar_feed_with_copy_and_qr(browser, live_server):
    context, page, errors = log_in_at(browser, live_server, None)
    try:
        page.goto("/#/me")
        expect(page.locator("#reminders-state")).to_have_attribute("data-state", "default")
        page.get_by_role("button", name="Make my calendar link").click()
        url = page.locator("#calendar-url")
        expect(url).not_to_have_value("")
        feed_url = url.input_value()
        assert feed_url.startswith(f"{live_server.url}/api/calendar/") and feed_url.endswith(".ics")
        expect(page.locator("#calendar-qr svg path")).to_have_count(1)
        page.get_by_role("button", name="Copy").click()
        expect(page.locator("#calendar-copied")).to_have_text("Copied.")
        page.locator("#calendar-card").scroll_into_view_if_needed()
        shot(page, "me-calendar-feed")
        page.locator("#reminders-card").scroll_into_view_if_needed()
        minutes = api(live_server, "/api/settings", token(live_server, "rep1"))["leave_reminder_minutes"]
        expect(page.locator("#reminders-card")).to_contain_text(
            f"{minutes} min before you should leave for the next stop"
        )
        shot(page, "me-reminders")
        # The URL is the rep's own plan as a calendar.
        with urllib.request.urlopen(feed_url) as response:
            cal = icalendar.Calendar.from_ical(response.read())
        rep = token(live_server, "rep1")
        me = api(live_server, "/api/auth/me", rep)["id"]
        stops = api(live_server, f"/api/routes/{me}/{today_local()}", rep)["stops"]
        names = {a["id"]: a["name"] for a in api(live_server, "/api/accounts?per_page=500", rep)["items"]}
        summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
        assert {names[s["account_id"]] for s in stops} <= summaries
        assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == [TZ]
        # Shown again (another visit of the screen): the same URL, kept on the phone; stopped, it answers 404.
        page.goto("/#/today")
        page.goto("/#/me")
        expect(page.locator("#calendar-url")).to_have_value(feed_url)
        # In Chinese (the app's first language) the same card.
        page.locator("#lang-switch").click()
        expect(page.locator("#calendar-card h2")).to_have_text("手机日历中的行程")
        expect(page.get_by_role("button", name="复制")).to_be_visible()
        page.locator("#calendar-card").scroll_into_view_if_needed()
        shot(page, "me-calendar-feed-zh")
        page.locator("#lang-switch").click()
        page.get_by_role("button", name="Stop this link").click()
        expect(page.get_by_role("button", name="Make my calendar link")).to_be_visible()
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(feed_url)
        gone.value.close()
        assert gone.value.code == 404
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_an_appointment_downloads_as_ics_and_is_announced_at_the_teams_minute_offline(browser, live_server):
    rep = token(live_server, "rep1")
    account = api(live_server, "/api/accounts?per_page=500", rep)["items"][5]
    starts = datetime.combine(today_local(), datetime.min.time(), ZoneInfo(TZ)).replace(hour=16)
    body = {
        "account_id": account["id"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=45)).isoformat(),
        "purpose": "Sign the contract",
    }
    appointment = api(live_server, "/api/appointments", rep, body)
    minutes = api(live_server, "/api/settings", rep)["appointment_reminder_minutes"]
    remind_at = starts - timedelta(minutes=minutes)
    context, page, errors = log_in_at(browser, live_server, remind_at - timedelta(minutes=3))
    try:
        # The appointment's form downloads it as a .ics file (online).
        page.goto(f"/#/appointment/{appointment['id']}")
        with page.expect_download() as download:
            page.get_by_role("button", name="Add to my calendar (.ics)").click()
        cal = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
        (event,) = cal.walk("VEVENT")
        assert str(event["UID"]) == f"appointment-{appointment['id']}@fieldday"
        assert str(event["SUMMARY"]) == account["name"] and event.DTSTART == starts
        assert "Sign the contract" in str(event["DESCRIPTION"])
        context.set_offline(True)
        soon = page.locator("#reminder-banner [data-reminder=appointment]")
        page.clock.fast_forward(int((remind_at - timedelta(minutes=1) - browser_now(page)).total_seconds() * 1000))
        page.evaluate(CHECK)
        expect(soon).to_have_count(0)
        page.clock.fast_forward(int((remind_at - browser_now(page)).total_seconds() * 1000) + 1000)
        page.evaluate(CHECK)
        expect(soon).to_contain_text(f"Appointment at 16:00 with {account['name']}, in {minutes} min.")
        shot(page, "reminder-appointment-soon")
        # Once it has started, the reminder goes by itself.
        page.clock.fast_forward(int((starts - browser_now(page)).total_seconds() * 1000) + 1000)
        page.evaluate(CHECK)
        expect(soon).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.calendar
def test_a_stop_reassigned_away_is_not_reminded_of_the_reps_next_stop_is(browser, tmp_path):
    """The phone's leave-by reminder, as the server's, and Today: a stop at an account given to another rep since the
    plan was made is no longer on the phone and not the rep's to visit; the next stop is the rep's own after it."""
    import json

    from server.extensions import db
    from server.models import User

    server = start_live_server(tmp_path, today_local())
    context = None
    try:
        rep = token(server, "rep1")
        me = api(server, "/api/auth/me", rep)["id"]
        stops = sorted(api(server, f"/api/routes/{me}/{today_local()}", rep)["stops"], key=lambda s: s["position"])
        first, second = stops[0], stops[1]
        assert first["appointment_id"] is None
        names = {a["id"]: a["name"] for a in api(server, "/api/accounts?per_page=500", rep)["items"]}
        with server.app.app_context():
            rep2 = str(db.session.scalar(db.select(User.id).where(User.username == "rep2")))
            db.session.remove()
        request = urllib.request.Request(
            f"{server.url}/api/accounts/{first['account_id']}",
            method="PATCH",
            data=json.dumps({"owner_id": rep2}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token(server, 'manager')}"},
        )
        with urllib.request.urlopen(request) as response:
            assert json.loads(response.read())["owner_id"] == rep2
        minutes = api(server, "/api/settings", rep)["leave_reminder_minutes"]

        def leave_by(stop):
            return datetime.fromisoformat(stop["planned_arrival"]) - timedelta(minutes=stop["travel_minutes"])

        context, page, errors = log_in_at(browser, server, leave_by(first) - timedelta(minutes=minutes + 2))
        context.set_offline(True)
        leave = page.locator("#reminder-banner [data-reminder=leave]")
        # The first stop's minute: nothing, for an account the rep no longer holds (before: "stop 1, ?").
        page.clock.fast_forward(
            int((leave_by(first) - timedelta(minutes=minutes) - browser_now(page)).total_seconds() * 1000) + 1000
        )
        page.evaluate(CHECK)
        expect(leave).to_have_count(0)
        # The next stop of the rep's own, at its minute.
        if leave_by(second) - timedelta(minutes=minutes) > browser_now(page):
            page.clock.fast_forward(
                int((leave_by(second) - timedelta(minutes=minutes) - browser_now(page)).total_seconds() * 1000) + 1000
            )
        page.evaluate(CHECK)
        expect(leave).to_contain_text(f"for stop 2, {names[second['account_id']]}")
        # Today names the same next stop (before: "1. ?", with a Visit button for an account not on the phone).
        page.get_by_role("link", name="Today").click()
        expect(page.locator("#next-up")).to_have_attribute("data-account", second["account_id"])
        assert not errors, errors
    finally:
        if context is not None:
            context.close()
        server.stop()
