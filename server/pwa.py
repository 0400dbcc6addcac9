"""Serve the field app (`pwa/`) at the site root.

The service worker is the one file not sent as stored: its first lines get the build id (a hash
of every shell file) and the list of files to precache, so any change to the app ships a new
service worker, a new versioned cache, and the old cache is dropped on activate.
"""
import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .errors import NotFound

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
SKIP = {"sw.js", "README.md", "LICENSE", "LICENSE.md"}

bp = Blueprint("pwa", __name__)


def shell_files():
    """Every file the app needs offline, as URL paths."""
    files = [p for p in sorted(PWA_DIR.rglob("*")) if p.is_file() and p.name not in SKIP]
    return ["/" + p.relative_to(PWA_DIR).as_posix() for p in files]


def build_id(paths):
    """A short hash of the shell's bytes (and the deployment's PWA_BUILD label)."""
    digest = hashlib.sha256(current_app.config.get("PWA_BUILD", "").encode())
    for path in paths:
        digest.update(path.encode())
        digest.update((PWA_DIR / path.lstrip("/")).read_bytes())
    return digest.hexdigest()[:12]


def _no_cache(response):
    # The service worker does the caching; the HTTP cache must not hand it stale files.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def index():
    return _no_cache(send_from_directory(PWA_DIR, "index.html"))


@bp.get("/sw.js")
def service_worker():
    paths = shell_files()
    head = f"const BUILD = {json.dumps(build_id(paths))};\nconst PRECACHE = {json.dumps(['/'] + paths)};\n"
    body = head + (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return _no_cache(response)


@bp.get("/<path:filename>")
def static_file(filename):
    if filename.startswith("api/") or filename == "api":
        _api_method_not_allowed("/" + filename)
        raise NotFound("No such API endpoint.")
    return _no_cache(send_from_directory(PWA_DIR, filename))


def _api_method_not_allowed(path):
    """A GET on an API path that exists for other methods is a 405 naming them, not a 404."""
    adapter = current_app.url_map.bind("")
    allowed = sorted(m for m in ("POST", "PUT", "PATCH", "DELETE") if _matches(adapter, path, m))
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed, description="Use " + ", ".join(allowed) + " on this path.")


def _matches(adapter, path, method):
    try:
        adapter.match(path, method=method)
    except HTTPException:
        return False
    return True


def init_app(app):
    app.register_blueprint(bp)
