"""Contracts (each signing at most one year), accident insurance, assessments (DOMAIN.md §2)."""

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
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..domain.contracts import ASSESSMENT_GRADES, CONTRACT_KINDS, CONTRACT_STATES
from ..extensions import db
from ._types import one_of, utcnow
from .people import Person
from .posts import Post

# The one-year rule as the database can say it: end_on is before the start's first anniversary,
# the anniversary of 2月29日 being 3月1日 in a common year. SQLite's date(x, '+1 year') rolls
# 2028-02-29 to 2029-03-01, which is exactly that anniversary; PostgreSQL clamps 2029-02-29 to
# 02-28 when subtracting, so there the test is end_on - 1 year < start_on. Both are applied by
# dialect (ddl_if) and mirrored in the migration.
ONE_YEAR_SQLITE = CheckConstraint("end_on < date(start_on, '+1 year')", name="at_most_one_year").ddl_if(
    dialect="sqlite"
)
ONE_YEAR_POSTGRESQL = CheckConstraint(
    "end_on - interval '1 year' < start_on", name="at_most_one_year"
).ddl_if(dialect="postgresql")


class Contract(db.Model):
    """One signing: 劳务协议 or 劳动合同 for a person on a post. 'active' = the current signing."""

    __tablename__ = "contract"
    __table_args__ = (
        one_of("kind", CONTRACT_KINDS),
        one_of("status", CONTRACT_STATES),
        CheckConstraint("end_on >= start_on", name="dates_ordered"),
        ONE_YEAR_SQLITE,
        ONE_YEAR_POSTGRESQL,
        CheckConstraint("allowance_fen > 0", name="allowance_positive"),
        CheckConstraint("exit_on IS NULL OR (exit_on >= start_on AND exit_on <= end_on)", name="exit_within"),
        Index(
            "uq_contract_one_active_per_person",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_contract_end_on", "end_on", "id"),  # the expiring list's order
        Index(  # "hired, awaiting a contract": is there a signed (non-void) contract for this application?
            "ix_contract_signed_application",
            "application_id",
            sqlite_where=text("status != 'void'"),
            postgresql_where=text("status != 'void'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("application.id"), index=True)
    # renewals are found by it (exits, the renewal worklist, the contract chain): indexed
    previous_contract_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contract.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="劳务协议")
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    allowance_fen: Mapped[int] = mapped_column(BigInteger)
    required_days: Mapped[int]
    full_time: Mapped[bool] = mapped_column(default=False)
    perf_excellent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    perf_pass_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    duties: Mapped[str] = mapped_column(Text)
    work_place: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    signed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    activated_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    exit_on: Mapped[Optional[date]] = mapped_column(Date)  # last day worked when it ends early
    end_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    post: Mapped[Post] = relationship()
    previous: Mapped[Optional["Contract"]] = relationship(remote_side=[id])
    policies: Mapped[list["InsurancePolicy"]] = relationship(back_populates="contract")

    @property
    def village(self):
        """The post's village: a contract belongs to the region that runs its post (permissions scope)."""
        return self.post.village if self.post is not None else None

    @property
    def last_day(self) -> date:
        """The last day the contract pays for: the exit date if it ended early, else end_on."""
        return self.exit_on or self.end_on


class InsurancePolicy(db.Model):
    """意外伤害保险 covering the contract period; recorded before the contract takes effect."""

    __tablename__ = "insurance_policy"
    __table_args__ = (CheckConstraint("end_on >= start_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    insurer: Mapped[str] = mapped_column(String(100))
    policy_no: Mapped[str] = mapped_column(String(60))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="policies")


class Assessment(db.Model):
    """A monthly grade (period 'YYYY-MM') or an annual grade (period 'YYYY') for a contract."""

    __tablename__ = "assessment"
    __table_args__ = (
        one_of("grade", ASSESSMENT_GRADES),
        one_of("kind", ("monthly", "annual")),
        CheckConstraint(
            "(kind = 'monthly' AND length(period) = 7) OR (kind = 'annual' AND length(period) = 4)",
            name="period_matches_kind",
        ),
        UniqueConstraint("contract_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    period: Mapped[str] = mapped_column(String(7))
    grade: Mapped[str] = mapped_column(String(5))
    note: Mapped[Optional[str]] = mapped_column(Text)
    assessed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()


# ---- application.contract_signed, kept in step with the contracts written ----

_SIGNED_NOW = (
    "EXISTS (SELECT 1 FROM contract "
    "WHERE contract.application_id = application.id AND contract.status != 'void')"
)
# only the rows whose flag is wrong are written (a row rewritten for nothing is a dead row and index entry)
_SIGNED = text(
    f"UPDATE application SET contract_signed = {_SIGNED_NOW} WHERE contract_signed != {_SIGNED_NOW}"
)


def refresh_contract_signed(session, application_ids=None) -> int:
    """Set application.contract_signed from the contracts as they now are: for these applications, or for
    all (None: a bulk writer such as the demo builder, after writing contracts without the ORM, and the daily
    sweep as a safety net). Returns how many flags were wrong."""
    from sqlalchemy import bindparam

    if application_ids is None:
        return session.execute(_SIGNED).rowcount
    ids = sorted({int(i) for i in application_ids if i is not None})
    some = text(_SIGNED.text + " AND application.id IN :ids").bindparams(bindparam("ids", expanding=True))
    fixed = 0
    for start in range(0, len(ids), 500):
        fixed += session.execute(some, {"ids": ids[start : start + 500]}).rowcount
    return fixed


def _contract_applications(session) -> set[int]:
    """The applications whose 'signed' may change with this flush: of contracts added, deleted, or with a
    changed status or application (the old application too)."""
    from sqlalchemy import inspect

    out: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Contract) and obj.application_id is not None:
            out.add(obj.application_id)
    for obj in session.deleted:
        if isinstance(obj, Contract) and obj.application_id is not None:
            out.add(obj.application_id)
    for obj in session.dirty:
        if not isinstance(obj, Contract):
            continue
        state = inspect(obj)
        app_hist = state.attrs.application_id.history
        if app_hist.has_changes() or state.attrs.status.history.has_changes():
            # obj.application_id, not the history's "unchanged": an expired attribute has no history (loaded)
            out.update(i for i in (*app_hist.deleted, obj.application_id) if i is not None)
    return out


@event.listens_for(Session, "before_flush")
def _note_contract_applications(session, _context, _instances) -> None:
    touched = _contract_applications(session)
    if touched:
        session.info.setdefault("pwposts_signed_touched", set()).update(touched)


@event.listens_for(Session, "after_flush_postexec")
def _keep_contract_signed(session, _context) -> None:
    touched = session.info.pop("pwposts_signed_touched", None)
    if touched:
        refresh_contract_signed(session, touched)
