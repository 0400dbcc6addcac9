"""Flask extensions, created unbound and bound to an app in create_app()."""

from decimal import Decimal

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields, validate
from sqlalchemy import MetaData

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
jwt = JWTManager()


def schema_name(schema):
    """Name OpenAPI components after the schema class; a partial (PATCH) body gets its own name."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    partial = getattr(schema, "partial", False) if not isinstance(schema, type) else False
    return f"{name}Patch" if partial else name


class ErrorBodySchema(Schema):
    code = fields.String(metadata={"description": "a stable code to show the error by (e.g. validation_failed)"})
    message = fields.String()
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        metadata={
            "description": "per-field messages: a list of messages per field, or for a nested field the same again"
        },
    )
    retry_after_s = fields.Integer(
        metadata={"description": "429, and 503 planner_busy: seconds to wait (also the Retry-After header)"}
    )
    report = fields.Dict(metadata={"description": "a refused import: its report"})
    results = fields.List(fields.Dict(), metadata={"description": "sync push: the results of the mutations saved"})
    last_seq = fields.Integer(allow_none=True, metadata={"description": "sync push: the last seq saved"})
    saved = fields.Integer(metadata={"description": "sync push 503: how many mutations were saved"})
    expected_seq = fields.Integer(metadata={"description": "sync push seq_gap: the seq expected next"})
    seq = fields.Integer(metadata={"description": "sync push seq_reused: the seq used twice"})
    field_codes = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "present with `fields`: the same shape, each message as {code, params} to show it in the "
            "client's language (code null when the message has none)"
        },
    )


class ErrorSchema(Schema):
    """The one error envelope every 4xx/5xx answer has."""

    error = fields.Nested(ErrorBodySchema)


def _decimal_pattern(minimum, maximum):
    """The decimal strings within the bounds a Decimal field states, as far as a pattern can say: a sign
    only without a lower bound of 0, and as many whole digits as a maximum of 10**k allows."""
    sign = "" if minimum is not None and Decimal(str(minimum)) >= 0 else "-?"
    whole = r"\d+"
    if maximum is not None:
        digits = len(str(int(Decimal(str(maximum))))) - 1
        if Decimal(str(maximum)) == 10**digits:
            whole = rf"(\d{{1,{digits}}}|10{{{digits}}}(?=(\.0+)?$))"
    return rf"^{sign}{whole}(\.\d+)?$"


def _numbers_not_strings(_converter, field, ret=None, **_):
    """apispec writes a Decimal field's bounds as strings ("0.00"), which no validator reads as numbers:
    a decimal is a string with a pattern (what the server answers) or a number within the bounds (which
    it takes too); the bounds go to the description as well."""
    out = {}
    if isinstance(field, fields.Decimal) and field.as_string:
        minimum, maximum = ret.pop("minimum", None), ret.pop("maximum", None)
        ret.pop("type", None)
        number = {"type": "number"}
        number.update({k: float(v) for k, v in (("minimum", minimum), ("maximum", maximum)) if v is not None})
        out = {"oneOf": [{"type": "string", "pattern": _decimal_pattern(minimum, maximum)}, number]}
        bounds = [f"{k} {v}" for k, v in (("minimum", minimum), ("maximum", maximum)) if v is not None]
        if bounds:
            out["description"] = (ret.get("description", "") + f" (a decimal number; {', '.join(bounds)})").strip()
    for key in ("minimum", "maximum"):
        if isinstance(ret.get(key), (str, Decimal)):
            ret[key] = float(ret[key])
    return out


# What StrictSchema (server/schemas.py) refuses of every value, published per field so a client knows it
# before sending: the years a date may lie in, and the 64 bits a whole number has.
_DAY = r"(19\d\d|20\d\d|21\d\d|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
DATE_PATTERN = f"^{_DAY}$"
INSTANT_PATTERN = rf"^{_DAY}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{{1,6}})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
_BIGINT = 2**63 - 1
NO_NUL_PATTERN = r"^[^\u0000]*$"  # what no column keeps (PostgreSQL's text refuses it): see unstorable()
HHMM_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"


def _bounds_the_server_applies(_converter, field, ret=None, **_):
    """The limits StrictSchema applies to every date, number and text (no NUL), and the HH:MM form of a
    time, in the document beside the field's own."""
    out = {}
    if isinstance(field, (fields.Date, fields.AwareDateTime)):
        out["pattern"] = DATE_PATTERN if isinstance(field, fields.Date) else INSTANT_PATTERN
        if not field.dump_only:
            ret["description"] = (ret.get("description", "") + " (years 1900-2200)").strip()
    elif isinstance(field, fields.Time) and getattr(field, "format", None) == "%H:%M":
        ret.pop("format", None)
        out["pattern"] = ret.get("pattern", HHMM_PATTERN)  # a narrower one of the field's own stays
    elif isinstance(field, fields.Integer) and not field.dump_only:
        ret.setdefault("minimum", -_BIGINT)
        ret.setdefault("maximum", _BIGINT)
    elif _free_text(field, ret):
        out["pattern"] = NO_NUL_PATTERN
    elif isinstance(field, fields.Dict) and _choices(field.key_field):
        # Keys from a fixed list (OpenAPI 3.0 has no propertyNames): each one a property, no other.
        value = ret.pop("additionalProperties", {})
        out = {"properties": {key: value for key in _choices(field.key_field)}, "additionalProperties": False}
    return out


