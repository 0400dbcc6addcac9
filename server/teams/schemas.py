from functools import cache
from zoneinfo import available_timezones

from marshmallow import Schema, fields, validate

from ..schemas import PageArgs, StrictSchema, required_text


@cache
def _zones():
    return frozenset(available_timezones())


def time_zone(description="an IANA time zone, e.g. Asia/Shanghai"):
    """One of the IANA zone names this host knows (listed in the document)."""
    known = validate.OneOf(sorted(_zones()), error="Not a known time zone (an IANA name such as Asia/Shanghai).")
    return fields.String(validate=known, metadata={"description": description})


class TeamRecordSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    timezone = fields.String()
    manager_id = fields.UUID(allow_none=True)
    face_time_target_pct = fields.Float()
    members = fields.Integer(attribute="members_count", metadata={"description": "active members"})


def _settings_edit():
    from ..settings.schemas import TeamSettingsEditSchema

    return TeamSettingsEditSchema()


class TeamCreateSchema(StrictSchema):
    name = required_text(120)
    timezone = time_zone()
    manager_id = fields.UUID(
        allow_none=True,
        metadata={"description": "an active manager, who moves to the new team and manages it (leaving their old one)"},
    )
    settings = fields.Nested(
        _settings_edit,
        metadata={"description": "the team's settings of the method from the start (as PATCH .../settings takes them)"},
    )


class TeamEditSchema(StrictSchema):
    NAMES_A_CHANGE = True  # an empty body changes nothing: 422 (in the document as minProperties)
    name = fields.String(validate=validate.Length(min=1, max=120), metadata={"description": "admins only"})
    timezone = time_zone("an IANA time zone; the team's manager or an admin")
    manager_id = fields.UUID(allow_none=True, metadata={"description": "a manager of the team; admins only"})


class TeamQuery(PageArgs):
    pass
