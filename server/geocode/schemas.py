from marshmallow import fields, validate

from ..schemas import StrictSchema


class ReverseArgs(StrictSchema):
    latitude = fields.Float(required=True, validate=validate.Range(-90, 90), metadata={"description": "WGS-84"})
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180), metadata={"description": "WGS-84"})


class ReverseSchema(StrictSchema):
    address = fields.String(allow_none=True, metadata={"description": "None: the provider knows no address here"})
    provider = fields.String(metadata={"description": "nominatim, amap or baidu"})
