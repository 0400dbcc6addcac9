"""What a visit's write does to its account's last contact, decided from the write alone (no database)."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from server.last_contact import effects

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
A, B = uuid.uuid4(), uuid.uuid4()


def visit(account=A, hours_ago=1, met=True, cancelled=False):
    at = NOW - timedelta(hours=hours_ago)
    return SimpleNamespace(account_id=account, check_in_at=at, met=met, cancelled_at=at if cancelled else None)


def test_new_visits_move_each_account_forward_to_its_latest_meeting(clock):
    clock.freeze(NOW)
    writes = [
        (visit(hours_ago=5), None),
        (visit(hours_ago=2), None),
        (visit(hours_ago=1, met=False), None),
        (visit(B, hours_ago=3), None),
        (visit(B, hours_ago=1, cancelled=True), None),
    ]
    assert effects(writes) == {A: NOW - timedelta(hours=2), B: NOW - timedelta(hours=3)}


def test_a_check_in_ahead_of_the_server_clock_counts_as_now(clock):
    clock.freeze(NOW)
    assert effects([(visit(hours_ago=-20), None)]) == {A: NOW}


def test_an_edit_that_leaves_the_meeting_alone_moves_nothing(clock):
    clock.freeze(NOW)
    edited = visit()
    assert effects([(edited, {"outcome": "Ordered", "check_in_at": edited.check_in_at})]) == {}


def test_an_edit_of_the_check_in_or_the_account_and_a_delete_recompute(clock):
    clock.freeze(NOW)
    moved = visit(B)
    assert effects([(moved, {"account_id": A})]) == {A: None, B: None}
    earlier = visit()
    assert effects([(earlier, {"check_in_at": NOW})]) == {A: None}
    assert effects([(visit(), {"met": False})]) == {A: None}
    assert effects([(visit(), {"deleted": True})]) == {A: None}


def test_a_recompute_wins_over_a_move_forward_for_the_same_account(clock):
    clock.freeze(NOW)
    assert effects([(visit(hours_ago=1), None), (visit(hours_ago=9), {"deleted": True})]) == {A: None}
