from marshmallow import Schema, fields, pre_dump, validate

from ..schemas import StrictSchema, required_text

PASSWORD_MIN_LENGTH = 8  # the API's and the command line's


class LoginSchema(StrictSchema):
    username = required_text(64)
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    refresh_in_cookie = fields.Boolean(
        load_default=False,
        metadata={
            "description": "browsers: keep the refresh token in an HttpOnly, SameSite=Strict cookie limited to "
            "/api/auth instead of the answer (refresh then needs the X-CSRF-TOKEN header, read from "
            "the csrf_refresh_token cookie)"
        },
    )


class LogoutSchema(StrictSchema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class UserSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    team_id = fields.UUID(allow_none=True)
    locale = fields.String()
    start_label = fields.String()
    start_lat = fields.Float(allow_none=True)
    start_lng = fields.Float(allow_none=True)
    end_lat = fields.Float(allow_none=True)
    end_lng = fields.Float(allow_none=True)
    first_appointment_time = fields.Time(format="%H:%M")
    must_change_password = fields.Boolean(
        metadata={"description": "the password is a temporary one: change it (POST /api/auth/password) first"}
    )


class PermissionsSchema(Schema):
    create_account = fields.Boolean(metadata={"description": "a new prospect, as the phone creates it (no owner)"})
    record_visit = fields.Boolean(metadata={"description": "a visit of one's own (managers go along: accompanied_by)"})
    record_activity = fields.Boolean(metadata={"description": "the day clock"})
    book_appointment = fields.Boolean(metadata={"description": "an appointment of one's own"})
    join_visit = fields.Boolean(metadata={"description": "on a rep's visit: I went along (accompanied_by)"})
    reassign_account = fields.Boolean(metadata={"description": "an account given to another rep (owner_id)"})


class ManagerSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()
    username = fields.String()


class SessionUserSchema(UserSchema):
    """The logged-in user, with what their phone may create (the server's rules, published) and, for a rep,
    the manager a joint visit names."""

    may = fields.Nested(PermissionsSchema, metadata={"description": "what the server keeps when this user creates it"})
    manager = fields.Nested(ManagerSchema, allow_none=True, metadata={"description": "a rep's team manager"})

    @pre_dump
    def _published(self, user, **_):
        from ..policy import phone_permissions, team_manager
        from ..security import Principal

        values = {name: getattr(user, name, None) for name in self.fields if name not in ("may", "manager")}
        values["may"] = phone_permissions(Principal(id=user.id, role=user.role, team_id=user.team_id))
        values["manager"] = team_manager(user) if user.role == "rep" else None
        return values


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String(metadata={"description": "absent when it went into the cookie"})
    user = fields.Nested(SessionUserSchema)


class AccessTokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String(metadata={"description": "the new refresh token: the one sent is spent"})


class PasswordChangeSchema(StrictSchema):
    old_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    new_password = fields.String(
        required=True, validate=validate.Length(min=PASSWORD_MIN_LENGTH, max=256), load_only=True
    )
