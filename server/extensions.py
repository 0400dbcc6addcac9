"""Flask extensions, created unbound and bound to an app in create_app()."""
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
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


api = Api(spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
