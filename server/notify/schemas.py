from marshmallow import Schema, fields, validate

from ..auth.schemas import TokensSchema
from ..models.notify import CHANNELS, NOTIFICATION_STATES, PROVIDERS
from ..schemas import IM_USERID, SPACE, Pattern, StrictSchema
from ..users.schemas import LOCALES
from .kinds import KINDS

# The field app's address as a link in a notice: http or https, a host name or address, a port, a path.
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
APP_URL = rf"^https?://{_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?([/?#][^{SPACE}\x00]*)?$"

SECRET_NOTE = "write-only: never answered; the answer says only whether one is set"


class ChannelSchema(Schema):
    """A team's channel as answered: the secrets are never part of it, only whether each is set."""

    team_id = fields.UUID()
    channel = fields.String()
    wecom_corp_id = fields.String(allow_none=True)
    wecom_agent_id = fields.String(allow_none=True)
    wecom_secret_set = fields.Boolean()
    dingtalk_corp_id = fields.String(allow_none=True)
    dingtalk_app_key = fields.String(allow_none=True)
    dingtalk_agent_id = fields.String(allow_none=True)
    dingtalk_app_secret_set = fields.Boolean()
    app_url = fields.String(allow_none=True)
    hours_from = fields.Time(format="%H:%M")
    hours_until = fields.Time(format="%H:%M")
    ready = fields.Boolean(metadata={"description": "the chosen channel has all its settings (else: in-app only)"})
    changed_by = fields.UUID(allow_none=True)
    changed_at = fields.DateTime(allow_none=True)


def _text(max_len):
    return fields.String(allow_none=True, validate=validate.Length(max=max_len))


class ChannelEditSchema(StrictSchema):
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    wecom_corp_id = _text(64)
    wecom_agent_id = fields.String(allow_none=True, validate=Pattern(r"^[0-9]{1,32}$"))
    wecom_secret = fields.String(
        allow_none=True, load_only=True, validate=validate.Length(max=128), metadata={"description": SECRET_NOTE}
    )
    dingtalk_corp_id = _text(64)
    dingtalk_app_key = _text(64)
    dingtalk_agent_id = fields.String(allow_none=True, validate=Pattern(r"^[0-9]{1,32}$"))
    dingtalk_app_secret = fields.String(
        allow_none=True, load_only=True, validate=validate.Length(max=128), metadata={"description": SECRET_NOTE}
    )
    app_url = fields.String(
        allow_none=True,
        validate=[validate.Length(max=300), Pattern(APP_URL, error="Not a valid URL.")],
        metadata={"description": "http(s)://host[:port][/path]: the address links in notices open"},
    )
    hours_from = fields.Time(format="%H:%M")
    hours_until = fields.Time(format="%H:%M")


class NoticeSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    text = fields.String()
    params = fields.Dict()
    channel = fields.String()
    state = fields.String(metadata={"description": "queued, sent or failed (`failure` says why)"})
    failure = fields.String(allow_none=True)
    attempts = fields.Integer()
    not_before = fields.DateTime(metadata={"description": "a queued notice goes out from then on"})
    sent_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class OutboxNoticeSchema(NoticeSchema):
    user_id = fields.UUID()
    username = fields.String()
    display_name = fields.String()


class OutboxQuery(StrictSchema):
    team_id = fields.UUID()
    state = fields.String(validate=validate.OneOf(NOTIFICATION_STATES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class MineQuery(StrictSchema):
    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    lang = fields.String(
        validate=validate.OneOf(LOCALES),
        metadata={"description": "the language the app shows (default: the user's locale, the channel's)"},
    )


class KindPrefSchema(StrictSchema):
    on = fields.Boolean(required=True)
    any_time = fields.Boolean(
        load_default=False, metadata={"description": "also outside the team's working hours (asked for by the user)"}
    )


class PrefsSchema(StrictSchema):
    kinds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(tuple(KINDS))), values=fields.Nested(KindPrefSchema), required=True
    )


class PrefsAnswerSchema(Schema):
    kinds = fields.Dict()
    mine = fields.List(fields.String(), metadata={"description": "the kinds this user's role receives"})


class ImSignInSchema(StrictSchema):
    provider = fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    corp_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    code = fields.String(required=True, validate=validate.Length(min=1, max=512))
    refresh_in_cookie = fields.Boolean(load_default=False)


class ImConfirmSchema(StrictSchema):
    ticket = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    refresh_in_cookie = fields.Boolean(load_default=False)


def _im_userid():
    return fields.String(
        allow_none=True, validate=[validate.Length(min=1, max=64), Pattern(IM_USERID, error="Invalid value.")]
    )


class ImLinksSchema(StrictSchema):
    wecom_userid = _im_userid()
    dingtalk_userid = _im_userid()


class ImSignInAnswer(TokensSchema):
    pass


class PushKeyAnswerSchema(Schema):
    enabled = fields.Boolean(metadata={"description": "Web Push is set up on this server (VAPID key and subject)"})
    public_key = fields.String(
        allow_none=True, metadata={"description": "the VAPID public key, base64url: the browser's applicationServerKey"}
    )


class PushKeysSchema(StrictSchema):
    p256dh = fields.String(required=True, validate=validate.Length(min=80, max=120))
    auth = fields.String(required=True, validate=validate.Length(min=16, max=40))


class PushSubscriptionSchema(StrictSchema):
    """A browser's PushSubscription as its toJSON() gives it."""

    endpoint = fields.String(
        required=True,
        validate=validate.Length(max=1000),
        metadata={"description": "the push resource: https (http only on this machine, for a local push service)"},
    )
    keys = fields.Nested(PushKeysSchema, required=True)
    expirationTime = fields.Integer(allow_none=True, metadata={"description": "the browser's; ignored"})


class PushEndpointSchema(StrictSchema):
    endpoint = fields.String(required=True, validate=validate.Length(max=1000))


class PushSubscribedSchema(Schema):
    endpoint = fields.String()
    created_at = fields.AwareDateTime()
