"""The performance shortcuts that go around a library's plain path, in one place. Each says what it
saves, measured on this project's 2-core machine, and FIELDDAY_FAST_PATHS=0 (read at start; or
`fastpaths.ENABLED = False`) takes the plain path instead; the tests check both give the same answers.

1. `dump_many`: a sync page dumps thousands of records; marshmallow's per-field machinery (accessor,
   missing checks, dispatch) was most of a pull's time. For field types whose dump is a plain
   conversion it is applied directly (reading `schema.dump_fields` and the field's `_serialize`);
   every other field, and any schema with dump hooks, goes through marshmallow. 5,000 accounts:
   313 ms against 588 ms for `schema.dump` (median of 5, on a loaded machine). Plain: `schema.dump`.
   `dump_dicts` (through the `PlainList` field of the reports' answers) does the same for lists of plain
   dicts: a qualification report lists thousands of accounts. Plain: `fields.List(fields.Nested(...))`.
2. `epoch`: reports read tens of thousands of instants as epoch seconds computed by the database,
   instead of an aware datetime built per value. Plain: the column read as the model's UTC datetime
   and turned into seconds in Python (`type_coerce`), the same SQL otherwise.
3. `freeze_startup_heap`: `gc.freeze()` after start-up, so full collections in requests that build
   many rows do not walk the long-lived start-up objects again (report latency down by about a third
   when it was added). Plain: nothing frozen.
4. `row_dump`: a pull page (a snapshot's, or the change log's records as they are now) of an entity whose
   schema dumps only plain conversions of its model's columns (contacts, devices, visits, ...: three quarters
   of a territory's records) selects those columns and dumps each row, with no ORM object built per record
   (identity map, instrumented attributes). Plain: the model's objects, dumped by `dump_many`.
"""

import gc
import os
import uuid

from marshmallow import fields, missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from sqlalchemy import Float, cast, extract, inspect, type_coerce

from .models.base import UTCDateTime

ENABLED = os.environ.get("FIELDDAY_FAST_PATHS", "1").lower() not in ("0", "false", "no")


# --- 1. dumping many records ---------------------------------------------------------


def _plain(field):
    """A function value -> dumped value equal to field._serialize, or None when there is none."""
    kind = type(field)
    if kind is fields.UUID:
        return lambda v: None if v is None else str(v)
    if kind is fields.String:
        return lambda v: v if v is None or type(v) is str else field._serialize(v, None, None)
    if kind is fields.Integer and not field.as_string:
        return lambda v: v if v is None or type(v) is int else field._serialize(v, None, None)
    if kind is fields.Float and not field.as_string:
        return lambda v: v if v is None or type(v) is float else field._serialize(v, None, None)
    if kind is fields.Boolean:
        return lambda v: v if v is None or type(v) is bool else field._serialize(v, None, None)
    if kind in (fields.DateTime, fields.AwareDateTime, fields.NaiveDateTime, fields.Date) and (
        field.format or field.DEFAULT_FORMAT
    ) in ("iso", "iso8601"):
        return lambda v: None if v is None else v.isoformat()
    return None


def _dump_plan(schema):
    if schema._hooks.get(PRE_DUMP) or schema._hooks.get(POST_DUMP):
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        key, attr, convert = field.data_key or name, field.attribute or name, _plain(field)
        if convert is None or "." in attr:
            plan.append((key, None, field, name))
        else:
            plan.append((key, attr, convert, None))
    return plan


_PLANS = {}


def dump_many(schema, objs):
    """schema.dump(objs, many=True) for model objects, without the per-field overhead."""
    if not ENABLED:
        return schema.dump(objs, many=True)
    key = (type(schema), frozenset(schema.only or ()), frozenset(schema.exclude))
    if key not in _PLANS:
        _PLANS[key] = _dump_plan(schema)
    plan = _PLANS[key]
    if plan is None or any(isinstance(obj, dict) for obj in objs):
        return schema.dump(objs, many=True)
    out = []
    for obj in objs:
        row = {}
        for key, attr, convert, name in plan:
            if attr is not None:
                row[key] = convert(getattr(obj, attr))
            else:
                value = convert.serialize(name, obj, accessor=schema.get_attribute)
                if value is not missing:
                    row[key] = value
        out.append(row)
    return out


