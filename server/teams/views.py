"""`/api/teams`: thin views over teams/services.py."""

from flask.views import MethodView

from ..errors import ValidationFailed
from ..extensions import ErrorSchema
from ..schemas import page_schema
from ..security import login_required, principal
from . import blp
from .schemas import TeamCreateSchema, TeamEditSchema, TeamQuery, TeamRecordSchema
from .services import create_team, get_team, list_teams, update_team

FORBIDDEN = {"schema": ErrorSchema, "description": "A rep (or, for admin-only changes, a manager)"}
NOT_FOUND = {"schema": ErrorSchema, "description": "No such team, or not yours"}
CONFLICT = {"schema": ErrorSchema, "description": "The name is taken"}


@blp.route("")
class Teams(MethodView):
    decorators = [login_required()]

    @blp.arguments(TeamQuery, location="query")
    @blp.response(200, page_schema(TeamRecordSchema, "TeamPage"))
    @blp.alt_response(403, **FORBIDDEN)
    def get(self, args):
        """List teams (managers: their own; admins: all)"""
        return list_teams(principal(), args)

    @blp.arguments(TeamCreateSchema)
    @blp.response(201, TeamRecordSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(409, **CONFLICT)
    def post(self, data):
        """Create a team (admins)"""
        return create_team(principal(), data)


@blp.route("/<uuid:team_id>")
class TeamItem(MethodView):
    decorators = [login_required()]

    @blp.response(200, TeamRecordSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, team_id):
        """Get one team"""
        return get_team(principal(), team_id)

    @blp.arguments(TeamEditSchema)
    @blp.response(200, TeamRecordSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(409, **CONFLICT)
    def patch(self, data, team_id):
        """Change a team's name and manager (admins) or its time zone (admins and its manager)"""
        if not data:
            raise ValidationFailed(
                "Send the fields to change; the body changed nothing.", {"_schema": ["No field to change."]}
            )
        return update_team(principal(), team_id, data)
