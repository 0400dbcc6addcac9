"""A past period's reports take each account (and its deals) as its holder and its class stood at the period's
end: accounts reassigned, handed over by a deactivation and re-classed after October change none of
October's figures, while the period that holds the changes reads them."""

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Account, AccountClassChange, AccountReassignment, User, Visit
from tests.records import add_visits, writing
from tests.reports import test_as_of as base
from tests.sync.phone import Phone

OCT = base.OCT
DEC = "from=2026-12-01&to=2026-12-31"
at, get = base.at, base.get
october = base.october  # r1's October (tests/reports/test_as_of.py): accounts 1-3, class B, their deals and visits


@pytest.fixture
def leaver(app, world, october, clock):
    """A fourth rep of North, r4, who held account 4 (class A) all October: visited on 6 October, a deal won
    on 16 October (5 000). Accounts 1-4 were all taken on 1 September."""
    with writing(app):
        for account in october["accounts"]:
            db.session.get(Account, account).created_at = at(9, 1)
        r4 = User(
            username="r4",
            password_hash="x",
            role="rep",
            team_id=db.session.get(User, world.users["r1"]).team_id,
            created_at=at(9, 1),
        )
        db.session.add(r4)
        db.session.flush()
        a4 = Account(name="4", account_class="A", owner_id=r4.id, latitude=31.2, longitude=121.4, created_at=at(9, 1))
        db.session.add(a4)
        db.session.flush()
        won = base.deal(a4.id, r4.id, "Q", [(at(10, 2), "S", "open"), (at(10, 16), "O", "won")], amount=5000)
        db.session.add(won)
        add_visits(Visit(account_id=a4.id, rep_id=r4.id, purpose="Q", check_in_at=at(10, 6)))
        db.session.commit()
        return {"r4": r4.id, "a4": a4.id}


def _figures(client, world, r4):
    """Every report of the registry for October (team and each rep, JSON and CSV), and the overdue list."""
    answers = base._every_figure(client, world)
    for name in base.REPORTS:
        answers[(name, "r4")] = get(client, world, "m1", f"/api/reports/{name}?{OCT}&rep_id={r4}")
    answers["overdue"] = get(client, world, "m1", f"/api/reports/overdue?{OCT}&per_page=100")
    answers["weekly r4"] = get(client, world, "m1", f"/api/reports/weekly-review?week=2026-10-12&rep_id={r4}")
    answers["daily r4"] = get(client, world, "m1", f"/api/reports/daily?date=2026-10-16&rep_id={r4}")
    return answers


def _cadence(client, world, days):
    with writing(client.application):
        north = db.session.get(User, world.users["r1"]).team_id
    response = client.patch(f"/api/teams/{north}/settings", json={"cadence_days": days}, headers=world.headers("m1"))
    assert response.status_code == 200, response.get_json()


def _patch(client, world, who, account, body):
    response = client.patch(f"/api/accounts/{account}", json=body, headers=world.headers(who))
    assert response.status_code == 200, response.get_json()


