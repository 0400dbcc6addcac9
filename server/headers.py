"""Security headers on every answer: the app shell may run only its own scripts, nothing frames it,
and answers carrying personal data are never kept by a shared cache."""
from urllib.parse import urlsplit

from flask import request


def _tile_origin(url):
    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    return f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.") if parts.scheme and parts.netloc else ""


def policy(config):
    """The Content-Security-Policy: own scripts only (no inline script), tiles from the configured server."""
    tiles = _tile_origin(config.get("MAP_TILE_URL", ""))
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "worker-src 'self'", "connect-src 'self'",
        f"img-src 'self' data: blob:{' ' + tiles if tiles else ''}",
        # Inline style attributes only (the views lay out with them); no inline script anywhere.
        "style-src 'self' 'unsafe-inline'", "font-src 'self'", "manifest-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def init_app(app):
    csp = policy(app.config)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/api/") and request.path not in ("/api/docs", "/api/openapi.json"):
            headers["Cache-Control"] = "no-store"  # territory, visits, tokens: never in a shared cache
        return response
