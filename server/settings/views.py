"""`/api/teams/<id>/settings` and `/api/settings`: thin views over settings/services.py."""

from flask.views import MethodView

from ..extensions import ErrorSchema
from ..schemas import page_schema
from ..security import login_required, principal
from . import blp
from .schemas import (
    MySettingsSchema,
    SettingsChangeSchema,
    SettingsHistoryQuery,
    TeamSettingsEditSchema,
    TeamSettingsSchema,
)
from .services import get_settings, my_settings, settings_history, update_settings

NOT_FOUND = {"schema": ErrorSchema, "description": "No such team, or not the caller's"}


@blp.route("/settings")
class MySettings(MethodView):
    decorators = [login_required()]

    @blp.response(200, MySettingsSchema)
    def get(self):
        """The caller's team's settings (the phone reads them after login and with each sync)"""
        return my_settings(principal())


@blp.route("/teams/<uuid:team_id>/settings")
class TeamSettings(MethodView):
    decorators = [login_required()]

    @blp.response(200, TeamSettingsSchema)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, team_id):
        """A team's settings (its members; an admin: any team)"""
        return get_settings(principal(), team_id)

    @blp.arguments(TeamSettingsEditSchema)
    @blp.response(200, TeamSettingsSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="A rep, or another team's manager")
    @blp.alt_response(404, **NOT_FOUND)
    def patch(self, data, team_id):
        """Change a team's settings (its manager or an admin); says who changed them and when"""
        return update_settings(principal(), team_id, data)


@blp.route("/teams/<uuid:team_id>/settings/history")
class TeamSettingsHistory(MethodView):
    decorators = [login_required()]

    @blp.arguments(SettingsHistoryQuery, location="query")
    @blp.response(200, page_schema(SettingsChangeSchema, "SettingsChangePage"))
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, args, team_id):
        """Who changed a team's settings, when, and what (newest first; its members, an admin: any team)"""
        return settings_history(principal(), team_id, args)
