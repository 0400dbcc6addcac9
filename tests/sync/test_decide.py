"""The push and pull decisions of sync/decide.py, without Flask or a database: every rule of
PROTOCOL.md's push section and conflict table, from plain facts."""

import uuid
from datetime import UTC, datetime

import pytest

from sync import decide, protocol
from sync.decide import ChangeRow, Journaled, Mutation, Refusal

RECORD = uuid.UUID("0f6b2c1e-8a8e-4f31-9c55-0d2b8a3f9e11")


def mutation(
    seq=1, op="update", entity="account", base_version=None, data=None, schema=protocol.SCHEMA_VERSION, mutation_id=None
):
    return Mutation(
        id=mutation_id or uuid.UUID(int=seq),
        seq=seq,
        entity=entity,
        entity_id=RECORD,
        op=op,
        base_version=base_version,
        data=data or {"name": "Acme"},
        schema=schema,
    )


def refusal(call, *args, **kwargs):
    with pytest.raises(Refusal) as caught:
        call(*args, **kwargs)
    return caught.value


# --- admission ---------------------------------------------------------------------------


def test_the_next_seq_is_applied_and_a_skipped_one_stops_the_push():
    assert decide.admit(4, mutation(seq=5)).verdict == "apply"
    gap = refusal(decide.admit, 4, mutation(seq=7))
    assert (gap.code, gap.final, gap.extra) == ("seq_gap", True, {"expected_seq": 5})


def test_a_replay_returns_the_first_result_marked_duplicate_and_changes_nothing():
    m = mutation(seq=3)
    first = Journaled(m.digest, {"id": str(m.id), "status": "applied", "version": 2})
    admission = decide.admit(4, m, at_seq=first)
    assert admission.verdict == "duplicate" and admission.journal is None
    assert admission.result == {"id": str(m.id), "status": "duplicate", "first_status": "applied", "version": 2}


def test_a_different_mutation_under_a_used_seq_is_refused_as_reused():
    stored = Journaled(mutation(seq=3).digest, {"status": "applied"})
    reused = refusal(decide.admit, 4, mutation(seq=3, data={"name": "Other"}), at_seq=stored)
    assert (reused.code, reused.final, reused.extra) == ("seq_reused", True, {"seq": 3})


def test_a_mutation_id_applied_under_another_seq_is_a_duplicate_journaled_under_the_new_seq():
    first_id = uuid.uuid4()
    earlier = Journaled("hash-of-the-first", {"id": str(first_id), "status": "rejected", "reason": "not_found"})
    admission = decide.admit(8, mutation(seq=9, mutation_id=first_id), by_id=earlier)
    assert admission.verdict == "duplicate"
    assert admission.result["status"] == "duplicate" and admission.result["first_status"] == "rejected"
    assert admission.journal == {"id": str(first_id), "status": "rejected", "reason": "not_found"}


def test_an_unsupported_schema_is_refused_only_when_it_would_be_applied():
    new = mutation(seq=5, schema=protocol.SCHEMA_VERSION + 1)
    assert refusal(decide.admit, 4, new).code == "upgrade_required"
    # A replay in a newer schema still answers its stored result (it was read once).
    stored = Journaled(new.digest, {"status": "applied"})
    assert decide.admit(5, new, at_seq=stored).verdict == "duplicate"


def test_the_digest_ignores_the_seq_but_not_the_content():
    assert mutation(seq=1, mutation_id=RECORD).digest == mutation(seq=2, mutation_id=RECORD).digest
    assert mutation(seq=1).digest != mutation(seq=1, data={"name": "Other"}).digest
    loaded = {
        "id": RECORD,
        "seq": 1,
        "entity": "account",
        "entity_id": RECORD,
        "op": "update",
        "base_version": None,
        "data": {"name": "Acme"},
        "schema": 1,
        "client_time": None,
    }
    assert Mutation.of(loaded).digest == protocol.payload_hash(loaded)  # the journal's fingerprints stay valid


# --- the operation against what is stored ------------------------------------------------------


@pytest.mark.parametrize(
    "op,exists,was_deleted,expected",
    [
        ("create", False, False, decide.Route("create")),
        ("create", True, False, decide.Route("update", 1)),  # seen before: an edit of version 1
        ("update", True, False, decide.Route("update", 4)),
        ("delete", True, False, decide.Route("delete")),
        ("delete", False, True, decide.Route("nothing")),  # deleting twice is deleting once
    ],
)
def test_route(op, exists, was_deleted, expected):
    base = 4 if op == "update" else None
    assert decide.route(mutation(op=op, base_version=base), exists, was_deleted) == expected


def test_a_create_seen_before_keeps_the_base_it_names():
    assert decide.route(mutation(op="create", base_version=3), exists=True) == decide.Route("update", 3)


