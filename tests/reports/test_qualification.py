"""The qualification lists on hand-built data, each answer worked out by hand: prospects undecided after
three visits, opportunities beyond the 180-day horizon, deals sitting at C for more than 30 days."""

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy
import pytest

from server.extensions import db
from server.models import Account, AccountReassignment, Opportunity, StageChange, Visit
from server.reports import coverage
from tests.records import writing
from tests.reports.test_reports_api import NOV, get

SH = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 12, 1, 0, 0, tzinfo=SH)  # the end of November, as the report counts it


def build(app, world):
    r1 = world.users["r1"]
    with writing(app):

        def account(name, visits, stage=None, status="open", close=None, at_c_since=None):
            a = Account(name=name, account_class="B", owner_id=r1, latitude=31.2, longitude=121.4)
            db.session.add(a)
            db.session.flush()
            for n in range(visits):
                db.session.add(
                    Visit(account_id=a.id, rep_id=r1, purpose="Call", check_in_at=END - timedelta(days=20 - n))
                )
            if stage:
                o = Opportunity(
                    account_id=a.id,
                    owner_id=r1,
                    title=f"Deal {name}",
                    stage=stage,
                    status=status,
                    expected_close=close,
                    opened_at=END - timedelta(days=60),
                    loss_reason="price" if status == "lost" else None,
                    closed_at=END - timedelta(days=5) if status != "open" else None,
                )
                db.session.add(o)
                db.session.flush()
                if at_c_since is not None:
                    db.session.add(
                        StageChange(opportunity_id=o.id, from_stage="D", to_stage="C", changed_at=END - at_c_since)
                    )
            return a

        account("Undecided P", 3, stage="P")  # 3 visits, still at P: undecided
        account("Undecided none", 4)  # 4 visits, no opportunity at all: undecided
        account("Decided A", 3, stage="A")  # reached A: judged
        account("Lost after 3", 3, stage="P", status="lost")  # judged (lost)
        account("Two visits", 2, stage="S")  # not yet three visits
        account("Far close", 0, stage="D", close=date(2027, 6, 1))  # 182 days after 1 Dec: beyond 180
        account("Near close", 0, stage="D", close=date(2027, 5, 29))  # 179 days: inside
        account("Stuck at C", 0, stage="C", at_c_since=timedelta(days=31))
        account("Fresh at C", 0, stage="C", at_c_since=timedelta(days=29))
        db.session.commit()


@pytest.mark.calendar
def test_the_three_lists_hold_exactly_what_the_rules_say(app, client, world):
    build(app, world)
    answer = get(client, world, "r1", f"/api/reports/qualification?{NOV}")
    extra = answer["extra"]
    assert sorted(i["name"] for i in extra["undecided_list"]) == ["Undecided P", "Undecided none"]
    assert [i["visits"] for i in sorted(extra["undecided_list"], key=lambda i: i["name"])] == [3, 4]
    assert [i["name"] for i in extra["beyond_horizon_list"]] == ["Far close"]
    assert [(i["name"], i["days_at_c"]) for i in extra["stale_at_c_list"]] == [("Stuck at C", 31)]
    row = next(r for r in answer["rows"] if r["username"] == "r1")
    assert (row["undecided"], row["beyond_horizon"], row["stale_at_c"]) == (2, 1, 1)
    assert extra["rules"] == {"judge_within_visits": 3, "horizon_days": 180, "c_stage_days": 30}
    # Ids as the rest of the API writes them (canonical UUIDs), whatever form the database reads them in.
    with writing(app):
        for item in (*extra["undecided_list"], *extra["beyond_horizon_list"], *extra["stale_at_c_list"]):
            assert item["account_id"] == str(uuid.UUID(item["account_id"]))
            assert db.session.get(Account, uuid.UUID(item["account_id"])).name == item["name"]
            assert item["rep_id"] == str(world.users["r1"]) and item["rep_name"]
        [far] = extra["beyond_horizon_list"]
        assert db.session.get(Opportunity, uuid.UUID(far["opportunity_id"])).title == "Deal Far close"
        assert far["opportunity_id"] == str(uuid.UUID(far["opportunity_id"]))


