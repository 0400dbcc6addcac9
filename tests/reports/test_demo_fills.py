"""The demo fills every report: deals closed after 3-5 and 6 or more visits (won and lost), and photos of
recent visits that open as the app's own uploads do."""

import hashlib
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_jwt_extended import create_access_token
from PIL import Image
from sqlalchemy import select

from server.demo_reports import DEAL_PURPOSES, PHOTOS_PER_REP
from server.extensions import db
from server.models import Account, Opportunity, Photo, User, Visit
from tests.records import writing

SH = ZoneInfo("Asia/Shanghai")
REPS = 3


@pytest.fixture
def demo(app, clock):
    from server.demo import seed

    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=SH))
    with writing(app):
        counts = seed("demo-password", reps=REPS, accounts_per_rep=40, weeks=8, today=date(2027, 1, 1))
        manager = db.session.scalars(select(User).where(User.role == "manager")).first()
        return {"Authorization": f"Bearer {create_access_token(identity=manager)}"}, counts


def test_closed_deals_fall_in_every_visit_band_up_to_six_and_more(app, client, demo):
    headers, _ = demo
    answer = client.get("/api/reports/win-loss?from=2026-11-06&to=2026-12-31", headers=headers).get_json()
    bands = {row["key"]: (row["won"], row["lost"]) for row in answer["extra"]["by_visits"]}
    assert set(bands) >= {"0-2", "3-5", "6-10"}, bands
    assert sum(bands["3-5"]) >= 3 and sum(bands["6-10"]) >= 1, bands
    worked = [bands[key] for key in ("3-5", "6-10")]
    assert sum(won for won, _ in worked) >= 1 and sum(lost for _, lost in worked) >= 1, bands  # won and lost
    with writing(app):
        extra = db.session.execute(
            select(Visit, Account.last_contact_at, Opportunity.closed_at, Opportunity.status)
            .join(Account, Account.id == Visit.account_id)
            .join(Opportunity, Opportunity.id == Visit.opportunity_id)
            .where(Visit.purpose.in_(DEAL_PURPOSES))
        ).all()
    assert extra, "no deal was worked harder"
    for visit, last_contact, closed_at, status in extra:
        assert status in ("won", "lost") and visit.check_in_at <= closed_at
        # Before the account's latest visit: no last contact moved, so nothing due or overdue changed.
        assert visit.check_in_at < last_contact


def test_a_few_recent_visits_have_photos_that_open(app, client, demo):
    headers, counts = demo
    assert counts["photos"] == REPS * PHOTOS_PER_REP
    with writing(app):
        photos = db.session.execute(select(Photo, Visit).join(Visit, Visit.id == Photo.visit_id)).all()
        latest = db.session.execute(select(Visit.check_in_at).order_by(Visit.check_in_at.desc())).scalars().first()
    assert len(photos) == REPS * PHOTOS_PER_REP
    for photo, visit in photos:
        assert (photo.account_id, photo.rep_id) == (visit.account_id, visit.rep_id)
        assert photo.uploaded_at is not None and (latest - visit.check_in_at).days < 7  # recent visits
        content = client.get(f"/api/photos/{photo.id}/content", headers=headers)
        assert content.status_code == 200 and content.mimetype == "image/jpeg"
        data = content.get_data()
        assert hashlib.sha256(data).hexdigest() == photo.sha256 and len(data) == photo.size
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == (480, 360)
        thumb = client.get(f"/api/photos/{photo.id}/thumbnail", headers=headers)
        assert thumb.status_code == 200
        with Image.open(io.BytesIO(thumb.get_data())) as image:
            assert max(image.size) == 320
    exported = client.get("/api/exports/photos?format=json&from=2026-12-01&to=2026-12-31", headers=headers)
    assert len(exported.get_json()["rows"]) == REPS * PHOTOS_PER_REP
