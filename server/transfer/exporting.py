"""Export a team's records as CSV or JSON, in the columns the importer reads (a round trip is lossless).

An export speaks the language asked for (zh-CN or English): a coded field (an industry, a stage, a status,
an activity's category ...) holds the code's words, and `<field>_code` beside it the code as stored, for
machines; a visit's purpose or outcome that is one of the team's presets reads in that language, its text
as recorded in `purpose_code` / `outcome_code`. The CSV of an importable kind names its columns as the
import template of that language does, so the file imports back as it is."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Account, Activity, Contact, Device, Opportunity, Photo, User, Visit
from ..words import fold, word
from .columns import ACCOUNT_COLUMNS, CODED, COLUMNS, CONTACT_COLUMNS, DEVICE_COLUMNS, code_column, header_name

ACCOUNT_FIELDS = [a[0] for a in ACCOUNT_COLUMNS.values()]
KINDS = ("accounts", "contacts", "devices", "opportunities", "visits", "activities", "photos")
# Kinds whose export may be a ZIP holding the CSV and the photos it names (`format=zip`).
WITH_FILES = ("visits", "photos")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# Every kind's coded fields (field -> vocabulary): the importable kinds' and the rest's.
CODED_EXPORTS = {
    **CODED,
    "opportunities": {"kind": "kind", "stage": "stage", "status": "status", "loss_reason": "loss_reason"},
    "activities": {"category": "category"},
}
PHRASES = {"purpose": "visit_purpose", "outcome": "visit_outcome"}  # a visit's fields the team's presets word


def _phrasebook(scope, lang):
    """{field: {folded preset in either language: the preset in `lang`}} of the scope's team."""
    phrases = scope.settings.phrases()
    return {
        name: {fold(p[other]): p[lang] for p in phrases[preset] for other in ("en", "zh-CN") if p.get(other)}
        for name, preset in PHRASES.items()
    }


def in_words(kind, columns, rows, lang, scope=None):
    """The rows with each coded field in words of `lang` and its code in `<field>_code` (appended to the
    columns); a visit's preset phrases in `lang`, as recorded beside them."""
    coded = CODED_EXPORTS.get(kind, {})
    book = _phrasebook(scope, lang) if kind == "visits" and scope is not None else {}
    for row in rows:
        for name, vocab in coded.items():
            code = row.get(name, "")
            row[code_column(name)] = code
            row[name] = word(vocab, code, lang)
        for name, words in book.items():
            text = row.get(name, "")
            row[code_column(name)] = text
            row[name] = words.get(fold(text), text) if text else text
    return [*columns, *(code_column(name) for name in [*coded, *book])], rows


# The Chinese column names of the kinds no import reads back (a manager opens them in a spreadsheet); the code
# columns beside the words keep their field names, for machines, as in every kind.
CHINESE_HEADERS = {
    "rep": "销售",
    "account_key": "客户编号",
    "account_name": "客户名称",
    "account_address": "客户地址",
    "id": "编号",
    "title": "商机名称",
    "kind": "类型",
    "stage": "阶段",
    "status": "状态",
    "man_money": "M 预算",
    "man_authority": "A 决策人",
    "man_need": "N 需求",
    "amount": "金额",
    "expected_close": "预计成交日",
    "loss_reason": "输单原因",
    "loss_note": "输单说明",
    "opened_at": "创建时间",
    "closed_at": "关闭时间",
    "purpose": "拜访目的",
    "planned_start": "计划开始",
    "check_in_at": "签到时间",
    "check_in_lat": "签到纬度",
    "check_in_lng": "签到经度",
    "check_in_accuracy_m": "签到精度（米）",
    "check_out_at": "签退时间",
    "outcome": "拜访结果",
    "notes": "备注",
    "next_step": "下一步",
    "photos": "照片",
    "visit_id": "拜访编号",
    "taken_at": "拍摄时间",
    "latitude": "纬度",
    "longitude": "经度",
    "accuracy_m": "精度（米）",
    "caption": "说明",
    "size": "大小（字节）",
    "sha256": "SHA-256",
    "file": "文件",
    "category": "类别",
    "started_at": "开始时间",
    "ended_at": "结束时间",
}


def headed(kind, columns, rows, lang):
    """(columns, rows) for a CSV: an importable kind's columns named as its import template of `lang` names
    them (the importer reads them back); every other kind's in Chinese words for zh-CN (CHINESE_HEADERS), else
    their field names; the code columns keep their field names."""
    if kind not in COLUMNS:
        names = CHINESE_HEADERS if lang == "zh-CN" else {}
    else:
        names = {aliases[0]: header_name(kind, name, lang) for name, aliases in COLUMNS[kind].items()}
    return [names.get(c, c) for c in columns], [{names.get(k, k): v for k, v in row.items()} for row in rows]


def photo_file(photo):
    """The name a photo's bytes have in an export's ZIP (and in its CSV); "" while it is not uploaded."""
    if photo.uploaded_at is None:
        return ""
    return f"photos/{photo.taken_at.strftime('%Y%m%d-%H%M%S')}-{photo.id}.{EXTENSIONS.get(photo.content_type, 'jpg')}"