@pytest.mark.calendar
def test_the_lists_follow_the_callers_scope(app, client, world):
    build(app, world)
    assert (
        client.get(
            f"/api/reports/qualification?{NOV}&rep_id={world.users['r1']}", headers=world.headers("r2")
        ).status_code
        == 404
    )
    team = get(client, world, "m1", f"/api/reports/qualification?{NOV}")
    assert team["team"]["undecided"] >= 2 and {r["username"] for r in team["rows"]} == {"r1", "r2"}
    south = get(client, world, "m2", f"/api/reports/qualification?{NOV}")
    assert "Undecided P" not in {i["name"] for i in south["extra"]["undecided_list"]}
    csv = client.get(f"/api/reports/qualification?{NOV}&format=csv", headers=world.headers("r1"))
    assert csv.status_code == 200 and "undecided" in csv.get_data(as_text=True).splitlines()[0]


@pytest.mark.calendar
def test_hunting_and_farming_by_the_stage_each_visit_worked(app, client, world):
    """Four visits by r1 in the week of 16 November, counted by hand: one on a deal at D (hunting: a
    short-term order, as the method names it), one on the same deal before it reached D (farming: it stood
    at P then), one with no deal (farming), one the customer missed (neither)."""
    r1 = world.users["r1"]
    with writing(app):
        account = Account(name="Farm", account_class="A", owner_id=r1, latitude=31.2, longitude=121.4)
        db.session.add(account)
        db.session.flush()
        deal = Opportunity(
            account_id=account.id,
            owner_id=r1,
            title="Deal Farm",
            stage="D",
            status="open",
            opened_at=datetime(2026, 11, 1, tzinfo=SH),
        )
        db.session.add(deal)
        db.session.flush()
        db.session.add_all(
            [
                StageChange(
                    opportunity_id=deal.id, from_stage=None, to_stage="P", changed_at=datetime(2026, 11, 1, tzinfo=SH)
                ),
                StageChange(
                    opportunity_id=deal.id,
                    from_stage="P",
                    to_stage="D",
                    changed_at=datetime(2026, 11, 18, 12, tzinfo=SH),
                ),
                Visit(
                    account_id=account.id,
                    rep_id=r1,
                    purpose="Demo",
                    opportunity_id=deal.id,
                    check_in_at=datetime(2026, 11, 19, 10, tzinfo=SH),
                ),
                Visit(
                    account_id=account.id,
                    rep_id=r1,
                    purpose="Needs",
                    opportunity_id=deal.id,
                    check_in_at=datetime(2026, 11, 17, 10, tzinfo=SH),
                ),
                Visit(
                    account_id=account.id, rep_id=r1, purpose="Intro", check_in_at=datetime(2026, 11, 16, 10, tzinfo=SH)
                ),
                Visit(
                    account_id=account.id,
                    rep_id=r1,
                    purpose="Out",
                    met=False,
                    check_in_at=datetime(2026, 11, 20, 10, tzinfo=SH),
                ),
            ]
        )
        db.session.commit()
    answer = get(client, world, "r1", "/api/reports/hunting-farming?from=2026-11-16&to=2026-11-22")
    row = answer["rows"][0]
    assert (row["visits"], row["hunting"], row["farming"], row["farming_pct"]) == (3, 1, 2, 66.7)
    assert answer["extra"]["weeks"] == [{"week_start": "2026-11-16", "farming": 2, "hunting": 1}]
    assert answer["extra"]["hunting_stages"] == ["D", "C"]


