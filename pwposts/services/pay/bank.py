"""The bank: payment files, results, retries of failed lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Session

from ...documents.bank_files import BankRow, ResultRow, read_results, result_date
from ...domain import payroll as rules
from ...domain.errors import DomainError
from ...domain.formats import month_heading, parse_date, yuan
from ...models.pay import Payment, PayrollRun
from ...models.people import Person
from .. import audit
from .common import PAYMENT, SHOWN_NAMES, load_run

# ---------------------------------------------------------------- the bank


def _next_batch(session: Session, run_id: int) -> int:
    """Where a new pending line goes: the newest batch while the bank has answered none of its
    lines, otherwise the next one."""
    top = session.scalar(select(func.max(Payment.bank_batch)).where(Payment.run_id == run_id)) or 1
    answered = session.scalar(
        select(func.count(Payment.id)).where(
            Payment.run_id == run_id, Payment.bank_batch == top, Payment.status != "pending"
        )
    )
    return top + 1 if answered else top


def current_batch(session: Session, run: PayrollRun) -> int | None:
    """The newest batch with pending lines to send, or None."""
    return session.scalar(
        select(func.max(Payment.bank_batch)).where(
            Payment.run_id == run.id, Payment.status == "pending", Payment.amount_fen > 0
        )
    )


def bank_file_rows(
    session: Session, run: PayrollRun, batch: int | None = None
) -> tuple[int | None, list[BankRow]]:
    """(batch, rows) of the payment file: the pending lines of the batch (the current one by default),
    to the holder's own account, with a reference the bank sends back with its result."""
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批，不能生成银行代发文件")
    if batch is None:
        batch = current_batch(session, run)
    if batch is None:
        return None, []
    rows = session.execute(
        select(
            Payment.id,
            Payment.account_no,
            Payment.account_name,
            Payment.account_kind,
            Payment.amount_fen,
            Payment.month,
            Payment.kind,
            Person.name,
        )
        .join(Person, Payment.person_id == Person.id)
        .where(
            Payment.run_id == run.id,
            Payment.bank_batch == batch,
            Payment.status == "pending",
            Payment.amount_fen > 0,
        )
        .order_by(Payment.id)
    ).all()
    out = []
    for r in rows:
        memo = f"{month_heading(r.month)}公益性岗位补贴" + ("" if r.kind == "regular" else r.kind)
        out.append(
            BankRow(
                r.account_no or "",
                r.account_name or r.name,
                r.amount_fen,
                rules.bank_reference(r.id, batch),
                r.account_kind or "",
                memo,
            )
        )
    return batch, out


@dataclass
class BankImport:
    paid: int
    failed: int
    paid_fen: int
    failed_fen: int


def import_bank_results(
    session: Session, actor, run_id: Any, filename: str, data: bytes, today: date
) -> BankImport:
    """Record the bank's answer: each row (业务参考号, 状态 成功/失败, 失败原因, 日期) marks a pending
    line of this run paid or failed. Any row in error refuses the whole file, naming the rows."""
    run = load_run(session, actor, run_id, "record_bank_result")
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批，不能导入银行结果")
    return _apply_bank_results(session, actor, run, read_results(filename, data), filename, today)


def import_bank_result_rows(
    session: Session, actor, run_id: Any, rows: list[dict], today: date
) -> BankImport:
    """The same as import_bank_results, for rows given as dicts (reference, status, reason, date) —
    the API."""
    run = load_run(session, actor, run_id, "record_bank_result")
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批，不能导入银行结果")
    if not rows:
        raise DomainError("bank_file_no_rows", "没有结果行")
    parsed = [
        ResultRow(
            n,
            str(r.get("reference") or "").strip(),
            str(r.get("status") or "").strip(),
            str(r.get("reason") or "").strip(),
            r.get("date"),
        )
        for n, r in enumerate(rows, start=1)
    ]
    return _apply_bank_results(session, actor, run, parsed, "API", today)


