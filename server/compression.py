"""Gzip JSON answers for clients that accept it: a territory snapshot shrinks several times over."""

import gzip

from flask import request

MIN_SIZE = 1024


def init_app(app):
    @app.after_request
    def _gzip(response):
        if (
            response.direct_passthrough
            or response.status_code < 200
            or "Content-Encoding" in response.headers
            or response.mimetype != "application/json"
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        ):
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(response.get_data()))
        response.vary.add("Accept-Encoding")
        return response