def export_photos(scope):
    """The scope's reps' photos taken in the period, oldest first, with their accounts."""
    return db.session.execute(
        select(Photo, Account, User.username)
        .join(Account, Account.id == Photo.account_id)
        .join(User, User.id == Photo.rep_id)
        .where(Photo.rep_id.in_(scope.rep_ids), Photo.taken_at >= scope.start_utc, Photo.taken_at < scope.end_utc)
        .order_by(Photo.taken_at, Photo.id)
    ).all()


def _cell(value, tz=None):
    """A cell: instants in the team's time zone with their offset (an 08:45 check-in in Shanghai reads
    08:45+08:00, the same instant the importer reads back), dates and the rest as they are."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime) and value.tzinfo is not None and tz is not None:
        return value.astimezone(tz).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _account_ref(account):
    return {"account_key": account.external_key or "", "account_name": account.name, "account_address": account.address}


def export_rows(kind, scope):
    """(columns, rows as dicts) of one kind for the scope's reps and period."""
    rep_ids = scope.rep_ids

    def _text(value):  # every cell of this export in the scope's (the team's) time zone
        return _cell(value, scope.tz)

    if kind == "accounts":
        owner = aliased(User)
        rows = db.session.execute(
            select(Account, owner.username)
            .outerjoin(owner, owner.id == Account.owner_id)
            .where(Account.owner_id.in_(rep_ids))
            .order_by(Account.name, Account.id)
        )
        out = []
        for account, username in rows:
            item = {f: _text(getattr(account, f)) for f in ACCOUNT_COLUMNS if f not in ("owner", "account_class")}
            item.update({"class": account.account_class, "owner": username or ""})
            out.append(item)
        return ACCOUNT_FIELDS, out
    if kind in ("devices", "contacts"):
        model, columns = (Device, DEVICE_COLUMNS) if kind == "devices" else (Contact, CONTACT_COLUMNS)
        fields = [f for f in columns if not f.startswith("account_")]
        rows = db.session.execute(
            select(model, Account)
            .join(Account, Account.id == model.account_id)
            .where(Account.owner_id.in_(rep_ids))
            .order_by(Account.name, model.id)
        )
        out = [{**_account_ref(account), **{f: _text(getattr(record, f)) for f in fields}} for record, account in rows]
        return [columns[f][0] for f in columns], out
    if kind == "opportunities":
        fields = [
            "id",
            "title",
            "kind",
            "stage",
            "status",
            "man_money",
            "man_authority",
            "man_need",
            "amount",
            "expected_close",
            "loss_reason",
            "loss_note",
            "opened_at",
            "closed_at",
        ]
        rows = db.session.execute(
            select(Opportunity, Account)
            .join(Account, Account.id == Opportunity.account_id)
            .where(Account.owner_id.in_(rep_ids))  # the deals on the reps' accounts now
            .order_by(Opportunity.opened_at, Opportunity.id)
        )
        return (
            ["account_key", "account_name", "account_address", *fields],
            [{**_account_ref(a), **{f: _text(getattr(o, f)) for f in fields}} for o, a in rows],
        )
    if kind == "visits":
        fields = [
            "id",
            "purpose",
            "planned_start",
            "check_in_at",
            "check_in_lat",
            "check_in_lng",
            "check_in_accuracy_m",
            "check_out_at",
            "outcome",
            "notes",
            "next_step",
        ]
        rows = db.session.execute(
            select(Visit, Account, User.username)
            .join(Account, Account.id == Visit.account_id)
            .join(User, User.id == Visit.rep_id)
            .where(Visit.rep_id.in_(rep_ids), Visit.check_in_at >= scope.start_utc, Visit.check_in_at < scope.end_utc)
            .order_by(Visit.check_in_at, Visit.id)
        )
        rows = rows.all()
        files = {}
        for photo in db.session.scalars(
            select(Photo).where(Photo.visit_id.in_([v.id for v, _, _ in rows])).order_by(Photo.taken_at)
        ):
            if photo.uploaded_at is not None:
                files.setdefault(photo.visit_id, []).append(photo_file(photo))
        return (
            ["rep", "account_key", "account_name", "account_address", *fields, "photos"],
            [
                {
                    "rep": u,
                    **_account_ref(a),
                    **{f: _text(getattr(v, f)) for f in fields},
                    "photos": " | ".join(files.get(v.id, [])),
                }
                for v, a, u in rows
            ],
        )
    if kind == "photos":
        fields = ["id", "visit_id", "taken_at", "latitude", "longitude", "accuracy_m", "caption", "size", "sha256"]
        return (
            ["rep", "account_key", "account_name", "account_address", *fields, "file"],
            [
                {"rep": u, **_account_ref(a), **{f: _text(getattr(p, f)) for f in fields}, "file": photo_file(p)}
                for p, a, u in export_photos(scope)
            ],
        )
    fields = ["id", "category", "started_at", "ended_at", "notes"]
    rows = db.session.execute(
        select(Activity, User.username)
        .join(User, User.id == Activity.rep_id)
        .where(
            Activity.rep_id.in_(rep_ids), Activity.started_at >= scope.start_utc, Activity.started_at < scope.end_utc
        )
        .order_by(Activity.started_at, Activity.id)
    )
    return ["rep", *fields], [{"rep": u, **{f: _text(getattr(a, f)) for f in fields}} for a, u in rows]
