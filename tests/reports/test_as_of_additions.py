"""A past period's figures leave out what was added after its end: an account taken on, a machine recorded,
on 3 December change none of October's figures (the accounts of October were on the books since 1 September)."""

from server.extensions import db
from server.models import Account, Device
from server.reports.registry import REPORTS
from tests.records import writing
from tests.reports import test_as_of as base
from tests.reports.test_as_of_accounts import leaver  # noqa: F401 (accounts 1-4 created on 1 September)

OCT = base.OCT
october = base.october  # r1's October (tests/reports/test_as_of.py)


def _october(client, world):
    """Every report of October (team and r1, JSON and CSV, the weekly tables too)."""
    answers = base._every_figure(client, world)
    for name, report in REPORTS.items():
        if "weeks" in report.tables:
            csv = client.get(f"/api/reports/{name}?{OCT}&format=csv&table=weeks", headers=world.headers("m1"))
            answers[(name, "weeks")] = csv.get_data(as_text=True)
    return answers


def test_an_account_added_after_october_is_in_none_of_octobers_weeks(client, world, october, leaver):  # noqa: F811
    with writing(client.application):  # the world's accounts of r1 and r2 too
        for rep in ("r1", "r2"):
            db.session.get(Account, world.accounts[rep]).created_at = base.at(9, 1)
        db.session.commit()
    before = _october(client, world)
    coverage = before[("coverage", "m1")]["extra"]["weeks"]
    assert [w["A_accounts"] for w in coverage] == [3] * len(coverage)  # r1's, r2's and r4's
    for cls in "ABC":
        body = {"name": f"New {cls}", "account_class": cls, "latitude": 31.2, "longitude": 121.4}
        assert client.post("/api/accounts", json=body, headers=world.headers("r1")).status_code == 201
    after = _october(client, world)
    assert [key for key in before if before[key] != after[key]] == []
    december = base.get(client, world, "m1", "/api/reports/coverage?from=2026-12-01&to=2026-12-31")
    assert december["extra"]["weeks"][0]["A_accounts"] == 4  # the period holding the addition counts it


def test_a_machine_recorded_after_october_is_in_none_of_octobers_installed_base(client, world, october, leaver):  # noqa: F811
    with writing(client.application):  # the world's machines (a competitor's at 4 000 pages) were known then
        for rep in ("r1", "r2"):
            db.session.get(Device, world.devices[rep]).created_at = base.at(9, 1)
        db.session.commit()
    before = _october(client, world)
    assert before[("installed-base", "m1")]["team"]["devices"] == 2
    a1 = str(october["accounts"][0])
    body = {
        "account_id": a1,
        "ownership": "ours",
        "brand": "Fieldday",
        "monthly_volume": 9000,
        "installed_on": "2019-01-01",
    }
    assert client.post("/api/devices", json=body, headers=world.headers("r1")).status_code == 201
    after = _october(client, world)
    assert [key for key in before if before[key] != after[key]] == []
    december = base.get(client, world, "m1", "/api/reports/installed-base?from=2026-12-01&to=2026-12-31")
    assert december["team"]["devices"] == 3
    assert [r["replacement_opportunity"] for r in december["rows"] if r["ownership"] == "ours"] == [True]
