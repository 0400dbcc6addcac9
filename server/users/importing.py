"""Users from a CSV file (username, display name, role, team, start position or address, first
appointment, locale, WeCom / DingTalk user ids), row by row, with a report per row as the account import gives.

Every row goes through the API's rules: the same field validation, the same scope (a manager imports
reps of their own team; admins anyone into any team). A row whose username exists updates that user
when the caller administers them, and is refused otherwise. A start (home or office) or end given as an
address is geocoded by the configured geocoder; positions given as numbers are in the file's datum and
stored as WGS-84. New users get a temporary password each, answered in the report once written, which
they change at their first login. The file's writes share one transaction, committed only when no row
failed and it is not a dry run.
"""

import secrets
from dataclasses import dataclass, field

from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from ..auth.services import hash_password, holder_of
from ..datum import WGS84, to_wgs84
from ..datum import normalise as normalise_datum
from ..extensions import db
from ..models import Team, User
from ..models.vocab import ROLES
from ..schemas import IM_USERID, Pattern, StrictSchema, latitude, longitude, text
from ..transfer.columns import _norm
from ..transfer.importing import ImportReport, _cell
from ..transfer.reading import FileProblem, read_rows
from .schemas import LOCALES, USERNAME
from .services import locate

COLUMNS = {
    "username": ["username", "login", "用户名", "账号"],
    "display_name": ["display_name", "name", "姓名", "显示名"],
    "role": ["role", "角色"],
    "team": ["team", "团队"],
    "start_address": ["start_address", "address", "home_address", "出发地址", "地址", "家庭地址"],
    "start_label": ["start_label", "出发地点"],
    "start_lat": ["start_lat", "latitude", "lat", "纬度"],
    "start_lng": ["start_lng", "longitude", "lng", "lon", "经度"],
    "end_address": ["end_address", "结束地址"],
    "end_lat": ["end_lat", "结束纬度"],
    "end_lng": ["end_lng", "结束经度"],
    "first_appointment_time": ["first_appointment_time", "first_appointment", "首次拜访时间", "首访时间"],
    "locale": ["locale", "language", "语言"],
    "wecom_userid": ["wecom_userid", "wecom", "企业微信账号", "企业微信id"],
    "dingtalk_userid": ["dingtalk_userid", "dingtalk", "钉钉账号", "钉钉id"],
    "datum": ["datum", "坐标系", "coordinate_system", "coord_type"],
}
REQUIRED = {"username", "role"}
VALUES = {
    "role": {
        "销售": "rep",
        "销售代表": "rep",
        "代表": "rep",
        "经理": "manager",
        "销售经理": "manager",
        "管理员": "admin",
    },
    "locale": {"中文": "zh-CN", "zh": "zh-CN", "zh-cn": "zh-CN", "英文": "en", "english": "en", "en-us": "en"},
}
# What a row may change on a user it updates (never the password, never the username).
EDITABLE = (
    "display_name",
    "role",
    "team_id",
    "locale",
    "start_label",
    "start_lat",
    "start_lng",
    "end_lat",
    "end_lng",
    "first_appointment_time",
)


class UserRowSchema(StrictSchema):
    username = fields.String(required=True, validate=[validate.Length(min=1, max=64), USERNAME])
    display_name = text(120)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    team = text(120)
    locale = fields.String(validate=validate.OneOf(LOCALES))
    start_label = text(200)
    start_lat = latitude()
    start_lng = longitude()
    end_lat = latitude()
    end_lng = longitude()
    first_appointment_time = fields.Time(format="%H:%M")
    # The user's id in the team's WeCom / DingTalk (linked in the corp of the user's team: server/notify/).
    wecom_userid = fields.String(validate=[validate.Length(max=64), Pattern(IM_USERID, error="Invalid value.")])
    dingtalk_userid = fields.String(validate=[validate.Length(max=64), Pattern(IM_USERID, error="Invalid value.")])


@dataclass
class UserImportReport(ImportReport):
    users: list = field(default_factory=list)  # {row, username, outcome, temporary_password, plannable, geocoded}


