"""按需设岗: posts, proposed for a written need at the county standard (DOMAIN.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.posts import DEVIATION_STATES, POST_STATES
from ..extensions import db
from ._types import one_of, utcnow
from .people import Region
from .policy import Fund, PostCategory, Standard


class Post(db.Model):
    __tablename__ = "post"
    __table_args__ = (
        one_of("status", POST_STATES),
        one_of("deviation_status", DEVIATION_STATES),
        CheckConstraint("headcount >= 1", name="headcount_positive"),
        CheckConstraint("allowance_fen > 0", name="allowance_positive"),
        CheckConstraint("required_days BETWEEN 1 AND 31", name="required_days_range"),
        CheckConstraint("length(need_text) >= 10", name="need_written"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(100))  # 岗位名称
    township_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("post_category.id"), index=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    standard_id: Mapped[Optional[int]] = mapped_column(ForeignKey("standard.id"))
    headcount: Mapped[int]
    duties: Mapped[str] = mapped_column(Text)
    work_place: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(200))  # 工作时间
    need_text: Mapped[str] = mapped_column(Text)  # the written need
    eligible_pool: Mapped[Optional[int]]  # eligible people who cannot leave home
    allowance_fen: Mapped[int] = mapped_column(BigInteger)
    required_days: Mapped[int]
    full_time: Mapped[bool] = mapped_column(default=False)
    deviation_reason: Mapped[Optional[str]] = mapped_column(Text)
    deviation_status: Mapped[str] = mapped_column(String(10), default="none")
    status: Mapped[str] = mapped_column(String(15), default="draft", index=True)
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    decided_on: Mapped[Optional[date]] = mapped_column(Date)  # business date of the county's decision
    closed_on: Mapped[Optional[date]] = mapped_column(Date)

    township: Mapped[Region] = relationship(foreign_keys=[township_id])
    village: Mapped[Region] = relationship(foreign_keys=[village_id])
    category: Mapped[PostCategory] = relationship()
    fund: Mapped[Fund] = relationship()
    standard: Mapped[Optional[Standard]] = relationship()
