"""Logs for operators (the audit trail is for inspectors).

One logger per module (`logging.getLogger(__name__)`), configured once here:
* every line carries the request id (`X-Request-ID` from the proxy, or a new one), "-" outside a request;
* one line per request: method, path, status, user, milliseconds — the outcome of the use case it ran;
* a refusal (DomainError) is logged at INFO with its code; the same code refused to the same user
  again within a few minutes is logged at WARNING ("repeated refusal");
* unhandled errors are logged at ERROR with their traceback (Flask does this through app.logger);
* PWPOSTS_ENV=production → JSON lines on stderr; otherwise readable text. PWPOSTS_LOG_LEVEL sets the level.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections import OrderedDict

from flask import Flask, g, has_request_context, request

log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-ID"
_REPEAT_WINDOW_S = 300
_RECENT_REFUSALS: OrderedDict[tuple, float] = OrderedDict()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "user", "ms", "code")

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for f in self.FIELDS:
            if hasattr(record, f):
                out[f] = getattr(record, f)
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Install the handler on the package logger (and Flask's app logger) once per process."""
    root = logging.getLogger("pwposts")
    if not getattr(root, "_pwposts_configured", False):
        handler = logging.StreamHandler()
        handler.addFilter(RequestIdFilter())
        if app.config.get("PRODUCTION"):
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
            )
        root.addHandler(handler)
        root.setLevel(os.environ.get("PWPOSTS_LOG_LEVEL", "INFO").upper())
        root.propagate = False
        root._pwposts_configured = True  # type: ignore[attr-defined]
    for h in logging.getLogger("pwposts").handlers:
        if h not in app.logger.handlers:
            app.logger.addHandler(h)

    @app.before_request
    def _start_request() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming[:64] if incoming and incoming.isprintable() else uuid.uuid4().hex[:16]
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        if started is None:
            return response
        ms = round((time.perf_counter() - started) * 1000, 1)
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        user = _user_label()
        level = logging.WARNING if response.status_code >= 500 else logging.INFO
        log.log(
            level,
            "%s %s → %s (%s, %.1f ms)",
            request.method,
            request.path,
            response.status_code,
            user,
            ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "user": user,
                "ms": ms,
            },
        )
        return response


def _user_label() -> str:
    actor = g.get("actor")
    if actor is None:
        label = getattr(g.get("_login_user"), "log_label", None)  # set by web/auth.py's user loader
        if label:
            return label
        try:
            from flask_login import current_user

            actor = current_user if current_user and current_user.is_authenticated else None
        except Exception:  # noqa: BLE001 - logging must never break a response
            actor = None
    return getattr(actor, "username", None) or "anonymous"


def log_refusal(code: str, message: str) -> None:
    """A DomainError answered to the user: INFO, or WARNING when the same user gets it again soon."""
    now = time.monotonic()
    key = (_user_label(), code)
    last = _RECENT_REFUSALS.pop(key, None)
    _RECENT_REFUSALS[key] = now
    while len(_RECENT_REFUSALS) > 1000:
        _RECENT_REFUSALS.popitem(last=False)
    repeated = last is not None and now - last < _REPEAT_WINDOW_S
    log.log(
        logging.WARNING if repeated else logging.INFO,
        "%srefused %s: %s",
        "repeated " if repeated else "",
        code,
        message,
        extra={"code": code},
    )
