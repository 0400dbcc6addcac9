"""The pure protocol package, without Flask or a database."""

from datetime import UTC, datetime, timedelta

import pytest

from sync import merge, protocol


def test_cursor_round_trips_and_is_opaque():
    cursor = protocol.Cursor(
        epoch="abc", seq=42, entity=3, after_id="0f6b2c1e-8a8e-4f31-9c55-0d2b8a3f9e11", mark="ab12"
    )
    text = cursor.encode()
    assert "42" not in text and protocol.Cursor.decode(text) == cursor


@pytest.mark.parametrize(
    "text", ["", "garbage!", "W10", protocol.Cursor("e", 1).encode()[:-3], protocol.Cursor("e" * 2000, 1).encode()]
)
def test_unreadable_cursors_raise(text):
    with pytest.raises(protocol.CursorError):
        protocol.Cursor.decode(text)


@pytest.mark.parametrize(
    "cursor,reason",
    [
        (protocol.Cursor("other", 5), "another database"),
        (protocol.Cursor("e", 11), "future"),
        (protocol.Cursor("e", 1), "horizon"),
    ],
)
def test_check_cursor(cursor, reason):
    with pytest.raises(protocol.CursorError, match=reason):
        protocol.check_cursor(cursor, epoch="e", head=10, horizon=3)
    protocol.check_cursor(protocol.Cursor("e", 3), epoch="e", head=10, horizon=3)
    protocol.check_cursor(protocol.Cursor("e", 2), epoch="e", head=10, horizon=3)  # saw all that was pruned


def test_sequence_verdicts():
    assert protocol.sequence_verdict(5, 3) == "replay"
    assert protocol.sequence_verdict(5, 5) == "replay"
    assert protocol.sequence_verdict(5, 6) == "apply"
    assert protocol.sequence_verdict(5, 8) == "gap"


def test_payload_hash_ignores_seq_but_not_content():
    a = {"id": "m1", "seq": 1, "entity": "visit", "entity_id": "v", "op": "create", "data": {"purpose": "x"}}
    assert protocol.payload_hash(a) == protocol.payload_hash({**a, "seq": 9})
    assert protocol.payload_hash(a) != protocol.payload_hash({**a, "data": {"purpose": "y"}})


def test_merge_applies_untouched_fields_and_reports_both_values():
    apply, conflicts = merge.merge_update(
        {"notes": "phone", "region": "Xuhui", "name": "Same"},
        {"notes": "server", "region": "Pudong", "name": "Same"},
        changed_on_server={"notes", "name"},
    )
    assert apply == {"region": "Xuhui"}
    assert conflicts == {"notes": {"client": "phone", "server": "server"}}


def test_merge_with_unknown_history_keeps_every_differing_server_value():
    apply, conflicts = merge.merge_update({"notes": "a"}, {"notes": "b"}, None)
    assert apply == {} and set(conflicts) == {"notes"}


def test_too_far_ahead_flags_only_happened_at_fields():
    now = datetime(2026, 11, 22, tzinfo=UTC)
    values = {
        "check_in_at": now + timedelta(hours=25),
        "check_out_at": now + timedelta(hours=23),
        "planned_start": now + timedelta(days=30),
    }
    assert merge.too_far_ahead(values, now) == ["check_in_at"]
