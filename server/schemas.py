"""Schema building blocks shared by the resource blueprints."""

import math
import re
from collections.abc import Mapping
from datetime import date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, pre_load, validate

# What no column can keep: NUL (PostgreSQL text refuses it) and lone UTF-16 surrogates (not UTF-8).
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # dates outside are typing errors, and overflow time zone arithmetic
_BIGINT = 2**63 - 1
# The forms of a day and an instant the document publishes (YYYY-MM-DD, then T and the time): Python would also
# read a week date (2026-W49), the basic form (20261201) and a space for the T, which no client is told of.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_INSTANT_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T")


def unstorable(value):
    """Why a loaded value cannot be stored as it is, or None."""
    if isinstance(value, str):
        return (
            "Contains a character that cannot be stored (NUL or a lone surrogate)."
            if _UNSTORABLE_TEXT.search(value)
            else None
        )
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "Out of range." if abs(value) > _BIGINT else None
    if isinstance(value, float):
        return None if math.isfinite(value) else "Must be a finite number."
    if isinstance(value, (date, datetime)):
        ok = EARLIEST_YEAR <= value.year <= LATEST_YEAR
        return None if ok else f"Must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}."
    if isinstance(value, (list, tuple)):
        return next((why for why in map(unstorable, (v for v in value if not isinstance(v, dict))) if why), None)
    return None


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped; a value no column could keep (NUL, a lone
    surrogate, a date in year 1 or 9999, a number past 64 bits, NaN) is refused per field, so bad input
    is a 422 naming the field (in sync, that mutation's `rejected`), never a server error."""

    class Meta:
        unknown = RAISE
        ordered = True

    @pre_load
    def _refuse_fractions_for_whole_numbers(self, data, **_):
        """2.7 for a whole number is an error, not 2 (marshmallow would truncate it); 0 or 1 for a boolean
        too (marshmallow would read them as false and true)."""
        if isinstance(data, Mapping):  # a query string's too (webargs' MultiDictProxy)
            problems = {}
            for field in self.load_fields.values():
                value = data.get(field.data_key or field.name)
                if isinstance(field, fields.Integer) and isinstance(value, float) and not value.is_integer():
                    problems[field.data_key or field.name] = ["Must be a whole number."]
                elif isinstance(field, fields.Boolean) and type(value) in (int, float):
                    # 0 and 1 for false and true (marshmallow would take them): the document says boolean.
                    problems[field.data_key or field.name] = ["Not a valid boolean."]
                elif isinstance(value, str) and isinstance(field, fields.Date) and not _ISO_DAY.fullmatch(value):
                    problems[field.data_key or field.name] = ["Not a valid date."]
                elif (
                    isinstance(value, str)
                    and isinstance(field, fields.DateTime)
                    and not _ISO_INSTANT_START.match(value)
                ):
                    problems[field.data_key or field.name] = ["Not a valid datetime."]
            if problems:
                raise ValidationError(problems)
        return data

    @post_load
    def _refuse_the_unstorable(self, data, **_):
        problems = {}
        for name, value in data.items():
            why = unstorable(value)
            if why:
                field = self.fields.get(name)
                problems[(field.data_key if field is not None and field.data_key else name)] = [why]
        if problems:
            raise ValidationError(problems)
        return data


class Pattern(validate.Regexp):
    """validate.Regexp that must match the whole value, as the pattern it is published as (an OpenAPI
    `pattern`, read by ECMA rules) does: Python's `$` would also match before a final newline."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# The white space a published pattern names, spelled out: `\s` is not the same set in ECMA (the document's
# reading), in Python's re and in Python's re.ASCII.
SPACE = r" \t\n\r\f\v\u00a0\u3000"
# An address as the OpenAPI document publishes it (one @, no spaces nor NUL, a dot in the domain), or empty.
EMAIL = rf"^(|[^@{SPACE}\x00]+@[^@{SPACE}.\x00]+(\.[^@{SPACE}.\x00]+)+)$"

# A WeCom or DingTalk user id (white space around it is trimmed): one member, never a list. WeCom reads `|` in its
# `touser` as a separator and `@all` as every member of the corp, DingTalk reads `,` in its `userid_list`: an id
# holding one sent the user's notices to other people as well.
IM_USERID = rf"^[{SPACE}]*[^@|,{SPACE}\x00][^|,{SPACE}\x00]*[{SPACE}]*$"


def text(max_length, **kwargs):
    """A string field with the column's length limit."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def required_text(max_length, **kwargs):
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)


def latitude(**kwargs):
    return fields.Float(validate=validate.Range(-90, 90), allow_none=True, **kwargs)


def longitude(**kwargs):
    return fields.Float(validate=validate.Range(-180, 180), allow_none=True, **kwargs)


def instant(**kwargs):
    """An ISO 8601 datetime that must carry its offset (stored in UTC)."""
    return fields.AwareDateTime(**kwargs)


class RecordSchema(StrictSchema):
    """Fields every phone-creatable record has; `id` is chosen by the client on create."""

    id = fields.UUID()
    version = fields.Integer(validate=validate.Range(min=1))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PeriodArgs(PageArgs):
    """Filter records whose time falls in [from, to)."""

    from_ = instant(data_key="from")
    to = instant()


def page_schema(item_schema, name):
    """Make the paginated list envelope for one item schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


LANGUAGES = ("zh-CN", "en")  # what the server writes for people speaks one of these


def lang_field():
    """The `lang` query parameter of a file the server writes for people (an export, a report's CSV)."""
    return fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={
            "description": "the language of the words in the file (zh-CN or en): coded fields (industry, stage, "
            "status, category ...) in words, with the code beside them in `<field>_code`; by default the "
            "request's Accept-Language, else the user's language"
        },
    )
