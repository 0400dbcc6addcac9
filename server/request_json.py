"""How every API operation reads its JSON body (the blueprints' argument parser): a body sent as anything but
JSON is a 415, not a body read as missing (which answered 422 with every required field "missing").
Multipart (imports) and raw bodies (a photo's bytes) are not read here."""

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from .errors import AppError


class UnsupportedMediaType(AppError):
    status = 415


class JsonBodyParser(FlaskParser):
    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not is_json_request(req):
            if not data:
                return core.missing
            raise UnsupportedMediaType(
                f"The body must be JSON, sent with Content-Type: application/json (not {req.mimetype or 'none'}).",
            )
        return core.parse_json(data)


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, reading JSON bodies as above."""

    ARGUMENTS_PARSER = JsonBodyParser()
