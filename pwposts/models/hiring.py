"""以岗聘任: notices, applications with eligibility results, 公示 and objections (DOMAIN.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.hiring import APPLICATION_STATES, OBJECTION_STATES, PUBLICITY_STATES
from ..extensions import db
from ._types import one_of, utcnow
from .people import Person
from .posts import Post


class Notice(db.Model):
    """招聘公告 for one post."""

    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint("end_on >= start_on", name="dates_ordered"),
        CheckConstraint("places >= 1", name="places_positive"),
        one_of("status", ("open", "closed")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    conditions: Mapped[str] = mapped_column(Text)
    places: Mapped[int]
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class Publicity(db.Model):
    """公示 of a notice's shortlist, counted in working days."""

    __tablename__ = "publicity"
    __table_args__ = (
        one_of("status", PUBLICITY_STATES),
        CheckConstraint("end_on >= start_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)  # last day of the period
    working_days: Mapped[int]
    where_to_object: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    notice: Mapped[Notice] = relationship()


class Application(db.Model):
    """An application entered for a person; eligibility failures are kept with it."""

    __tablename__ = "application"
    __table_args__ = (
        one_of("status", APPLICATION_STATES),
        UniqueConstraint("notice_id", "person_id"),
        Index("ix_application_status_notice", "status", "notice_id"),  # hired, awaiting a contract
        # 已聘用待签协议: the few hired applications with no signed contract, found without the others
        Index(  # (status, …) so that SQLite searches it by status = 'hired' instead of the index above
            "ix_application_awaiting_contract",
            "status",
            "notice_id",
            sqlite_where=text("contract_signed = 0"),
            postgresql_where=text("NOT contract_signed"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    publicity_id: Mapped[Optional[int]] = mapped_column(ForeignKey("publicity.id"), index=True)
    status: Mapped[str] = mapped_column(String(15))
    failures_json: Mapped[Optional[str]] = mapped_column(Text)  # [{"code":…, "message":…}]
    checked_on: Mapped[date] = mapped_column(Date)
    hired_on: Mapped[Optional[date]] = mapped_column(Date)  # the business date of the hire (聘用日期)
    priority: Mapped[int] = mapped_column(default=0)  # lower is earlier
    note: Mapped[Optional[str]] = mapped_column(Text)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Whether a non-void contract exists for this application: kept by the database session itself at every
    # flush that writes a contract (models/contracts.py, _keep_contract_signed) and by bulk writers
    # (refresh_contract_signed). Read only to find the few hired applications awaiting a contract among
    # the thousands signed; the exact rule (no non-void contract) is still checked for those few.
    contract_signed: Mapped[bool] = mapped_column(default=False, server_default=false())

    notice: Mapped[Notice] = relationship()
    person: Mapped[Person] = relationship()
    publicity: Mapped[Optional[Publicity]] = relationship()

    @property
    def hire_date(self) -> date | None:
        """聘用日期: hired_on; for a hired row written without
        it, the day of its last check (set by the hire)."""
        if self.status != "hired":
            return self.hired_on
        return self.hired_on or self.checked_on


class Objection(db.Model):
    """An objection raised during 公示; upheld removes the candidate, rejected keeps the reason."""

    __tablename__ = "objection"
    __table_args__ = (
        one_of("status", OBJECTION_STATES),
        CheckConstraint("status = 'open' OR resolution IS NOT NULL", name="resolved_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publicity_id: Mapped[int] = mapped_column(ForeignKey("publicity.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    objector_name: Mapped[Optional[str]] = mapped_column(String(50))
    objector_contact: Mapped[Optional[str]] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    publicity: Mapped[Publicity] = relationship()
    application: Mapped[Application] = relationship()
