"""Liveness and database reachability."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from ..extensions import db

blp = Blueprint("health", __name__, url_prefix="/api", description="Service health")


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema)
    def get(self):
        """Report whether the service and its database answer"""
        try:
            db.session.execute(text("SELECT 1"))
            return {"status": "ok", "database": "ok"}
        except Exception:  # any driver error means the database is not reachable
            db.session.rollback()
            return {"status": "degraded", "database": "unreachable"}, 503