@pytest.mark.calendar
def test_win_loss_by_stage_visits_man_class_and_reason(app, client, world):
    """Three deals r1 closed in November and one closed in October (left out), counted by hand."""
    r1 = world.users["r1"]
    closed = datetime(2026, 11, 20, 15, tzinfo=SH)
    with writing(app):

        def deal(name, account_class, stage, status, history, visits, man, reason=None, closed_at=closed):
            a = Account(name=name, account_class=account_class, owner_id=r1, latitude=31.2, longitude=121.4)
            db.session.add(a)
            db.session.flush()
            o = Opportunity(
                account_id=a.id,
                owner_id=r1,
                title=f"Deal {name}",
                stage=stage,
                status=status,
                opened_at=datetime(2026, 9, 1, tzinfo=SH),
                closed_at=closed_at,
                loss_reason=reason,
                man_money=man[0],
                man_authority=man[1],
                man_need=man[2],
            )
            db.session.add(o)
            db.session.flush()
            for n, s in enumerate(history):
                db.session.add(
                    StageChange(
                        opportunity_id=o.id,
                        from_stage=history[n - 1] if n else None,
                        to_stage=s,
                        changed_at=datetime(2026, 9, 1 + n, tzinfo=SH),
                    )
                )
            for n in range(visits):
                db.session.add(
                    Visit(account_id=a.id, rep_id=r1, purpose="Work", check_in_at=closed - timedelta(days=n + 1))
                )
            db.session.add(
                Visit(account_id=a.id, rep_id=r1, purpose="Out", met=False, check_in_at=closed - timedelta(days=30))
            )
            db.session.add(Visit(account_id=a.id, rep_id=r1, purpose="After", check_in_at=closed + timedelta(days=2)))

        deal("Won A", "A", "O", "won", "SPADCO", 4, (True, True, True))
        deal("Lost at D", "B", "D", "lost", "SPD", 1, (True, False, False), reason="price")
        deal("Lost at P", "B", "P", "lost", "SP", 0, (False, False, False), reason="decision_maker_absent")
        deal("October win", "C", "O", "won", "SO", 2, (True, True, False), closed_at=datetime(2026, 10, 20, tzinfo=SH))
        db.session.commit()
    answer = get(client, world, "r1", f"/api/reports/win-loss?{NOV}")
    row = answer["rows"][0]
    assert (row["won"], row["lost"], row["win_pct"]) == (1, 2, 33.3)
    extra = answer["extra"]
    assert extra["by_stage"] == [
        {"key": "P", "won": 0, "lost": 1, "win_pct": 0.0},
        {"key": "D", "won": 0, "lost": 1, "win_pct": 0.0},
        {"key": "O", "won": 1, "lost": 0, "win_pct": 100.0},
    ]
    assert {r["key"]: (r["won"], r["lost"]) for r in extra["by_visits"]} == {"0-2": (0, 2), "3-5": (1, 0)}
    assert {r["key"]: (r["won"], r["lost"]) for r in extra["by_man"]} == {"0/3": (0, 1), "1/3": (0, 1), "3/3": (1, 0)}
    assert {r["key"]: (r["won"], r["lost"]) for r in extra["by_class"]} == {"A": (1, 0), "B": (0, 2)}
    assert sorted((r["reason"], r["lost"]) for r in extra["loss_reasons"]) == [
        ("decision_maker_absent", 1),
        ("price", 1),
    ]


@pytest.mark.calendar
def test_coverage_of_new_accounts_and_of_the_cadence_week_by_week(app, client, world):
    """r1's November, by hand: three accounts taken within 90 days of the end, one seen; the A accounts
    (the world's, one new, one old) each week against the 7-day cadence."""
    r1 = world.users["r1"]
    with writing(app):

        def account(name, account_class, created, visits=(), met=True):
            a = Account(
                name=name, account_class=account_class, owner_id=r1, latitude=31.2, longitude=121.4, created_at=created
            )
            db.session.add(a)
            db.session.flush()
            for at in visits:
                db.session.add(Visit(account_id=a.id, rep_id=r1, purpose="See", met=met, check_in_at=at))

        account("New seen", "A", datetime(2026, 11, 1, tzinfo=SH), [datetime(2026, 11, 25, 10, tzinfo=SH)])
        account("New unseen", "B", datetime(2026, 11, 11, tzinfo=SH))
        account(
            "New not met", "C", datetime(2026, 11, 21, tzinfo=SH), [datetime(2026, 11, 25, 10, tzinfo=SH)], met=False
        )
        account("Old", "A", datetime(2026, 5, 1, tzinfo=SH), [datetime(2026, 11, 10, 10, tzinfo=SH)])
        # The world's account was on the books before November (an account added after it counts in none of its weeks).
        db.session.get(Account, world.accounts["r1"]).created_at = datetime(2026, 5, 1, tzinfo=SH)
        db.session.commit()
    answer = get(client, world, "r1", f"/api/reports/coverage?{NOV}")
    row = answer["rows"][0]
    assert (row["new_accounts"], row["new_visited"], row["new_coverage_pct"]) == (3, 1, 33.3)
    assert [i["name"] for i in answer["extra"]["unvisited_new"]] == ["New not met", "New unseen"]
    weeks = {w["week_start"]: (w["A_accounts"], w["A_covered"]) for w in answer["extra"]["weeks"]}
    assert weeks == {
        "2026-10-26": (3, 0),
        "2026-11-02": (3, 1),
        "2026-11-09": (3, 1),
        "2026-11-16": (3, 0),
        "2026-11-23": (3, 1),
        "2026-11-30": (3, 1),
    }


