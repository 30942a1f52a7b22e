"""WeasyPrint fetches only the app's own static files (issue 10 item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pwposts.documents import pdf


@pytest.fixture
def fetcher(app):
    return pdf.static_only_fetcher(app.static_folder)


def test_static_files_and_data_uris_are_served(app, fetcher):
    css = Path(app.static_folder) / "css" / "app.css"
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.com/a.css",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "{static}/../pyproject.toml",
        "{static}/../pwposts/config.py",
    ],
)
def test_everything_else_is_refused(app, fetcher, url):
    with pytest.raises(ValueError):
        fetcher.fetch(url.format(static=Path(app.static_folder).as_uri()))


def test_render_uses_the_fetcher(app, monkeypatch):
    asked = []
    real = pdf.static_only_fetcher

    def spy(static_dir):
        f = real(static_dir)
        original = f.fetch

        def fetch(url, headers=None):
            asked.append(url)
            return original(url, headers)

        f.fetch = fetch
        return f

    monkeypatch.setattr(pdf, "static_only_fetcher", spy)
    with app.test_request_context():
        out = pdf.html_to_pdf(
            '<img src="http://127.0.0.1:9/secret.png"><img src="file:///etc/hostname">'
            '<link rel="stylesheet" href="css/app.css"><p>中文</p>'
        )
    assert out.startswith(b"%PDF")
    assert "http://127.0.0.1:9/secret.png" in asked and any(u.endswith("css/app.css") for u in asked)
