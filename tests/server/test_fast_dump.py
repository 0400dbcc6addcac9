"""dump_many (and row_dump, from rows) gives exactly what marshmallow's schema.dump gives, for every synced
entity."""

import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server import clock
from server.demo import seed
from server.extensions import db
from server.fastpaths import _dump_plan, dump_many, row_dump
from server.models import Account, Photo, User, Visit
from server.route_plans.planner import plan_day
from server.sync_api.entities import ENTITIES
from tests.records import writing


@pytest.mark.calendar
def test_dump_many_equals_the_schema_dump_for_every_synced_entity(app):
    with writing(app):
        seed("demo-password", reps=2, accounts_per_rep=12, weeks=2)
        owner = db.session.scalars(select(Account.owner_id).limit(1)).first()
        db.session.add(
            Account(
                id=uuid.uuid4(),
                name="空白 Blank ✓",
                owner_id=owner,
                latitude=None,
                longitude=None,
                last_year_sales=Decimal("0.10"),
                notes="",
                external_key=None,
            )
        )
        # Photos: one uploaded (its content type and time set), one still on the phone (both null).
        for visit, uploaded in zip(db.session.scalars(select(Visit).limit(2)), (True, False), strict=True):
            db.session.add(
                Photo(
                    visit_id=visit.id,
                    account_id=visit.account_id,
                    rep_id=visit.rep_id,
                    taken_at=visit.check_in_at or clock.stamp(),
                    latitude=31.2 if uploaded else None,
                    caption="门头 ✓" if uploaded else "",
                    size=1234,
                    sha256="ab" * 32,
                    content_type="image/jpeg" if uploaded else None,
                    uploaded_at=clock.stamp() if uploaded else None,
                )
            )
        db.session.commit()
        rep = db.session.scalars(select(User).where(User.role == "rep").order_by(User.username)).first()
        plan_day(rep.id, clock.today(ZoneInfo("Asia/Shanghai")) + timedelta(days=1), time_limit_s=0.5)
        db.session.expire_all()
        with_rows = set()
        for entity in ENTITIES.values():
            objs = db.session.scalars(select(entity.model)).all()
            assert objs, f"the demo data has no {entity.name}"
            assert dump_many(entity.schema, objs) == entity.schema.dump(objs, many=True), entity.name
            # A snapshot page of an entity of plain columns dumps rows, not objects: the same records.
            fast = row_dump(entity.schema, entity.model)
            if fast is not None:
                order = entity.model.id
                rows = db.session.execute(select(*fast.columns).order_by(order)).all()
                objs = db.session.scalars(select(entity.model).order_by(order)).all()
                assert [fast.dump(row) for row in rows] == entity.schema.dump(objs, many=True), entity.name
                assert [row[fast.version_at] for row in rows] == [obj.version for obj in objs], entity.name
                with_rows.add(entity.name)
        # Most of a territory's records are of such entities; an account (computed fields) is not.
        assert {"contact", "device", "visit"} <= with_rows and "account" not in with_rows
        accounts = db.session.scalars(select(Account)).all()
        narrow = type(ENTITIES["account"].schema)(only=("id", "name", "plannable"))
        assert dump_many(narrow, accounts) == narrow.dump(accounts, many=True)


def test_plain_fields_skip_marshmallow_and_the_rest_go_through_it(app):
    plan = {key: (attr, convert) for key, attr, convert, _ in _dump_plan(ENTITIES["account"].schema)}
    assert plan["id"][0] == "id" and plan["name"][0] == "name" and plan["updated_at"][0] == "updated_at"
    assert plan["plannable"][0] is None and plan["last_year_sales"][0] is None  # a function, a decimal string
    assert dump_many(ENTITIES["account"].schema, [{"id": None, "name": "x"}]) == ENTITIES["account"].schema.dump(
        [{"id": None, "name": "x"}], many=True
    )  # dicts: marshmallow itself


@pytest.mark.calendar
def test_every_report_and_a_sync_pull_answer_the_same_on_the_plain_path(app, client, monkeypatch):
    """FIELDDAY_FAST_PATHS=0 (server/fastpaths.py) takes the libraries' plain paths: same answers."""
    from flask_jwt_extended import create_access_token

    from server import fastpaths
    from server.reports.registry import REPORTS

    clock.freeze(clock.now())  # "as of now" reads the same in both runs
    with writing(app):
        seed("demo-password", reps=2, accounts_per_rep=12, weeks=2)
        manager = db.session.scalars(select(User).where(User.role == "manager")).first()
        headers = {"Authorization": f"Bearer {create_access_token(identity=manager)}"}
    today = clock.today(ZoneInfo("Asia/Shanghai"))
    period = f"from={today - timedelta(days=14)}&to={today}"
    paths = [f"/api/reports/{name}?{period}" for name in REPORTS] + [
        f"/api/reports/daily?date={today - timedelta(days=1)}",
        f"/api/reports/weekly-review?week={today}",
        "/api/sync/pull?limit=1000",
    ]

    def answers():
        out = {}
        for path in paths:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.get_json())
            body = response.get_json()
            for volatile in ("cursor", "server_time"):
                body.pop(volatile, None)
            out[path] = body
        return out

    fast = answers()
    assert "EXTRACT" in str(fastpaths.epoch(Visit.check_in_at)).upper()
    monkeypatch.setattr(fastpaths, "ENABLED", False)
    assert "EXTRACT" not in str(fastpaths.epoch(Visit.check_in_at)).upper()  # the plain path is taken
    plain = answers()
    for path in paths:
        assert fast[path] == plain[path], path
    assert len(fast["/api/sync/pull?limit=1000"]["changes"]) > 100


def test_dump_dicts_equals_the_schema_dump_for_a_reports_list():
    from server.fastpaths import dump_dicts
    from server.reports.answers import BeyondSchema, UndecidedSchema

    rep = uuid.uuid4()
    items = [
        # ids as UUIDs and as text (upper case is normalised), a key left out, None, a number as text
        {"account_id": uuid.uuid4(), "name": "甲 A", "rep_id": rep, "rep_name": None, "visits": 3},
        {"account_id": str(uuid.uuid4()).upper(), "name": "B", "rep_id": str(rep), "rep_name": "r1", "visits": True},
        {"account_id": str(uuid.uuid4()), "name": 7, "rep_id": rep, "visits": 4},
    ]
    assert dump_dicts(UndecidedSchema(), items) == UndecidedSchema().dump(items, many=True)
    deal = {"opportunity_id": uuid.uuid4(), "title": "Deal", "stage": "P", "expected_close": "2027-09-01"}
    beyond = [{**items[0], **deal}]
    assert dump_dicts(BeyondSchema(), beyond) == BeyondSchema().dump(beyond, many=True)