def _choices(field):
    """The values a field's OneOf validator allows, or None."""
    for validator in getattr(field, "validators", ()) if field is not None else ():
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)
    return None


def _free_text(field, ret):
    """A string a client sends (a StrictSchema's: server/schemas.py) with no pattern nor choices of its own
    (those leave NUL out themselves)."""
    from .schemas import StrictSchema

    return (
        isinstance(field, fields.String)
        and isinstance(getattr(field, "parent", None), StrictSchema)
        and not isinstance(field, fields.UUID)
        and not field.dump_only
        and "pattern" not in ret
        and "enum" not in ret
    )


def one_reading_of_the_end(pattern):
    """A pattern whose final `$` means the end of the value to every reader: ECMA's `$` (what OpenAPI
    says patterns are) does, but Python's re (jsonschema validators and generators written in Python)
    also matches it before a final newline, which the server (a full match) refuses."""
    if pattern.endswith("$") and not pattern.endswith(("\\$", r"(?!\n)$")):
        return pattern[:-1] + r"(?!\n)$"
    return pattern


def _one_reading_of_the_end(_converter, field, ret=None, **_):
    for schema in (ret, *ret.get("oneOf", ())):
        if isinstance(schema.get("pattern"), str):
            schema["pattern"] = one_reading_of_the_end(schema["pattern"])
    return {}


class WhatEveryOperationMayAnswer(BasePlugin):
    """What the server applies to every operation, in each one's document: a PATCH body (a partial
    schema) names at least one field (an empty one changes nothing: 422); a body over MAX_CONTENT_LENGTH
    is a 413, a JSON body sent as another type a 415 and one naming a key twice a 400 (server/request_json.py);
    an operation that takes a bearer token answers 401 without a valid one."""

    ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault(
                    "413",
                    {"description": "The body is over MAX_CONTENT_LENGTH (2 MiB by default)", "content": self.ERROR},
                )
                if "application/json" in operation["requestBody"].get("content", {}):
                    responses.setdefault(
                        "415", {"description": "The body is not sent as application/json", "content": self.ERROR}
                    )
                    responses.setdefault(
                        "400", {"description": "The body is not JSON, or names a key twice", "content": self.ERROR}
                    )
            if operation.get("security") != []:
                responses.setdefault("401", {"description": "No valid access token", "content": self.ERROR})

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        partial = not isinstance(schema, type) and getattr(schema, "partial", False)
        if partial or getattr(resolve_schema_cls(schema), "NAMES_A_CHANGE", False):
            return {"minProperties": 1}
        return None


class FielddayApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_numbers_not_strings)
        self.ma_plugin.converter.add_attribute_function(_bounds_the_server_applies)
        self.ma_plugin.converter.add_attribute_function(_one_reading_of_the_end)
        self.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


api = FielddayApi(
    spec_kwargs={
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
        "security": [{"bearerAuth": []}],
        "extra_plugins": [WhatEveryOperationMayAnswer()],
    }
)
