"""Managers in the field, at 360x740 in English and Chinese: a manager's phone does not offer a new prospect, a new
visit or a booking on a rep's account (the server would refuse them: the phone reads what the server published at
login), and a rep records a visit with the manager going along (陪访), which the manager then reads on their phone
and finds in their own time on the Team screen."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server import clock
from tests.pwa.conftest import IDB_GET_META, idb_all, log_in, phone_context, shot, today_local, wait_synced
from tests.pwa.test_field_app import api, token
from tests.pwa.test_visit_loop import A

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

LOCALES = ["en-US", "zh-CN"]
WORDS = {
    "en-US": {
        "refused": "refused by the server: Not allowed for your role",
        "not_offered": "Visits are recorded by the rep who makes them",
        "joint": "Joint visit",
        "box": "陈经理 Manager Chen came along",
        "boxes": ["My manager Zhang Wei came along", "Manager Wang came along", "王经理 came along"],
        "you": "Joint visit: you went along",
        "read_only": "Only the rep who made this visit changes it.",
    },
    "zh-CN": {
        "refused": "服务器拒收 1 条记录：你的角色无此权限",
        "not_offered": "拜访由亲自拜访的销售记录",
        "joint": "陪访",
        "box": "陈经理 Manager Chen 陪访",
        "boxes": ["经理 Zhang Wei 陪访", "Manager Wang 陪访", "王经理 陪访"],
        "you": "陪访：您陪同了这次拜访",
        "read_only": "拜访只能由记录它的销售修改。",
    },
}


# How many lines the words of a checkbox's label take, beside the box.
ONE_LINE = """(el) => { const range = document.createRange(); range.setStartAfter(el.querySelector('input'));
  range.setEndAfter(el.lastChild);
  return new Set([...range.getClientRects()].filter((r) => r.width).map((r) => Math.round(r.top))).size; }"""


def sign_in(page, username):
    """Log in through the form in whichever language the phone speaks."""
    log_in(page, username, wait="#tabs a")


def rep_accounts(live_server):
    return api(live_server, "/api/accounts?per_page=500", token(live_server))["items"]


@pytest.fixture
def phone(browser, live_server):
    made = []

    def open_phone(locale):
        context = phone_context(browser, live_server.url, locale=locale, service_workers="allow")
        context.grant_permissions(["geolocation"])
        context.set_geolocation(A)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        made.append((context, errors))
        return page

    yield open_phone
    for context, errors in made:
        context.close()
        assert not errors, f"uncaught errors in the page: {errors}"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_managers_phone_offers_only_what_the_server_keeps(phone, live_server, locale):
    accounts = rep_accounts(live_server)
    account = accounts[0]  # rep1's
    # A visit rep1 recorded alone; the manager, who was there, says so from their phone.
    went = accounts[3 + LOCALES.index(locale)]
    began = clock.now() - timedelta(hours=2)
    visit = {
        "account_id": went["id"],
        "purpose": "Service review",
        "check_in_at": began.isoformat(),
        "check_out_at": (began + timedelta(minutes=30)).isoformat(),
    }
    visit_id = api(live_server, "/api/visits", token(live_server), body=visit)["id"]
    page = phone(locale)
    sign_in(page, "manager")
    wait_synced(page)
    page.goto(f"/#/visit/{visit_id}")
    expect(page.locator("#joint-line")).to_have_count(0)
    page.locator("#join-visit").click()
    expect(page.locator("#joint-line")).to_contain_text(WORDS[locale]["you"])
    expect(page.locator("#leave-visit")).to_be_visible()
    wait_synced(page)
    manager_id = api(live_server, "/api/auth/me", token(live_server, "manager"))["id"]
    assert api(live_server, f"/api/visits/{visit_id}", token(live_server))["accompanied_by"] == manager_id
    page.goto("/#/accounts")
    page.wait_for_selector("#account-list li")
    expect(page.locator("#new-prospect")).to_have_count(0)
    page.goto(f"/#/account/{account['id']}")
    expect(page.locator("h1")).to_contain_text(account["name"])
    # On a rep's account: no New visit, no booking; editing the account (which the server keeps) stays.
    expect(page.locator("#new-visit")).to_have_count(0)
    expect(page.locator("#book-appointment")).to_have_count(0)
    expect(page.locator(f"a[href='#/account/{account['id']}/edit']")).to_be_visible()
    shot(page, f"manager-account-{locale}")
    # A link kept from elsewhere says why instead of opening a form whose record would be refused.
    page.goto(f"/#/visit/new?account={account['id']}")
    expect(page.locator("#not-offered")).to_contain_text(WORDS[locale]["not_offered"])
    page.goto("/#/account/new")
    expect(page.locator("#not-offered")).to_be_visible()
    expect(page.locator("#record-form")).to_have_count(0)
    # A visit a manager's phone queued before the server said what it keeps (an older app offered New visit) is
    # still refused at sync, and never silently: the banner says so, in the phone's language, until dismissed.
    page.evaluate(
        """(account) => import('/js/db.js').then((db) => db.writeLocal('visit', 'create', db.uuid(),
        { account_id: account, purpose: 'Joint call', check_in_at: new Date().toISOString() }))""",
        account["id"],
    )
    expect(page.locator("#banner")).to_contain_text(WORDS[locale]["refused"])
    [refusal] = [r for r in page.evaluate(IDB_GET_META, "rejected") if r["entity"] == "visit"]
    assert refusal["reason"] == "forbidden" and "accompanying" in refusal["message"]
    wait_synced(page)
    assert not [v for v in idb_all(page, "visits") if v["purpose"] == "Joint call"]  # not kept as if stored
    page.locator("#dismiss-rejected").click()
    expect(page.locator("#banner")).to_be_hidden()
    # The rep's phone, from the same published rule, offers them all.
    rep = phone(locale)
    sign_in(rep, "rep1")
    wait_synced(rep)
    rep.goto(f"/#/account/{account['id']}")
    expect(rep.locator("#new-visit")).to_be_visible()
    expect(rep.locator("#book-appointment")).to_be_visible()
    rep.goto("/#/accounts")
    expect(rep.locator("#new-prospect")).to_be_visible()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rep_records_a_visit_with_the_manager_going_along(phone, live_server, locale):
    accounts = rep_accounts(live_server)
    account = accounts[1 + LOCALES.index(locale)]  # one account per language: each test's visit is its own
    rep = phone(locale)
    sign_in(rep, "rep1")
    wait_synced(rep)
    rep.goto(f"/#/visit/new?account={account['id']}")
    along = rep.locator("#accompanied")
    # The box names the manager and says "manager" once (the demo manager's name says it in both languages), in a
    # few words on one line at 360 px, as the Chinese one does ("... (my manager) went along: a joint visit" did not).
    box = rep.locator("label", has=along)
    expect(box).to_have_text(WORDS[locale]["box"])
    assert box.evaluate(ONE_LINE) == 1
    # A name that says "manager" in either language is not told so again, whichever language the phone speaks.
    said = rep.evaluate(
        """import('/js/views/visit.js').then((v) => [{ display_name: 'Zhang Wei' }, { username: 'Manager Wang' },
             { display_name: '王经理' }].map(v.accompaniedLabel))"""
    )
    assert said == WORDS[locale]["boxes"], said
    rep.locator("#purpose").fill("Demo with the manager")
    along.check()
    rep.locator("#check-in").click()
    rep.wait_for_selector("#visit-form")
    expect(rep.locator("#joint-line")).to_contain_text("陈经理 Manager Chen")
    expect(rep.locator("#visit-form #accompanied")).to_be_checked()
    rep.locator("#outcome").fill("Buyer wants a trial")
    # The next step's due date: not before the visit's day (said on the phone), then two days on.
    rep.locator("#next_step").fill("Send the trial terms")
    rep.locator("#next_step_due").fill((today_local() - timedelta(days=1)).isoformat())
    rep.locator("#save-visit").click()
    expect(rep.locator("#next-step-due-error")).to_contain_text(today_local().isoformat())
    due = (today_local() + timedelta(days=2)).isoformat()
    rep.locator("#next_step_due").fill(due)
    rep.locator("#check-out").click()
    rep.wait_for_selector("#check-out", state="detached")
    wait_synced(rep)
    rep.evaluate("document.getElementById('joint-line')?.scrollIntoView()")
    shot(rep, f"joint-visit-rep-{locale}")
    visit_id = rep.url.rsplit("/", 1)[-1]
    manager_id = api(live_server, "/api/auth/me", token(live_server, "manager"))["id"]
    stored = api(live_server, f"/api/visits/{visit_id}", token(live_server, "manager"))
    assert stored["accompanied_by"] == manager_id and stored["outcome"] == "Buyer wants a trial"
    assert (stored["next_step"], stored["next_step_due"]) == ("Send the trial terms", due)
    assert [v["accompanied_by"] for v in idb_all(rep, "visits") if v["id"] == visit_id] == [manager_id]
    day = today_local().isoformat()
    report = api(live_server, f"/api/reports/time-ratios?from={day}&to={day}", token(live_server, "manager"))
    [mine] = [m for m in report["extra"]["managers"] if m["user_id"] == manager_id]
    assert mine["joint_visits"] >= 1
    assert next(r for r in report["rows"] if r["username"] == "rep1")["joint_visits"] >= 1

    # The rep's daily report says who went along.
    rep.goto("/#/report")
    expect(rep.locator("[data-flag=joint]").first).to_contain_text("陈经理 Manager Chen")

    # The manager's phone reads the rep's visit (theirs to read, the rep's to change) ...
    manager = phone(locale)
    sign_in(manager, "manager")
    wait_synced(manager)
    manager.goto(f"/#/visit/{visit_id}")
    expect(manager.locator("#joint-line")).to_contain_text(WORDS[locale]["you"])
    expect(manager.locator("#visit-read")).to_contain_text("Buyer wants a trial")
    expect(manager.locator("#visit-read")).to_contain_text(due)
    expect(manager.locator("#visit-read")).to_contain_text(WORDS[locale]["read_only"])
    expect(manager.locator("#visit-form")).to_have_count(0)
    expect(manager.locator("#cancel-visit")).to_have_count(0)
    manager.goto(f"/#/account/{account['id']}")
    expect(manager.locator(f"a[href='#/visit/{visit_id}'] .tag.joint")).to_have_text(WORDS[locale]["joint"])
    # ... and finds the joint visit in their own time on the Team screen.
    manager.goto("/#/team")
    manager.wait_for_selector("#team-filters")
    manager.locator("#period").select_option("custom")
    manager.locator("#from").fill(day)
    manager.locator("#to").fill(day)
    manager.locator("#team-filters button[type=submit]").click()
    expect(manager.locator("#managers-time tbody tr").first).to_contain_text("陈经理 Manager Chen")
    # The screen may draw itself again as its reports arrive: scroll to whichever table is there now.
    manager.evaluate("document.getElementById('managers-time')?.scrollIntoView()")
    shot(manager, f"joint-visit-manager-{locale}")
