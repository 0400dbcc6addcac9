"""Conflict rules, as pure functions over plain values."""

from datetime import timedelta

from . import entities
from .protocol import MAX_CLOCK_AHEAD_S

# Records that belong to their author (declared in entities.py): the later edit (by arrival) wins,
# no base version needed.
AUTHOR_OWNED = entities.authored()
# Instants that record when something happened; they may not lie in the future.
HAPPENED_AT = ("check_in_at", "check_out_at", "started_at", "ended_at", "opened_at", "changed_at", "taken_at")


def merge_update(client_fields, server_values, changed_on_server):
    """Split a phone's edit made at base_version into fields to apply and conflicts.

    `changed_on_server` holds the names of fields the server changed after that
    version (None: unknown, treat every field as changed). A field the server
    did not touch takes the phone's value; a field both changed keeps the server
    value and is reported with both values, unless they already agree.
    """
    apply, conflicts = {}, {}
    for name, value in client_fields.items():
        touched = changed_on_server is None or name in changed_on_server
        if not touched:
            apply[name] = value
        elif server_values.get(name) != value:
            conflicts[name] = {"client": value, "server": server_values.get(name)}
    return apply, conflicts


def too_far_ahead(values, server_now):
    """Names of happened-at instants more than 24 h ahead of the server clock."""
    limit = server_now + timedelta(seconds=MAX_CLOCK_AHEAD_S)
    return [name for name in HAPPENED_AT if values.get(name) is not None and values[name] > limit]
