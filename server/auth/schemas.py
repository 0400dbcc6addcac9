from marshmallow import Schema, fields, validate

from ..schemas import StrictSchema, required_text


class LoginSchema(StrictSchema):
    username = required_text(64)
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    refresh_in_cookie = fields.Boolean(load_default=False, metadata={
        "description": "browsers: keep the refresh token in an HttpOnly, SameSite=Strict cookie limited to "
                       "/api/auth instead of the answer (refresh then needs the X-CSRF-TOKEN header, read from "
                       "the csrf_refresh_token cookie)"})


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


class TokensSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String(metadata={"description": "absent when it went into the cookie"})
    user = fields.Nested(UserSchema)


class AccessTokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String(metadata={"description": "the new refresh token: the one sent is spent"})
