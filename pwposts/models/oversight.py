"""纪检监察: anomaly flags, their notes, dispositions and rectification items (DOMAIN.md §3).

A flag is one case of one rule about one subject (a person, a contract, an account, a household, a
village, a payroll run, a fund), keyed by (rule_id, subject_key). Its evidence is stored as JSON with
a hash of the records that prove it; a dismissed flag is not raised again while that hash is the same.
Nothing closes a flag but an inspector's disposition.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.rules import (
    DISPOSITION_OUTCOMES,
    FLAG_STATES,
    RECTIFICATION_KINDS,
    RECTIFICATION_STATES,
    SEVERITIES,
)
from ..extensions import db
from ._types import one_of, utcnow
from .accounts import User
from .people import Person, Region


class Flag(db.Model):
    """One case found by one rule. status: open → confirmed | dismissed (by an inspector only)."""

    __tablename__ = "oversight_flag"
    __table_args__ = (
        one_of("status", FLAG_STATES),
        one_of("severity", SEVERITIES),
        CheckConstraint("money_fen >= 0", name="money_not_negative"),
        # never two open flags of one rule about one subject (the scan is idempotent)
        Index(
            "uq_oversight_flag_open_subject",
            "rule_id",
            "subject_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_oversight_flag_rule_subject", "rule_id", "subject_key"),
        Index("ix_oversight_flag_status_township", "status", "township_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(30))
    rule_version: Mapped[int] = mapped_column(default=1)
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="open")
    subject_key: Mapped[str] = mapped_column(String(120))  # e.g. person:12, account:6221…, village:7
    title: Mapped[str] = mapped_column(Text)  # one Chinese line naming the case
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    township_id: Mapped[Optional[int]] = mapped_column(ForeignKey("region.id"))
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("region.id"), index=True)
    period_from: Mapped[Optional[str]] = mapped_column(String(7))
    period_to: Mapped[Optional[str]] = mapped_column(String(7))
    money_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    evidence_json: Mapped[str] = mapped_column(Text)
    evidence_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    first_seen_on: Mapped[date] = mapped_column(Date)
    last_seen_on: Mapped[date] = mapped_column(Date)
    previous_flag_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("oversight_flag.id")
    )  # the disposed one
    assigned_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))

    person: Mapped[Optional[Person]] = relationship()
    township: Mapped[Optional[Region]] = relationship(foreign_keys=[township_id])
    village: Mapped[Optional[Region]] = relationship(foreign_keys=[village_id])
    previous: Mapped[Optional["Flag"]] = relationship(remote_side=[id])
    assigned_to: Mapped[Optional[User]] = relationship()
    disposition: Mapped[Optional["Disposition"]] = relationship(back_populates="flag", uselist=False)
    notes: Mapped[list["FlagNote"]] = relationship(order_by="FlagNote.id", back_populates="flag")


class FlagNote(db.Model):
    """An inspector's working note on a flag."""

    __tablename__ = "oversight_flag_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("oversight_flag.id"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)

    flag: Mapped[Flag] = relationship(back_populates="notes")
    author: Mapped[Optional[User]] = relationship()


class Disposition(db.Model):
    """An inspector's decision on a flag: confirmed (with a
    rectification item) or dismissed (reason code + text)."""

    __tablename__ = "oversight_disposition"
    __table_args__ = (
        one_of("outcome", DISPOSITION_OUTCOMES),
        CheckConstraint(
            "outcome <> 'dismissed' OR (reason_code IS NOT NULL AND length(reason_text) > 0)",
            name="dismissal_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("oversight_flag.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10))
    reason_code: Mapped[Optional[str]] = mapped_column(String(30))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    evidence_hash: Mapped[str] = mapped_column(String(64))  # the evidence the decision was made on
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_on: Mapped[date] = mapped_column(Date)

    flag: Mapped[Flag] = relationship(back_populates="disposition")
    decided_by: Mapped[Optional[User]] = relationship()
    rectifications: Mapped[list["Rectification"]] = relationship(
        back_populates="disposition", order_by="Rectification.id"
    )


class Rectification(db.Model):
    """整改事项 following a confirmed flag (recover money, remove the holder …), tracked until done."""

    __tablename__ = "oversight_rectification"
    __table_args__ = (
        one_of("kind", RECTIFICATION_KINDS),
        one_of("status", RECTIFICATION_STATES),
        CheckConstraint("(status = 'done') = (done_on IS NOT NULL)", name="done_has_date"),
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_id: Mapped[int] = mapped_column(ForeignKey("oversight_disposition.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[Optional[int]] = mapped_column(BigInteger)
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    done_on: Mapped[Optional[date]] = mapped_column(Date)
    done_note: Mapped[Optional[str]] = mapped_column(Text)
    done_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))

    disposition: Mapped[Disposition] = relationship(back_populates="rectifications")
