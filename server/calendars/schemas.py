from marshmallow import Schema, fields


class FeedStateSchema(Schema):
    active = fields.Boolean(metadata={"description": "the caller has a calendar feed URL that works"})
    created_at = fields.AwareDateTime(allow_none=True, metadata={"description": "when its token was made"})


class NewFeedSchema(FeedStateSchema):
    url = fields.String(
        metadata={
            "description": "the private feed URL (webcal: the same with that scheme); shown this once: the server "
            "keeps only a hash of its token"
        }
    )
    webcal_url = fields.String()
