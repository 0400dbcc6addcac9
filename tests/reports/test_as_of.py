"""A past period's reports as things stood at its end: work recorded after it changes none of its figures."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.models import Account, Opportunity, StageChange, Visit
from server.reports.registry import REPORTS
from tests.records import add_visits, writing

SH = ZoneInfo("Asia/Shanghai")
OCT = "from=2026-10-01&to=2026-10-31"


def at(month, day, hh=10):
    return datetime(2026, month, day, hh, tzinfo=SH)


def deal(account, owner, title, moves, amount=0, reason=None):
    """An opportunity with its stage history: moves are (instant, stage, status); the record ends as the last."""
    last_at, stage, status = moves[-1]
    closed = next((m for m, s in ((m[0], m[2]) for m in moves) if s == status), None) if status != "open" else None
    opp = Opportunity(
        account_id=account,
        owner_id=owner,
        title=title,
        stage=stage,
        status=status,
        amount=Decimal(amount),
        loss_reason=reason if status == "lost" else None,
        opened_at=moves[0][0],
        stage_changed_at=last_at,
        closed_at=closed,
    )
    previous = None
    for instant, to_stage, to_status in moves:
        opp.stage_changes.append(
            StageChange(from_stage=previous, to_stage=to_stage, status=to_status, changed_at=instant)
        )
        previous = to_stage
    return opp


@pytest.fixture
def october(app, world, clock):
    """r1's October, and what happened to the same deals in November, written on 3 December.

    acct1: V opened 20 Sep, D 25 Sep, C 28 Sep, won 3 Oct (10 000);
           X opened 5 Oct, P 12 Oct, A 20 Oct; after October: D 5 Nov, C 10 Nov, won 15 Nov.
    acct2: U opened 2 Oct, D 9 Oct, won 20 Oct (20 000); after October: back to C, open, 10 Nov;
           Y opened 6 Oct, P 15 Oct, lost on price 25 Oct.
    acct3: Z opened 8 Oct, P 18, A 22, D 26, C 28, won 30 Oct (40 000); W opened 3 Nov.
    Visits: 7 Oct acct1 met (working X), 21 Oct acct3 met (working Z), 23 Oct acct2 not met.
    """
    clock.set(at(12, 3))
    r1 = world.users["r1"]
    with writing(app):
        accounts = [Account(name=n, account_class="B", owner_id=r1, latitude=31.2, longitude=121.4) for n in "123"]
        db.session.add_all(accounts)
        db.session.flush()
        a1, a2, a3 = (a.id for a in accounts)
        x = deal(
            a1,
            r1,
            "X",
            [
                (at(10, 5), "S", "open"),
                (at(10, 12), "P", "open"),
                (at(10, 20), "A", "open"),
                (at(11, 5), "D", "open"),
                (at(11, 10), "C", "open"),
                (at(11, 15), "O", "won"),
            ],
        )
        z = deal(
            a3,
            r1,
            "Z",
            [
                (at(10, 8), "S", "open"),
                (at(10, 18), "P", "open"),
                (at(10, 22), "A", "open"),
                (at(10, 26), "D", "open"),
                (at(10, 28), "C", "open"),
                (at(10, 30), "O", "won"),
            ],
            amount=40000,
        )
        db.session.add_all(
            [
                deal(
                    a1,
                    r1,
                    "V",
                    [
                        (at(9, 20), "S", "open"),
                        (at(9, 25), "D", "open"),
                        (at(9, 28), "C", "open"),
                        (at(10, 3), "O", "won"),
                    ],
                    amount=10000,
                ),
                x,
                deal(
                    a2,
                    r1,
                    "U",
                    [
                        (at(10, 2), "S", "open"),
                        (at(10, 9), "D", "open"),
                        (at(10, 20), "O", "won"),
                        (at(11, 10), "C", "open"),
                    ],
                    amount=20000,
                ),
                deal(
                    a2,
                    r1,
                    "Y",
                    [(at(10, 6), "S", "open"), (at(10, 15), "P", "open"), (at(10, 25), "P", "lost")],
                    reason="price",
                ),
                z,
                deal(a3, r1, "W", [(at(11, 3), "S", "open")]),
            ]
        )
        db.session.flush()
        add_visits(
            Visit(
                account_id=a1,
                rep_id=r1,
                purpose="X",
                opportunity_id=x.id,
                check_in_at=at(10, 7),
                check_out_at=at(10, 7, 11),
            ),
            Visit(
                account_id=a3,
                rep_id=r1,
                purpose="Z",
                opportunity_id=z.id,
                check_in_at=at(10, 21),
                check_out_at=at(10, 21, 11),
            ),
            Visit(account_id=a2, rep_id=r1, purpose="Y", met=False, check_in_at=at(10, 23)),
        )
        db.session.commit()
        return {"accounts": (a1, a2, a3), "x": x.id, "z": z.id}


def get(client, world, who, path):
    response = client.get(path, headers=world.headers(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_octobers_funnel_counts_what_stood_at_its_end(client, world, october):
    row = get(client, world, "r1", f"/api/reports/funnel?{OCT}")["rows"][0]
    # V (closed 3 Oct), U, X, Y, Z; W was opened in November and the world's deal on 2 November.
    # Furthest by 31 Oct: V O, U O, X A (its D, C, O came in November), Y P, Z O.
    assert row["reached"] == {"S": 5, "P": 5, "A": 4, "D": 3, "C": 3, "O": 3}
    # Open at the end: X at A only (U was won then; it reopened at C on 10 November).
    assert row["open_by_stage"] == {"S": 0, "P": 0, "A": 1, "D": 0, "C": 0, "O": 0}
    # Closed in October: V, U and Z won (10 000 + 20 000 + 40 000), Y lost on price.
    assert (row["won"], row["lost"], row["won_amount"], row["win_rate_pct"]) == (3, 1, 70000.0, 75.0)
    assert row["loss_reasons"] == {"price": 1}
    # Days in S by 31 Oct: V 5, U 7, X 7, Y 9, Z 10: median 7; in A: Z 4 (X still there, not a stay).
    assert row["median_days_in_stage"]["S"] == 7.0 and row["median_days_in_stage"]["A"] == 4.0


def test_octobers_method_ratios_come_from_one_set_of_deals_and_never_pass_100(client, world, october):
    row = get(client, world, "r1", f"/api/reports/method-ratios?{OCT}")["rows"][0]
    # 3 calls, 2 met (acct1, acct3); acct2 was not met. Deals opened in October at the accounts met:
    # X at acct1 (at A on 31 Oct), Z at acct3 (won). U and Y (acct2, not met) and V (September) are out.
    counts = {k: row[k] for k in ("calls", "meetings", "prospects", "demos", "orders", "proposals", "deals")}
    assert counts == {"calls": 3, "meetings": 2, "prospects": 2, "demos": 1, "orders": 1, "proposals": 1, "deals": 1}
    assert (row["meetings_to_prospects_pct"], row["met_visits_to_demos_pct"], row["demos_to_orders_pct"]) == (
        100.0,
        50.0,
        100.0,
    )
    assert (row["conversations_to_proposals_pct"], row["proposals_to_deals_pct"]) == (50.0, 100.0)
    assert all(v is None or v <= 100 for k, v in row.items() if k.endswith("_pct"))


def test_octobers_win_loss_counts_the_deals_closed_then(client, world, october):
    answer = get(client, world, "r1", f"/api/reports/win-loss?{OCT}")
    # V, U, Z won (U reopened in November: still October's win), Y lost; X's win came in November.
    assert (answer["rows"][0]["won"], answer["rows"][0]["lost"]) == (3, 1)
    assert answer["extra"]["by_stage"] == [
        {"key": "P", "won": 0, "lost": 1, "win_pct": 0.0},
        {"key": "O", "won": 3, "lost": 0, "win_pct": 100.0},
    ]


def _every_figure(client, world):
    answers = {}
    for name in REPORTS:
        for who in ("r1", "m1"):
            answers[(name, who)] = get(client, world, who, f"/api/reports/{name}?{OCT}")
            if name != "targets":
                answers[(name, who, "csv")] = client.get(
                    f"/api/reports/{name}?{OCT}&format=csv", headers=world.headers(who)
                ).get_data(as_text=True)
    r1 = world.users["r1"]
    answers["weekly"] = get(client, world, "m1", f"/api/reports/weekly-review?week=2026-10-19&rep_id={r1}")
    answers["daily"] = get(client, world, "m1", f"/api/reports/daily?date=2026-10-21&rep_id={r1}")
    return answers


def test_work_recorded_after_october_changes_none_of_octobers_figures(client, world, october):
    before = _every_figure(client, world)
    h = world.headers("r1")
    a1, a2, a3 = (str(a) for a in october["accounts"])
    # November's work, written through the API on 3 December: visits, stage moves, a win and a loss,
    # a new deal opened in November.
    for account, day, met in ((a1, 4, True), (a2, 6, True), (a3, 9, False), (a2, 20, True)):
        visit = {"account_id": account, "purpose": "Nov", "met": met, "check_in_at": at(11, day).isoformat()}
        assert client.post("/api/visits", json=visit, headers=h).status_code == 201
    xs = client.get(f"/api/opportunities?account_id={a1}", headers=h).get_json()["items"]
    x_id = next(o["id"] for o in xs if o["title"] == "X")
    # X back to P and on to O again, all now; Z (won in October) moved back to C and lost.
    assert (
        client.patch(f"/api/opportunities/{x_id}", json={"stage": "P", "status": "open"}, headers=h).status_code == 200
    )
    assert client.patch(f"/api/opportunities/{x_id}", json={"stage": "O"}, headers=h).get_json()["status"] == "won"
    z = f"/api/opportunities/{october['z']}"
    assert client.patch(z, json={"stage": "C", "status": "open"}, headers=h).status_code == 200
    assert client.patch(z, json={"status": "lost", "loss_reason": "price"}, headers=h).status_code == 200
    body = {"account_id": a3, "title": "New", "stage": "D", "opened_at": at(11, 12).isoformat()}
    assert client.post("/api/opportunities", json=body, headers=h).status_code == 201
    after = _every_figure(client, world)
    changed = [key for key in before if before[key] != after[key]]
    assert changed == [], changed
    # The work did land where it belongs: November keeps X's win of 15 November (X was reopened and won
    # again on 3 December, when Z was lost); today's state says X won, Z lost.
    november = get(client, world, "r1", "/api/reports/funnel?from=2026-11-01&to=2026-11-30")["rows"][0]
    assert (november["won"], november["lost"]) == (1, 0)
    assert client.get(z, headers=h).get_json()["status"] == "lost"
