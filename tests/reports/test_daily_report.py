"""The daily visit report on a hand-built day: every figure worked out here."""

import pytest

from server.extensions import db
from server.models import Opportunity, StageChange
from tests.records import writing
from tests.reports.test_reports_api import local, month  # noqa: F401 (the hand-built month fixture)


@pytest.fixture
def day(app, world, month):  # noqa: F811
    """On 4 Nov r1 also opened an opportunity and moved another from P to A."""
    with writing(app):
        r1, main = world.users["r1"], world.accounts["r1"]
        fresh = Opportunity(account_id=main, owner_id=r1, title="New colour fleet", stage="S")
        fresh.stage_changes = [StageChange(to_stage="S", changed_at=local(4, 10))]
        moved = Opportunity(account_id=main, owner_id=r1, title="Scanner rollout", stage="A")
        moved.stage_changes = [
            StageChange(to_stage="P", changed_at=local(1, 10)),
            StageChange(from_stage="P", to_stage="A", changed_at=local(4, 16)),
        ]
        db.session.add_all([fresh, moved])
        db.session.commit()
    return month


@pytest.mark.calendar
def test_the_reps_day_built_from_what_was_recorded(client, world, day):
    response = client.get("/api/reports/daily?date=2026-11-04", headers=world.headers("r1"))
    assert response.status_code == 200, response.get_json()
    report = response.get_json()["reports"][0]
    assert report["plan"] == {"planned": 2, "done": 1, "plan_done_pct": 50.0}
    assert [(v["purpose"], v["planned"]) for v in report["visits"]] == [("Demo", True)]
    assert [o["title"] for o in report["new_opportunities"]] == ["New colour fleet"]
    assert [(m["title"], m["from"], m["to"]) for m in report["stage_moves"]] == [("Scanner rollout", "P", "A")]
    assert (report["time_split"]["face_to_face_pct"], report["time_split"]["span_min"]) == (18.9, 614)
    assert report["first_visit"] == {"at": "08:00", "target": "08:45", "on_time": True}
    # By the end of 5 Nov: the never-visited C account and the C account last seen on 1 Oct are due.
    assert [a["account_id"] for a in report["overdue_tomorrow"]] == [day["other"], day["c_class"]]


@pytest.mark.calendar
def test_review_by_the_rep_and_comment_by_the_manager(client, world, day):
    review = {"date": "2026-11-04", "went_well": "Demo landed", "to_improve": "Leave earlier"}
    assert client.put("/api/reports/daily/review", json=review, headers=world.headers("m1")).status_code == 403
    assert client.put("/api/reports/daily/review", json=review, headers=world.headers("r1")).status_code == 200
    comment = {"rep_id": str(world.users["r1"]), "date": "2026-11-04", "comment": "Good first visit time"}
    assert client.put("/api/reports/daily/comment", json=comment, headers=world.headers("r1")).status_code == 403
    assert client.put("/api/reports/daily/comment", json=comment, headers=world.headers("m2")).status_code == 404
    assert client.put("/api/reports/daily/comment", json=comment, headers=world.headers("m1")).status_code == 200
    team = client.get("/api/reports/daily?date=2026-11-04", headers=world.headers("m1")).get_json()["reports"]
    assert [r["username"] for r in team] == ["r1", "r2"]
    assert team[0]["review"] == {
        "went_well": "Demo landed",
        "to_improve": "Leave earlier",
        "manager_comment": "Good first visit time",
    }
    bad = client.put("/api/reports/daily/review", json={**review, "went_well": "x" * 5001}, headers=world.headers("r1"))
    assert bad.status_code == 422 and "went_well" in bad.get_json()["error"]["fields"]
    assert (
        client.get(
            f"/api/reports/daily?date=2026-11-04&rep_id={world.users['r2']}", headers=world.headers("r1")
        ).status_code
        == 404
    )
    missing = client.get("/api/reports/daily", headers=world.headers("r1"))
    assert missing.status_code == 422 and "date" in missing.get_json()["error"]["fields"]


@pytest.mark.calendar
def test_a_lost_deal_reads_as_lost_with_its_reason_not_as_a_move_to_its_own_stage(client, world, day, app):
    """A loss keeps the deal at its stage (the change row goes S → S): the report says it was lost and why."""
    with writing(app):
        lost = Opportunity(
            account_id=world.accounts["r1"],
            owner_id=world.users["r1"],
            title="Colour fleet",
            stage="S",
            status="lost",
            loss_reason="price",
        )
        lost.stage_changes = [
            StageChange(to_stage="S", changed_at=local(2, 10)),
            StageChange(from_stage="S", to_stage="S", status="lost", changed_at=local(4, 17)),
        ]
        db.session.add(lost)
        db.session.commit()
    report = client.get("/api/reports/daily?date=2026-11-04", headers=world.headers("r1")).get_json()["reports"][0]
    moves = {m["title"]: m for m in report["stage_moves"]}
    assert (moves["Colour fleet"]["status"], moves["Colour fleet"]["loss_reason"]) == ("lost", "price")
    assert (moves["Scanner rollout"]["status"], moves["Scanner rollout"]["loss_reason"]) == ("open", None)