def test_accounts_reassigned_handed_over_and_reclassed_after_october_change_none_of_octobers_figures(
    app, client, world, october, leaver
):
    a1, a2, a3 = (str(a) for a in october["accounts"])
    r1, r2, r4 = (str(world.users["r1"]), str(world.users["r2"]), str(leaver["r4"]))
    before = _figures(client, world, r4)
    # Octobers that the changes below would move: r1 holds accounts 1-3 with their deals, r4 account 4.
    assert before[("win-loss", "r1")]["rows"][0]["won"] == 3
    assert before[("win-loss", "r4")]["rows"][0]["won"] == 1
    assert before[("win-loss", "m1")]["extra"]["by_class"] == [
        {"key": "A", "won": 1, "lost": 0, "win_pct": 100.0},
        {"key": "B", "won": 3, "lost": 1, "win_pct": 75.0},
    ]
    cadence = {row["username"]: row for row in before[("cadence", "m1")]["rows"]}
    assert (cadence["r1"]["B_total"], cadence["r1"]["A_total"], cadence["r4"]["A_total"]) == (3, 0, 1)
    # Account 1 (seen 7 October) and account 2 (never met) are past 14 days on 31 October; account 3 is not.
    assert cadence["r1"]["B_overdue"] == 2
    # On 3 December: account 1 to r2 and to class A in one PATCH, account 2 to class C, account 3 to
    # class A from r1's phone, r4 deactivated with account 4 handed over to r1.
    _patch(client, world, "m1", a1, {"owner_id": r2, "account_class": "A"})
    _patch(client, world, "m1", a2, {"account_class": "C"})
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    version = phone.store[("account", a3)]["version"]
    phone.queue("account", "update", a3, {"account_class": "A"}, base_version=version)
    pushed = phone.push()
    assert pushed.status_code == 200 and pushed.get_json()["results"][0]["status"] == "applied", pushed.get_json()
    handed = client.post(f"/api/users/{r4}/deactivate", json={"hand_over_to": r1}, headers=world.headers("m1"))
    assert handed.status_code == 200, handed.get_json()
    # And North's cadence shortened (B from 14 to 5 days: account 3, seen on 21 October, was not overdue
    # on 31 October by the days of then).
    _cadence(client, world, {"A": 3, "B": 5, "C": 60})
    with writing(app):
        assert db.session.get(Account, october["accounts"][0]).owner_id == world.users["r2"]
        assert db.session.get(Account, leaver["a4"]).owner_id == world.users["r1"]
        classes = db.session.execute(
            select(AccountClassChange.account_id, AccountClassChange.from_class, AccountClassChange.to_class)
        ).all()
        assert sorted((str(a), f, t) for a, f, t in classes) == sorted([(a1, "B", "A"), (a2, "B", "C"), (a3, "B", "A")])
        assert db.session.scalar(select(AccountReassignment.id).where(AccountReassignment.account_id == leaver["a4"]))
    after = _figures(client, world, r4)
    changed = [key for key in before if before[key] != after[key]]
    assert changed == [], changed


def test_the_period_holding_the_changes_reads_the_new_holder_and_class(app, client, world, october, leaver):
    a1 = str(october["accounts"][0])
    r2 = str(world.users["r2"])
    december = get(client, world, "m1", f"/api/reports/cadence?{DEC}")
    rows = {row["username"]: row for row in december["rows"]}
    assert (rows["r1"]["B_total"], rows["r2"]["A_total"]) == (3, 0)
    _patch(client, world, "m1", a1, {"owner_id": r2, "account_class": "A"})
    _cadence(client, world, {"A": 3, "B": 5, "C": 60})
    december = get(client, world, "m1", f"/api/reports/cadence?{DEC}")
    rows = {row["username"]: row for row in december["rows"]}
    # Account 1 is r2's and of class A now: December (to today) reads it so, October does not.
    assert (rows["r1"]["B_total"], rows["r2"]["A_total"], rows["r2"]["B_total"]) == (2, 1, 0)
    listed = {o["account_id"]: o for o in december["extra"]["overdue_accounts"]}
    assert (listed[a1]["rep_id"], listed[a1]["account_class"], listed[a1]["cadence_days"]) == (r2, "A", 3)
    assert {o["cadence_days"] for o in listed.values() if o["account_class"] == "B"} == {5}
    # X (acct 1) was won on 15 November by r1: November's win-loss is r1's now that r2 holds it, December's
    # pipeline counts acct 1's deals for r2.
    november = get(client, world, "m1", "/api/reports/win-loss?from=2026-11-01&to=2026-11-30")
    assert {row["username"]: row["won"] for row in november["rows"]} == {"r1": 1, "r2": 0, "r4": 0}
    funnel = get(client, world, "m1", f"/api/reports/funnel?{DEC}")
    # r2 holds X (won in November, so not in December's funnel) and V (won in October): neither counts in
    # December; r1's W (opened 3 November, acct 3) stays r1's.
    reached = {row["username"]: row["reached"]["S"] for row in funnel["rows"]}
    assert reached["r2"] == 1 and reached["r1"] >= 1, reached  # r2: the world's Deal r2
    oct_cadence = get(client, world, "m1", f"/api/reports/cadence?{OCT}")
    rows = {row["username"]: row for row in oct_cadence["rows"]}
    assert (rows["r1"]["B_total"], rows["r2"]["A_total"], rows["r1"]["B_overdue"]) == (3, 0, 2)
    assert {o["cadence_days"] for o in oct_cadence["extra"]["overdue_accounts"]} == {14, 7}
