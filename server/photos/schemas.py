from marshmallow import fields, validate

from ..schemas import PageArgs, Pattern, RecordSchema, instant, latitude, longitude, text


class PhotoSchema(RecordSchema):
    visit_id = fields.UUID(required=True)
    account_id = fields.UUID(dump_only=True, metadata={"description": "the visit's account"})
    rep_id = fields.UUID(dump_only=True, metadata={"description": "the visit's rep, who took it"})
    taken_at = instant(required=True)
    latitude = latitude()
    longitude = longitude()
    accuracy_m = fields.Float(validate=validate.Range(min=0, max=100_000), allow_none=True)
    caption = text(500)
    size = fields.Integer(
        required=True, validate=validate.Range(min=1, max=2**31 - 1), metadata={"description": "bytes of the photo"}
    )
    sha256 = fields.String(
        required=True,
        validate=Pattern(r"^[0-9a-f]{64}$", error="A SHA-256 in 64 lower-case hex digits."),
        metadata={"description": "SHA-256 of the bytes; the upload must match it"},
    )
    content_type = fields.String(dump_only=True, allow_none=True)
    uploaded_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={"description": "null: not yet"})


class PhotoQuery(PageArgs):
    visit_id = fields.UUID()
    account_id = fields.UUID()
    rep_id = fields.UUID()
