"""The lists a manager works from, in the browser: the whole overdue list a page at a time and by rep (days
past the cadence), the accounts with their rep and a rep filter, and the targets as a grid of reps by months."""

import re
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from server.extensions import db
from server.models import Account
from tests.pwa.conftest import DESKTOP, PHONE, TZ, log_in, phone_context, shot, wait_synced
from tests.pwa.test_field_app import api, token
from tests.records import writing


def manager_page(browser, live_server, viewport=DESKTOP, locale="en-US"):
    context = phone_context(browser, live_server.url, viewport=viewport, locale=locale)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, "manager", wait=None)
    return context, page, errors


def add_unseen(live_server, rep_id, end, n):
    """`n` A accounts of the rep's, on the books 60 days before `end` and never visited."""
    with writing(live_server.app):
        on_books = datetime.combine(end - timedelta(days=60), time(9), ZoneInfo(TZ))
        db.session.add_all(
            Account(
                name=f"Unseen {i:02d}",
                account_class="A",
                owner_id=uuid.UUID(rep_id),
                latitude=31.2,
                longitude=121.4,
                created_at=on_books,
            )
            for i in range(n)
        )
        db.session.commit()
        db.session.remove()


def reps(live_server):
    t = token(live_server, "manager")
    return {u["username"]: u for u in api(live_server, "/api/users?role=rep", t)["items"]}, t


@pytest.mark.calendar
def test_the_overdue_list_pages_through_all_of_it_and_filters_by_rep(browser, live_server):
    context, page, errors = manager_page(browser, live_server)
    try:
        items = page.locator("#overdue-list li")
        expect(items.first).to_be_visible(timeout=30_000)
        shown = page.locator("#period-shown").inner_text()
        team, t = reps(live_server)
        start, end = page.locator("#from").input_value(), page.locator("#to").input_value()
        whole = api(live_server, f"/api/reports/overdue?from={start}&to={end}&per_page=25", t)
        if whole["total"] <= 25:  # the small demo's period holds fewer than a page: add A accounts unseen for 60 days
            add_unseen(live_server, team["rep1"]["id"], date.fromisoformat(end), 30 - whole["total"])
            page.locator("#team-filters button[type=submit]").click()
            whole = api(live_server, f"/api/reports/overdue?from={start}&to={end}&per_page=25", t)
        assert whole["total"] > 25
        expect(page.locator("#overdue-count")).to_have_text(
            f"{whole['total']} accounts past their cadence · page 1 of {whole['pages']}"
        )
        expect(items).to_have_count(25)
        # Most days past the cadence first, with the words of each figure.
        first = whole["items"][0]
        expect(items.first).to_contain_text(first["name"])
        expect(items.first).to_contain_text(f"{first['days_overdue']} days overdue")
        assert page.locator("#overdue-prev").is_disabled()
        page.locator("#overdue-next").click()
        expect(page.locator("#overdue-count")).to_contain_text("page 2 of")
        second = api(live_server, f"/api/reports/overdue?from={start}&to={end}&per_page=25&page=2", t)["items"]
        expect(items.first).to_contain_text(second[0]["name"])
        # One rep's accounts only, from page 1.
        rep2 = team["rep2"]
        page.locator("#overdue-rep").select_option(rep2["id"])
        expect(page.locator("#overdue-count")).to_contain_text("page 1 of")
        mine = api(live_server, f"/api/reports/overdue?from={start}&to={end}&rep_id={rep2['id']}&per_page=500", t)
        expect(page.locator("#overdue-count")).to_contain_text(f"{mine['total']} accounts")
        names = {rep2["display_name"]}
        for text in items.all_inner_texts():
            assert any(n in text for n in names), text
            assert "rep1" not in text
        assert shown  # the period the list is as of is on the screen
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.calendar
def test_a_managers_accounts_list_names_each_owner_and_filters_by_rep(browser, live_server):
    context, page, errors = manager_page(browser, live_server)
    try:
        page.wait_for_selector("#scorecard tbody tr")
        page.get_by_role("link", name="Accounts").click()
        team, _ = reps(live_server)
        rep1, rep2 = team["rep1"], team["rep2"]
        owner = page.get_by_label("Rep")
        expect(owner.locator("option")).to_have_count(3)  # any, rep1, rep2
        owners = page.locator("#account-list .owner")
        expect(owners.first).to_be_visible()
        assert set(owners.all_inner_texts()) == {rep1["display_name"], rep2["display_name"]}
        owner.select_option(rep2["id"])
        expect(page.locator("#account-count")).to_contain_text("of 40")
        assert set(owners.all_inner_texts()) == {rep2["display_name"]}
        shot(page, "accounts-by-rep")
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.calendar
def test_an_account_names_its_rep_to_a_manager_not_to_the_rep(browser, live_server):
    """A manager opening an account (from the overdue list, a daily report, a link) reads whose it is, in
    Chinese on a phone, before any list of accounts was opened; the rep, whose accounts are all their own, does not."""
    team, _ = reps(live_server)
    with live_server.app.app_context():
        account = db.session.query(Account).filter_by(owner_id=uuid.UUID(team["rep2"]["id"])).first()
        account_id, name = str(account.id), account.name
        db.session.remove()
    context, page, errors = manager_page(browser, live_server, viewport=PHONE, locale="zh-CN")
    try:
        wait_synced(page)  # the team's accounts are on this device
        page.goto(f"{live_server.url}/#/account/{account_id}")
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator("#account-owner")).to_have_text(f"销售：{team['rep2']['display_name']}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "account-owner-manager-phone-zh")
    finally:
        context.close()
    assert not errors, errors
    rep = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = rep.new_page()
        log_in(page, "rep2", wait=None)
        wait_synced(page)
        page.goto(f"{live_server.url}/#/account/{account_id}")
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator("#account-owner")).to_have_count(0)
    finally:
        rep.close()


