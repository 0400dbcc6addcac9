"""Export a team's records as CSV or JSON, in the columns the importer reads (a round trip is lossless)."""
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Account, Activity, Contact, Device, Opportunity, User, Visit
from .columns import ACCOUNT_COLUMNS, CONTACT_COLUMNS, DEVICE_COLUMNS

ACCOUNT_FIELDS = [a[0] for a in ACCOUNT_COLUMNS.values()]
KINDS = ("accounts", "contacts", "devices", "opportunities", "visits", "activities")


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _account_ref(account):
    return {"account_key": account.external_key or "", "account_name": account.name, "account_address": account.address}


def export_rows(kind, scope):
    """(columns, rows as dicts) of one kind for the scope's reps and period."""
    rep_ids = scope.rep_ids
    if kind == "accounts":
        owner = aliased(User)
        rows = db.session.execute(select(Account, owner.username).outerjoin(owner, owner.id == Account.owner_id)
                                  .where(Account.owner_id.in_(rep_ids)).order_by(Account.name, Account.id))
        out = []
        for account, username in rows:
            item = {f: _text(getattr(account, f)) for f in ACCOUNT_COLUMNS if f not in ("owner", "account_class")}
            item.update({"class": account.account_class, "owner": username or ""})
            out.append(item)
        return ACCOUNT_FIELDS, out
    if kind in ("devices", "contacts"):
        model, columns = (Device, DEVICE_COLUMNS) if kind == "devices" else (Contact, CONTACT_COLUMNS)
        fields = [f for f in columns if not f.startswith("account_")]
        rows = db.session.execute(select(model, Account).join(Account, Account.id == model.account_id)
                                  .where(Account.owner_id.in_(rep_ids)).order_by(Account.name, model.id))
        out = [{**_account_ref(account), **{f: _text(getattr(record, f)) for f in fields}} for record, account in rows]
        return [columns[f][0] for f in columns], out
    if kind == "opportunities":
        fields = ["id", "title", "kind", "stage", "status", "man_money", "man_authority", "man_need", "amount",
                  "expected_close", "loss_reason", "loss_note", "opened_at", "closed_at"]
        rows = db.session.execute(select(Opportunity, Account).join(Account, Account.id == Opportunity.account_id)
                                  .where(Opportunity.owner_id.in_(rep_ids)).order_by(Opportunity.opened_at, Opportunity.id))
        return (["account_key", "account_name", "account_address", *fields],
                [{**_account_ref(a), **{f: _text(getattr(o, f)) for f in fields}} for o, a in rows])
    if kind == "visits":
        fields = ["id", "purpose", "planned_start", "check_in_at", "check_in_lat", "check_in_lng", "check_in_accuracy_m",
                  "check_out_at", "outcome", "notes", "next_step"]
        rows = db.session.execute(select(Visit, Account, User.username).join(Account, Account.id == Visit.account_id)
                                  .join(User, User.id == Visit.rep_id)
                                  .where(Visit.rep_id.in_(rep_ids), Visit.check_in_at >= scope.start_utc,
                                         Visit.check_in_at < scope.end_utc).order_by(Visit.check_in_at, Visit.id))
        return (["rep", "account_key", "account_name", "account_address", *fields],
                [{"rep": u, **_account_ref(a), **{f: _text(getattr(v, f)) for f in fields}} for v, a, u in rows])
    fields = ["id", "category", "started_at", "ended_at", "notes"]
    rows = db.session.execute(select(Activity, User.username).join(User, User.id == Activity.rep_id)
                              .where(Activity.rep_id.in_(rep_ids), Activity.started_at >= scope.start_utc,
                                     Activity.started_at < scope.end_utc).order_by(Activity.started_at, Activity.id))
    return ["rep", *fields], [{"rep": u, **{f: _text(getattr(a, f)) for f in fields}} for a, u in rows]
