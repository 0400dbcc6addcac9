from marshmallow import Schema, fields, missing, validate

from sync import protocol

from ..messages import field_codes
from ..schemas import StrictSchema


class PullArgs(StrictSchema):
    cursor = fields.String(
        metadata={"description": "Opaque; omit for a full snapshot. One the server did not give resets the phone"}
    )
    limit = fields.Integer(load_default=protocol.DEFAULT_PULL, validate=validate.Range(min=1, max=protocol.MAX_PULL))


class ChangeSchema(Schema):
    entity = fields.String()
    id = fields.String()
    op = fields.String(metadata={"description": "upsert | delete"})
    version = fields.Integer()
    data = fields.Dict(allow_none=True)


class PullSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = fields.String()
    has_more = fields.Boolean()
    snapshot = fields.Boolean(metadata={"description": "True on a snapshot's pages, absent on the change log's"})
    snapshot_total = fields.Integer(
        metadata={"description": "On a snapshot's first page (no cursor): how many records the snapshot holds"}
    )
    first = fields.List(
        fields.Nested(ChangeSchema),
        metadata={
            "description": "On a snapshot's first page (no cursor): the caller's day plans from yesterday on, the "
            "accounts and appointments their stops name, and the caller's open and recent visits with their "
            "accounts, as upserts to write before the rest (each comes again in its place)"
        },
    )
    reset_required = fields.Boolean()
    reason = fields.String()
    server_time = fields.AwareDateTime()


class MutationSchema(StrictSchema):
    id = fields.UUID(required=True, metadata={"description": "Names the mutation"})
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    entity = fields.String(required=True, validate=validate.OneOf(protocol.PULL_ORDER))
    entity_id = fields.UUID(required=True)
    op = fields.String(required=True, validate=validate.OneOf(("create", "update", "delete")))
    base_version = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0))
    data = fields.Dict(load_default=dict)
    schema = fields.Integer(load_default=protocol.SCHEMA_VERSION, strict=True)
    client_time = fields.AwareDateTime(allow_none=True, metadata={"description": "Phone clock when queued; data only"})


class PushSchema(StrictSchema):
    client_id = fields.UUID(required=True)
    mutations = fields.List(
        fields.Nested(MutationSchema),
        required=True,
        validate=validate.Length(max=protocol.MAX_MUTATIONS),
        metadata={"description": "in increasing seq order, each seq once (else a 422 naming mutations)"},
    )


class ResolvedSchema(StrictSchema):
    client_id = fields.UUID(required=True)
    ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(min=1, max=protocol.MAX_MUTATIONS),
        metadata={"description": "ids of the mutations answered `conflict` whose fields the rep has decided"},
    )


class ResolvedAnswerSchema(Schema):
    resolved = fields.Integer(metadata={"description": "how many of them were open until now"})


class ResultSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "applied | duplicate | rejected | conflict"})
    first_status = fields.String()
    version = fields.Integer()
    reason = fields.String()
    message = fields.String()
    field_errors = fields.Dict(attribute="fields", data_key="fields")
    field_codes = fields.Method(
        "_field_codes",
        metadata={"description": "with `fields`: each message as {code, params}, as in the error envelope"},
    )
    server = fields.Dict()
    conflicts = fields.Dict()

    def _field_codes(self, result):
        return field_codes(result["fields"]) if result.get("fields") else missing


class PushResultSchema(Schema):
    results = fields.List(fields.Nested(ResultSchema))
    last_seq = fields.Integer()
    server_time = fields.AwareDateTime()
