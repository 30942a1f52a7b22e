"""Chinese PDFs with WeasyPrint, from templates under templates/pdf/.

Fonts come from the system (fontconfig): .ci/setup installs Debian's fonts-wqy-microhei when no
Chinese font is present. check_cjk_font() tells the operator plainly when none is installed.
"""
from __future__ import annotations

import shutil
import threading
import subprocess

from flask import render_template

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


def html_to_pdf(html: str) -> bytes:
    """PDF bytes from one HTML document (made from a templates/pdf/ template)."""
    from weasyprint import HTML

    with _font_lock:
        return HTML(string=html).write_pdf(font_config=font_config())


def htmls_to_pdf(htmls: list[str]) -> bytes:
    """One PDF of several documents, each laid out on its own (its own page numbers), written once.

    Writing once shares the embedded, subsetted fonts between the documents: a township's contracts
    as one file costs much less than the same contracts one by one.
    """
    from weasyprint import HTML

    if not htmls:
        raise ValueError("htmls_to_pdf needs at least one document")
    with _font_lock:
        fc = font_config()
        documents = [HTML(string=h).render(font_config=fc) for h in htmls]
        pages = [page for d in documents for page in d.pages]
        return documents[0].copy(pages).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes."""
    return html_to_pdf(render_template(template, **context))
