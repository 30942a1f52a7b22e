"""Security headers and no inline script (issue 10 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_response_carries_the_security_headers(client, county):
    for url in ("/login", "/public/", "/api/v1/openapi.json", "/static/js/app.js", "/nope"):
        r = client.get(url)
        csp = r.headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "frame-ancestors 'none'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "Server" not in r.headers
        assert "Strict-Transport-Security" not in r.headers  # not in development


def test_pages_with_personal_data_are_not_cached(client, county):
    assert login(client, "town").status_code == 302
    assert "no-store" in client.get("/people/").headers["Cache-Control"]
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_hsts_in_production(app, client):
    app.config["PRODUCTION"] = True
    try:
        assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.config["PRODUCTION"] = False


def test_templates_have_no_inline_script():
    """The CSP allows scripts only from static files: no
    <script> bodies, no on…= handlers, no javascript: links."""
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I):
            if "src=" not in m.group(1) or m.group(2).strip():
                bad.append((path.name, "inline <script>"))
        if re.search(r"\son[a-z]+\s*=", text, re.I):
            bad.append((path.name, "on…= handler"))
        if "javascript:" in text.lower():
            bad.append((path.name, "javascript: URL"))
    assert not bad, bad


def test_the_icon_browsers_ask_for_is_served_without_login(client, county):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.data.startswith(b"<svg")
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
