"""Today's date and the current time, in Beijing. Services receive these as arguments."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app, has_app_context

from .domain.formats import BEIJING, parse_date
from .models._types import utcnow


def today() -> date:
    """Beijing date; PWPOSTS_TODAY (config or environment) fixes it for demos and tests."""
    fixed = current_app.config.get("PWPOSTS_TODAY") if has_app_context() else None
    if fixed:
        return parse_date(fixed)
    return datetime.now(BEIJING).date()


def now() -> datetime:
    """Naive UTC, the way timestamps are stored."""
    return utcnow()
