"""Randomised schedules over a flaky network: every mutation lands exactly once and phones converge.

In each schedule one rep's two phones work offline (visits, day-clock
activities, account edits, deletes) while a manager reassigns accounts between
two reps. Their pushes and pulls go through a transport that drops requests,
drops answers after the server committed, sends batches twice and restarts the
server between calls; now and then a phone is replaced by a fresh install. Then the network heals, both
phones sync to quiescence, and the invariants are checked. SYNC_FUZZ_SCHEDULES sets how many schedules run.
"""

import io
import os
import random
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from server import clock, create_app
from server.extensions import db
from server.models import Photo, SyncClient, SyncMutation, Visit
from server.photos.storage import FolderStore
from tests.conftest import make_config
from tests.sync.phone import Phone
from tests.sync.test_sync_api import phone_state, server_state

SCHEDULES = int(os.environ.get("SYNC_FUZZ_SCHEDULES", "100"))  # `make fuzz-sync`: 1,000


def fuzz_seed():
    """SYNC_FUZZ_SEED, a number or `random` (a new one each run, as `make fuzz-sync` does); 845 by default."""
    value = os.environ.get("SYNC_FUZZ_SEED", "845")
    return random.SystemRandom().randrange(2**31) if value == "random" else int(value)


class FlakyNetwork:
    """Wraps the test client: each call may be dropped, lose its answer, be doubled, or meet a restarted server."""

    def __init__(self, rng, database_url, app):
        self.rng, self.url = rng, database_url
        self.photo_store = app.config["PHOTO_STORE"]  # one folder for every restarted server
        self.apps = [app]
        self.client = app.test_client()
        self.healed = False
        self.stats = {"dropped": 0, "lost_answer": 0, "doubled": 0, "restarts": 0, "ok": 0}

    def _restart(self):
        """Stop the current server app (closing its connections) and start a new one."""
        if len(self.apps) > 1:
            self._stop(self.apps.pop())
        self.apps.append(create_app(make_config(self.url, PHOTO_STORE=self.photo_store)))
        self.client = self.apps[-1].test_client()
        self.stats["restarts"] += 1

    @staticmethod
    def _stop(app):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    def _call(self, method, *args, **kwargs):
        if self.healed:
            return getattr(self.client, method)(*args, **kwargs)
        roll = self.rng.random()
        if roll < 0.05:
            self._restart()
        if roll < 0.20:
            self.stats["dropped"] += 1
            return None
        response = getattr(self.client, method)(*args, **kwargs)
        if roll < 0.35:
            self.stats["lost_answer"] += 1
            return None
        if roll < 0.45:
            self.stats["doubled"] += 1
            response = getattr(self.client, method)(*args, **kwargs)
        self.stats["ok"] += 1
        return response

    def post(self, *args, **kwargs):
        return self._call("post", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def patch(self, *args, **kwargs):
        return self._call("patch", *args, **kwargs)

    def put(self, *args, **kwargs):
        return self._call("put", *args, **kwargs)

    def close(self):
        for app in self.apps[1:]:
            self._stop(app)


class FlakyPhone(Phone):
    """A phone that pushes its outbox in small random batches."""

    def __init__(self, client, headers, rng):
        super().__init__(client, headers)
        self.rng = rng

    def push(self, batch=None):
        return super().push(batch or self.rng.randint(1, 4))


def picture(rng):
    """A small JPEG of its own colour: each photo's bytes differ."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), tuple(rng.randrange(256) for _ in range(3))).save(out, "JPEG")
    return out.getvalue()


def _now(minutes=0):
    return (clock.now() + timedelta(minutes=minutes)).isoformat()


@pytest.mark.calendar
def test_random_schedules_deliver_exactly_once_and_converge(app, client, world, database_url, tmp_path):
    app.config["PHOTO_STORE"] = f"folder:{tmp_path / 'photos'}"
    app.extensions.pop("photo_store", None)
    seed = fuzz_seed()
    print(f"sync fault injection: {SCHEDULES} schedules from seed {seed}")
    try:
        run_schedules(app, client, world, database_url, random.Random(seed))
    except BaseException as failure:
        failure.add_note(f"reproduce with SYNC_FUZZ_SEED={seed} SYNC_FUZZ_SCHEDULES={SCHEDULES}")
        raise


def run_schedules(app, client, world, database_url, rng):
    net = FlakyNetwork(rng, database_url, app)
    r1 = world.headers("r1")
    manager = world.headers("m1")
    # Two more accounts that the manager moves between r1 and r2 during the run.
    movable = [
        client.post(
            "/api/accounts", json={"name": f"Movable {i}", "owner_id": str(world.users["r1"])}, headers=manager
        ).get_json()["id"]
        for i in range(2)
    ]
    created_visits, deleted, photos = {}, set(), {}
    phones = [FlakyPhone(net, r1, rng), FlakyPhone(net, r1, rng)]
    phones_seen = list(phones)
    try:
        for schedule in range(SCHEDULES):
            # A long run (1,000 schedules on a busy machine) outlives an access token (15 minutes): the phones
            # and the manager hold fresh ones each schedule, as the app refreshes its own.
            r1.update(world.headers("r1"))
            manager.update(world.headers("m1"))
            net.healed = False
            if rng.random() < 0.05:  # now and then a phone is replaced by a fresh install
                phones[rng.randrange(2)] = fresh = FlakyPhone(net, r1, rng)
                phones_seen.append(fresh)
            for _step in range(rng.randint(4, 10)):
                phone = rng.choice(phones)
                action = rng.random()
                held = [str(world.accounts["r1"])] + movable
                if action < 0.35:
                    visit_id = phone.create(
                        "visit",
                        {
                            "account_id": rng.choice(held),
                            "purpose": "Fuzz visit",
                            "check_in_at": _now(-rng.randint(1, 600)),
                        },
                    )
                    created_visits[visit_id] = (phone, phone.outbox[-1]["id"])
                elif action < 0.50:
                    phone.create(
                        "activity",
                        {
                            "category": rng.choice(["travel", "admin", "meeting"]),
                            "started_at": _now(-30),
                            "ended_at": _now(-5),
                        },
                    )
                elif action < 0.60 and created_visits:
                    visit_id = rng.choice(list(created_visits))
                    phone.queue("visit", "update", visit_id, {"notes": f"edit {rng.random():.4f}"})
                elif action < 0.65 and created_visits:
                    visit_id = rng.choice(list(created_visits))
                    phone.queue("visit", "delete", visit_id)
                    deleted.add(visit_id)
                elif action < 0.75:
                    key = ("account", str(world.accounts["r1"]))
                    base = phone.store.get(key, {}).get("version")
                    phone.queue("account", "update", world.accounts["r1"], {"notes": f"n{rng.random():.4f}"}, base)
                elif action < 0.85:
                    target = rng.choice(movable)
                    owner = rng.choice(["r1", "r2"])
                    net.patch(f"/api/accounts/{target}", json={"owner_id": str(world.users[owner])}, headers=manager)
                elif action < 0.91:
                    phone.push()
                elif action < 0.95:
                    if created_visits and rng.random() < 0.6:
                        # A photo at a visit this rep recorded; its bytes go up once its record is accepted.
                        visit_id = rng.choice(list(created_visits))
                        photos[phone.photo(visit_id, picture(rng), _now(-1))] = phone
                    else:
                        phone.upload()
                else:
                    phone.pull_page(limit=rng.randint(1, 5))
            net.healed = True
            for phone in phones:
                phone.sync()
                phone.upload()
            for phone in phones:
                phone.pull()
                assert phone.outbox == []
            # Comparing whole stores is the costly part: every tenth schedule and after the last.
            if schedule % 10 == 0 or schedule == SCHEDULES - 1:
                expected = server_state(net.client, r1)
                for phone in phones:
                    assert phone_state(phone) == expected
    finally:
        net.close()

    assert net.stats["dropped"] and net.stats["lost_answer"] and net.stats["doubled"] and net.stats["restarts"]
    with app.app_context():
        for phone in phones_seen:
            client_row = db.session.get(SyncClient, uuid.UUID(phone.client_id))
            if phone.seq == 0:
                continue
            # Every mutation reached the server once: one journal row per seq, none skipped.
            assert client_row.last_seq == phone.seq
            journal = db.session.scalar(
                select(func.count()).select_from(SyncMutation).where(SyncMutation.client_id == client_row.id)
            )
            assert journal == phone.seq
        stored = {str(v) for v in db.session.scalars(select(Visit.id))}
        kept_photos = db.session.scalars(select(Photo)).all()
    # Photos: every one the server holds has its bytes, stored once, exactly those the phone took.
    folder = Path(app.config["PHOTO_STORE"].partition(":")[2])
    store = FolderStore(folder)
    assert photos and net.stats["dropped"]
    for photo in kept_photos:
        taken = photos[str(photo.id)].files[str(photo.id)]
        if taken["uploaded"] is not True:  # its phone was replaced before sending it: the record waits alone
            assert photo.uploaded_at is None
            continue
        assert photo.uploaded_at is not None and store.get(str(photo.id)) == taken["data"]
    # Nothing but whole files under photo ids (no half-written upload left); a photo deleted with its visit
    # after its upload leaves its bytes behind, nothing else does.
    uploaded = {name for p in kept_photos if p.uploaded_at for name in (str(p.id), f"{p.id}.thumb.jpg")}
    names = {p.name for p in folder.iterdir()} if folder.exists() else set()
    gone = {name.split(".")[0] for name in names - uploaded}
    assert uploaded <= names and gone <= set(photos) - {str(p.id) for p in kept_photos}
    for visit_id, (phone, mutation_id) in created_visits.items():
        result = phone.results[mutation_id]
        # Applied the first time it arrived (a retry reports that first status), never refused.
        assert result.get("first_status", result["status"]) == "applied", result
        if visit_id not in deleted:
            assert visit_id in stored, "a visit the phone recorded was lost"
