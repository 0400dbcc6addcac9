from marshmallow import Schema, fields, validate

from ..auth.schemas import PASSWORD_MIN_LENGTH, UserSchema
from ..models.vocab import ROLES
from ..schemas import PageArgs, Pattern, StrictSchema, latitude, longitude, text
from ..transfer.views import ImportFile, ImportReportSchema

LOCALES = ("zh-CN", "en")
USERNAME = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$", error="Letters, digits and . _ @ - only.")


def password(**kwargs):
    """A password as the user types it: at least PASSWORD_MIN_LENGTH characters."""
    return fields.String(validate=validate.Length(min=PASSWORD_MIN_LENGTH, max=256), load_only=True, **kwargs)


class AdminUserSchema(UserSchema):
    """A user as an administrator sees them."""

    active = fields.Boolean()
    created_at = fields.AwareDateTime()


class UserEditSchema(StrictSchema):
    """What an admin or the user's manager may change (role and team: admins only)."""

    NAMES_A_CHANGE = True  # an empty body changes nothing: 422 (in the document as minProperties)

    display_name = text(120)
    role = fields.String(validate=validate.OneOf(ROLES), metadata={"description": "admins only"})
    team_id = fields.UUID(allow_none=True, metadata={"description": "moves the user to that team; admins only"})
    locale = fields.String(validate=validate.OneOf(LOCALES))
    start_label = text(200, metadata={"description": "where the day starts, in words (home, office)"})
    start_lat = latitude(metadata={"description": "WGS-84; give start_lat and start_lng together"})
    start_lng = longitude()
    end_lat = latitude(metadata={"description": "where the day ends when not where it starts; both or neither"})
    end_lng = longitude()
    first_appointment_time = fields.Time(
        format="%H:%M", metadata={"description": "HH:MM; unset at creation: the team's default (08:45 by the method)"}
    )
    start_address = text(
        200,
        load_only=True,
        metadata={
            "description": "where the day starts as an address: geocoded by the server's geocoder (GEOCODER) into "
            "start_lat/start_lng, and kept as start_label unless one is given; ignored when start_lat/start_lng "
            "are given"
        },
    )
    end_address = text(200, load_only=True, metadata={"description": "where the day ends as an address: geocoded"})


class UserCreateSchema(UserEditSchema):
    username = fields.String(required=True, validate=[validate.Length(min=1, max=64), USERNAME])
    role = fields.String(
        required=True, validate=validate.OneOf(ROLES), metadata={"description": "managers create reps only"}
    )
    team_id = fields.UUID(allow_none=True, metadata={"description": "managers: their own team (the default)"})
    password = password(required=True, metadata={"description": "the initial password"})
    must_change_password = fields.Boolean(
        load_default=True, metadata={"description": "the user replaces the initial password at the first login"}
    )


class UserQuery(PageArgs):
    q = text(64, metadata={"description": "in username and display name"})
    role = fields.String(validate=validate.OneOf(ROLES))
    team_id = fields.UUID()
    active = fields.Boolean()


class UserImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check every row and report; write nothing"})
    datum = fields.String(
        load_default="wgs84",
        validate=validate.OneOf(["wgs84", "gcj02", "bd09"]),
        metadata={"description": "the datum of the file's positions (a `datum` column overrides it per row)"},
    )


class ImportedUserSchema(Schema):
    row = fields.Integer()
    username = fields.String()
    outcome = fields.String(metadata={"description": "created, updated, unchanged or skipped (a row with problems)"})
    temporary_password = fields.String(
        allow_none=True,
        metadata={
            "description": "a created user's first password (they change it at their first login); only when written"
        },
    )
    plannable = fields.Boolean(metadata={"description": "a rep with a start position: their days can be planned"})
    geocoded = fields.Boolean(metadata={"description": "the start or end position came from an address"})


class UserImportReportSchema(ImportReportSchema):
    """The account import's report, with one entry per row of users."""

    users = fields.List(fields.Nested(ImportedUserSchema), metadata={"description": "one entry per data row"})


UserImportFile = ImportFile


class PasswordResetSchema(StrictSchema):
    temporary_password = password(metadata={"description": "omitted: the server makes one up and answers it"})


class PasswordResetResultSchema(Schema):
    user_id = fields.UUID()
    temporary_password = fields.String(metadata={"description": "tell the user; it works until they change it"})
    must_change_password = fields.Boolean()


class DeactivateSchema(StrictSchema):
    hand_over_to = fields.UUID(
        allow_none=True,
        metadata={"description": "an active rep of the same team who takes over accounts, open deals and appointments"},
    )


class HandOverSchema(Schema):
    user = fields.Nested(AdminUserSchema)
    hand_over_to = fields.UUID(allow_none=True)
    accounts = fields.Integer(metadata={"description": "accounts handed over"})
    opportunities = fields.Integer(metadata={"description": "open opportunities handed over"})
    appointments = fields.Integer(metadata={"description": "future appointments handed over"})
    accounts_left = fields.Integer(metadata={"description": "accounts still owned by the deactivated user"})