@pytest.mark.parametrize(
    "op,was_deleted,code",
    [
        ("update", True, "target_deleted"),  # the delete wins
        ("update", False, "not_found"),
        ("delete", False, "not_found"),  # never here or not the caller's: the same answer
    ],
)
def test_route_refusals(op, was_deleted, code):
    refused = refusal(decide.route, mutation(op=op, base_version=1), False, was_deleted)
    assert (refused.code, refused.final) == (code, False)


# --- an edit --------------------------------------------------------------------------------


def test_an_edit_needs_a_base_no_newer_than_the_record_unless_the_author_owns_it():
    assert refusal(decide.edit_base, "account", None, 3).code == "base_version_required"
    too_new = refusal(decide.edit_base, "opportunity", 5, 3)
    assert too_new.code == "base_version_invalid" and too_new.fields == {"base_version": ["At most 3."]}
    assert decide.edit_base("account", 0, 3) == 1  # the phone's own create, not yet acknowledged
    assert decide.edit_base("account", 2, 3) == 2
    assert decide.edit_base("visit", None, 7) is None and decide.edit_base("activity", 9, 1) is None
    assert decide.needs_history(2, 3) and not decide.needs_history(3, 3) and not decide.needs_history(None, 3)


def test_the_fields_the_server_changed_since_the_base_leave_out_the_phones_own_versions():
    history = [(3, ["phone"]), (4, ["name"]), (5, ["notes"])]
    assert decide.fields_changed(history, 2, 5) == {"phone", "name", "notes"}
    assert decide.fields_changed(history, 2, 5, own={4}) == {"phone", "notes"}
    assert decide.fields_changed(history[1:], 2, 5) is None  # version 3 was pruned: unknown
    assert decide.fields_changed([(3, None), (4, ["name"]), (5, [])], 2, 5) is None  # a change wrote everything


def test_merge_applies_untouched_fields_and_keeps_the_servers_for_the_rest():
    data = {"name": "Phone's", "phone": "123", "notes": "same"}
    server = {"name": "Server's", "phone": "000", "notes": "same"}
    apply, conflicts = decide.merge_edit(data, server, changed={"name", "notes"})
    assert apply == {"phone": "123"}
    assert conflicts == {"name": {"client": "Phone's", "server": "Server's"}}  # both wrote "same": no conflict
    apply, conflicts = decide.merge_edit(data, server, changed=None)
    assert apply == {} and set(conflicts) == {"name", "phone"}


def test_results():
    assert decide.applied() == {"status": "applied"} and decide.applied(3) == {"status": "applied", "version": 3}
    assert decide.rejected("not_found", "No such record.") == {
        "status": "rejected",
        "reason": "not_found",
        "message": "No such record.",
        "fields": {},
    }
    body = decide.conflict(4, {"name": "S"}, {"name": {"client": "C", "server": "S"}})
    assert body["status"] == "conflict" and body["version"] == 4 and body["server"] == {"name": "S"}
    assert str(decide.out_of_scope()).startswith("The record is no longer in your territory")


# --- pull ------------------------------------------------------------------------------------

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_a_page_keeps_the_newest_change_per_record_and_turns_the_unreadable_into_deletes():
    a, b, c = (uuid.UUID(int=n) for n in (1, 2, 3))
    rows = [
        ChangeRow(10, "account", a, 1, "upsert", AT),
        ChangeRow(11, "visit", b, 1, "upsert", AT),
        ChangeRow(12, "account", a, 2, "upsert", AT),
        ChangeRow(13, "contact", c, 3, "delete", AT),
    ]
    latest = decide.latest_per_record(rows)
    assert [row.seq for row in latest.values()] == [11, 12, 13]  # in the order of each record's newest change
    assert decide.to_load(latest) == {"visit": [b], "account": [a]}
    current = {("account", a): {"entity": "account", "id": str(a), "op": "upsert", "version": 2, "data": {}}}
    changes = decide.page(latest, current)  # the visit is no longer the caller's: it goes as a delete
    assert [(ch["entity"], ch["op"], ch["version"]) for ch in changes] == [
        ("visit", "delete", 1),
        ("account", "upsert", 2),
        ("contact", "delete", 3),
    ]


def test_the_cursor_after_a_page_stands_on_its_last_change():
    cursor = protocol.Cursor(epoch="e", seq=9, mark="m9")
    rows = [ChangeRow(10, "account", RECORD, 1, "upsert", AT), ChangeRow(12, "account", RECORD, 2, "upsert", AT)]
    after = decide.next_change_cursor(cursor, rows, mark_now=lambda: pytest.fail("not asked"))
    assert (after.seq, after.mark) == (12, protocol.change_mark("account", RECORD, 2, "upsert", AT))
    assert decide.next_change_cursor(cursor, [], mark_now=lambda: "x") == cursor
    unmarked = protocol.Cursor(epoch="e", seq=9)
    assert decide.next_change_cursor(unmarked, [], mark_now=lambda: "m9").mark == "m9"


def test_the_protocol_package_imports_no_flask_and_no_database():
    import subprocess
    import sys

    code = (
        "import sys, sync, sync.decide, sync.merge, sync.protocol; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'marshmallow', 'server') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
