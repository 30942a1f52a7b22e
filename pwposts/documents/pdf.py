"""Chinese PDFs with WeasyPrint, from templates under templates/pdf/.

Fonts come from the system (fontconfig): .ci/setup installs Debian's fonts-wqy-microhei when no
Chinese font is present. check_cjk_font() tells the operator plainly when none is installed.

WeasyPrint fetches what a document links to (images, stylesheets). A name or an address typed by a
user ends up in these documents, so the fetcher is StaticOnlyFetcher: files under the app's static/
folder and data: URIs, nothing else — no http(s) (no requests to the intranet from the server), no
file outside static/ (no /etc/passwd in a PDF).
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template

log = logging.getLogger(__name__)

CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC",
                "SimSun", "Microsoft YaHei")


def check_cjk_font() -> str | None:
    """The first installed CJK font family, or None (then PDFs would show boxes instead of Chinese)."""
    if not shutil.which("fc-list"):
        return None
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    families = {f.strip() for line in out.splitlines() for f in line.split(",")}
    for fam in CJK_FAMILIES:
        if fam in families:
            return fam
    return next(iter(sorted(families)), None)


def static_only_fetcher(static_dir: str | Path):
    """A WeasyPrint URL fetcher that serves only files under `static_dir` and data: URIs."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = Path(static_dir).resolve()

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(root) and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes())
            log.warning("PDF: refused to fetch %s", url[:200])
            raise ValueError(f"PDF resources are limited to the app's static files: {url[:200]}")

    return StaticOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML document; relative links resolve into static/, nothing outside it is fetched."""
    from weasyprint import HTML

    static = Path(current_app.static_folder)
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=static_only_fetcher(static)).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes."""
    return html_to_pdf(render_template(template, **context))
