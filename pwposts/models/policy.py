"""County policy: post categories, standards, funds, settings, holidays (DOMAIN.md §1, §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.people import CATEGORIES
from ..domain.settings import SETTING_KEYS
from ..extensions import db
from ._types import one_of, utcnow

POST_TYPES = ("普通", "技术技能", "专项")


class PostCategory(db.Model):
    """岗位类别 such as 保洁 or 护林."""

    __tablename__ = "post_category"
    __table_args__ = (one_of("kind", POST_TYPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="普通")
    description: Mapped[Optional[str]] = mapped_column(Text)


class Standard(db.Model):
    """县定标准: allowance and attendance for a category, valid effective_from..effective_to."""

    __tablename__ = "standard"
    __table_args__ = (
        CheckConstraint("monthly_allowance_fen > 0", name="allowance_positive"),
        CheckConstraint("required_days BETWEEN 1 AND 31", name="required_days_range"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="period_ordered"),
        CheckConstraint(
            "perf_excellent_fen >= 0 AND perf_pass_fen >= 0 AND perf_fail_fen >= 0", name="perf_not_negative"
        ),
        UniqueConstraint("county_id", "category_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("post_category.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[Optional[date]] = mapped_column(Date)
    monthly_allowance_fen: Mapped[int] = mapped_column(BigInteger)
    required_days: Mapped[int]
    full_time: Mapped[bool] = mapped_column(default=False)
    required_hours: Mapped[Optional[int]]  # for part-time posts counted in hours
    perf_excellent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    perf_pass_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    perf_fail_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    category: Mapped[PostCategory] = relationship()


class Fund(db.Model):
    """资金来源 for one year, with its allocation and the person categories it may pay."""

    __tablename__ = "fund"
    __table_args__ = (
        CheckConstraint("allocation_fen >= 0", name="allocation_not_negative"),
        UniqueConstraint("county_id", "name", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int]
    allocation_fen: Mapped[int] = mapped_column(BigInteger)
    restricts_categories: Mapped[bool] = mapped_column(default=False)
    document_no: Mapped[Optional[str]] = mapped_column(String(100))  # 文号 of the allocation

    allowed: Mapped[list["FundCategory"]] = relationship(cascade="all, delete-orphan")

    @property
    def allowed_categories(self) -> list[str]:
        return [a.category for a in self.allowed]


class FundCategory(db.Model):
    __tablename__ = "fund_category"
    __table_args__ = (one_of("category", CATEGORIES),)

    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)


class CountySetting(db.Model):
    """One value of a county setting, in force from effective_from until the next one."""

    __tablename__ = "county_setting"
    __table_args__ = (one_of("key", SETTING_KEYS), UniqueConstraint("county_id", "key", "effective_from"))

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(100))
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[Optional[str]] = mapped_column(Text)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Holiday(db.Model):
    """County calendar: a holiday (is_workday false) or a make-up working day on a weekend (true)."""

    __tablename__ = "holiday"
    __table_args__ = (UniqueConstraint("county_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(50))
    is_workday: Mapped[bool] = mapped_column(default=False)