@pytest.mark.calendar
def test_coverage_counts_a_reassigned_account_from_the_day_the_rep_took_it(app, client, world):
    """Two old accounts moved from r2 to r1 in November: each is new to r1 from that day. r2's visit
    before the move does not cover it for r1; r1's visit after it does."""
    r1, r2 = world.users["r1"], world.users["r2"]
    with writing(app):

        def moved(name, on, visits):
            a = Account(
                name=name,
                account_class="B",
                owner_id=r1,
                latitude=31.2,
                longitude=121.4,
                created_at=datetime(2026, 3, 1, tzinfo=SH),
            )
            db.session.add(a)
            db.session.flush()
            db.session.add(AccountReassignment(account_id=a.id, from_owner_id=r2, to_owner_id=r1, at=on))
            for rep, at in visits:
                db.session.add(Visit(account_id=a.id, rep_id=rep, purpose="See", check_in_at=at))

        moved("Moved unseen", datetime(2026, 11, 10, 9, tzinfo=SH), [(r2, datetime(2026, 11, 5, 10, tzinfo=SH))])
        moved("Moved seen", datetime(2026, 11, 12, 9, tzinfo=SH), [(r1, datetime(2026, 11, 20, 10, tzinfo=SH))])
        db.session.commit()
    answer = get(client, world, "r1", f"/api/reports/coverage?{NOV}")
    row = answer["rows"][0]
    assert (row["new_accounts"], row["new_visited"], row["new_coverage_pct"]) == (2, 1, 50.0)
    [unseen] = answer["extra"]["unvisited_new"]
    assert (unseen["name"], unseen["taken_on"], unseen["account_class"]) == ("Moved unseen", "2026-11-10", "B")
    assert unseen["account_id"] == str(uuid.UUID(unseen["account_id"]))  # canonical, as the API writes ids
    with writing(app):
        assert db.session.get(Account, uuid.UUID(unseen["account_id"])).name == "Moved unseen"


@pytest.mark.calendar
def test_coverage_takes_an_account_from_its_latest_move_or_creation_within_the_90_days(app, client, world):
    """r1's November, by hand (the end: 1 December 00:00, so the 90 days start on 2 September): an old account
    moved to r1 in August is not new (taken before the 90 days); one created in October and moved to r1 on
    10 November is new from the move, unseen (its visit came before it); one created in October and moved to r1
    only after the end is new from its creation, as r1 held it then (by the history), seen on 5 November. Each
    counts once in its class's accounts."""
    r1, r2 = world.users["r1"], world.users["r2"]
    before = get(client, world, "r1", f"/api/reports/coverage?{NOV}")
    with writing(app):

        def account(name, account_class, created, owner, moves=(), visits=()):
            a = Account(
                name=name,
                account_class=account_class,
                owner_id=owner,
                latitude=31.2,
                longitude=121.4,
                created_at=created,
            )
            db.session.add(a)
            db.session.flush()
            for from_, to, on in moves:
                db.session.add(AccountReassignment(account_id=a.id, from_owner_id=from_, to_owner_id=to, at=on))
            for at in visits:
                db.session.add(Visit(account_id=a.id, rep_id=r1, purpose="See", check_in_at=at))

        account(
            "Moved in August", "A", datetime(2026, 1, 5, tzinfo=SH), r1, [(r2, r1, datetime(2026, 8, 20, tzinfo=SH))]
        )
        account(
            "Moved in November",
            "B",
            datetime(2026, 10, 2, tzinfo=SH),
            r1,
            [(r2, r1, datetime(2026, 11, 10, 9, tzinfo=SH))],
            [datetime(2026, 11, 3, 10, tzinfo=SH)],
        )
        account(
            "Moved after the end",
            "C",
            datetime(2026, 10, 6, 9, tzinfo=SH),
            r2,
            [(r1, r2, datetime(2026, 12, 3, 9, tzinfo=SH))],
            [datetime(2026, 11, 5, 10, tzinfo=SH)],
        )
        db.session.commit()
    answer = get(client, world, "r1", f"/api/reports/coverage?{NOV}")
    row, was = answer["rows"][0], before["rows"][0]
    assert (row["new_accounts"] - was["new_accounts"], row["new_visited"] - was["new_visited"]) == (2, 1)
    unvisited = {i["name"]: i for i in answer["extra"]["unvisited_new"]}
    assert set(unvisited) - {i["name"] for i in before["extra"]["unvisited_new"]} == {"Moved in November"}
    assert unvisited["Moved in November"]["taken_on"] == "2026-11-10"
    [week], [was_week] = answer["extra"]["weeks"][-1:], before["extra"]["weeks"][-1:]
    assert [week[f"{c}_accounts"] - was_week[f"{c}_accounts"] for c in "ABC"] == [1, 1, 1]


