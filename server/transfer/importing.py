"""Import accounts, installed devices (MIF) and contacts from a CSV file, row by row.

Every row goes through the same marshmallow schema and service rules as the API. Rows are streamed;
the writes of one file share one transaction, committed only when no row failed (or with
`skip_invalid`, the valid ones) and not on a dry run. Re-importing a file updates the records it
made: accounts are matched by `external_key`, else by name + address; devices by account, brand,
model and install date; contacts by account and name. Only the importer's territory is matched: a row naming
another's account is "no account matches", and one whose key is another's record is refused as not theirs
(`import_not_yours`), whatever that record holds.
"""

from dataclasses import asdict, dataclass, field

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.schemas import AccountSchema
from ..accounts.services import accounts as account_service
from ..changelog import recorded
from ..contacts.schemas import ContactSchema
from ..contacts.services import contacts as contact_service
from ..csvio import FORMULA_START
from ..datum import WGS84, to_wgs84
from ..datum import normalise as normalise_datum
from ..devices.schemas import DeviceSchema
from ..devices.services import devices as device_service
from ..errors import AppError
from ..extensions import db
from ..messages import message_code
from ..models import Account, Contact, Device, User
from ..words import read_coded
from .columns import CODED, REQUIRED, VALUES, code_column, column_names, map_header
from .reading import FileProblem, read_rows
from .template import is_example, is_note

EXPUNGE_EVERY = 1000
PROGRESS_EVERY = 250  # rows between two progress calls
# The report lists at most this many problems of each kind; the counts say how many there were.
MAX_LISTED = 500
NOTE_SKIPPED = "A note line (its first cell starts with #): not imported."
EXAMPLE_SKIPPED = "The template's example row, left as it is: not imported."
NOT_YOURS = "This row names a record outside your territory: not imported."


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    geocoded: int = 0
    written: bool = False
    errors: list = field(default_factory=list)  # {"row", "field", "message"}, the first MAX_LISTED
    warnings: list = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0

    def error(self, row, field_name, messages):
        self.error_count += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append(_problem(row, field_name, messages))

    def warn(self, row, field_name, messages):
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(_problem(row, field_name, messages))

    def as_dict(self):
        return asdict(self)


def _problem(row, field_name, messages):
    """One listed problem: its English text and, beside it, each message's code for the client's language."""
    messages = [messages] if isinstance(messages, str) else [str(m) for m in messages]
    return {
        "row": row,
        "field": field_name,
        "message": " ".join(messages),
        "codes": [message_code(m) for m in messages],
    }


def _cell(cells, index):
    value = cells[index].strip() if index is not None and index < len(cells) else ""
    # Exports put a quote before text a spreadsheet would run as a formula; take it off again.
    if value.startswith("'") and value[1:2] and value[1:2] in FORMULA_START:
        value = value[1:]
    return value


class _Rows:
    """Shared row handling: header mapping, value translation, validation, matching and writing."""

    kind = None
    schema = None
    service = None
    model = None

    def __init__(self, principal, report, owner=None, geocoder=None, datum=WGS84):
        self.principal, self.report, self.owner, self.geocoder = principal, report, owner, geocoder
        self.datum = datum
        self.seen = {}
        self.users = {}

    def values(self, mapping, cells):
        raw = {f: _cell(cells, i) for f, i in mapping.items()}
        for name, vocab in CODED.get(self.kind, {}).items():  # words in either language, or the code beside them
            code = raw.pop(code_column(name), "")
            if raw.get(name) or code:
                raw[name] = read_coded(vocab, raw.get(name, ""), code)
        return {f: VALUES.get(f, {}).get(v, v) for f, v in raw.items() if v != ""}

    def load(self, row, data):
        try:
            return self.schema.load(data)
        except ValidationError as exc:
            for name, messages in exc.normalized_messages().items():
                self.report.error(row, name, messages if isinstance(messages, list) else [str(messages)])
            return None

    def account_ref(self, row, data):
        key, name = data.pop("account_key", None), data.pop("account_name", None)
        address = data.pop("account_address", None)
        mine = select(Account.id).where(account_service.read_scope(self.principal))  # another team's: no match
        if key:
            found = db.session.scalars(mine.where(Account.external_key == key)).all()
        elif name:
            query = mine.where(Account.name == name)
            if address:
                query = query.where(Account.address == address)
            found = db.session.scalars(query).all()
        else:
            self.report.error(row, "account", "Name the account: account_key (客户编号) or account_name (客户名称).")
            return None
        if len(found) != 1:
            what = "No" if not found else "More than one"
            self.report.error(row, "account", f"{what} account matches {key or name!r}.")
            return None
        return found[0]

    def load_for_account(self, row, data):
        """The row's account and the row validated with its id, or None. The row is validated even
        when its account is not found, so each of its problems is reported at once."""
        account_id = self.account_ref(row, data)
        loaded = self.load(row, {**data, "account_id": str(account_id)} if account_id else data)
        return None if loaded is None or account_id is None else (account_id, loaded)

    def write(self, row, data, existing_id):
        try:
            if existing_id is None:
                self.service.apply_create(self.principal, data)
                self.report.created += 1
                return
            current = db.session.scalar(
                select(self.model).where(self.model.id == existing_id, self.service.read_scope(self.principal))
            )
            if current is None:  # the same answer whatever the other territory's record holds
                self.report.error(row, "key", NOT_YOURS)
                return
            changes = {k: v for k, v in data.items() if getattr(current, k) != v}
            if changes:
                self.service.apply_update(self.principal, existing_id, changes)
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        except AppError as exc:
            for name, messages in (exc.fields or {"row": [exc.message]}).items():
                self.report.error(row, name, messages)

    def once(self, row, key):
        """Refuse the second row of a file with the same key."""
        if key in self.seen:
            self.report.error(row, "key", f"Same record as row {self.seen[key]}.")
            return False
        self.seen[key] = row
        return True


