"""A scoped CRUD service: list, get, create, update, delete within the caller's territory.

Each resource subclasses ScopedResource with its model, its read scope, its
write rules and its filters. Services take plain values (a Principal and
validated data) and commit in one place.
"""

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from .changelog import recorded, write_lock
from .errors import Conflict, NotFound
from .extensions import db
from .references import clear_before_delete


def refuse_stale(label, expected, current):
    """409 `version_conflict` when the caller's `expected` version (None: no check) is not `current`."""
    if expected is not None and expected != current:
        raise Conflict(
            f"The {label} changed since version {expected}; it is now version {current}.",
            {"version": [f"Stale: the current version is {current}."]},
            code="version_conflict",
        )


class ScopedResource:
    model = None
    label = "record"
    default_order = ()
    # Query arguments matched by equality against the column of the same name.
    equal_filters = ()
    # The column (or expression) that `from` and `to` bound, as [from, to).
    period_column = None

    # --- hooks a resource overrides -------------------------------------------
    def read_scope(self, principal):
        raise NotImplementedError

    def filter(self, stmt, args):
        for key in self.equal_filters:
            if args.get(key) is not None:
                stmt = stmt.where(getattr(self.model, key) == args[key])
        column = type(self).period_column  # read on the class: a mapped attribute is a descriptor
        if column is not None:
            if args.get("from_"):
                stmt = stmt.where(column >= args["from_"])
            if args.get("to"):
                stmt = stmt.where(column < args["to"])
        return stmt

    def prepare_create(self, principal, data):
        """Check the caller may create this and fill server-owned fields."""

    def check_write(self, principal, obj):
        """Raise if the caller may not change or delete `obj`."""

    def check_changes(self, principal, obj, changes):
        """Raise if the caller may not apply `changes` to `obj`."""

    def validate(self, obj):
        """Cross-field rules checked on the merged record before it is saved."""

    def before_save(self, principal, obj, before):
        """Set derived fields before the write is flushed; `before` is None on create."""

    def after_write(self, principal, obj, before):
        """Keep derived data current once the write is flushed; `before` is None on create,
        `{"deleted": True}` on delete, else the changed fields' earlier values."""

    def after_creates(self, principal, objs):
        """The same for creates staged together and flushed at once (see `batch_creates`)."""
        for obj in objs:
            self.after_write(principal, obj, None)

    # --- operations ------------------------------------------------------------
    def list(self, principal, args):
        args = dict(args)
        page, per_page = args.pop("page", 1), args.pop("per_page", 50)
        stmt = self.filter(select(self.model).where(self.read_scope(principal)), args)
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        order = self.default_order or (self.model.id,)
        items = db.session.scalars(
            stmt.order_by(*order, self.model.id).limit(per_page).offset((page - 1) * per_page)
        ).all()
        return {"items": items, "page": page, "per_page": per_page, "total": total}

    def get(self, principal, record_id, for_update=False):
        """The record if the caller may see it; `for_update` locks its row (PostgreSQL) and rereads it,
        so nothing changes it between this read and the caller's write."""
        stmt = select(self.model).where(self.model.id == record_id, self.read_scope(principal))
        if for_update:
            write_lock(db.session)  # SQLite: its write lock before the read (PostgreSQL: the row lock below)
            stmt = stmt.with_for_update(of=self.model).execution_options(populate_existing=True)
        obj = db.session.scalars(stmt).first()
        if obj is None:
            raise NotFound(f"No {self.label} {record_id} in your territory.")
        return obj

    def create(self, principal, data):
        with recorded(db.session):
            obj = self.apply_create(principal, data)
            db.session.commit()
        return obj

    def update(self, principal, record_id, data):
        """Update and commit. Without `version` the caller asked for no check: a concurrent write that
        slipped between the read and the write (SQLite takes its write lock only then) is retried."""
        for attempt in range(3):
            try:
                with recorded(db.session):
                    obj = self.apply_update(principal, record_id, data)
                    db.session.commit()
                return obj
            except StaleDataError:
                db.session.rollback()
                if "version" in data or attempt == 2:
                    raise

    def delete(self, principal, record_id):
        with recorded(db.session):
            self.apply_delete(principal, record_id)
            db.session.commit()

    # --- the same without committing, for callers that own the transaction (sync, imports) --
    # and so record the changes themselves (`with recorded(db.session):` around their commit).
    # True when a create's checks write nothing before they pass: then many creates may be staged,
    # flushed together and followed by one `after_creates` (sync push does, see sync_api/services.py).
    batch_creates = False

    def refuse_taken_id(self, principal, record_id):
        """Raise if a record with this id exists: 409 if the caller may see it, else 404."""
        if record_id is None or db.session.get(self.model, record_id) is None:
            return
        visible = db.session.scalar(select(self.model.id).where(self.model.id == record_id, self.read_scope(principal)))
        if visible is None:  # another territory's record: the same answer as for any record not yours
            raise NotFound(
                f"No {self.label} {record_id} in your territory; a new record needs a new id.", {"id": ["Unknown."]}
            )
        raise Conflict(f"A {self.label} with id {record_id} already exists.", {"id": ["Already exists."]})

    def stage_create(self, principal, data):
        """Check a new record and add it to the session, unflushed; raise before changing anything.
        Its id must be new: `apply_create` checks; a sync push has read which ids exist already."""
        data = dict(data)
        data.pop("version", None)
        self.prepare_create(principal, data)
        obj = self.model(**data)
        self.validate(obj)
        self.before_save(principal, obj, None)
        db.session.add(obj)
        return obj

    def apply_create(self, principal, data):
        """Create without committing."""
        self.refuse_taken_id(principal, data.get("id"))
        return self.write_new(principal, self.stage_create(principal, data))

    def write_new(self, principal, obj):
        """Flush a staged record and keep what derives from it current."""
        db.session.flush()
        self.after_write(principal, obj, None)
        return obj

    def apply_update(self, principal, record_id, data):
        data = dict(data)
        obj = self.get(principal, record_id, for_update=True)
        self.check_write(principal, obj)
        refuse_stale(self.label, data.pop("version", None), obj.version)
        if "id" in data and data.pop("id") != obj.id:
            raise Conflict("The id of a record cannot change.", {"id": ["Cannot change."]})
        self.check_changes(principal, obj, data)
        before = {key: getattr(obj, key) for key in data}
        for key, value in data.items():
            setattr(obj, key, value)
        self.validate(obj)
        self.before_save(principal, obj, before)
        db.session.flush()
        self.after_write(principal, obj, before)
        return obj

    def apply_delete(self, principal, record_id):
        obj = self.get(principal, record_id, for_update=True)
        self.check_write(principal, obj)
        clear_before_delete(db.session, obj)
        db.session.delete(obj)
        db.session.flush()
        self.after_write(principal, obj, {"deleted": True})
