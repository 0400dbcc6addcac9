"""Schema building blocks shared by the resource blueprints."""
from marshmallow import RAISE, Schema, fields, validate


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE
        ordered = True


def text(max_length, **kwargs):
    """A string field with the column's length limit."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def required_text(max_length, **kwargs):
    return fields.String(
        required=True, validate=validate.Length(min=1, max=max_length), **kwargs
    )


def latitude(**kwargs):
    return fields.Float(validate=validate.Range(-90, 90), allow_none=True, **kwargs)


def longitude(**kwargs):
    return fields.Float(validate=validate.Range(-180, 180), allow_none=True, **kwargs)


def instant(**kwargs):
    """An ISO 8601 datetime that must carry its offset (stored in UTC)."""
    return fields.AwareDateTime(**kwargs)


class RecordSchema(StrictSchema):
    """Fields every phone-creatable record has; `id` is chosen by the client on create."""

    id = fields.UUID()
    version = fields.Integer(validate=validate.Range(min=1))
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PeriodArgs(PageArgs):
    """Filter records whose time falls in [from, to)."""

    from_ = instant(data_key="from")
    to = instant()


def page_schema(item_schema, name):
    """Make the paginated list envelope for one item schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )
