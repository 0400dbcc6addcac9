from flask import current_app, jsonify, make_response, request
from flask.views import MethodView

from ..crud_views import register_crud
from ..security import login_required, principal
from . import blp
from .schemas import PhotoQuery, PhotoSchema
from .services import photos, too_large
from .storage import store

register_crud(blp, photos, path="", schema=PhotoSchema, query_schema=PhotoQuery, name="Photo")

# Photos may be seen only by those who may see the visit: never by a shared cache.
CACHE = "private, max-age=604800, immutable"


@blp.before_app_request  # before the app's own body checks (errors.read_chunked_body), which it sets the limit for
def _photo_limit():
    if request.endpoint == "photos.PhotoContent" and request.method == "PUT":
        limit = current_app.config["PHOTO_MAX_BYTES"]
        if request.content_length is not None and request.content_length > limit:
            raise too_large(request.content_length, limit)  # refused before a byte of it is read
        request.max_content_length = limit


def _send(data, content_type, sha256, suffix=""):
    etag = f"{sha256}{suffix}"
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(data)
        response.headers["Content-Type"] = content_type
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE
    response.headers["Vary"] = "Authorization"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/<uuid:record_id>/content")
class PhotoContent(MethodView):
    decorators = [login_required()]

    @blp.doc(
        requestBody={
            "required": True,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        responses={
            "200": {"description": "The same bytes were stored already: nothing changed"},
            "201": {"description": "Stored"},
            "409": {"description": "Other bytes than the photo's SHA-256"},
            "413": {"description": "Larger than PHOTO_MAX_BYTES"},
            "415": {"description": "Not a JPEG, PNG or WebP image"},
        },
    )
    def put(self, record_id):
        """Upload a photo's bytes (once: a retry with the same bytes changes nothing)"""
        created = photos.put_content(
            principal(),
            record_id,
            request.get_data(cache=False),
            request.headers.get("X-Content-SHA256"),
            current_app.config["PHOTO_MAX_BYTES"],
            store(),
        )
        obj = photos.get(principal(), record_id)
        return jsonify(PhotoSchema().dump(obj)), 201 if created else 200

    @blp.doc(responses={"200": {"description": "The photo's bytes", "content": {"image/*": {}}}})
    def get(self, record_id):
        """Get a photo's bytes (404 until uploaded, or when its visit is not yours to see)"""
        return _send(*photos.content(principal(), record_id, store()))


@blp.route("/<uuid:record_id>/thumbnail")
class PhotoThumbnail(MethodView):
    decorators = [login_required()]

    @blp.doc(responses={"200": {"description": "A JPEG thumbnail", "content": {"image/jpeg": {}}}})
    def get(self, record_id):
        """Get a photo's thumbnail for lists"""
        return _send(*photos.content(principal(), record_id, store(), thumb=True), suffix="-thumb")
