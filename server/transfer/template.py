"""The import template of a kind and language: the header row, one example row whose values the import reads as
they are (a vocabulary's words in the file's language) and a note line giving each coded column's allowed
values. A device's or contact's example hangs off the account example's key and name. The import skips a note
line (its first cell starts with #) and the example row left unchanged (an account's key and name, a device's
brand, a contact's name are the template's), each with its reason in the report."""

from sqlalchemy import select

from ..datum import DATUMS
from ..extensions import db
from ..models import User
from ..models.vocab import ACCOUNT_CLASSES
from ..words import catalogue, word
from .columns import CODED, header_name, template_fields, template_header

NOTE_MARK = "#"
# The example account, by field: a coded field's code (written as its words), else the value as written.
EXAMPLE = {
    "zh-CN": {
        "external_key": "KH-0001",
        "name": "示例客户（上海）有限公司",
        "address": "上海市徐汇区漕溪北路88号",
        "region": "徐汇",
        "notes": "示例行：原样不导入，改成你的客户",
    },
    "en": {
        "external_key": "KH-0001",
        "name": "Example Trading Co.",
        "address": "88 Caoxi North Road, Xuhui, Shanghai",
        "region": "Xuhui",
        "notes": "Example row: not imported as it is; replace it with your account",
    },
}
EXAMPLE_COMMON = {
    "latitude": "31.188",
    "longitude": "121.437",
    "industry": "manufacturing",
    "employee_band": "50-199",
    "org_type": "head_office",
    "account_class": "B",
    "last_year_sales": "120000",
    "datum": "gcj02",
}
# A device's and a contact's example, by language; their account is the account example.
CHILD_EXAMPLE = {
    "devices": {
        "zh-CN": {"brand": "示例品牌", "model": "示例型号 C300", "notes": "示例行：原样不导入，改成你的设备"},
        "en": {
            "brand": "Example Brand",
            "model": "Example C300",
            "notes": "Example row: not imported as it is; replace it with your device",
        },
    },
    "contacts": {
        "zh-CN": {
            "name": "王示例",
            "title": "行政经理",
            "department": "行政部",
            "notes": "示例行：原样不导入，改成你的联系人",
        },
        "en": {
            "name": "Example Wang",
            "title": "Office manager",
            "department": "Administration",
            "notes": "Example row: not imported as it is; replace it with your contact",
        },
    },
}
CHILD_COMMON = {
    "devices": {"ownership": "competitor", "colour": "colour", "installed_on": "2023-05-10", "monthly_volume": "8000"},
    "contacts": {"phone": "13800000000", "email": "wang@example.com", "purchase_role": "decision_maker"},
}
# The field that tells a child example from a real row, with the account's key.
CHILD_MARK = {"devices": "brand", "contacts": "name"}
NOTE = {
    "zh-CN": ("# 说明行（以 # 开头，不导入）：各列可选值", "用户名或姓名"),
    "en": ("# Note line (starts with #, not imported): the allowed values of each column", "username or name"),
}


def _codes(vocab, lang):
    prefix = f"code.{vocab}."
    return [key[len(prefix) :] for key in catalogue(lang) if key.startswith(prefix)]


def allowed(kind, lang):
    """{field: "word / word / …"} of a kind's fields with a fixed set of values, in `lang`."""
    found = {f: " / ".join(word(v, c, lang) for c in _codes(v, lang)) for f, v in CODED.get(kind, {}).items()}
    if kind == "accounts":
        found.update(account_class=" / ".join(ACCOUNT_CLASSES), datum=" / ".join(DATUMS))
    return found


def example_owner(principal):
    """A rep the caller may give an account to, by username: the first of the caller's team (anyone's for an
    admin); "" when there is none."""
    query = select(User.username).where(User.role == "rep", User.active.is_(True)).order_by(User.username)
    if not principal.is_admin:
        query = query.where(User.team_id == principal.team_id)
    return db.session.scalar(query.limit(1)) or ""


def example(lang, owner="", kind="accounts"):
    """The example row of `kind`, {field: cell}, in `lang`; an account's held by `owner` (a username)."""
    if kind == "accounts":
        values = {**EXAMPLE_COMMON, **EXAMPLE[lang], "owner": owner}
    else:
        account = {"account_key": EXAMPLE[lang]["external_key"], "account_name": EXAMPLE[lang]["name"]}
        values = {**account, **CHILD_COMMON[kind], **CHILD_EXAMPLE[kind][lang]}
    coded = CODED[kind]
    return {f: word(coded[f], v, lang) if f in coded else v for f, v in values.items()}


def template(kind, lang, principal):
    """(header, rows) of the import template of `kind` in `lang` for the caller: the header, an example, a note."""
    header = template_header(kind, lang)
    fields = template_fields(kind)
    first, owner = NOTE[lang]
    sep = "。本列：" if lang == "zh-CN" else ". This column: "
    note = allowed(kind, lang)
    # The first cell starts the note line with its mark; a coded first column (a device's ownership) follows it.
    note[fields[0]] = f"{first}{sep}{note[fields[0]]}" if fields[0] in note else first
    if kind == "accounts":
        note["owner"] = owner
        row = example(lang, example_owner(principal))
    else:
        row = example(lang, kind=kind)
    return header, [{header_name(kind, f, lang): r.get(f, "") for f in fields} for r in (row, note)]


def is_note(cells):
    return bool(cells) and cells[0].strip().startswith(NOTE_MARK)


def is_example(kind, values):
    """Whether a row's values ({field: text}) are the template's example left as it is: an account's key and name,
    a device's account key and brand, a contact's account key and name (a spreadsheet may have reformatted the
    numbers and dates)."""
    if kind == "accounts":
        return any(
            values.get("external_key") == EXAMPLE[lang]["external_key"] and values.get("name") == EXAMPLE[lang]["name"]
            for lang in EXAMPLE
        )
    mark = CHILD_MARK[kind]
    return any(
        values.get("account_key") == EXAMPLE[lang]["external_key"]
        and values.get(mark) == CHILD_EXAMPLE[kind][lang][mark]
        for lang in EXAMPLE
    )