@pytest.mark.calendar
def test_an_account_draws_before_the_reps_name_comes_and_fills_it_in(browser, live_server):
    """The owner not among the team's reps kept on the phone (no list fetched yet): the account draws at once and
    its rep's name follows when the server answers, not the other way round."""
    team, _ = reps(live_server)
    with live_server.app.app_context():
        account = db.session.query(Account).filter_by(owner_id=uuid.UUID(team["rep1"]["id"])).first()
        account_id, name = str(account.id), account.name
        db.session.remove()
    context, page, errors = manager_page(browser, live_server, viewport=PHONE)
    try:
        wait_synced(page)
        page.evaluate("import('/js/db.js').then((db) => db.setMeta('team_reps', []))")
        held = []
        context.route("**/api/users?role=rep*", lambda route: held.append(route))
        page.goto(f"{live_server.url}/#/account/{account_id}")
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator("#account-owner")).to_be_hidden()
        assert held, "the team's reps were never asked for"
        for route in held:
            route.continue_()
        expect(page.locator("#account-owner")).to_have_text(f"Rep: {team['rep1']['display_name']}")
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.calendar
def test_targets_are_a_grid_of_reps_by_months_typed_in_place(browser, live_server):
    context, page, errors = manager_page(browser, live_server, locale="zh-CN")
    try:
        grid = page.locator("#targets-grid")
        expect(grid.locator("tbody tr")).to_have_count(2, timeout=30_000)
        expect(grid.locator("thead th[data-month]")).to_have_count(3)
        picker = page.locator("#target-month")
        assert picker.get_attribute("type") == "month"
        first = picker.input_value()
        # Another month, picked: the grid moves to it; a target typed there is saved and shown at once.
        year, month = map(int, first.split("-"))
        later = f"{year + (month + 3 > 12)}-{(month + 2) % 12 + 1:02d}"
        picker.fill(later)
        picker.dispatch_event("change")
        expect(grid.locator("thead th[data-month]").first).to_have_attribute("data-month", later)
        team, t = reps(live_server)
        cell = grid.locator(f"tr[data-rep='{team['rep2']['id']}'] input[data-month='{later}']")
        cell.fill("￥1234567.5")
        cell.press("Tab")
        expect(page.locator("#targets-status")).to_contain_text("已保存")
        expect(page.locator("#targets-status")).to_contain_text("¥1,234,567.50")
        expect(cell).to_have_value("1,234,567.50")
        stored = api(live_server, f"/api/reports/targets?from={later}-01&to={later}-28&rep_id={team['rep2']['id']}", t)
        assert stored["rows"][0]["target"] == 1234567.5
        # A cell's label names the rep and the month, for a screen reader and for the test alike.
        label = page.locator(f"label[for='{cell.get_attribute('id')}']").text_content()
        assert team["rep2"]["display_name"] in label and re.search(r"\d{4}", label)
        shot(page, "targets-grid-zh")
    finally:
        context.close()
    assert not errors, errors
