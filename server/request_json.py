"""How every API operation reads its JSON body (the blueprints' argument parser): a body sent as anything but
JSON is a 415, not a body read as missing (which answered 422 with every required field "missing"), and an
object naming a key twice is a 400 (JSON parsers disagree on which value counts; before, the last won).
Multipart (imports) and raw bodies (a photo's bytes) are not read here."""

import json

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from .errors import AppError, UnsupportedMediaType


def _one_value_per_key(pairs):
    """A JSON object's members as a dict; a key given twice is refused, however deep the object."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise AppError(
                f'The body names "{key[:100]}" twice in one object; give each key once.', code="duplicate_key"
            )
        obj[key] = value
    return obj


class JsonBodyParser(FlaskParser):
    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not is_json_request(req):
            if not data:
                return core.missing
            raise UnsupportedMediaType(
                f"The body must be JSON, sent with Content-Type: application/json (not {req.mimetype or 'none'}).",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:  # as webargs' own reading: an invalid JSON body
            raise json.JSONDecodeError(exc.reason, str(exc.object), exc.start) from exc
        return json.loads(text, object_pairs_hook=_one_value_per_key)


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, reading JSON bodies as above."""

    ARGUMENTS_PARSER = JsonBodyParser()
