"""在岗领补: attendance, payroll runs, payments, bank batches, holders' objections (DOMAIN.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.pay import (
    ATTENDANCE_STATES,
    DAY_KINDS,
    OBJECTION_STATES,
    PAYMENT_KINDS,
    PAYMENT_STATES,
    RUN_KINDS,
    RUN_STATES,
)
from ..extensions import db
from ._types import one_of, utcnow
from .contracts import Contract
from .people import Person, Region


class AttendanceRecord(db.Model):
    """One holder's month under one contract: days (or hours) worked, leave, absence."""

    __tablename__ = "attendance_record"
    __table_args__ = (
        one_of("status", ATTENDANCE_STATES),
        UniqueConstraint("contract_id", "month"),
        CheckConstraint("days_worked BETWEEN 0 AND 31", name="days_range"),
        CheckConstraint(
            "leave_days >= 0 AND absent_days >= 0 AND days_worked + leave_days + absent_days <= 31",
            name="days_total",
        ),
        CheckConstraint("hours_worked IS NULL OR hours_worked >= 0", name="hours_not_negative"),
        CheckConstraint("length(month) = 7", name="month_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    days_worked: Mapped[int]
    hours_worked: Mapped[Optional[int]]
    leave_days: Mapped[int] = mapped_column(default=0)
    absent_days: Mapped[int] = mapped_column(default=0)
    note: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    contract: Mapped[Contract] = relationship()
    person: Mapped[Person] = relationship()
    days: Mapped[list["AttendanceDay"]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="AttendanceDay.day"
    )


class AttendanceDay(db.Model):
    """An optional dated line of a month's attendance; never the same day twice."""

    __tablename__ = "attendance_day"
    __table_args__ = (one_of("kind", DAY_KINDS), UniqueConstraint("record_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("attendance_record.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default="work")

    record: Mapped[AttendanceRecord] = relationship(back_populates="days")


class PayrollRun(db.Model):
    """A township's payroll for a month: computed at once, approved by a second person."""

    __tablename__ = "payroll_run"
    __table_args__ = (
        one_of("status", RUN_STATES),
        one_of("kind", RUN_KINDS),
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> prepared_by_id", name="four_eyes"),
        CheckConstraint("(status = 'approved') = (approved_at IS NOT NULL)", name="approved_has_time"),
        # one live regular run per township and month (a void run may be followed by a new one) …
        Index(
            "uq_payroll_run_live",
            "township_id",
            "month",
            unique=True,
            sqlite_where=text("status <> 'void' AND kind = 'regular'"),
            postgresql_where=text("status <> 'void' AND kind = 'regular'"),
        ),
        # … and at most one preview (regular or supplementary) per township-month at any time
        Index(
            "uq_payroll_run_preview",
            "township_id",
            "month",
            unique=True,
            sqlite_where=text("status = 'preview'"),
            postgresql_where=text("status = 'preview'"),
        ),
        Index("ix_payroll_run_month_township", "month", "township_id", "id"),  # the runs list's order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    # regular (月度清册) or supplementary (补充清册: after the regular run's approval, for holders left out)
    kind: Mapped[str] = mapped_column(String(13), default="regular", server_default="regular")
    status: Mapped[str] = mapped_column(String(10), default="preview")
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    line_count: Mapped[int] = mapped_column(default=0)
    unpaid_count: Mapped[int] = mapped_column(default=0)  # holders without approved attendance
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    prepared_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    approved_on: Mapped[Optional[date]] = mapped_column(
        Date
    )  # business date of approval (arrears count from it)

    # the township-month change counters (pay_input_change) read when the preview was computed:
    # approval skips the staleness re-check when they are unchanged
    inputs_stamp: Mapped[Optional[str]] = mapped_column(String(200))

    township: Mapped[Region] = relationship()


class PayInputChange(db.Model):
    """How often a run's inputs changed, per township and month (month '*': every month of the township —
    contracts, persons, posts, funds). Bumped by services.pay.changes on every flush that touches them."""

    __tablename__ = "pay_input_change"

    township_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger)


class Payment(db.Model):
    """One payment line. Never edited once paid: corrections are new 补发/扣回 lines with a reason."""

    __tablename__ = "payment"
    __table_args__ = (
        one_of("kind", PAYMENT_KINDS),
        one_of("status", PAYMENT_STATES),
        CheckConstraint(
            "kind = 'regular' OR (reason IS NOT NULL AND original_payment_id IS NOT NULL)",
            name="correction_has_reason",
        ),
        CheckConstraint("kind <> 'regular' OR amount_fen >= 0", name="regular_not_negative"),
        # never two regular payments for the same contract and month
        Index(
            "uq_payment_regular_contract_month",
            "contract_id",
            "month",
            unique=True,
            sqlite_where=text("kind = 'regular'"),
            postgresql_where=text("kind = 'regular'"),
        ),
        Index("ix_payment_run_id", "run_id"),
        # a fund's approved use (approval's allocation check) is summed from this index alone, without
        # reading the payment rows; its first column also serves lookups by fund
        Index("ix_payment_fund_run", "fund_id", "run_id", "amount_fen"),
        # the corrections of a line, for the foreign key's check when lines are deleted (re-preparing or
        # voiding a run): without it PostgreSQL scanned every payment line once per deleted line (6.8 s
        # for one township's 485 lines at 50,000 persons, growing with every month paid; 16 ms with it).
        # Partial: regular lines (no original) are not in it, so inserting a run's lines costs nothing more
        Index(
            "ix_payment_original_payment_id",
            "original_payment_id",
            sqlite_where=text("original_payment_id IS NOT NULL"),
            postgresql_where=text("original_payment_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payroll_run.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    fund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("fund.id"))  # indexed by ix_payment_fund_run
    month: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="regular")
    standard_fen: Mapped[int] = mapped_column(BigInteger)
    required_days: Mapped[int]
    attended_days: Mapped[int]
    covered_days: Mapped[int]  # c: calendar days of the month the contract covers
    month_days: Mapped[int]  # d
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    base_fen: Mapped[int] = mapped_column(BigInteger)
    grade: Mapped[Optional[str]] = mapped_column(String(5))
    performance_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    calc_text: Mapped[str] = mapped_column(Text)  # e.g. 600 ÷ 20 × 15 = 450.00
    account_kind: Mapped[Optional[str]] = mapped_column(String(10))
    # indexed: the approval scan's SHARED_ACCOUNT reads the lines paid to the run's accounts (migration 0021)
    account_no: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    account_name: Mapped[Optional[str]] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    bank_batch: Mapped[int] = mapped_column(default=1)  # failed payments go into a later batch
    bank_ref: Mapped[Optional[str]] = mapped_column(String(60))
    failure_reason: Mapped[Optional[str]] = mapped_column(Text)
    paid_on: Mapped[Optional[date]] = mapped_column(Date)
    reason: Mapped[Optional[str]] = mapped_column(Text)  # for 补发/扣回
    original_payment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment.id"))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    run: Mapped[Optional[PayrollRun]] = relationship()
    contract: Mapped[Contract] = relationship()
    person: Mapped[Person] = relationship()
    original: Mapped[Optional["Payment"]] = relationship(remote_side=[id])


class PaymentObjection(db.Model):
    """申诉: a holder objects to a payment — or to a month of a contract that was never paid (no payment line:
    payment_id is NULL, contract_id and month say which month); HR answers; the holder sees the answer."""

    __tablename__ = "payment_objection"
    __table_args__ = (
        one_of("status", OBJECTION_STATES),
        CheckConstraint("status = 'open' OR answer IS NOT NULL", name="answered_has_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment.id"), index=True)
    # the contract-month objected to (also filled for an objection against a payment line)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    payment: Mapped[Optional[Payment]] = relationship()
    contract: Mapped[Contract] = relationship()
    person: Mapped[Person] = relationship()
