"""Chinese PDFs with WeasyPrint, from templates under templates/pdf/.

Fonts come from the system (fontconfig): .ci/setup installs Debian's fonts-wqy-microhei when no
Chinese font is present. check_cjk_font() tells the operator plainly when none is installed.
"""
from __future__ import annotations

import shutil
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


def render_pdf(template: str, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes."""
    from weasyprint import HTML

    html = render_template(template, **context)
    return HTML(string=html).write_pdf()
