"""Security headers on every answer: the app shell may run only its own scripts, nothing frames it,
it may use the position and the camera and no other device feature, no other site's window shares its
browsing context group or may embed its files, and answers carrying personal data are never kept by a
shared cache."""

from flask import request

from . import tiles


def policy(config, scripts=()):
    """The Content-Security-Policy: own scripts only (no inline script but those named by their hash in
    `scripts`: the shell's import map, server/pwa.py), tiles from the servers of every source a team may pick
    (server/tiles.py)."""
    allowed = " ".join(tiles.origins(config))
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *scripts]),
            # blob: the photo scaler's worker (browser-image-compression builds it from a Blob, then loads
            # itself into it from /vendor); a Blob URL can only be made by this origin's own scripts.
            "worker-src 'self' blob:",
            # The service worker fetches the tiles it keeps for use without signal (its fetch is a connection).
            f"connect-src 'self'{' ' + allowed if allowed else ''}",
            f"img-src 'self' data: blob:{' ' + allowed if allowed else ''}",
            # Inline style attributes only (the views lay out with them); no inline script anywhere.
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# The features the app uses (the check-in position; the camera for visit photos) for its own pages only;
# the others a page could ask for, for nobody. Every name here is one browsers know (an unknown one is
# warned about in the console).
ALLOWED_FEATURES = {"geolocation": "self", "camera": "self"}
DENIED_FEATURES = (
    "microphone",
    "payment",
    "usb",
    "serial",
    "hid",
    "midi",
    "accelerometer",
    "gyroscope",
    "magnetometer",
    "display-capture",
    "browsing-topics",
)
PERMISSIONS_POLICY = ", ".join(
    [f"{name}=({origin})" for name, origin in ALLOWED_FEATURES.items()] + [f"{name}=()" for name in DENIED_FEATURES]
)

# On every answer: a window another site opens (or that opens one) gets no handle on ours, and another
# site cannot load our files (scripts, the territory as JSON) into its pages. Map tiles the app loads
# from another origin are that origin's answers and not affected. No Cross-Origin-Embedder-Policy: the
# tile servers send no CORP header, and the app needs no cross-origin isolation.
HARDENING = {
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def init_app(app):
    every = {
        "Content-Security-Policy": policy(app.config),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        **HARDENING,
    }

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # Each one the view has not set, in this order (what setdefault on each gives, with one look at the
        # headers instead of a scan per name: this runs on every answer).
        present = {name.lower() for name, _ in headers}
        headers.extend([(name, value) for name, value in every.items() if name.lower() not in present])
        api = request.path.startswith("/api/") and request.path not in ("/api/docs", "/api/openapi.json")
        # Territory, visits, tokens: never in a shared cache. A photo's bytes never change under its id, so
        # their view may let the caller's own browser keep them (`private`), still never a shared cache.
        if api and not headers.get("Cache-Control", "").startswith("private"):
            headers["Cache-Control"] = "no-store"
        return response