@pytest.mark.calendar
def test_coverage_week_by_week_at_the_edges_of_the_cadence(app, client, world):
    """r1's November, counted by hand: a met visit covers the weeks whose end comes after it and no more than
    the cadence after it. Four accounts added to the world's (weeks end on Mondays, 00:00 Shanghai):
    X (A, 7 days) seen at 00:00 on 9 November exactly, twice: not before that week's end, within 7 days of the
    next; Y (A) seen at 23:59:59 on 15 November: that week only; Z (C, 30 days) seen on 20 October (the ends
    to 19 November) and on 25 November (the last two ends); W (B) only a visit where the customer was absent and
    a cancelled one: never covered."""
    r1 = world.users["r1"]

    def weeks():
        answer = get(client, world, "r1", f"/api/reports/coverage?{NOV}")
        return {
            w["week_start"]: tuple(w[f"{c}_{k}"] for c in "ABC" for k in ("accounts", "covered"))
            for w in answer["extra"]["weeks"]
        }

    before = weeks()
    with writing(app):

        def account(name, account_class, *visits):
            a = Account(
                name=name,
                account_class=account_class,
                owner_id=r1,
                latitude=31.2,
                longitude=121.4,
                created_at=datetime(2026, 5, 1, tzinfo=SH),
            )
            db.session.add(a)
            db.session.flush()
            for at, extra in visits:
                db.session.add(Visit(account_id=a.id, rep_id=r1, purpose="See", check_in_at=at, **extra))

        monday = datetime(2026, 11, 9, tzinfo=SH)
        account("X", "A", (monday, {}), (monday, {}))
        account("Y", "A", (monday + timedelta(days=7) - timedelta(seconds=1), {}))
        account("Z", "C", (datetime(2026, 10, 20, 10, tzinfo=SH), {}), (datetime(2026, 11, 25, 10, tzinfo=SH), {}))
        cancelled = {"cancelled_at": datetime(2026, 11, 20, 11, tzinfo=SH), "cancel_reason": "Recorded twice"}
        account("W", "B", (datetime(2026, 11, 20, 10, tzinfo=SH), {"met": False}), (monday, cancelled))
        db.session.commit()
    after = weeks()
    added = {week: tuple(a - b for a, b in zip(after[week], before[week], strict=True)) for week in after}
    assert added == {
        # week: (A accounts, A covered, B accounts, B covered, C accounts, C covered)
        "2026-10-26": (2, 0, 1, 0, 1, 1),
        "2026-11-02": (2, 0, 1, 0, 1, 1),
        "2026-11-09": (2, 2, 1, 0, 1, 1),
        "2026-11-16": (2, 0, 1, 0, 1, 0),
        "2026-11-23": (2, 0, 1, 0, 1, 1),
        "2026-11-30": (2, 0, 1, 0, 1, 1),
    }


def test_coverage_puts_each_accounts_visits_in_time_order_in_whatever_order_they_come():
    """The database gives each account's visits in time order from its index, but SQL does not promise it:
    visits that come out of order are sorted within their account, and each gets its account's next."""
    account = numpy.array([0, 0, 0, 1, 1, 2])
    ordered, following = coverage._in_time_order(numpy.array([30.0, 10.0, 20.0, 7.0, 5.0, 1.0]), account)
    assert ordered.tolist() == [10.0, 20.0, 30.0, 5.0, 7.0, 1.0]
    assert following.tolist() == [20.0, 30.0, numpy.inf, 7.0, numpy.inf, numpy.inf]
    ordered, following = coverage._in_time_order(numpy.array([10.0, 20.0, 20.0, 5.0, 7.0, 1.0]), account)
    assert ordered.tolist() == [10.0, 20.0, 20.0, 5.0, 7.0, 1.0]
    assert following.tolist() == [20.0, 20.0, numpy.inf, 7.0, numpy.inf, numpy.inf]


