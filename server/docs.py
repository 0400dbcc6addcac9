"""A readable API reference at /api/docs, rendered from the OpenAPI document (no CDN needed)."""

from flask import render_template

from .extensions import api


def init_app(app):
    @app.get("/api/docs")
    def api_docs():
        spec = api.spec.to_dict()
        return render_template("api_docs.html", spec=spec)
