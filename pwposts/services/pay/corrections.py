"""补发 and 扣回: new lines against a line of an approved run; the original is never changed."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from ...domain import payroll as rules
from ...domain.errors import DomainError, NotFound
from ...domain.formats import month_heading, yuan
from ...models.pay import Payment, PayrollRun
from ...models.policy import Fund
from .. import audit
from ..permissions import require
from .bank import _next_batch
from .checks import FundCheck
from .common import _lock_funds, _lock_run_key

# ---------------------------------------------------------------- corrections

CORRECTION_KINDS = rules.CORRECTION_KINDS


def correct_payment(
    session: Session, actor, payment_id: Any, kind: str, amount_fen: int, reason: str, today: date
) -> Payment:
    """补发 or 扣回 against a line of an approved run: a NEW line (扣回 stored negative) with the reason;
    the original line is never changed."""
    try:
        pid = int(payment_id)
    except (TypeError, ValueError):
        raise NotFound("发放明细") from None
    original = session.get(Payment, pid)
    if original is None or original.run is None:
        raise NotFound("发放明细")
    require(actor, "correct_payment", original.run, what="发放明细")
    reason = rules.check_correction(kind, amount_fen, reason)
    if original.kind != "regular":
        raise DomainError(
            "correction_of_correction", "只能对月度发放明细办理补发或扣回，不能对更正明细再更正"
        )
    run = original.run
    if run.status != "approved":
        raise DomainError(
            "payroll_not_approved",
            f"第{run.id}号清册尚未审批：待审批的清册请更正考勤后重新生成，无需补发或扣回",
        )
    _lock_run_key(session, run.township_id, run.month)
    net = (
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
                Payment.original_payment_id == original.id
            )
        )
        or 0
    )
    too_much = rules.recovery_problem(amount_fen, original.amount_fen, int(net)) if kind == "扣回" else None
    if too_much:
        raise DomainError("recovery_too_large", too_much)
    if kind == "补发" and original.fund_id is not None:
        _lock_funds(session, [original.fund_id])
        fund = session.get(Fund, original.fund_id)
        used = (
            session.scalar(
                select(func.coalesce(func.sum(Payment.amount_fen), 0))
                .join(PayrollRun, Payment.run_id == PayrollRun.id)
                .where(Payment.fund_id == fund.id, PayrollRun.status == "approved")
            )
            or 0
        )
        if amount_fen > rules.correction_limit_fen(kind, 0, fund.allocation_fen - int(used)):
            check = FundCheck(fund.id, fund.name, fund.year, fund.allocation_fen, int(used), amount_fen)
            raise DomainError("fund_exceeded", check.message)
    person = original.person
    signed = amount_fen if kind == "补发" else -amount_fen
    line = Payment(
        run_id=run.id,
        contract_id=original.contract_id,
        person_id=original.person_id,
        fund_id=original.fund_id,
        month=original.month,
        kind=kind,
        standard_fen=original.standard_fen,
        required_days=original.required_days,
        attended_days=original.attended_days,
        covered_days=original.covered_days,
        month_days=original.month_days,
        cap_fen=original.cap_fen,
        base_fen=0,
        grade=original.grade,
        performance_fen=0,
        amount_fen=signed,
        calc_text=f"{kind} {rules.money(amount_fen)}"
        f"（更正第{original.id}号明细 {rules.money(original.amount_fen)}）：{reason}",
        account_kind=person.account_kind,
        account_no=person.account_no,
        account_name=person.account_name,
        status="pending",
        bank_batch=_next_batch(session, run.id),
        reason=reason,
        original_payment_id=original.id,
        created_by_id=actor.id,
    )
    session.add(line)
    session.flush()
    audit.record(
        session,
        actor,
        "correct_payment",
        "payment",
        line.id,
        before={
            "original_payment_id": original.id,
            "original_amount_fen": original.amount_fen,
            "original_status": original.status,
        },
        after={"kind": kind, "amount_fen": signed, "reason": reason, "bank_batch": line.bank_batch},
        summary=f"{kind}：{person.name} {month_heading(original.month)} {yuan(amount_fen)}，原因：{reason}"
        f"（原明细第{original.id}号不变）",
    )
    return line