def map_header(header):
    lookup = {_norm(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    mapping, unknown = {}, []
    for index, name in enumerate(header):
        key = lookup.get(_norm(name))
        if key is None:
            if name.strip():
                unknown.append(name)
        elif key not in mapping:
            mapping[key] = index
    return mapping, unknown


class UserRows:
    schema = UserRowSchema()

    def __init__(self, principal, report, geocoder=None, datum=WGS84):
        self.principal, self.report, self.geocoder, self.datum = principal, report, geocoder, datum
        self.seen, self.teams = {}, {}

    def values(self, mapping, cells):
        raw = {name: _cell(cells, index) for name, index in mapping.items()}
        out = {}
        for name, value in raw.items():
            if value == "":
                continue
            translated = VALUES.get(name, {})
            out[name] = translated.get(value, translated.get(value.lower(), value))
        return out

    def entry(self, row, username, outcome="skipped", **extra):
        item = {"row": row, "username": username or "", "outcome": outcome, "temporary_password": None,
                "plannable": False, "geocoded": False, **extra}  # fmt: skip
        self.report.users.append(item)
        return item

    def positions(self, row, data):
        """Convert numeric positions from the row's datum to WGS-84; geocode addresses for missing ones.
        False when the row cannot go on."""
        try:
            source = normalise_datum(data.pop("datum", None) or self.datum)
        except ValueError as exc:
            self.report.error(row, "datum", str(exc))
            return False, False
        geocoded = False
        for prefix in ("start", "end"):
            lat_key, lng_key = f"{prefix}_lat", f"{prefix}_lng"
            address = data.pop(f"{prefix}_address", "")
            if lat_key in data or lng_key in data:
                if source != WGS84 and lat_key in data and lng_key in data:
                    try:
                        lng, lat = to_wgs84(float(data[lng_key]), float(data[lat_key]), source)
                        data[lat_key], data[lng_key] = round(lat, 7), round(lng, 7)
                    except (TypeError, ValueError):
                        pass  # not numbers: the schema says so
                continue
            if not address:
                continue
            try:
                data[lat_key], data[lng_key] = locate(address, self.geocoder)
            except LookupError as exc:
                if prefix == "start":
                    self.report.warn(
                        row,
                        "start_address",
                        f"Not geocoded ({exc}): imported without a start position, not plannable.",
                    )
                else:
                    self.report.warn(row, "end_address", f"Not geocoded ({exc}).")
                continue
            geocoded = True
            self.report.geocoded += 1
            if prefix == "start" and not data.get("start_label"):
                data["start_label"] = address[:200]
        return True, geocoded

    def team(self, row, name):
        """The team named by the row (a manager: their own, the default); None after reporting a problem."""
        if not name:
            if self.principal.is_manager:
                return self.principal.team_id
            return None
        if name not in self.teams:
            self.teams[name] = db.session.scalar(select(Team.id).where(Team.name == name))
        team_id = self.teams[name]
        if team_id is None or (self.principal.is_manager and team_id != self.principal.team_id):
            self.report.error(row, "team", f"No team {name}." if team_id is None else "Unknown team or not yours.")
            return False
        return team_id

    def handle(self, row, data):
        username = data.get("username", "")
        ok, geocoded = self.positions(row, data)
        if not ok:
            self.entry(row, username)
            return
        try:
            loaded = self.schema.load(data)
        except ValidationError as exc:
            for name, messages in exc.normalized_messages().items():
                self.report.error(row, name, messages if isinstance(messages, list) else [str(messages)])
            self.entry(row, username)
            return
        problems = {}
        for prefix in ("start", "end"):
            if (loaded.get(f"{prefix}_lat") is None) != (loaded.get(f"{prefix}_lng") is None):
                problems[f"{prefix}_lat"] = "Give latitude and longitude together."
        if self.principal.is_manager and loaded["role"] != "rep":
            problems["role"] = "Admins only."
        team_id = self.team(row, loaded.pop("team", None))
        for name, message in problems.items():
            self.report.error(row, name, message)
        if problems or team_id is False:
            self.entry(row, username)
            return
        if username.lower() in self.seen:
            self.report.error(row, "username", f"Same record as row {self.seen[username.lower()]}.")
            self.entry(row, username)
            return
        self.seen[username.lower()] = row
        existing = holder_of(username)
        if existing is not None and existing.username != username:  # the same name but for case: another user
            self.report.error(row, "username", "Already exists.")
            self.entry(row, username)
            return
        loaded["team_id"] = team_id
        ids = {name: loaded.pop(name) for name in ("wecom_userid", "dingtalk_userid") if name in loaded}
        if existing is None:
            user = self.create(row, loaded, geocoded)
        else:
            user = self.update(row, existing, loaded, geocoded)
        if user is not None and ids:
            self.link(row, user, ids)

    def link(self, row, user, ids):
        """Link the row's WeCom / DingTalk ids in the corp of the user's team; a problem is the row's error."""
        from ..errors import AppError
        from ..models import TeamChannel
        from ..notify.queue import corp_of
        from ..notify.signin import link

        channel = db.session.get(TeamChannel, user.team_id) if user.team_id else None
        for name, external_id in ids.items():
            provider = name.removesuffix("_userid")
            corp = corp_of(channel, provider)
            if not corp:
                self.report.error(row, name, f"The user's team has no {provider} corp id set (its channel settings).")
                continue
            try:
                link(user, provider, corp, external_id)
            except AppError as exc:
                self.report.error(row, name, exc.message)

    def create(self, row, loaded, geocoded):
        temporary = secrets.token_urlsafe(9)
        user = User(
            **loaded,
            password_hash=hash_password(temporary),
            must_change_password=True,
        )
        if not user.display_name:
            user.display_name = user.username
        db.session.add(user)
        db.session.flush()
        if user.team_id is not None and user.role == "manager":
            team = db.session.get(Team, user.team_id)
            if team.manager_id is None:
                team.manager_id = user.id
        self.report.created += 1
        self.entry(row, user.username, "created", temporary_password=temporary, geocoded=geocoded,
                   plannable=user.role == "rep" and user.start_lat is not None)  # fmt: skip
        return user

    def update(self, row, user, loaded, geocoded):
        from .services import user_scope

        administered = db.session.scalar(select(User.id).where(User.id == user.id, user_scope(self.principal)))
        if administered is None:
            self.report.error(row, "username", "Already exists.")
            self.entry(row, user.username)
            return None
        if loaded.get("role", user.role) != user.role and not self.principal.is_admin:
            self.report.error(row, "role", "Admins only.")
            self.entry(row, user.username)
            return None
        if loaded.get("team_id") is None and not self.principal.is_admin:
            loaded.pop("team_id", None)
        changes = {k: v for k, v in loaded.items() if k in EDITABLE and getattr(user, k) != v}
        for key, value in changes.items():
            setattr(user, key, value)
        if changes:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        self.entry(row, user.username, "updated" if changes else "unchanged", geocoded=geocoded,
                   plannable=user.role == "rep" and user.start_lat is not None)  # fmt: skip
        return user


def import_users(principal, binary, *, dry_run=False, geocoder=None, datum=WGS84):
    """Import one CSV file of users; return the report. Nothing is written on a dry run or when a row
    fails; the temporary passwords of created users are answered only when written."""
    report = UserImportReport(kind="users", dry_run=dry_run)
    handler = UserRows(principal, report, geocoder=geocoder, datum=datum)
    whole = _read_into(handler, report, binary)
    if not whole or dry_run or report.error_count:
        db.session.rollback()
        if not dry_run:
            report.skipped = report.rows
        for item in report.users:
            item["temporary_password"] = None
            if not dry_run and item["outcome"] != "skipped":
                item["outcome"] = "skipped"
    else:
        db.session.commit()
        report.written = True
    if geocoder is not None and hasattr(geocoder, "save"):  # the answers outlast this import (a dry run's too)
        geocoder.save()
    return report


def _read_into(handler, report, binary):
    try:
        rows = read_rows(binary)
        _, header = next(rows)
        mapping, unknown = map_header(header)
        missing = sorted(REQUIRED - set(mapping))
        if missing:
            report.error(1, "header", f"Missing column(s): {', '.join(missing)}.")
            return False
        if unknown:
            report.warn(1, "header", f"Ignored column(s): {', '.join(unknown)}.")
        for number, cells in rows:
            report.rows += 1
            before = report.error_count
            handler.handle(number, handler.values(mapping, cells))
            report.skipped += report.error_count > before
    except FileProblem as exc:
        report.error(0, "file", str(exc))
        return False
    return True
