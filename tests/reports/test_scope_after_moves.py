"""What a rep reads after a deal leaves their territory, through either move a manager makes: the account
reassigned to another rep, or the opportunity moved to another rep's account. The record, the phones, the
daily report, the funnel and the exports all say the same: the deal is the new holder's, and the old
rep keeps nothing of it (only their own visits, as sync/PROTOCOL.md says)."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.sync.phone import Phone

SH = ZoneInfo("Asia/Shanghai")
TODAY = "2026-11-10"
NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def tuesday(clock):
    clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=SH))


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _daily(client, world, rep):
    report = _ok(client.get(f"/api/reports/daily?date={TODAY}", headers=world.headers(rep)))["reports"][0]
    return report["stage_moves"] + report["new_opportunities"]


def _export(client, world, rep, kind, query=""):
    return json.dumps(_ok(client.get(f"/api/exports/{kind}?format=json&{query}", headers=world.headers(rep))))


def _funnel_reached(client, world, rep):
    rows = _ok(client.get(f"/api/reports/funnel?{NOV}", headers=world.headers(rep)))["rows"]
    return rows[0]["reached"]["S"]


def _stage_to_a(client, world, rep, opportunity):
    _ok(client.patch(f"/api/opportunities/{opportunity}", json={"stage": "A"}, headers=world.headers(rep)))


def _left_rep1(client, world, opportunity, phone, account):
    """Everything rep1 reads now leaves the deal out; rep2 has it, with its move of today."""
    assert client.get(f"/api/opportunities/{opportunity}", headers=world.headers("r1")).status_code == 404
    assert _daily(client, world, "r1") == []
    moves = _daily(client, world, "r2")
    assert [(m["title"], m["account"], m["to"]) for m in moves if m["title"] == "Deal r1"] == [
        ("Deal r1", account, "A")
    ]
    assert _funnel_reached(client, world, "r1") == 0 and _funnel_reached(client, world, "r2") == 2
    assert opportunity not in _export(client, world, "r1", "opportunities", NOV)
    assert opportunity in _export(client, world, "r2", "opportunities", NOV)
    mine = _ok(
        client.get(f"/api/exports/opportunities?format=json&rep_id={world.users['r1']}", headers=world.headers("m1"))
    )
    assert opportunity not in json.dumps(mine)
    # rep1's phone drops the deal; rep2's holds it on rep2's account.
    phone.pull()
    assert opportunity not in phone.ids("opportunity")


@pytest.mark.usefixtures("tuesday")
def test_a_reassigned_accounts_deal_leaves_no_trail_with_the_old_rep(app, client, world):
    phone = Phone(client, world.headers("r1"))
    phone.pull()
    opportunity = str(world.opportunities["r1"])
    assert opportunity in phone.ids("opportunity")
    _ok(
        client.patch(
            f"/api/accounts/{world.accounts['r1']}",
            json={"owner_id": str(world.users["r2"])},
            headers=world.headers("m1"),
        )
    )
    record = _ok(client.get(f"/api/opportunities/{opportunity}", headers=world.headers("r2")))
    assert record["owner_id"] == str(world.users["r2"])
    _stage_to_a(client, world, "r2", opportunity)
    _left_rep1(client, world, opportunity, phone, "Account of r1")
    assert str(world.accounts["r1"]) not in _export(client, world, "r1", "accounts")
    assert str(world.contacts["r1"]) not in _export(client, world, "r1", "contacts")
    # Their own visit to the account stays theirs (PROTOCOL.md: a rep keeps their own visits).
    assert str(world.visits["r1"]) in _export(client, world, "r1", "visits", NOV)


@pytest.mark.usefixtures("tuesday")
def test_a_deal_moved_to_another_reps_account_takes_its_owner(app, client, world):
    phone, theirs = Phone(client, world.headers("r1")), Phone(client, world.headers("r2"))
    phone.pull()
    theirs.pull()
    opportunity = str(world.opportunities["r1"])
    url = f"/api/opportunities/{opportunity}"
    to_r2 = {"account_id": str(world.accounts["r2"])}
    # Refused (404, as a record not theirs is) where the caller may not write: a rep onto another's
    # account, a manager onto another team's account or for another team's deal.
    assert client.patch(url, json=to_r2, headers=world.headers("r1")).status_code == 404
    assert (
        client.patch(url, json={"account_id": str(world.accounts["r3"])}, headers=world.headers("m1")).status_code
        == 404
    )
    assert client.patch(url, json=to_r2, headers=world.headers("m2")).status_code == 404
    for bad in ("not-a-uuid", None, 7):
        refused = client.patch(url, json={"account_id": bad}, headers=world.headers("m1"))
        assert refused.status_code == 422, refused.get_json()
    assert _ok(client.get(url, headers=world.headers("r1")))["owner_id"] == str(world.users["r1"])

    moved = _ok(client.patch(url, json=to_r2, headers=world.headers("m1")))
    assert (moved["account_id"], moved["owner_id"]) == (str(world.accounts["r2"]), str(world.users["r2"]))
    assert _ok(client.get(url, headers=world.headers("r2")))["owner_id"] == str(world.users["r2"])
    _stage_to_a(client, world, "r2", opportunity)
    _left_rep1(client, world, opportunity, phone, "Account of r2")
    theirs.pull()
    assert theirs.store[("opportunity", opportunity)]["data"]["owner_id"] == str(world.users["r2"])
    # An edit rep1 queued offline before the move is refused as out of their territory now.
    phone.queue("opportunity", "update", opportunity, {"stage": "D"}, base_version=1)
    result = phone.push().get_json()["results"][0]
    assert (result["status"], result["reason"]) == ("rejected", "out_of_scope")


@pytest.mark.usefixtures("tuesday")
def test_a_deal_left_with_its_old_owner_by_an_earlier_move_is_read_where_its_account_is(app, client, world):
    """Moves made before deals followed their account left `owner_id` behind: the reads go by the
    account the deal is on now, never by that stale owner."""
    from server.extensions import db
    from server.models import Opportunity
    from tests.records import writing

    with writing(app):
        deal = db.session.get(Opportunity, world.opportunities["r1"])
        deal.account_id = world.accounts["r2"]  # owner_id stays r1's, as the old move left it
        db.session.commit()
    opportunity = str(world.opportunities["r1"])
    _stage_to_a(client, world, "r2", opportunity)
    assert _daily(client, world, "r1") == []
    assert [m["account"] for m in _daily(client, world, "r2") if m["title"] == "Deal r1"] == ["Account of r2"]
    assert _funnel_reached(client, world, "r1") == 0 and _funnel_reached(client, world, "r2") == 2
    assert opportunity not in _export(client, world, "r1", "opportunities", NOV)
    assert opportunity in _export(client, world, "r2", "opportunities", NOV)
    team = _ok(client.get(f"/api/reports/funnel?{NOV}", headers=world.headers("m1")))["rows"]
    assert {r["username"]: r["reached"]["S"] for r in team} == {"r1": 0, "r2": 2}
    for report in ("method-ratios", "targets", "win-loss", "qualification"):
        _ok(client.get(f"/api/reports/{report}?{NOV}", headers=world.headers("m1")))
