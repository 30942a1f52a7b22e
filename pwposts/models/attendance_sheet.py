"""The version of a village-month attendance sheet: two clerks saving one sheet cannot overwrite
each other."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class AttendanceSheetVersion(db.Model):
    """One row per village and month once the sheet was first saved; `version` grows with every save
    that changed something, and names who made that save and when (shown to a clerk whose save is refused)."""

    __tablename__ = "attendance_sheet_version"
    __table_args__ = (
        UniqueConstraint("village_id", "month"),
        CheckConstraint("version >= 0", name="version_not_negative"),
        CheckConstraint("length(month) = 7", name="month_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    month: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(default=0)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
