"""Flask extensions, created unbound and bound to an app in create_app()."""
from decimal import Decimal

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
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
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), metadata={
        "description": "per-field messages: a list of messages per field, or for a nested field the same again"})
    retry_after_s = fields.Integer(metadata={"description": "429: seconds to wait (also the Retry-After header)"})
    report = fields.Dict(metadata={"description": "a refused import: its report"})
    results = fields.List(fields.Dict(), metadata={"description": "sync push: the results of the mutations saved"})
    last_seq = fields.Integer(allow_none=True, metadata={"description": "sync push: the last seq saved"})
    saved = fields.Integer(metadata={"description": "sync push 503: how many mutations were saved"})
    expected_seq = fields.Integer(metadata={"description": "sync push seq_gap: the seq expected next"})
    seq = fields.Integer(metadata={"description": "sync push seq_reused: the seq used twice"})
    field_codes = fields.Dict(keys=fields.String(), metadata={
        "description": "present with `fields`: the same shape, each message as {code, params} to show it in the "
                       "client's language (code null when the message has none)"})


class ErrorSchema(Schema):
    """The one error envelope every 4xx/5xx answer has."""

    error = fields.Nested(ErrorBodySchema)


def _numbers_not_strings(_converter, field, ret=None, **_):
    """apispec writes a Decimal field's bounds as strings ("0.00"), which no validator reads as numbers:
    a decimal sent as a string is a string with a pattern; its bounds go to the description."""
    out = {}
    if isinstance(field, fields.Decimal) and field.as_string:
        bounds = [f"{k} {ret.pop(k)}" for k in ("minimum", "maximum") if k in ret]
        out = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
        if bounds:
            out["description"] = (ret.get("description", "") + f" (a decimal number; {', '.join(bounds)})").strip()
    for key in ("minimum", "maximum"):
        if isinstance(ret.get(key), (str, Decimal)):
            ret[key] = float(ret[key])
    return out


class FielddayApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_numbers_not_strings)
        self.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


api = FielddayApi(spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
                               "security": [{"bearerAuth": []}]})
