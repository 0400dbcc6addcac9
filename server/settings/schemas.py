from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from ..schemas import PageArgs, Pattern, StrictSchema
from ..teams.schemas import time_zone
from ..tiles import SOURCES

HHMM = {"format": "%H:%M"}
MAX_PRESETS = 20


def _by_class(low, high, unit):
    return {
        cls: fields.Integer(validate=validate.Range(low, high), metadata={"description": f"{unit}, class {cls}"})
        for cls in "ABC"
    }


CadenceSchema = StrictSchema.from_dict(_by_class(1, 365, "days"), name="CadenceDays")
ServiceSchema = StrictSchema.from_dict(_by_class(5, 480, "minutes"), name="ServiceMinutes")


class PresetSchema(StrictSchema):
    """One phrase offered as a one-tap choice, in both languages."""

    en = fields.String(required=True, validate=validate.Length(min=1, max=80))
    zh_CN = fields.String(required=True, data_key="zh-CN", validate=validate.Length(min=1, max=80))

    @post_load
    def _as_stored(self, data, **_):
        phrase = {"en": data["en"].strip(), "zh-CN": data["zh_CN"].strip()}
        blank = {key: ["Missing data for required field."] for key, value in phrase.items() if not value}
        if blank:
            raise ValidationError(blank)
        return phrase


class PresetOutSchema(Schema):
    en = fields.String()
    zh_CN = fields.String(data_key="zh-CN", attribute="zh-CN")


def _presets(what):
    return fields.List(
        fields.Nested(PresetSchema),
        allow_none=True,
        validate=validate.Length(max=MAX_PRESETS),
        metadata={"description": f"the {what} the visit offers as one-tap choices; null: the method's"},
    )


class MapTilesSchema(Schema):
    """The tile source the phone draws with, as the team picked it."""

    source = fields.String(metadata={"description": "osm, tianditu, amap or tencent"})
    datum = fields.String(
        metadata={
            "description": "wgs84 (OpenStreetMap, 天地图: CGCS2000 ≈ WGS-84) or gcj02 (高德, 腾讯): the phone "
            "converts every stored WGS-84 position to it for display, and taps back"
        }
    )
    url = fields.String(metadata={"description": "Leaflet URL template ({s}, {z}, {x}, {y}, {-y}); the key filled in"})
    overlay_url = fields.String(metadata={"description": "a layer over the first (天地图's labels); empty: none"})
    attribution = fields.String()
    subdomains = fields.String(metadata={"description": "the values of {s}"})
    max_zoom = fields.Integer()


class TeamSettingsSchema(Schema):
    """A team's settings as every reader sees them (the method's values where the team set none)."""

    team_id = fields.UUID(allow_none=True, metadata={"description": "null: no team, the method's values"})
    timezone = fields.String(metadata={"description": "the IANA time zone the team's days are counted in"})
    cadence_days = fields.Nested(CadenceSchema, metadata={"description": "A/B/C: days until an account is due again"})
    first_appointment_time = fields.Time(
        **HHMM, metadata={"description": "the team's default first appointment (8:45 by the method)"}
    )
    service_minutes = fields.Nested(ServiceSchema, metadata={"description": "minutes the planner gives a visit"})
    lunch_earliest = fields.Time(**HHMM, metadata={"description": "the lunch break starts at the earliest"})
    lunch_latest = fields.Time(**HHMM, metadata={"description": "and at the latest"})
    lunch_minutes = fields.Integer()
    day_end = fields.Time(
        **HHMM,
        metadata={
            "description": "the working day's end (the method's, 19:00): no visit is planned after it, and once it "
            "has passed today is neither re-planned nor changed by hand (plan tomorrow)"
        },
    )
    checkin_radius_m = fields.Float(metadata={"description": "a check-in farther from the account is flagged"})
    working_days = fields.List(fields.Integer(), metadata={"description": "ISO weekdays, 1 Monday .. 7 Sunday"})
    visit_purposes = fields.List(fields.Nested(PresetOutSchema))
    visit_outcomes = fields.List(fields.Nested(PresetOutSchema))
    map_tiles = fields.String(metadata={"description": "the map's tile source: " + ", ".join(SOURCES)})
    map_tile_key = fields.String(allow_none=True, metadata={"description": "天地图's browser key (tianditu needs one)"})
    leave_reminder_minutes = fields.Integer(
        metadata={"description": "the phone reminds the rep this many minutes before the next stop's leave-by time"}
    )
    appointment_reminder_minutes = fields.Integer(
        metadata={"description": "the phone reminds the rep this many minutes before an appointment (15)"}
    )
    photo_camera_only = fields.Boolean(
        metadata={"description": "true: a visit's photos come from the camera only, never from the album"}
    )
    map = fields.Nested(MapTilesSchema, metadata={"description": "what the phone draws with: URL, datum, attribution"})
    changed_by = fields.UUID(allow_none=True, metadata={"description": "who changed them last; null: never changed"})
    changed_by_name = fields.String(allow_none=True)
    changed_at = fields.AwareDateTime(allow_none=True)