class AccountRows(_Rows):
    kind, schema, service, model = "accounts", AccountSchema(), account_service, Account

    def to_wgs84(self, row, data):
        """The row's position as stored (WGS-84), from the datum its `datum` column or the import names;
        False when that datum is unknown. A position that is not a number is left to the schema to refuse."""
        try:
            source = normalise_datum(data.pop("datum", None) or self.datum)
        except ValueError as exc:
            self.report.error(row, "datum", str(exc))
            return False
        if source == WGS84 or "latitude" not in data or "longitude" not in data:
            return True
        try:
            lat, lng = float(data["latitude"]), float(data["longitude"])
            lng, lat = to_wgs84(lng, lat, source)
        except (TypeError, ValueError):
            return True
        # Seven decimals (1 cm): a re-import of the same file finds the stored values unchanged.
        data["latitude"], data["longitude"] = round(lat, 7), round(lng, 7)
        return True

    def owner_id(self, row, owner):
        """The owner a cell names, by username, else by display name (as a manager knows the team: 孙军);
        a name two people share in the importer's team (or, for an admin, anywhere) is refused."""
        found = db.session.scalar(select(User.id).where(User.username == owner))
        if found is not None:
            return found
        named = db.session.execute(
            select(User.id, User.team_id).where(func.lower(User.display_name) == owner.strip().lower())
        ).all()
        team = getattr(self.principal, "team_id", None)
        if len(named) > 1 and team is not None:
            named = [n for n in named if n.team_id == team] or named
        if len(named) == 1:
            return named[0].id
        if named:
            self.report.error(row, "owner", f"More than one person is named {owner!r}: use the username.")
        else:
            self.report.error(row, "owner", f"No user {owner!r}.")
        return None

    def handle(self, row, data):
        owner = data.pop("owner", None) or self.owner
        if owner:
            owner_id = self.users.get(owner) or self.owner_id(row, owner)
            if owner_id is None:
                return
            self.users[owner] = data["owner_id"] = owner_id
        if not self.to_wgs84(row, data):
            return
        if ("latitude" not in data or "longitude" not in data) and data.get("address") and self.geocoder:
            try:
                data["latitude"], data["longitude"] = self.geocoder.lookup(data["address"])
                self.report.geocoded += 1
            except LookupError as exc:
                self.report.warn(row, "address", f"Not geocoded ({exc}): imported without a position, not plannable.")
        loaded = self.load(row, data)
        if loaded is None:
            return
        key = (
            ("key", loaded["external_key"])
            if loaded.get("external_key")
            else ("name", loaded["name"], loaded.get("address", ""))
        )
        if not self.once(row, key):
            return
        if key[0] == "key":
            existing = db.session.scalar(select(Account.id).where(Account.external_key == key[1]))
        else:
            existing = db.session.scalar(
                select(Account.id)
                .where(Account.name == key[1], Account.address == key[2], account_service.read_scope(self.principal))
                .order_by(Account.created_at)
                .limit(1)
            )
        self.write(row, loaded, existing)


class DeviceRows(_Rows):
    kind, schema, service, model = "devices", DeviceSchema(), device_service, Device

    def handle(self, row, data):
        found = self.load_for_account(row, data)
        if found is None:
            return
        account_id, loaded = found
        key = (account_id, loaded["brand"], loaded.get("model", ""), loaded.get("installed_on"))
        if not self.once(row, key):
            return
        existing = db.session.scalar(
            select(Device.id)
            .where(
                Device.account_id == account_id,
                Device.brand == key[1],
                Device.model == key[2],
                Device.installed_on.is_(None) if key[3] is None else Device.installed_on == key[3],
            )
            .limit(1)
        )
        self.write(row, loaded, existing)


class ContactRows(_Rows):
    kind, schema, service, model = "contacts", ContactSchema(), contact_service, Contact

    def handle(self, row, data):
        found = self.load_for_account(row, data)
        if found is None:
            return
        account_id, loaded = found
        if not self.once(row, (account_id, loaded["name"])):
            return
        existing = db.session.scalar(
            select(Contact.id).where(Contact.account_id == account_id, Contact.name == loaded["name"]).limit(1)
        )
        self.write(row, loaded, existing)


