"""The holder's own records, payment objections (申诉) and their answers, the public payment notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..domain.errors import DomainError, Forbidden, NotFound
from ..domain.formats import month_bounds, month_heading, parse_month
from ..domain.payroll import PAYABLE_CONTRACT_STATES
from ..models.contracts import Assessment, Contract
from ..models.pay import AttendanceRecord, Payment, PaymentObjection, PayrollRun
from ..models.people import Person, Region
from ..models.posts import Post
from . import assessment, audit
from .clock_binding import now_of
from .permissions import can, require, scope_regions

MAX_OBJECTION = 1000


@dataclass
class HolderOverview:
    person: Person
    contracts: list[Contract]
    attendance: list[AttendanceRecord]
    payments: list[Payment]
    objections: list[PaymentObjection]
    grades: dict[tuple[int, str], str]  # (contract_id, month) → grade
    pending_deductions: list  # services.assessment.Deduction, newest month first
    months: list = field(default_factory=list)  # ContractMonth: every month of each contract, newest first


def holder_overview(session: Session, actor, today: date) -> HolderOverview:
    """Everything a holder may see of their own: contracts, attendance, payments, objections."""
    require(actor, "view_own_records")
    person = session.get(Person, actor.person_id)
    if person is None:
        raise NotFound("人员")
    contracts = session.scalars(
        select(Contract)
        .where(Contract.person_id == person.id)
        .options(joinedload(Contract.post))
        .order_by(Contract.start_on.desc())
    ).all()
    attendance = session.scalars(
        select(AttendanceRecord)
        .where(AttendanceRecord.person_id == person.id)
        .order_by(AttendanceRecord.month.desc())
    ).all()
    payments = session.scalars(
        select(Payment)
        .where(Payment.person_id == person.id)
        .outerjoin(PayrollRun, Payment.run_id == PayrollRun.id)
        # a preview is not yet a payment; corrections have no run
        .where((Payment.run_id.is_(None)) | (PayrollRun.status == "approved"))
        .order_by(Payment.month.desc(), Payment.id)
    ).all()
    objections = session.scalars(
        select(PaymentObjection)
        .where(PaymentObjection.person_id == person.id)
        .order_by(PaymentObjection.raised_at.desc())
    ).all()
    grades = {
        (a.contract_id, a.period): a.grade
        for a in session.scalars(
            select(Assessment).where(
                Assessment.kind == "monthly", Assessment.contract_id.in_([c.id for c in contracts] or [-1])
            )
        ).all()
    }
    deductions = assessment.deductions_for(session, person.id, today)
    return HolderOverview(
        person,
        contracts,
        attendance,
        payments,
        objections,
        grades,
        deductions,
        contract_months(session, person.id, today),
    )


# ---------------------------------------------------------------- every month of every contract

PAID, WAITING, NOT_PAID = "paid", "waiting", "not_paid"
MONTH_STATE_LABELS = {PAID: "已发放", WAITING: "待发放", NOT_PAID: "未发放"}


@dataclass
class ContractMonth:
    """One month a contract covers, as the holder sees it: paid / waiting / not paid, and why."""

    contract_id: int
    contract_code: str
    post_title: str
    month: str
    state: str  # PAID / WAITING / NOT_PAID
    reason: str
    amount_fen: int | None = None  # the regular line's amount, when there is one
    payment_id: int | None = None  # the regular line in an approved run

    @property
    def label(self) -> str:
        return MONTH_STATE_LABELS[self.state]

    @property
    def objectable(self) -> bool:
        """A month without a payment line the holder can see may be objected to as a month (申诉未发放)."""
        return self.payment_id is None and self.reason != NOT_OVER


NOT_OVER = "本月尚未结束，月末后按出勤计发"


def _months_between(first: date, last: date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def contract_months(session: Session, person_id: int, today: date) -> list[ContractMonth]:
    """Every month of each of the person's contracts (in force, ended or terminated), from the start month
    to the last month paid (exit, end or death) but not beyond the current month, newest first:
    已发放 — a regular line of an approved run that the bank has paid;
    待发放 — a line awaiting the bank or approval, approved
    attendance awaiting a run or a 补充清册, or a month not yet over;
    未发放 — a month that ended without approved attendance
    (none entered, or not yet approved), or after death."""
    person = session.get(Person, person_id)
    contracts = session.scalars(
        select(Contract)
        .where(Contract.person_id == person_id, Contract.status.in_(PAYABLE_CONTRACT_STATES))
        .options(joinedload(Contract.post))
        .order_by(Contract.start_on.desc())
    ).all()
    if not contracts:
        return []
    ids = [c.id for c in contracts]
    attendance = {
        (a.contract_id, a.month): a.status
        for a in session.scalars(select(AttendanceRecord).where(AttendanceRecord.contract_id.in_(ids)))
    }
    lines = {
        (p.contract_id, p.month): (p, status)
        for p, status in session.execute(
            select(Payment, PayrollRun.status)
            .join(PayrollRun, Payment.run_id == PayrollRun.id)
            .where(Payment.contract_id.in_(ids), Payment.kind == "regular", PayrollRun.status != "void")
        )
    }
    townships = {c.post.township_id for c in contracts}
    approved_runs = set(
        session.execute(
            select(PayrollRun.township_id, PayrollRun.month).where(
                PayrollRun.township_id.in_(townships), PayrollRun.status == "approved"
            )
        ).all()
    )
    out = []
    for c in contracts:
        last_paid = c.exit_on or c.end_on
        died = person.death_date
        until = (
            min(last_paid, today, died) if died is not None and died >= c.start_on else min(last_paid, today)
        )
        for month in reversed(_months_between(c.start_on, until)):
            first, last = month_bounds(month)
            base = dict(contract_id=c.id, contract_code=c.code, post_title=c.post.title, month=month)
            found = lines.get((c.id, month))
            if found is not None:
                p, run_status = found
                if run_status != "approved":
                    out.append(
                        ContractMonth(
                            **base,
                            state=WAITING,
                            reason="已列入发放清册，待乡镇审批",
                            amount_fen=p.amount_fen,
                        )
                    )
                elif p.status == "paid":
                    out.append(
                        ContractMonth(
                            **base,
                            state=PAID,
                            reason=f"已到账（{p.paid_on.isoformat()}）" if p.paid_on else "已到账",
                            amount_fen=p.amount_fen,
                            payment_id=p.id,
                        )
                    )
                elif p.status == "failed":
                    out.append(
                        ContractMonth(
                            **base,
                            state=WAITING,
                            reason=f"银行发放失败（{p.failure_reason or '原因未填'}），将重新发放",
                            amount_fen=p.amount_fen,
                            payment_id=p.id,
                        )
                    )
                else:
                    out.append(
                        ContractMonth(
                            **base,
                            state=WAITING,
                            reason="清册已审批，待银行发放",
                            amount_fen=p.amount_fen,
                            payment_id=p.id,
                        )
                    )
                continue
            if died is not None and died < max(first, c.start_on):
                out.append(
                    ContractMonth(**base, state=NOT_PAID, reason=f"已故（{died.isoformat()}），当月不予计发")
                )
                continue
            if last >= today:
                out.append(ContractMonth(**base, state=WAITING, reason=NOT_OVER))
                continue
            att = attendance.get((c.id, month))
            if att is None:
                out.append(ContractMonth(**base, state=NOT_PAID, reason="无考勤记录：村或乡镇未录入该月出勤"))
            elif att == "draft":
                out.append(ContractMonth(**base, state=NOT_PAID, reason="考勤待乡镇审核，审核后方可计发"))
            elif (c.post.township_id, month) in approved_runs:
                out.append(
                    ContractMonth(
                        **base, state=WAITING, reason="考勤在该月清册审批后才审核，待乡镇生成补充清册"
                    )
                )
            else:
                out.append(ContractMonth(**base, state=WAITING, reason="考勤已审核，待乡镇造册审批"))
    return out


def holder_months(session: Session, actor, today: date) -> list[ContractMonth]:
    """The holder's own months (see contract_months)."""
    require(actor, "view_own_records")
    return contract_months(session, actor.person_id, today)