class MySettingsSchema(TeamSettingsSchema):
    my_first_appointment_time = fields.Time(
        **HHMM, metadata={"description": "the caller's own first appointment: theirs if set, else the team's"}
    )


class TeamSettingsEditSchema(StrictSchema):
    """What a team's manager or an admin may change; every field is optional."""

    NAMES_A_CHANGE = True  # an empty body changes nothing: 422 (in the document as minProperties)

    timezone = time_zone()
    cadence_days = fields.Nested(CadenceSchema, metadata={"description": "any of A, B, C: 1-365 days"})
    first_appointment_time = fields.Time(
        **HHMM, metadata={"description": "HH:MM, 05:00-12:00", "pattern": r"^((0[5-9]|1[01]):[0-5]\d|12:00)$"}
    )
    service_minutes = fields.Nested(ServiceSchema, metadata={"description": "any of A, B, C: 5-480 minutes"})
    lunch_earliest = fields.Time(**HHMM, metadata={"description": "HH:MM, not after lunch_latest"})
    lunch_latest = fields.Time(**HHMM)
    lunch_minutes = fields.Integer(validate=validate.Range(10, 180))
    checkin_radius_m = fields.Float(validate=validate.Range(20, 5000))
    working_days = fields.List(
        fields.Integer(validate=validate.Range(1, 7)),
        validate=validate.Length(min=1, max=7),
        metadata={"description": "ISO weekdays, 1 Monday .. 7 Sunday, each once", "uniqueItems": True},
    )
    visit_purposes = _presets("visit purposes")
    visit_outcomes = _presets("visit outcomes")
    map_tiles = fields.String(
        validate=validate.OneOf(list(SOURCES)),
        metadata={
            "description": "osm (WGS-84), tianditu (CGCS2000 ≈ WGS-84; needs map_tile_key), amap or tencent (GCJ-02)"
        },
    )
    map_tile_key = fields.String(
        allow_none=True,
        validate=Pattern(r"^[A-Za-z0-9_-]{1,64}$", error="Letters, digits, - and _ only, at most 64."),
        metadata={"description": "天地图's browser key; null: none"},
    )

    leave_reminder_minutes = fields.Integer(
        validate=validate.Range(0, 60), metadata={"description": "0-60 minutes before the leave-by time (0: at it)"}
    )
    appointment_reminder_minutes = fields.Integer(
        validate=validate.Range(1, 120), metadata={"description": "1-120 minutes before an appointment"}
    )
    photo_camera_only = fields.Boolean(metadata={"description": "true: photos from the camera only, not the album"})

    @validates("working_days")
    def _once_each(self, value, **_):
        if len(set(value)) != len(value):
            raise ValidationError("Listed twice.")

    @validates("first_appointment_time")
    def _morning(self, value, **_):
        if not (5 <= value.hour < 12 or (value.hour == 12 and value.minute == 0)):
            raise ValidationError("Must be between 05:00 and 12:00.")


class SettingsChangeSchema(Schema):
    """One change of a team's settings: who made it, when, and each setting before and after."""

    changed_at = fields.AwareDateTime()
    changed_by = fields.UUID(allow_none=True)
    changed_by_name = fields.String(allow_none=True, metadata={"description": "null: a command-line change"})
    changes = fields.List(
        fields.Dict(),
        metadata={"description": "[{field, before, after}] in the API's names and forms (times HH:MM)"},
    )


class SettingsHistoryQuery(PageArgs):
    pass
