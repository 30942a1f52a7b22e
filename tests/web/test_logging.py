"""Logs for operators: a request id on every line, one line per request, repeated refusals as warnings."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager

from pwposts.logs import JsonFormatter, RequestIdFilter


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record):
        self.records.append(record)


@contextmanager
def collected(name="pwposts.logs"):
    """Records of the logger, whatever other tests did to propagation or capture."""
    logger = logging.getLogger(name)
    handler, level, disabled = _Collect(), logger.level, logger.disabled
    logger.disabled = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled


def test_a_request_logs_one_line_with_its_request_id(client, county):
    with collected() as records:
        r = client.get("/login", headers={"X-Request-ID": "req-abc-123"})
    assert r.status_code == 200
    assert r.headers["X-Request-ID"] == "req-abc-123"
    lines = [rec for rec in records if getattr(rec, "path", "") == "/login"]
    assert len(lines) == 1
    assert lines[0].status == 200 and lines[0].method == "GET"
    assert lines[0].request_id == "req-abc-123"


def test_a_request_without_an_id_gets_one(client, county):
    r = client.get("/login")
    assert len(r.headers["X-Request-ID"]) == 16


def test_repeated_refusal_is_a_warning(app):
    from pwposts.logs import log_refusal

    with collected() as records, app.test_request_context("/x"):
        log_refusal("probe_code", "第一次")
        log_refusal("probe_code", "第二次")
        log_refusal("other_code", "另一种")
    levels = [(rec.code, rec.levelno) for rec in records if hasattr(rec, "code")]
    assert levels == [
        ("probe_code", logging.INFO),
        ("probe_code", logging.WARNING),
        ("other_code", logging.INFO),
    ]


def test_production_lines_are_json():
    rec = logging.LogRecord("pwposts.x", logging.INFO, __file__, 1, "hello %s", ("世界",), None)
    rec.request_id = "r1"
    rec.status = 200
    out = json.loads(JsonFormatter().format(rec))
    assert out["message"] == "hello 世界" and out["request_id"] == "r1" and out["status"] == 200
