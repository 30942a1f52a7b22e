"""Small column helpers shared by the model modules."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import CheckConstraint


def utcnow() -> datetime:
    """Naive UTC timestamp (stored without zone; shown in Beijing time)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def one_of(column: str, values, name: str | None = None) -> CheckConstraint:
    """CHECK that a string column holds one of the enum's values."""
    quoted = ", ".join("'" + str(v) + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")