def dump_dicts(schema, items):
    """schema.dump(items, many=True) for plain dicts (a report's lists: thousands of accounts), without the
    per-field overhead: a key the dict lacks is left out, as marshmallow leaves it out."""
    if not ENABLED:
        return schema.dump(items, many=True)
    key = ("dicts", type(schema), frozenset(schema.only or ()), frozenset(schema.exclude))
    if key not in _PLANS:
        plan = _dump_plan(schema)
        if plan is not None:
            # A UUID field given text checks and normalises it, as marshmallow does.
            plan = [
                (k, attr, _uuid_of(field) if attr is not None and type(field) is fields.UUID else c, n)
                for (k, attr, c, n), field in zip(plan, schema.dump_fields.values(), strict=True)
            ]
        _PLANS[key] = plan
    plan = _PLANS[key]
    if plan is None or not all(type(item) is dict for item in items):
        return schema.dump(items, many=True)
    out = []
    for item in items:
        row = {}
        for key, attr, convert, name in plan:
            if attr is not None:
                value = item.get(attr, missing)
                if value is not missing:
                    row[key] = convert(value)
            else:
                value = convert.serialize(name, item, accessor=schema.get_attribute)
                if value is not missing:
                    row[key] = value
        out.append(row)
    return out


def _uuid_of(field):
    return lambda v: None if v is None else str(v) if type(v) is uuid.UUID else field._serialize(v, None, None)


class PlainList(fields.List):
    """A list of nested records dumped by `dump_dicts` (the same output as fields.List(fields.Nested(...)))."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or not isinstance(self.inner, fields.Nested) or not ENABLED:
            return super()._serialize(value, attr, obj, **kwargs)
        return dump_dicts(self.inner.schema, value)


# --- 4. records dumped from their rows -----------------------------------------------------


class RowDump:
    """The columns to select for `schema` on `model` and, per row of them, the dumped record and its version."""

    def __init__(self, model, plan):
        names = list(dict.fromkeys([attr for _, attr, _, _ in plan] + ["version"]))
        self.columns = [getattr(model, name) for name in names]
        at = {name: i for i, name in enumerate(names)}
        self.fields = [(key, at[attr], convert) for key, attr, convert, _ in plan]
        self.version_at = at["version"]

    def dump(self, row):
        return {key: convert(row[i]) for key, i, convert in self.fields}


_ROW_DUMPS = {}


def row_dump(schema, model):
    """A RowDump when every field `schema` dumps is a plain conversion of one of `model`'s columns (the same
    answer as dumping the model's object); None otherwise, and on the plain path."""
    if not ENABLED:
        return None
    key = (type(schema), frozenset(schema.only or ()), frozenset(schema.exclude), model)
    if key not in _ROW_DUMPS:
        plan = _dump_plan(schema)
        columns = {attr.key for attr in inspect(model).column_attrs}
        plain = plan is not None and "version" in columns and all(attr in columns for _, attr, _, _ in plan)
        _ROW_DUMPS[key] = RowDump(model, plan) if plain else None
    return _ROW_DUMPS[key]


# --- 2. instants as epoch seconds --------------------------------------------------------


class _EpochSeconds(UTCDateTime):
    """The plain path: the column read as the models read instants (UTCDateTime), in seconds."""

    cache_ok = True

    def process_result_value(self, value, dialect):
        moment = super().process_result_value(value, dialect)
        return None if moment is None else moment.timestamp()


def epoch(column):
    if not ENABLED:
        return type_coerce(column, _EpochSeconds())
    return cast(extract("epoch", column), Float)


# --- 3. the start-up heap -----------------------------------------------------------------


def freeze_startup_heap():
    """Move everything alive after start-up (modules, the app, mappers) out of the garbage
    collector's sight. Call once, in a server or worker process."""
    if ENABLED:
        gc.collect()
        gc.freeze()
