"""`/api/users`: thin views over users/services.py."""

import io

from flask import current_app
from flask.views import MethodView

from .. import limits
from ..csvio import uploaded_csv
from ..errors import ValidationFailed
from ..extensions import ErrorSchema
from ..policy import require_manager
from ..schemas import page_schema
from ..security import login_required, principal
from ..transfer.geocoding import from_config
from . import blp
from .importing import import_users
from .schemas import (
    AdminUserSchema,
    DeactivateSchema,
    HandOverSchema,
    PasswordResetResultSchema,
    PasswordResetSchema,
    UserCreateSchema,
    UserEditSchema,
    UserImportArgs,
    UserImportFile,
    UserImportReportSchema,
    UserQuery,
)
from .services import create_user, deactivate, get_user, list_users, reactivate, reset_password, update_user

FORBIDDEN = {"schema": ErrorSchema, "description": "A rep (or, for admin-only changes, a manager)"}
NOT_FOUND = {"schema": ErrorSchema, "description": "No such user, or not in your team"}
CONFLICT = {"schema": ErrorSchema, "description": "Taken username, yourself, or the last active admin"}


@blp.route("")
class Users(MethodView):
    decorators = [login_required()]

    @blp.arguments(UserQuery, location="query")
    @blp.response(200, page_schema(AdminUserSchema, "AdminUserPage"))
    @blp.alt_response(403, **FORBIDDEN)
    def get(self, args):
        """List users (managers: their team; admins: everyone)"""
        return list_users(principal(), args)

    @blp.arguments(UserCreateSchema)
    @blp.response(201, AdminUserSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, schema=ErrorSchema, description="No such team, or not yours")
    @blp.alt_response(409, **CONFLICT)
    def post(self, data):
        """Create a user (managers: reps of their own team), with a start position to plan their days from"""
        return create_user(principal(), data, geocoder=from_config(current_app.config))


@blp.route("/import")
class UserImport(MethodView):
    decorators = [*limits.import_limits(), login_required()]

    @blp.arguments(UserImportArgs, location="query")
    @blp.arguments(UserImportFile, location="files")
    @blp.response(200, UserImportReportSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(429, schema=ErrorSchema, description="Too many imports by this user (IMPORT_RATE_LIMIT)")
    @blp.alt_response(
        422, schema=ErrorSchema, description="A row failed: nothing was written (the report is in error.report)"
    )
    def post(self, args, _files):
        """Create or update users from a CSV file (UTF-8 or GB18030), with a report per row

        Columns: username, display_name, role, team (its name), start_address or start_lat/start_lng,
        start_label, end_address or end_lat/end_lng, first_appointment_time (HH:MM), locale. Managers import
        reps of their own team. Created users get a temporary password each (in the report, once written)."""
        caller = principal()
        require_manager(caller, "Only a manager or an admin imports users.")
        report = import_users(
            caller,
            io.BytesIO(uploaded_csv()),
            dry_run=args["dry_run"],
            geocoder=from_config(current_app.config),
            datum=args["datum"],
        )
        if report.errors and not report.written and not report.dry_run:
            raise ValidationFailed(
                "Nothing was imported: fix the rows listed.",
                {"rows": [f"row {e['row']}, {e['field']}: {e['message']}" for e in report.errors[:200]]},
                extra={"report": report.as_dict()},
            )
        return report.as_dict()


@blp.route("/<uuid:user_id>")
class UserItem(MethodView):
    decorators = [login_required()]

    @blp.response(200, AdminUserSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def get(self, user_id):
        """Get one user"""
        return get_user(principal(), user_id)

    @blp.arguments(UserEditSchema)
    @blp.response(200, AdminUserSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    @blp.alt_response(409, **CONFLICT)
    def patch(self, data, user_id):
        """Change a user's name, start and end positions, first appointment, locale; role and team: admins"""
        if not data:
            raise ValidationFailed(
                "Send the fields to change; the body changed nothing.", {"_schema": ["No field to change."]}
            )
        return update_user(principal(), user_id, data, geocoder=from_config(current_app.config))


@blp.route("/<uuid:user_id>/password-reset")
class PasswordReset(MethodView):
    decorators = [login_required()]

    @blp.arguments(PasswordResetSchema, required=False)
    @blp.response(200, PasswordResetResultSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def post(self, data, user_id):
        """Set a temporary password the user must change at their next login; their logins end"""
        return reset_password(principal(), user_id, (data or {}).get("temporary_password"))


@blp.route("/<uuid:user_id>/deactivate")
class Deactivate(MethodView):
    decorators = [login_required()]

    @blp.arguments(DeactivateSchema, required=False)
    @blp.response(200, HandOverSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, schema=ErrorSchema, description="No such user, or hand_over_to is no active rep of the team")
    @blp.alt_response(409, **CONFLICT)
    def post(self, data, user_id):
        """Deactivate a user (their logins end); `hand_over_to` takes their accounts, open deals, future appointments"""
        return deactivate(principal(), user_id, (data or {}).get("hand_over_to"))


@blp.route("/<uuid:user_id>/reactivate")
class Reactivate(MethodView):
    decorators = [login_required()]

    @blp.response(200, AdminUserSchema)
    @blp.alt_response(403, **FORBIDDEN)
    @blp.alt_response(404, **NOT_FOUND)
    def post(self, user_id):
        """Let a deactivated user log in again (what was handed over stays where it went)"""
        return reactivate(principal(), user_id)