@pytest.mark.calendar
def test_the_methods_ratios_from_the_weeks_records(app, client, world):
    """r1's week of 16 November, counted by hand: 5 calls (one cancelled visit left out), 3 of them met,
    at 3 accounts of which 2 met; one deal opened, demonstrated, proposed and won."""
    r1 = world.users["r1"]
    day = lambda d, h=10: datetime(2026, 11, d, h, tzinfo=SH)
    with writing(app):
        a1, a2, a3 = (Account(name=n, account_class="B", owner_id=r1, latitude=31.2, longitude=121.4) for n in "XYZ")
        db.session.add_all([a1, a2, a3])
        db.session.flush()
        db.session.add_all(
            [
                Visit(account_id=a1.id, rep_id=r1, purpose="1", check_in_at=day(16)),
                Visit(account_id=a1.id, rep_id=r1, purpose="2", check_in_at=day(17)),
                Visit(
                    account_id=a1.id,
                    rep_id=r1,
                    purpose="wrong",
                    check_in_at=day(17, 15),
                    cancelled_at=day(17, 16),
                    cancel_reason="Recorded twice",
                ),
                Visit(account_id=a2.id, rep_id=r1, purpose="3", check_in_at=day(18)),
                Visit(account_id=a2.id, rep_id=r1, purpose="4", met=False, check_in_at=day(19)),
                Visit(account_id=a3.id, rep_id=r1, purpose="5", met=False, check_in_at=day(20)),
            ]
        )
        deal = Opportunity(
            account_id=a1.id, owner_id=r1, title="Deal X", stage="O", status="won", opened_at=day(17), closed_at=day(20)
        )
        old = Opportunity(
            account_id=a2.id, owner_id=r1, title="Deal Y", stage="P", opened_at=datetime(2026, 10, 1, tzinfo=SH)
        )
        db.session.add_all([deal, old])
        db.session.flush()
        db.session.add_all(
            [
                StageChange(opportunity_id=deal.id, from_stage="A", to_stage="D", changed_at=day(18)),
                StageChange(opportunity_id=deal.id, from_stage="D", to_stage="C", changed_at=day(19)),
                StageChange(opportunity_id=deal.id, from_stage="C", to_stage="O", status="won", changed_at=day(20)),
            ]
        )
        db.session.commit()
    answer = get(client, world, "r1", "/api/reports/method-ratios?from=2026-11-16&to=2026-11-22")
    row = answer["rows"][0]
    assert {
        k: row[k]
        for k in (
            "calls",
            "meetings",
            "prospects",
            "met_visits",
            "demos",
            "orders",
            "contacted",
            "conversations",
            "proposals",
            "deals",
        )
    } == {
        "calls": 5,
        "meetings": 3,
        "prospects": 1,
        "met_visits": 3,
        "demos": 1,
        "orders": 1,
        "contacted": 3,
        "conversations": 2,
        "proposals": 1,
        "deals": 1,
    }
    assert (
        row["calls_to_meetings_pct"],
        row["meetings_to_prospects_pct"],
        row["met_visits_to_demos_pct"],
        row["demos_to_orders_pct"],
        row["contacted_to_conversations_pct"],
        row["conversations_to_proposals_pct"],
        row["proposals_to_deals_pct"],
    ) == (60.0, 33.3, 33.3, 100.0, 66.7, 50.0, 100.0)
    assert answer["extra"]["method"] == {
        "calls_to_meetings_pct": 30.0,
        "meetings_to_prospects_pct": 33.3,
        "met_visits_to_demos_pct": 20.0,
        "demos_to_orders_pct": 20.0,
        "contacted_to_conversations_pct": 33.3,
        "conversations_to_proposals_pct": 15.0,
        "proposals_to_deals_pct": 16.7,
    }
