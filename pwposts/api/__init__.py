"""JSON API v1: bearer tokens, the same can() and scoping as the web, errors as JSON."""

from __future__ import annotations

from flask import Flask, jsonify


def error_response(status: int, code: str, message: str, details: list | None = None):
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = [str(d) for d in details]
    return jsonify(body), status


def register_api(app: Flask) -> None:
    from ..extensions import csrf
    from . import v1

    csrf.exempt(v1.bp)  # bearer tokens, no cookies: CSRF does not apply
    app.register_blueprint(v1.bp)
