"""Payroll basics: the tables, the locks, loading a township or run, the months of a run, unpaid holders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    text,
)
from sqlalchemy.orm import Session

from ...domain import payroll as rules
from ...domain.errors import DomainError, NotFound
from ...domain.formats import month_bounds, month_heading
from ...models.pay import AttendanceRecord, Payment, PayrollRun
from ...models.people import Region
from ..permissions import get_scoped, require
from ..settings import county_of, setting

PAYMENT = Payment.__table__
RUN = PayrollRun.__table__
ATTENDANCE = AttendanceRecord.__table__
_RUN_LOCK = 7243002  # advisory-lock namespace: one township-month's run
_FUND_LOCK = 7243003  # advisory-lock namespace: one fund's remaining allocation
PAID_ATTENDANCE = ("approved", "locked")
SHOWN_NAMES = 8  # how many names a refusal message spells out


# ---------------------------------------------------------------- loading and locking


def load_township(session: Session, actor, township_id: Any, action: str) -> Region:
    try:
        tid = int(township_id)
    except (TypeError, ValueError):
        raise NotFound("乡镇") from None
    township = session.get(Region, tid)
    if township is None or township.level != "township":
        raise NotFound("乡镇")
    require(actor, action, township, what="乡镇")
    return township


def load_run(session: Session, actor, run_id: Any, action: str = "view_payroll") -> PayrollRun:
    try:
        rid = int(run_id)
    except (TypeError, ValueError):
        raise NotFound("发放清册") from None
    return get_scoped(session, actor, PayrollRun, rid, action, "发放清册")


def _lock_run_key(session: Session, township_id: int, month: str) -> None:
    """PostgreSQL: serialise prepare/approve/void of one township-month until commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"),
            {"ns": _RUN_LOCK, "k": f"{township_id}:{month}"},
        )


def _lock_funds(session: Session, fund_ids: Iterable[int]) -> bool:
    """PostgreSQL: serialise the allocation check of these funds (in id order, so no deadlock).
    True when locks were taken (SQLite needs none: its writers are serialised anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    ids = sorted({f for f in fund_ids if f is not None})
    if ids:  # one statement: the locks are taken in the array's order (unnest keeps it)
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, f) FROM unnest(CAST(:ids AS INTEGER[])) AS u (f)"),
            {"ns": _FUND_LOCK, "ids": ids},
        )
    return True


def run_months_for(session: Session, township: Region, month: str) -> list[str]:
    """The months a run for `month` covers, by the county's pay frequency in force at the month's end."""
    county = county_of(session, township)
    frequency = setting(session, county.id, "pay_frequency", month_bounds(month)[1])
    try:
        return rules.run_months(month, frequency)
    except ValueError:
        raise DomainError(
            "payroll_quarterly_month",
            f"本县按季度发放（县级设置“发放周期”为按季度）：{month_heading(month)}不是季度末月份。"
            "请为季度末月份（3、6、9、12月）造册，该清册包含本季度三个月的明细",
        ) from None


# ---------------------------------------------------------------- inputs and lines


@dataclass
class Unpaid:
    """A holder covered by the month who gets no line, and why."""

    contract_id: int
    contract_code: str
    person_id: int
    name: str
    id_number: str
    village_id: int
    post_title: str
    month: str
    reason: str

    @property
    def cause(self) -> str:
        """The reason without its particulars (the date of death), for counting."""
        return "已故" if self.reason.startswith("已故") else self.reason.split("，")[0]


def unpaid_summary(unpaid: Iterable[Unpaid], extra: Iterable[str] = ()) -> str:
    """“考勤待审核2人、无考勤记录1人” — how many holders are left out, per cause (most first)."""
    counts: dict[str, int] = {}
    for cause in [u.cause for u in unpaid] + list(extra):
        counts[cause] = counts.get(cause, 0) + 1
    return "、".join(f"{c}{n}人" for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def rules_label(status: str) -> str:
    from ...domain.pay import RUN_STATE_LABELS

    return RUN_STATE_LABELS.get(status, status)


def _names(names: list[str]) -> str:
    shown = "、".join(names[:SHOWN_NAMES])
    return shown + (f"等{len(names)}人" if len(names) > SHOWN_NAMES else "")