def _apply_bank_results(
    session: Session, actor, run: PayrollRun, rows: list[ResultRow], filename: str, today: date
) -> BankImport:
    parsed = []
    for r in rows:
        ref = rules.parse_bank_reference(r.reference)
        if ref is None:
            parsed.append((r, None, None))
        else:
            parsed.append((r, ref[0], ref[1]))
    ids = [pid for _, pid, _ in parsed if pid is not None]
    lines = {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        lines.update(
            {
                p.id: p
                for p in session.execute(
                    select(
                        Payment.id, Payment.run_id, Payment.status, Payment.bank_batch, Payment.amount_fen
                    ).where(Payment.id.in_(part))
                ).all()
            }
        )
    errors, seen = [], set()
    paid_rows, failed_rows = [], []
    paid_fen = failed_fen = 0
    for r, pid, batch in parsed:
        where = f"第{r.line}行" if filename != "API" else f"第{r.line}条"
        if pid is None:
            errors.append(f"{where}：业务参考号“{r.reference}”不是本系统生成的参考号（应如 PW123-1）")
            continue
        if r.reference.upper() in seen:
            errors.append(f"{where}：业务参考号{r.reference}在文件中重复")
            continue
        seen.add(r.reference.upper())
        line = lines.get(pid)
        if line is None or line.run_id != run.id:
            errors.append(f"{where}：业务参考号{r.reference}不属于第{run.id}号清册")
            continue
        if line.bank_batch != batch:
            errors.append(
                f"{where}：业务参考号{r.reference}是第{batch}批的，该笔现属第{line.bank_batch}批，请导入最新批次的结果"
            )
            continue
        if line.status != "pending":
            errors.append(
                f"{where}：业务参考号{r.reference}已登记为"
                f"“{'已发放' if line.status == 'paid' else '发放失败'}”，不能重复导入"
            )
            continue
        status = rules.bank_status(r.status)
        if status is None:
            errors.append(f"{where}：状态“{r.status}”无效，只能为“成功”或“失败”")
            continue
        when = result_date(r.date)
        if isinstance(when, str):
            try:
                when = parse_date(when, "日期")
            except DomainError as err:
                errors.append(f"{where}：{err.message}")
                continue
        if when is not None and when > today:
            errors.append(f"{where}：日期{when.isoformat()}晚于今天{today.isoformat()}")
            continue
        if status == "paid":
            paid_rows.append({"pid": pid, "b_paid_on": when or today, "b_ref": r.reference.upper()})
            paid_fen += line.amount_fen
        else:
            if not r.reason:
                errors.append(f"{where}：发放失败须有失败原因（如 账户已销户、户名不符）")
                continue
            failed_rows.append({"pid": pid, "b_reason": r.reason[:500], "b_ref": r.reference.upper()})
            failed_fen += line.amount_fen
    if errors:
        raise DomainError(
            "bank_results_invalid",
            f"银行结果文件有{len(errors)}处错误，整份文件未导入，请更正后重新上传",
            details=errors,
        )
    if paid_rows:
        session.execute(
            PAYMENT.update()
            .where(PAYMENT.c.id == bindparam("pid"), PAYMENT.c.status == "pending")
            .values(
                status="paid",
                paid_on=bindparam("b_paid_on"),
                bank_ref=bindparam("b_ref"),
                failure_reason=None,
            ),
            paid_rows,
        )
    if failed_rows:
        session.execute(
            PAYMENT.update()
            .where(PAYMENT.c.id == bindparam("pid"), PAYMENT.c.status == "pending")
            .values(status="failed", failure_reason=bindparam("b_reason"), bank_ref=bindparam("b_ref")),
            failed_rows,
        )
    session.flush()
    result = BankImport(len(paid_rows), len(failed_rows), paid_fen, failed_fen)
    audit.record(
        session,
        actor,
        "import_bank_results",
        "payroll_run",
        run.id,
        after={
            "file": filename,
            "paid": result.paid,
            "failed": result.failed,
            "paid_fen": paid_fen,
            "failed_fen": failed_fen,
            "failures": [{"payment_id": f["pid"], "reason": f["b_reason"]} for f in failed_rows[:200]],
        },
        summary=f"导入银行结果：第{run.id}号清册，成功{result.paid}笔{yuan(paid_fen)}，"
        f"失败{result.failed}笔{yuan(failed_fen)}",
    )
    return result


def retry_failed(session: Session, actor, run_id: Any, today: date) -> int:
    """Put failed lines into the next bank batch as pending, with the holder's current account
    (corrected in the meantime, perhaps). The amount is never changed."""
    run = load_run(session, actor, run_id, "record_bank_result")
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批")
    failed = session.execute(
        select(
            Payment.id,
            Payment.failure_reason,
            Payment.account_no,
            Payment.bank_batch,
            Person.name,
            Person.account_no.label("new_no"),
            Person.account_name.label("new_name"),
        )
        .join(Person, Payment.person_id == Person.id)
        .where(Payment.run_id == run.id, Payment.status == "failed")
        .order_by(Payment.id)
    ).all()
    if not failed:
        raise DomainError("nothing_failed", f"第{run.id}号清册没有发放失败的明细")
    bad = [
        f"{r.name}：未登记本人账号" if not r.new_no else f"{r.name}：开户人“{r.new_name}”与本人姓名不符"
        for r in failed
        if not r.new_no or (r.new_name and r.new_name != r.name)
    ]
    if bad:
        raise DomainError(
            "retry_accounts",
            "以下人员的账户仍不能用于发放，请先更正后再重新发放：" + "；".join(bad[:SHOWN_NAMES]),
            details=bad,
        )
    batch = max(_next_batch(session, run.id), max(r.bank_batch for r in failed) + 1)
    person_account = select(Person.account_no).where(Person.id == PAYMENT.c.person_id).scalar_subquery()
    person_kind = select(Person.account_kind).where(Person.id == PAYMENT.c.person_id).scalar_subquery()
    person_holder = select(Person.account_name).where(Person.id == PAYMENT.c.person_id).scalar_subquery()
    n = session.execute(
        PAYMENT.update()
        .where(PAYMENT.c.run_id == run.id, PAYMENT.c.status == "failed")
        .values(
            status="pending",
            bank_batch=batch,
            failure_reason=None,
            bank_ref=None,
            account_no=person_account,
            account_kind=person_kind,
            account_name=person_holder,
        )
    ).rowcount
    session.flush()
    audit.record(
        session,
        actor,
        "retry_failed_payments",
        "payroll_run",
        run.id,
        before={
            "failed": [
                {
                    "payment_id": r.id,
                    "reason": r.failure_reason,
                    "account_no": r.account_no,
                    "batch": r.bank_batch,
                }
                for r in failed[:500]
            ]
        },
        after={"status": "pending", "bank_batch": batch, "count": n},
        summary=f"重新发放：第{run.id}号清册失败的{n}笔转入第{batch}批（金额不变，账户按人员当前登记）",
    )
    return n
