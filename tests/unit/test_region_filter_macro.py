"""Lists that filter by township/village use the region_filters macro (templates/_macros.html) rather
than building their own selects, so every list narrows the villages to the chosen township alike."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HAND_BUILT = re.compile(r'<select name="(township|village)"')
# Selects of another shape, and why.
OTHERS = {
    "_macros.html",  # the macro itself
    "public/index.html",  # the public page: region objects of the published notices, no login
    "pay/payroll_run.html",  # the villages of one run (a dict built by the run view)
}


def test_lists_filter_by_region_through_the_macro():
    found = [
        p.relative_to(TEMPLATES).as_posix()
        for p in sorted(TEMPLATES.rglob("*.html"))
        if p.relative_to(TEMPLATES).as_posix() not in OTHERS and HAND_BUILT.search(p.read_text("utf-8"))
    ]
    assert found == [], f"use {{{{ region_filters(...) }}}} from _macros.html in: {found}"