def _objection_text(content: str) -> str:
    content = (content or "").strip()
    if len(content) < 5:
        raise DomainError("objection_too_short", "请写明申诉的理由（至少5个字），例如哪一天出勤未计入")
    if len(content) > MAX_OBJECTION:
        raise DomainError("objection_too_long", f"申诉内容不超过{MAX_OBJECTION}字，当前{len(content)}字")
    return content


def raise_month_objection(
    session: Session, actor, contract_id: object, month: object, content: str, today: date
) -> PaymentObjection:
    """申诉 about a month of one's own contract that has no payment line one can object to (never paid, or
    not yet): the objection names the contract and month instead of a payment."""
    require(actor, "raise_payment_objection")
    try:
        cid = int(contract_id)
    except (TypeError, ValueError):
        raise NotFound("合同") from None
    contract = session.get(Contract, cid) if -(2**63) <= cid < 2**63 else None
    if contract is None or contract.person_id != actor.person_id:
        raise NotFound("合同")
    month = parse_month(month)
    entry = next(
        (
            m
            for m in contract_months(session, actor.person_id, today)
            if m.contract_id == contract.id and m.month == month
        ),
        None,
    )
    if entry is None:
        raise DomainError(
            "objection_month_outside",
            f"{month_heading(month)}不在合同{contract.code}的期限内（或尚未到来），不能对该月申诉",
        )
    if entry.payment_id is not None:
        raise DomainError(
            "objection_has_payment", f"{month_heading(month)}已有发放记录，请在该笔发放的明细中提出申诉"
        )
    if not entry.objectable:
        raise DomainError("objection_month_not_over", f"{month_heading(month)}尚未结束，月末后仍未发放再申诉")
    content = _objection_text(content)
    open_count = session.scalar(
        select(func.count(PaymentObjection.id)).where(
            PaymentObjection.contract_id == contract.id,
            PaymentObjection.month == month,
            PaymentObjection.status == "open",
        )
    )
    if open_count:
        raise DomainError(
            "objection_open", f"{month_heading(month)}已有一件申诉正在处理，请等待乡镇答复后再提出"
        )
    obj = PaymentObjection(
        payment_id=None, contract_id=contract.id, month=month, person_id=contract.person_id, content=content
    )
    session.add(obj)
    session.flush()
    audit.record(
        session,
        actor,
        "raise_payment_objection",
        "payment_objection",
        obj.id,
        after={
            "payment_id": None,
            "contract_id": contract.id,
            "month": month,
            "state": entry.state,
            "reason": entry.reason,
            "content": content,
        },
        summary=f"对{month}未发放提出申诉（合同{contract.code}：{entry.label}，{entry.reason}）",
    )
    return obj


