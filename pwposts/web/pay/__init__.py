"""在岗领补 screens: one blueprint "pay" (url_prefix /pay) shared by several view modules.

attendance.py (考勤与考核) and payroll.py (发放) each add their routes to `bp`. Every module
of this package is imported below, so a new view module registers itself by existing;
register_web() registers `bp` once.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint

bp = Blueprint("pay", __name__, url_prefix="/pay")


def _load_view_modules() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")


_load_view_modules()
