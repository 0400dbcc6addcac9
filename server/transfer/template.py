"""The import template of a kind and language: the header row, then, for accounts, one example row whose values
the import reads as they are (a vocabulary's words in the file's language) and a note line giving each coded
column's allowed values. The import skips a note line (its first cell starts with #) and the example row left
unchanged (its key and name are the template's), each with its reason in the report."""

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


def example(lang, owner=""):
    """The example account's row, {field: cell}, in `lang`, held by `owner` (a username)."""
    values = {**EXAMPLE_COMMON, **EXAMPLE[lang], "owner": owner}
    coded = CODED["accounts"]
    return {f: word(coded[f], v, lang) if f in coded else v for f, v in values.items()}


def template(kind, lang, principal):
    """(header, rows) of the import template of `kind` in `lang` for the caller."""
    header = template_header(kind, lang)
    if kind != "accounts":
        return header, []
    fields = template_fields(kind)
    first, owner = NOTE[lang]
    note = {**allowed(kind, lang), "owner": owner, fields[0]: first}
    rows = (example(lang, example_owner(principal)), note)
    return header, [{header_name(kind, f, lang): row.get(f, "") for f in fields} for row in rows]


def is_note(cells):
    return bool(cells) and cells[0].strip().startswith(NOTE_MARK)


def is_example(kind, values):
    """Whether a row's values ({field: text}) are the template's example account left as it is: its key and name
    (a spreadsheet may have reformatted the numbers)."""
    return kind == "accounts" and any(
        values.get("external_key") == EXAMPLE[lang]["external_key"] and values.get("name") == EXAMPLE[lang]["name"]
        for lang in EXAMPLE
    )
