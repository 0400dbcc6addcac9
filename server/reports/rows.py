"""Building blocks every report shares: a rep's row head, a percentage, and the read path (instants
as epoch seconds, see server/fastpaths.py; ids as text straight from the database; Core rows
without ORM bookkeeping)."""

import re

from sqlalchemy import String, cast

from ..extensions import db
from ..models import Account, Opportunity

_DIGITS = re.compile(r"(\d+)")


def held_by(rep_ids, then=None):
    """Clauses for the opportunities on the reps' accounts (the territory, not the deal's `owner_id` as
    some write left it): now, or as they stood at an instant (`then`, server/reports/asof.py), read with
    `then.owner` as the rep they count for."""
    return (Account.id == Opportunity.account_id, then.held if then is not None else Account.owner_id.in_(rep_ids))


def natural_key(text):
    """`text` for sorting as people read it: digit runs by their value, so rep2 comes before rep10."""
    return [int(part) if part.isdigit() else part.casefold() for part in _DIGITS.split(text or "")]


def rep_order(rep):
    """The order of a report's rep rows: by name, naturally; the username and id break ties."""
    return (natural_key(rep_name(rep)), natural_key(rep.username), str(rep.id))


def rep_row(rep):
    return {"rep_id": str(rep.id), "username": rep.username, "name": rep_name(rep)}


def rep_name(rep):
    return (rep.display_name or rep.username) if rep is not None else None


def pct(part, whole):
    """`part` of `whole` in percent to one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def rep_keys(rep_ids):
    """Map each raw form of the reps' ids (UUID, hex as SQLite reads it, canonical text) to the UUID."""
    keys = {}
    for rep_id in rep_ids:
        keys.update({rep_id: rep_id, rep_id.hex: rep_id, str(rep_id): rep_id})
    return keys


def canonical(raw):
    """An id read by `raw_text` in the API's form: SQLite's 32 hex digits get their dashes."""
    if len(raw) == 32:
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return raw


def raw_text(column):
    # Ids as text made by the database (hex on SQLite, canonical on PostgreSQL), not a UUID object per row.
    return cast(column, String)


def core_rows(statement):
    # Core, not the ORM: plain column values need none of the ORM's per-row bookkeeping.
    return db.session.connection().execute(statement).all()