HANDLERS = {"accounts": AccountRows, "devices": DeviceRows, "contacts": ContactRows}


def import_file(
    principal,
    kind,
    binary,
    *,
    owner=None,
    dry_run=False,
    skip_invalid=False,
    geocoder=None,
    datum=WGS84,
    progress=None,
    finish=None,
):
    """Import one CSV file; return the report. Nothing is written on a dry run or when a row fails
    (unless `skip_invalid`, which writes the valid rows and lists the others). An account row's
    latitude/longitude are in `datum` (wgs84, gcj02, bd09) unless its `datum` column says otherwise,
    and are stored as WGS-84 (server/datum.py); a geocoder's answers come converted to WGS-84
    (transfer/geocoding.py), whatever the provider's datum.

    `progress(rows, bytes_read)` is called every PROGRESS_EVERY rows; `finish(report)` at the end,
    inside the transaction that writes the rows (a background job stores its outcome with them)."""
    report = ImportReport(kind=kind, dry_run=dry_run)
    handler = HANDLERS[kind](principal, report, owner=owner, geocoder=geocoder, datum=datum)
    if kind == "accounts" and hasattr(geocoder, "prefetch"):
        _prefetch(geocoder, binary)
    with recorded(db.session):
        whole = _read_into(handler, report, kind, binary, progress)
        if (
            not whole
            or dry_run
            or report.error_count
            and (not skip_invalid or any(e["row"] <= 1 for e in report.errors))
        ):
            db.session.rollback()
            report.skipped = report.rows if not dry_run else report.skipped
        else:
            report.written = True
        if finish:
            finish(report)
        db.session.commit()
    if hasattr(geocoder, "save"):
        geocoder.save()  # what the provider answered is kept even when the rows were not
    return report


def _prefetch(geocoder, binary):
    """Read the file once ahead to hand the geocoder every address of a row without a position, so
    it can ask its cache and then the provider in batches (高德: 10 to a request); the rows are
    then read again from the start. A stream that cannot go back is left to row-by-row lookups."""
    if not (hasattr(binary, "seekable") and binary.seekable()):
        return
    start = binary.tell()
    rows = read_rows(binary)
    addresses = []
    try:
        _, header = next(rows)
        mapping, _ = map_header("accounts", header)
        if "address" in mapping:
            for _, cells in rows:
                if not (_cell(cells, mapping.get("latitude")) and _cell(cells, mapping.get("longitude"))):
                    address = _cell(cells, mapping["address"])
                    if address:
                        addresses.append(address)
    except (FileProblem, StopIteration):
        pass  # the import itself reports what is wrong with the file
    finally:
        rows.close()
        binary.seek(start)
    if addresses:
        geocoder.prefetch(addresses)


def _handled(handler, report, number, values):
    """Hand one row to the handler; False when it conflicts with a record written meanwhile (the file stops)."""
    try:
        handler.handle(number, values)
    except IntegrityError:
        db.session.rollback()
        report.error(number, "row", "Conflicts with a stored record (written meanwhile?); nothing was imported.")
        return False
    return True


def _read_into(handler, report, kind, binary, progress):
    """Hand every row to the handler; False when the file cannot be imported at all."""
    try:
        rows = read_rows(binary)
        _, header = next(rows)
        mapping, unknown = map_header(kind, header)
        present = set(mapping) | {f for f in CODED.get(kind, ()) if code_column(f) in mapping}
        missing = [column_names(kind, f) for f in sorted(REQUIRED[kind] - present)]
        if kind != "accounts" and not {"account_key", "account_name"} & set(mapping):
            missing.append(f"{column_names(kind, 'account_key')} or {column_names(kind, 'account_name')}")
        if unknown:  # said also when the file is refused: a misspelt header is the usual cause
            report.warn(1, "header", f"Ignored column(s): {', '.join(unknown)}.")
        if missing:
            report.error(1, "header", f"Missing column(s): {', '.join(missing)}.")
            return False
        for number, cells in rows:
            report.rows += 1
            before = report.error_count
            values = None if is_note(cells) else handler.values(mapping, cells)
            if values is None or is_example(kind, values):  # the template's lines, skipped with the reason
                report.warn(number, "row", NOTE_SKIPPED if values is None else EXAMPLE_SKIPPED)
                report.skipped += 1
            elif not _handled(handler, report, number, values):
                return False
            else:
                report.skipped += report.error_count > before
            if report.rows % EXPUNGE_EVERY == 0:
                db.session.flush()
                db.session.expunge_all()  # keeps memory flat on large files; the rows are written
            if progress and report.rows % PROGRESS_EVERY == 0:
                progress(report.rows, binary.tell())
    except FileProblem as exc:
        report.error(0, "file", str(exc))
        return True
    if not report.rows:
        report.warn(0, "file", "No rows under the header: nothing to import.")
    return True
