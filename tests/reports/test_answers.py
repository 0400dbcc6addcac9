"""Every report's answer against its typed schema (server/reports/answers.py): the API serves all that the
report computes (marshmallow dumps only declared fields, so a field the schema forgot would vanish), and
each value has the declared type (a null only where the schema allows one). The report list the PWA reads
comes from the same registry."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import select

from server.extensions import db
from server.models import Team, User
from server.reports.registry import REPORTS
from server.reports.rows import rep_order
from server.reports.scope import Scope
from tests.records import writing

SH = ZoneInfo("Asia/Shanghai")
PERIOD = "from=2026-11-01&to=2026-12-31"


@pytest.fixture
def demo(app, clock):
    from server.demo import seed

    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=SH))
    with writing(app):
        seed("demo-password", reps=3, accounts_per_rep=40, weeks=8, today=date(2027, 1, 1))
        manager = db.session.scalars(select(User).where(User.role == "manager")).first()
        return {"Authorization": f"Bearer {create_access_token(identity=manager)}"}, manager.id


def _plain(value):
    return json.loads(json.dumps(value, default=str))


def test_each_report_serves_everything_it_computes_in_its_declared_types(app, client, demo):
    headers, manager_id = demo
    listed = client.get("/api/reports", headers=headers)
    assert listed.status_code == 200
    names = [r["name"] for r in listed.get_json()["reports"]]
    assert names == list(REPORTS) and "scorecard" in names and len(names) == 13
    for name in names:
        response = client.get(f"/api/reports/{name}?{PERIOD}", headers=headers)
        assert response.status_code == 200, (name, response.get_json())
        answer = response.get_json()
        with app.test_request_context():
            team = db.session.get(Team, db.session.get(User, manager_id).team_id)
            reps = sorted(
                db.session.scalars(select(User).where(User.team_id == team.id, User.role == "rep")), key=rep_order
            )
            raw = REPORTS[name](Scope(team, reps, SH, date(2026, 11, 1), date(2026, 12, 31)))
        rows, team = raw.pop("rows"), raw.pop("team", None)
        # Nothing dropped, nothing changed: the dumped answer is what the report computed.
        assert answer["rows"] == _plain(rows), name
        assert answer["team"] == _plain(team), name
        assert answer["extra"] == _plain(raw), name
        assert rows, name  # the demo fills every report's rows
        # Loading the answer back checks each value's type and nullability, and that no key is undeclared.
        errors = REPORTS[name].schema().validate(answer)
        assert errors == {}, (name, errors)


def test_a_schema_refuses_an_answer_of_the_wrong_shape():
    schema = REPORTS["funnel"].schema()
    good = {
        "period": {"from": "2026-11-01", "to": "2026-11-30", "timezone": "Asia/Shanghai", "team_id": None},
        "rows": [],
        "team": None,
        "extra": {"stages": ["S"], "as_of": "2026-11-30T16:00:00+00:00"},
    }
    assert schema.validate(good) == {}
    assert "extra" in schema.validate({**good, "extra": {"stages": "S", "as_of": 3}})
    assert "rows" in schema.validate({**good, "rows": [{"won": None, "rep_id": "x"}]})


def test_the_report_list_says_each_reports_csv_tables(client, demo):
    headers, _ = demo
    reports = {r["name"]: r for r in client.get("/api/reports", headers=headers).get_json()["reports"]}
    assert reports["cadence"]["tables"] == ["rows", "overdue"]
    assert reports["time-ratios"]["tables"] == ["rows", "weeks"]
    assert reports["funnel"]["path"] == "/api/reports/funnel" and reports["funnel"]["summary"]
    refused = client.get(f"/api/reports/funnel?{PERIOD}&format=csv&table=weeks", headers=headers)
    assert refused.status_code == 422 and "table" in refused.get_json()["error"]["fields"]
    weeks = client.get(f"/api/reports/coverage?{PERIOD}&format=csv&table=weeks", headers=headers)
    assert weeks.status_code == 200 and weeks.data.decode("utf-8-sig").startswith("week_start")


def test_the_report_list_needs_a_login(client):
    assert client.get("/api/reports").status_code == 401


def test_the_openapi_document_types_each_reports_answer(client):
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for name in REPORTS:
        ok = spec["paths"][f"/api/reports/{name}"]["get"]["responses"]["200"]["content"]["application/json"]
        ref = ok["schema"]["$ref"].rsplit("/", 1)[-1]
        rows = schemas[ref]["properties"]["rows"]["items"]["$ref"].rsplit("/", 1)[-1]
        assert schemas[rows]["properties"], (name, rows)  # typed fields, not a free-form object
