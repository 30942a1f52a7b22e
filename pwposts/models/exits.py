"""有序退岗 and after the post: exits, 311 follow-up services, the daily colour (DOMAIN.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.exits import COLOURS, EXIT_REASONS, EXIT_SOURCES, EXIT_STATES, PLACEMENTS, SERVICE_KINDS
from ..extensions import db
from ._types import one_of, utcnow
from .contracts import Contract
from .people import Person


class ContractExit(db.Model):
    """One exit from one contract: proposed (by the sweep or a clerk), then confirmed by township HR
    (which sets the contract's exit_on) or dismissed with a reason. Nothing is ever deleted."""

    __tablename__ = "contract_exit"
    __table_args__ = (
        one_of("reason", tuple(EXIT_REASONS)),
        one_of("status", EXIT_STATES),
        one_of("source", EXIT_SOURCES),
        one_of("placement", PLACEMENTS),
        CheckConstraint("event_on <= effective_on", name="event_not_after_effective"),
        CheckConstraint("(status = 'confirmed') = (confirmed_on IS NOT NULL)", name="confirmed_dated"),
        CheckConstraint("(status = 'dismissed') = (dismissed_on IS NOT NULL)", name="dismissed_dated"),
        # at most one open or confirmed exit per contract
        Index(
            "uq_contract_exit_one_per_contract",
            "contract_id",
            unique=True,
            sqlite_where=text("status <> 'dismissed'"),
            postgresql_where=text("status <> 'dismissed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    source: Mapped[str] = mapped_column(String(10), default="staff")
    event_on: Mapped[date] = mapped_column(Date)  # the death, the new job's first day, the category's end …
    effective_on: Mapped[date] = mapped_column(Date)  # first day off the post and unpaid
    evidence: Mapped[Optional[str]] = mapped_column(Text)  # what the sweep (or the clerk) saw
    note: Mapped[Optional[str]] = mapped_column(Text)
    placement: Mapped[str] = mapped_column(String(10), default="none")  # 转岗 / 就业 / none
    placement_note: Mapped[Optional[str]] = mapped_column(String(200))
    wants_work: Mapped[bool] = mapped_column(default=True)  # 有就业意愿: 311 services are owed
    proposed_on: Mapped[date] = mapped_column(Date)
    proposed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    proposed_by_label: Mapped[str] = mapped_column(String(120))
    confirmed_on: Mapped[Optional[date]] = mapped_column(
        Date
    )  # the day it was reported: late is judged on it
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    late: Mapped[bool] = mapped_column(default=False, index=True)
    report_limit_days: Mapped[Optional[int]]  # the county setting applied when it was confirmed
    dismissed_on: Mapped[Optional[date]] = mapped_column(Date)
    dismissed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    dismiss_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def village(self):
        """An exit belongs to the village of its contract's post (permissions scope)."""
        return self.contract.post.village if self.contract is not None else None


class FollowupService(db.Model):
    """One 311 service given to an exited holder: job information, training information or guidance."""

    __tablename__ = "followup_service"
    __table_args__ = (one_of("kind", tuple(SERVICE_KINDS)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    exit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contract_exit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    given_on: Mapped[date] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(100))  # who gave it (person or office)
    note: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship()


class PersonColour(db.Model):
    """四色预警: the colour of an exited holder as the last sweep computed it, and since when."""

    __tablename__ = "person_colour"
    __table_args__ = (one_of("colour", COLOURS),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    exit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contract_exit.id"))
    colour: Mapped[str] = mapped_column(String(10), index=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[date] = mapped_column(Date)  # the day it took this colour

    person: Mapped[Person] = relationship()
    exit: Mapped[Optional[ContractExit]] = relationship()
