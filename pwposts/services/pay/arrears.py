"""Arrears (拖欠): township-months not paid in time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ...domain import payroll as rules
from ...domain.formats import month_bounds, yuan
from ...models.contracts import Contract
from ...models.pay import Payment, PayrollRun
from ...models.people import Region
from ...models.posts import Post
from ..permissions import require, scope_regions
from ..settings import county_of, int_setting

# ---------------------------------------------------------------- arrears (拖欠)


@dataclass
class ArrearsRow:
    township_id: int
    township: str
    month: str
    roster: int = 0  # contracts covering the month
    lines: int = 0  # regular lines in an approved run
    paid: int = 0  # of which paid
    unpaid_lines: int = 0  # of which still pending or failed (positive amounts)
    unpaid_fen: int = 0
    run_id: int | None = None
    run_status: str | None = None
    approved_on: date | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def _recent_months(today: date, count: int) -> list[str]:
    """The `count` months that ended before today, newest last."""
    y, m = today.year, today.month
    out = []
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append(f"{y:04d}-{m:02d}")
    return list(reversed(out))


def arrears(
    session: Session,
    actor,
    today: date,
    *,
    months: int = 12,
    township_id: int | None = None,
    month: str | None = None,
    flagged_only: bool = True,
) -> tuple[int, list[ArrearsRow]]:
    """(arrears_days, rows): per township-month of the last `months` ended months, the roster (contracts
    covering the month) against approved lines and lines paid; flagged when the month ended more than
    arrears_days ago without an approved run, when an approved run still has unpaid lines more than
    arrears_days after approval, or when fewer people were paid than the roster lists."""
    require(actor, "view_arrears")
    region = actor.region
    county = county_of(session, region) if region is not None else None
    limit = int_setting(session, county.id, "arrears_days", today) if county else 30
    month_list = [month] if month else _recent_months(today, months)
    bounds = {m: month_bounds(m) for m in month_list}
    months_t = union_all(
        *[
            select(literal(m).label("month"), literal(b[0]).label("first"), literal(b[1]).label("last"))
            for m, b in bounds.items()
        ]
    ).subquery("m")
    rows: dict[tuple[int, str], ArrearsRow] = {}
    towns = dict(
        session.execute(
            scope_regions(actor, select(Region.id, Region.name), Region.id).where(Region.level == "township")
        ).all()
    )
    if township_id:
        towns = {k: v for k, v in towns.items() if k == township_id}
    if not towns:
        return limit, []

    def row(tid, m):
        key = (tid, m)
        if key not in rows:
            rows[key] = ArrearsRow(tid, towns.get(tid, ""), m)
        return rows[key]

    roster_q = (
        select(Post.township_id, months_t.c.month, func.count(Contract.id))
        .select_from(Contract)
        .join(Post, Contract.post_id == Post.id)
        .join(
            months_t,
            and_(
                Contract.start_on <= months_t.c.last,
                func.coalesce(Contract.exit_on, Contract.end_on) >= months_t.c.first,
            ),
        )
        .where(Contract.status.in_(rules.PAYABLE_CONTRACT_STATES), Post.township_id.in_(towns))
        .group_by(Post.township_id, months_t.c.month)
    )
    for tid, m, n in session.execute(roster_q).all():
        row(tid, m).roster = int(n)
    positive_unpaid = and_(Payment.status != "paid", Payment.amount_fen > 0)
    pay_q = (
        select(
            PayrollRun.township_id,
            Payment.month,
            func.max(PayrollRun.id),
            func.min(PayrollRun.approved_on),
            func.count(Payment.id),
            func.sum(case((Payment.status == "paid", 1), else_=0)),
            func.sum(case((positive_unpaid, 1), else_=0)),
            func.sum(case((positive_unpaid, Payment.amount_fen), else_=0)),
        )
        .join(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(
            PayrollRun.status == "approved",
            Payment.kind == "regular",
            Payment.month.in_(month_list),
            PayrollRun.township_id.in_(towns),
        )
        .group_by(PayrollRun.township_id, Payment.month)
    )
    for tid, m, rid, approved_on, n, paid, unpaid, unpaid_fen in session.execute(pay_q).all():
        r = row(tid, m)
        r.run_id, r.run_status = rid, "approved"
        r.approved_on = approved_on
        r.lines, r.paid, r.unpaid_lines, r.unpaid_fen = (
            int(n),
            int(paid or 0),
            int(unpaid or 0),
            int(unpaid_fen or 0),
        )
    for rid, tid, m, status, approved_on in session.execute(
        select(
            PayrollRun.id, PayrollRun.township_id, PayrollRun.month, PayrollRun.status, PayrollRun.approved_on
        ).where(
            PayrollRun.status != "void", PayrollRun.month.in_(month_list), PayrollRun.township_id.in_(towns)
        )
    ):
        r = row(tid, m)
        if r.run_id is None:
            r.run_id, r.run_status = rid, status
            r.approved_on = approved_on
    out = []
    for (_tid, m), r in rows.items():
        month_end = bounds[m][1]
        past_month = (today - month_end).days
        if r.run_status != "approved" and r.roster and past_month > limit:
            r.reasons.append(
                f"月末已过{past_month}天仍未审批发放（拖欠认定{limit}天）"
                + ("，清册待审批" if r.run_status == "preview" else "")
            )
        if (
            r.run_status == "approved"
            and r.unpaid_lines
            and r.approved_on
            and (today - r.approved_on).days > limit
        ):
            r.reasons.append(
                f"审批后{(today - r.approved_on).days}天仍有{r.unpaid_lines}人未发放成功，"
                f"共{yuan(r.unpaid_fen)}"
            )
        if r.roster and r.paid < r.roster and past_month > limit:
            r.reasons.append(f"花名册{r.roster}人，实发{r.paid}人")
        if r.reasons or not flagged_only:
            out.append(r)
    out.sort(key=lambda r: (r.month, r.township_id), reverse=True)
    return limit, out
