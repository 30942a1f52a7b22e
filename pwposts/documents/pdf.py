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
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template

log = logging.getLogger(__name__)

CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "SimSun",
    "Microsoft YaHei",
)


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


_font_config = None
_font_lock = threading.Lock()


def font_config():
    """The process's one WeasyPrint FontConfiguration (fontconfig and Pango's font map, with their caches).

    WeasyPrint makes a new one for every document unless it is given one: loading the system's fonts
    and shaping Chinese again each time. Documents only read it (no @font-face rules), and rendering is
    serialised by `_font_lock` so threads never share it mid-layout.
    """
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


UA_STYLESHEET = Path(__file__).with_name("pdf_ua.css")
_ua = None
_html_class = None


def _ua_sheet():
    """pdf_ua.css parsed once per process (with the shared FontConfiguration): WeasyPrint's user-agent rules
    for the elements our templates use, in place of its whole HTML stylesheet (see the file's header)."""
    global _ua
    if _ua is None:
        from weasyprint import CSS

        _ua = CSS(string=UA_STYLESHEET.read_text("utf-8"), font_config=font_config())
    return _ua


def _html(html: str):
    """A WeasyPrint document whose relative links resolve into static/, which fetches nothing outside it,
    and whose user-agent stylesheet is pdf_ua.css. Called with `_font_lock` held."""
    global _html_class
    if _html_class is None:
        from weasyprint import HTML

        class PwpostsHTML(HTML):
            def _ua_stylesheets(self, forms=False):  # WeasyPrint's hook (no form is ever rendered here)
                return [_ua_sheet()]

        _html_class = PwpostsHTML
    static = Path(current_app.static_folder)
    return _html_class(string=html, base_url=static.as_uri() + "/", url_fetcher=static_only_fetcher(static))


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of one HTML document (made from a templates/pdf/ template)."""
    with _font_lock:
        return _html(html).write_pdf(font_config=font_config())


def htmls_to_pdf(htmls: list[str]) -> bytes:
    """One PDF of several documents, each laid out on its own (its own page numbers), written once.

    Writing once shares the embedded, subsetted fonts between the documents: a township's contracts
    as one file costs much less than the same contracts one by one.
    """
    if not htmls:
        raise ValueError("htmls_to_pdf needs at least one document")
    with _font_lock:
        fc = font_config()
        documents = [_html(h).render(font_config=fc) for h in htmls]
        pages = [page for d in documents for page in d.pages]
        return documents[0].copy(pages).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes."""
    return html_to_pdf(render_template(template, **context))
