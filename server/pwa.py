"""Serve the field app (`pwa/`) at the site root.

Every file goes out with a strong ETag per representation (a hash of its bytes) and, when the client takes
it and it is smaller, brotli- or gzip-compressed (server/assets.py computes each variant once). The app
loads its files by versioned URLs (`/js/app.js?v=<hash of the file>`): the shell (which carries its stylesheet
inline, so that the first paint waits for no other file) names its icons and first module so, and carries an
import map that sends every module and library the app loads
(`./db.js`, `import.meta.resolve("/vendor/leaflet/leaflet.js")`) to its versioned URL. A request naming the
file's current version may be kept for a year without asking (`immutable`); anything else (the shell, the
service worker, the manifest, a URL without or with an old version) goes out `no-cache`: kept, but asked
about before use, an unchanged file costing a 304.

The service worker is generated too: its first lines get the build id (a hash of every shell file) and the
versioned URLs to precache, so any change to the app ships a new service worker, a new versioned cache, and
the old cache is dropped on activate.
"""

import base64
import hashlib
import json
import mimetypes
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from werkzeug.security import safe_join

from . import assets, headers
from .errors import NotFound

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
SKIP = {"sw.js", "README.md", "LICENSE", "LICENSE.md"}
# Pictures for the README, not for the app: never precached (they are still served).
NOT_SHELL = ("screenshots",)
# Files the shell links but the service worker does not precache: needed by few phones and only online
# (DingTalk's JS API, for signing in inside DingTalk). Fetched from the network when asked for.
NOT_PRECACHED = ("/vendor/dingtalk-jsapi/",)
# What the import map names: the modules, and the libraries and stylesheets the app loads by URL.
MAPPED = {".js", ".mjs", ".css"}
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"

bp = Blueprint("pwa", __name__)


def shell_files():
    """Every file the app needs offline, as URL paths."""
    files = [
        p
        for p in sorted(PWA_DIR.rglob("*"))
        if p.is_file() and p.name not in SKIP and p.relative_to(PWA_DIR).parts[0] not in NOT_SHELL
    ]
    return ["/" + p.relative_to(PWA_DIR).as_posix() for p in files]


def versioned(paths):
    """{path: path?v=<hash of the file's bytes>} for every path."""
    return {path: f"{path}?v={assets.variants(PWA_DIR / path.lstrip('/')).version}" for path in paths}


def build_id(paths):
    """A short hash of the shell's bytes (and the deployment's PWA_BUILD label)."""
    digest = hashlib.sha256(current_app.config.get("PWA_BUILD", "").encode())
    for path in paths:
        digest.update(path.encode())
        digest.update(assets.variants(PWA_DIR / path.lstrip("/")).tag.encode())
    return digest.hexdigest()[:12]


def _mimetype(path):
    if path.endswith(".webmanifest"):
        return "application/manifest+json"
    if path.endswith((".js", ".mjs")):
        return "text/javascript"
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _answer(variants, mimetype, cache_control):
    """The representation the client takes, or a 304 when it already holds it."""
    body, encoding, etag = variants.pick(request.accept_encodings)
    if request.if_none_match.contains(etag):
        response = Response(status=304, mimetype=mimetype)
    else:
        response = Response(body, mimetype=mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
    response.set_etag(etag)
    if variants.packed:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = cache_control
    return response


def _send(filename):
    """A file of pwa/: kept a year when asked for by its current version, else asked about before use."""
    joined = safe_join(str(PWA_DIR), filename)
    path = Path(joined) if joined else None
    if path is None or not path.is_file():
        raise NotFound("No such file.")
    variants = assets.variants(path)
    current = request.args.get("v") == variants.version
    return _answer(variants, _mimetype(path.name), IMMUTABLE if current else "no-cache")


# href="/…" and src="/…" in the shell: the files it links, put at their versioned URLs (not the manifest: its
# URL is part of what the browser knows the installed app by).
LINK = re.compile(r'\b(href|src)="(/[^"?#]+)"')
# The app's stylesheet, put into the shell itself: the first paint (the login form, a screen's skeleton) waits
# for no second request. Leaflet's stylesheet goes in before it (js/lazy.js), as it did before the link.
STYLESHEET = '<link rel="stylesheet" href="/css/app.css">'
INLINE_SCRIPT = re.compile(r"<script(?: type=\"importmap\")?>(.*?)</script>", re.DOTALL)


def shell():
    """The shell's HTML: its stylesheet inlined, its links at their versioned URLs and the import map before any
    script; and the CSP hashes of its inline scripts (they run only by hash: `script-src 'self' 'sha256-…'`)."""
    paths = shell_files()
    urls = versioned(paths)
    mapped = json.dumps({"imports": {p: u for p, u in urls.items() if Path(p).suffix in MAPPED}}, separators=(",", ":"))
    html = (PWA_DIR / "index.html").read_text(encoding="utf-8")
    html = LINK.sub(lambda m: f'{m[1]}="{urls.get(m[2], m[2]) if not m[2].endswith(".webmanifest") else m[2]}"', html)
    css = (PWA_DIR / "css" / "app.css").read_text(encoding="utf-8")
    linked = LINK.sub(lambda m: f'{m[1]}="{urls[m[2]]}"', STYLESHEET)
    html = html.replace(linked, f'<style id="app-css">{css}</style>', 1)
    html = html.replace("</head>", f'  <script type="importmap">{mapped}</script>\n</head>', 1)
    hashes = tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(m[1].encode()).digest()).decode()}'"
        for m in INLINE_SCRIPT.finditer(html)
    )
    return html.encode(), hashes


@bp.get("/")
def index():
    html, script_hashes = shell()
    response = _answer(assets.of_bytes(html, "shell"), "text/html", "no-cache")
    response.headers["Content-Security-Policy"] = headers.policy(current_app.config, scripts=script_hashes)
    return response


@bp.get("/sw.js")
def service_worker():
    paths = shell_files()
    # The shell once, as "/" (every navigation opens it), not again as /index.html.
    precache = ["/"] + [
        url for path, url in versioned(paths).items() if path != "/index.html" and not path.startswith(NOT_PRECACHED)
    ]
    head = (
        f"const BUILD = {json.dumps(build_id(paths))};\nconst PRECACHE = {json.dumps(precache)};\n"
        f"const TILE_CACHE_BYTES = {int(current_app.config.get('MAP_TILE_CACHE_BYTES', 50 * 1024 * 1024))};\n"
    )
    body = (head + (PWA_DIR / "sw.js").read_text(encoding="utf-8")).encode()
    response = _answer(assets.of_bytes(body, "sw"), "text/javascript", "no-cache")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/<shell_path:filename>")
def static_file(filename):
    """The shell's files. No /api path is one (see ShellPathConverter): a GET there is the API's own 404, or a
    405 naming the methods the path has, and an OPTIONS lists only those."""
    return _send(filename)


def warm():
    """Every shell file's variants, computed now (wsgi.py: before the first phone asks)."""
    assets.warm(PWA_DIR / path.lstrip("/") for path in shell_files())


def init_app(app):
    app.register_blueprint(bp)
