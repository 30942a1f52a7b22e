"""What every request gets, whatever the view: ids in URLs that can exist, security headers,
a Chinese page (or JSON) for a server error.

Ids in paths: the app replaces Werkzeug's `int` converter with IdConverter before any blueprint
is registered, so every `<int:…>` route refuses an id no row can have (above inputs.MAX_ID) with
a 404 instead of handing it to the database, where it would overflow into a 500.
"""

from __future__ import annotations

from flask import request
from werkzeug.routing import IntegerConverter

from ..domain.inputs import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:x>` for ids: 0 … MAX_ID (a 32-bit INTEGER primary key); larger → no route → 404."""

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        super().__init__(
            map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed
        )

    def to_python(self, value: str):
        if len(value) > 20:  # do not even convert a thousand-digit number
            from werkzeug.routing import ValidationError

            raise ValidationError()
        return super().to_python(value)


def install_converters(app) -> None:
    """Before any route is added: `int` in every rule means an id that can exist."""
    app.url_map.converters["int"] = IdConverter


# Scripts only from our own static files (no inline script, no event-handler attributes: templates use
# static/js/app.js); inline style attributes remain allowed. No framing, no plugins, forms post home.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def install_headers(app) -> None:
    """Security headers on every response; HSTS in production (served over HTTPS there)."""

    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")  # URLs carry ids and search terms: not to other sites
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("PRODUCTION"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages and files with personal data: not kept by the browser or a proxy.
            response.cache_control.no_store = True
        h.pop(
            "Server", None
        )  # the app names no server; the server in front is told to add none (docs/security.md)
        return response
