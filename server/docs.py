"""A readable API reference at /api/docs, rendered from the OpenAPI document (no CDN needed)."""
from flask import redirect, render_template

from .extensions import api


def init_app(app):
    @app.get("/")
    def index():
        # Until the PWA's app shell is served here, the front door is the API reference.
        return redirect("/api/docs")

    @app.get("/api/docs")
    def api_docs():
        spec = api.spec.to_dict()
        return render_template("api_docs.html", spec=spec)
