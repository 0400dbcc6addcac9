"""Liveness and database reachability."""

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import text

from ..extensions import db
from ..models import vocab
from ..models.vocab import STAGE_NAMES
from ..request_json import Blueprint

# The method's codes the app shows (through its catalogue) and offers in its forms, in their order.
CLIENT_VOCAB = {
    "stage": vocab.FUNNEL_STAGES,
    "account_class": vocab.ACCOUNT_CLASSES,
    "org_type": vocab.ORG_TYPES,
    "employee_band": vocab.EMPLOYEE_BANDS,
    "purchase_role": vocab.PURCHASE_ROLES,
    "ownership": vocab.DEVICE_OWNERSHIP,
    "colour": vocab.DEVICE_COLOUR,
    "kind": vocab.OPPORTUNITY_KINDS,
    "loss_reason": vocab.LOSS_REASONS,
    "activity_category": vocab.ACTIVITY_CATEGORIES,
    "time_split": vocab.TIME_SPLIT,
}

blp = Blueprint("health", __name__, url_prefix="/api", description="Service health and the settings every client reads")


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])  # no token needed
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema)
    def get(self):
        """Report whether the service and its database answer"""
        try:
            db.session.execute(text("SELECT 1"))
            return {"status": "ok", "database": "ok"}
        except Exception:  # noqa: BLE001 (any driver error means the database is not reachable)
            db.session.rollback()
            return {"status": "degraded", "database": "unreachable"}, 503


class ClientSettingsSchema(Schema):
    map_tile_url = fields.String(metadata={"description": "Tile URL template for the map; empty: no tiles"})
    map_tile_attribution = fields.String()
    routing_detour = fields.Float(
        metadata={"description": "geodesic distance x detour / speed: the planner's travel model"}
    )
    routing_speed_kmh = fields.Float()
    tencent_map_key = fields.String(
        metadata={"description": "the key 腾讯地图 navigation links carry as `referer`; empty: 腾讯 is not offered"}
    )
    vocab = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "the method's codes in their order: stage (S-P-A-D-C-O), account_class, activity_category, "
            "time_split, loss_reason, …"
        },
    )
    words = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String())),
        metadata={"description": "codes in words per language: stage -> {S: {en: Suspect, zh-CN: 潜在客户}, …}"},
    )
    currency = fields.String(metadata={"description": "ISO 4217 code amounts are shown in"})
    photo_max_bytes = fields.Integer(metadata={"description": "the largest photo upload the server takes"})
    geocoding = fields.Boolean(
        metadata={
            "description": "whether the server turns addresses into positions (GEOCODER set); false: no address "
            "fields are offered, a position is set on the map"
        }
    )


@blp.route("/client-settings")
class ClientSettings(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ClientSettingsSchema)
    def get(self):
        """Settings the app needs before anyone logs in: the map's tile server, the travel model, the vocabulary.
        A team's settings (cadence, timings, check-in radius, visit presets) come after login: /api/settings"""
        config = current_app.config
        return {
            "map_tile_url": config["MAP_TILE_URL"],
            "map_tile_attribution": config["MAP_TILE_ATTRIBUTION"],
            "routing_detour": config["ROUTING_DETOUR"],
            "routing_speed_kmh": config["ROUTING_SPEED_KMH"],
            "tencent_map_key": config["TENCENT_MAP_KEY"],
            "vocab": {name: list(codes) for name, codes in CLIENT_VOCAB.items()},
            "words": {"stage": {code: dict(names) for code, names in STAGE_NAMES.items()}},
            "currency": config["CURRENCY"],
            "photo_max_bytes": config["PHOTO_MAX_BYTES"],
            "geocoding": config["GEOCODER"] != "none",
        }
