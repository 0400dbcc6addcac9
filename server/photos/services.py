"""Photo rules: taken by the visit's rep, seen by whoever sees the visit; the bytes are checked
(type by content, size, SHA-256) and stored once however often they are sent."""

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from .. import clock
from ..changelog import recorded
from ..errors import AppError, Conflict, Forbidden, NotFound, UnsupportedMediaType, ValidationFailed
from ..extensions import db
from ..models import Photo
from ..policy import check_rep_write
from ..resource import ScopedResource
from ..scoping import visible_to_rep_or_account
from ..visits.services import visits

# What the phone may not change once the photo exists: which visit it belongs to and which bytes it is.
FIXED = ("visit_id", "sha256", "size")
KINDS = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
THUMB_PX = 320
# The most pixels a photo may have. Its thumbnail is made by decoding it whole (a PNG or WebP has no cheaper way),
# so a small file of a huge plain image (13,000 px square: 160 KB as a PNG) took about 1 GB and 3 s of one worker;
# the phone sends at most 1600 px on the longer side (pwa/js/photos.js), and a phone camera's own 12 MP passes.
MAX_PIXELS = 24_000_000


class TooLarge(AppError):
    status = 413


def sniff(data):
    """The image type the bytes are (by their first bytes, never a name or header), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class PhotoService(ScopedResource):
    model = Photo
    label = "photo"
    default_order = (Photo.taken_at.desc(),)
    equal_filters = ("visit_id", "account_id", "rep_id")

    def read_scope(self, principal):
        # The visit's scope: its rep, and whoever sees its account.
        return visible_to_rep_or_account(principal, Photo.rep_id, Photo.account_id)

    def prepare_create(self, principal, data):
        if principal.is_manager:
            raise Forbidden("Photos are taken by the rep at the visit.")
        try:
            visit = visits.get(principal, data.get("visit_id"))
        except NotFound:
            raise NotFound("No such visit in your territory.", {"visit_id": ["Unknown visit."]}) from None
        check_rep_write(principal, visit.rep_id, "photo")
        data["account_id"], data["rep_id"] = visit.account_id, visit.rep_id

    def check_write(self, principal, obj):
        if principal.is_manager:
            raise Forbidden("Photos are taken by the rep at the visit.")
        check_rep_write(principal, obj.rep_id, "photo")

    def check_changes(self, principal, obj, changes):
        fixed = [name for name in FIXED if name in changes and changes[name] != getattr(obj, name)]
        if fixed:
            raise ValidationFailed(
                "A photo's visit and content cannot change; take a new photo instead.",
                {name: ["Cannot change."] for name in fixed},
            )

    # --- the bytes ---------------------------------------------------------------------
    def put_content(self, principal, record_id, data, declared_sha256, limit, store):
        """Store a photo's bytes once. True when stored now, False when they were already there."""
        obj = self.get(principal, record_id)
        self.check_write(principal, obj)
        if len(data) > limit:
            raise too_large(len(data), limit)
        kind = sniff(data)
        if kind is None:
            raise UnsupportedMediaType(
                "A photo must be a JPEG, PNG or WebP image.", {"body": ["Not a JPEG, PNG or WebP image."]}
            )
        digest = hashlib.sha256(data).hexdigest()
        if declared_sha256 and declared_sha256.lower() != digest:
            raise ValidationFailed(
                "The photo's bytes do not match the SHA-256 sent with them (damaged on the way); send it again.",
                {"X-Content-SHA256": ["Does not match the body."]},
                code="digest_mismatch",
            )
        if digest != obj.sha256 or len(data) != obj.size:
            raise Conflict(
                "Another photo's content was sent under this photo's id; a photo's content never changes.",
                {"sha256": [f"The photo is {obj.sha256}; the body is {digest}."]},
                code="content_mismatch",
            )
        if obj.uploaded_at is not None and store.get(content_key(obj)) is not None:
            return False  # the same bytes again: a retry, or two uploads of one photo
        thumb = thumbnail(data)
        store.put(content_key(obj), data)
        store.put(thumb_key(obj), thumb)
        with recorded(db.session):
            # Read again with its row locked: of two uploads racing, only the first sets it.
            obj = self.get(principal, record_id, for_update=True)
            if obj.uploaded_at is None:
                obj.uploaded_at = clock.stamp()
                obj.content_type = KINDS[kind]
            db.session.commit()
        return True

    def content(self, principal, record_id, store, thumb=False):
        """(bytes, content type, sha256) of a photo the caller may see; 404 when not (yet) uploaded."""
        obj = self.get(principal, record_id)
        data = store.get(thumb_key(obj) if thumb else content_key(obj)) if obj.uploaded_at else None
        if data is None:
            raise NotFound(f"Photo {record_id} has not been uploaded yet.", code="not_uploaded")
        return data, "image/jpeg" if thumb else obj.content_type, obj.sha256


def content_key(photo):
    return f"{photo.id}"


def thumb_key(photo):
    return f"{photo.id}.thumb.jpg"


def _size(n):
    """A byte count as people read it: 20 MB, 1.5 MB, 980 KB, 512 bytes."""
    for unit, scale in (("MB", 1_048_576), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def too_large(size, limit):
    return TooLarge(
        f"The photo is {_size(size)}; a photo may be at most {_size(limit)}.",
        {"body": [f"At most {limit} bytes."]},
    )


def thumbnail(data):
    """A JPEG at most THUMB_PX on its longer side; bytes Pillow cannot read, or an image of more than MAX_PIXELS
    (read from its header, before decoding), are refused (422)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationFailed(
                    f"The image is {width} × {height} pixels; a photo may have at most {MAX_PIXELS:,} pixels.",
                    {"body": [f"At most {MAX_PIXELS} pixels."]},
                )
            image.draft("RGB", (THUMB_PX, THUMB_PX))  # JPEG: decode at a reduced scale, cheaply
            image = image.convert("RGB")
            image.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=75)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed("The image cannot be read.", {"body": ["Not a readable image."]}) from exc


photos = PhotoService()