def raise_objection(session: Session, actor, payment_id: int, content: str, today: date) -> PaymentObjection:
    """申诉: a holder objects to one of their own payments."""
    require(actor, "raise_payment_objection")
    payment = session.get(Payment, payment_id)
    if payment is None or payment.person_id != actor.person_id:
        raise NotFound("发放记录")
    content = _objection_text(content)
    open_count = session.scalar(
        select(func.count(PaymentObjection.id)).where(
            PaymentObjection.payment_id == payment.id, PaymentObjection.status == "open"
        )
    )
    if open_count:
        raise DomainError("objection_open", "这笔发放已有一件申诉正在处理，请等待乡镇答复后再提出")
    obj = PaymentObjection(
        payment_id=payment.id,
        contract_id=payment.contract_id,
        month=payment.month,
        person_id=payment.person_id,
        content=content,
    )
    session.add(obj)
    session.flush()
    audit.record(
        session,
        actor,
        "raise_payment_objection",
        "payment_objection",
        obj.id,
        after={"payment_id": payment.id, "month": payment.month, "content": content},
        summary=f"对{payment.month}发放提出申诉",
    )
    return obj


def objection_query(actor, status: str = ""):
    """Objections visible to staff and inspectors: those of holders whose post is in their scope."""
    q = (
        select(PaymentObjection)
        .join(Contract, PaymentObjection.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
    )
    q = scope_regions(actor, q, Post.village_id)
    if status in ("open", "answered"):
        q = q.where(PaymentObjection.status == status)
    return q.options(
        joinedload(PaymentObjection.payment),
        joinedload(PaymentObjection.person),
        joinedload(PaymentObjection.contract).joinedload(Contract.post),
    ).order_by(PaymentObjection.status.desc(), PaymentObjection.raised_at)


def answer_objection(
    session: Session, actor, objection_id: int, answer: str, today: date
) -> PaymentObjection:
    obj = session.get(PaymentObjection, objection_id)
    if obj is None:
        raise NotFound("申诉")
    require(actor, "answer_payment_objection", obj.contract.post, what="申诉")
    if obj.status != "open":
        raise DomainError("objection_answered", "这件申诉已经答复过；如需补充，请在发放记录中办理补发或扣回")
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise DomainError("answer_too_short", "请写明答复内容（至少5个字）：核查了什么、结论如何、是否补发")
    obj.status, obj.answer, obj.answered_by_id = "answered", answer, actor.id
    obj.answered_at = now_of(session)
    session.flush()
    audit.record(
        session,
        actor,
        "answer_payment_objection",
        "payment_objection",
        obj.id,
        before={"status": "open"},
        after={"status": "answered", "answer": answer},
        summary=f"答复{obj.person.name}对{obj.month}{'发放' if obj.payment_id else '未发放'}的申诉",
    )
    return obj


@dataclass
class NoticeLine:
    name: str
    id_number: str
    post_title: str
    attended_days: int
    amount_fen: int


def payment_notice(session: Session, village_code: str, month: str) -> tuple[Region, list[NoticeLine]]:
    """补发放公示: the approved payments of a village's
    month, for the public page (IDs masked by the view)."""
    village = session.scalar(select(Region).where(Region.code == village_code, Region.level == "village"))
    if village is None:
        raise NotFound("村")
    month_bounds(month)  # validates
    rows = session.execute(
        select(Person.name, Person.id_number, Post.title, Payment.attended_days, Payment.amount_fen)
        .join(Payment, Payment.person_id == Person.id)
        .join(Contract, Payment.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .join(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(
            Post.village_id == village.id,
            Payment.month == month,
            Payment.kind == "regular",
            PayrollRun.status == "approved",
        )
        .order_by(Person.name)
    ).all()
    return village, [NoticeLine(*r) for r in rows]


def ensure_holder(actor) -> None:
    if not can(actor, "view_own_records"):
        raise Forbidden("此页面仅供岗位人员本人使用")
