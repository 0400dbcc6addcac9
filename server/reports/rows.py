"""Building blocks every report shares: a rep's row head, a percentage, and the read path (instants
as epoch seconds, see server/fastpaths.py; ids as text straight from the database; Core rows
without ORM bookkeeping)."""
from sqlalchemy import String, cast

from ..extensions import db


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
