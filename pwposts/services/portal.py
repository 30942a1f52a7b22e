"""The holder's own records, payment objections (申诉) and their answers, the public payment notice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..domain.errors import DomainError, Forbidden, NotFound
from ..domain.formats import month_bounds
from ..domain.roles import HOLDER
from ..models.contracts import Assessment, Contract
from ..models.pay import AttendanceRecord, Payment, PaymentObjection, PayrollRun
from ..models.people import Person, Region
from ..models.posts import Post
from . import assessment, audit
from .clock_binding import now_of
from .permissions import require, scope_regions

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


def holder_overview(session: Session, actor, today: date) -> HolderOverview:
    """Everything a holder may see of their own: contracts, attendance, payments, objections."""
    require(actor, "view_own_records")
    person = session.get(Person, actor.person_id)
    if person is None:
        raise NotFound("人员")
    contracts = session.scalars(select(Contract).where(Contract.person_id == person.id)
                                .options(joinedload(Contract.post)).order_by(Contract.start_on.desc())).all()
    attendance = session.scalars(select(AttendanceRecord).where(AttendanceRecord.person_id == person.id)
                                 .order_by(AttendanceRecord.month.desc())).all()
    payments = session.scalars(
        select(Payment).where(Payment.person_id == person.id)
        .outerjoin(PayrollRun, Payment.run_id == PayrollRun.id)
        # a preview is not yet a payment; corrections have no run
        .where((Payment.run_id.is_(None)) | (PayrollRun.status == "approved"))
        .order_by(Payment.month.desc(), Payment.id)).all()
    objections = session.scalars(select(PaymentObjection).where(PaymentObjection.person_id == person.id)
                                 .order_by(PaymentObjection.raised_at.desc())).all()
    grades = {(a.contract_id, a.period): a.grade for a in session.scalars(
        select(Assessment).where(Assessment.kind == "monthly",
                                 Assessment.contract_id.in_([c.id for c in contracts] or [-1]))).all()}
    deductions = assessment.deductions_for(session, person.id, today)
    return HolderOverview(person, contracts, attendance, payments, objections, grades, deductions)


def raise_objection(session: Session, actor, payment_id: int, content: str, today: date) -> PaymentObjection:
    """申诉: a holder objects to one of their own payments."""
    require(actor, "raise_payment_objection")
    payment = session.get(Payment, payment_id)
    if payment is None or payment.person_id != actor.person_id:
        raise NotFound("发放记录")
    content = (content or "").strip()
    if len(content) < 5:
        raise DomainError("objection_too_short", "请写明申诉的理由（至少5个字），例如哪一天出勤未计入")
    if len(content) > MAX_OBJECTION:
        raise DomainError("objection_too_long", f"申诉内容不超过{MAX_OBJECTION}字，当前{len(content)}字")
    open_count = session.scalar(select(func.count(PaymentObjection.id)).where(
        PaymentObjection.payment_id == payment.id, PaymentObjection.status == "open"))
    if open_count:
        raise DomainError("objection_open", "这笔发放已有一件申诉正在处理，请等待乡镇答复后再提出")
    obj = PaymentObjection(payment_id=payment.id, person_id=payment.person_id, content=content)
    session.add(obj)
    session.flush()
    audit.record(session, actor, "raise_payment_objection", "payment_objection", obj.id,
                 after={"payment_id": payment.id, "month": payment.month, "content": content},
                 summary=f"对{payment.month}发放提出申诉")
    return obj


def objection_query(actor, status: str = ""):
    """Objections visible to staff and inspectors: those of holders whose post is in their scope."""
    q = (select(PaymentObjection).join(Payment, PaymentObjection.payment_id == Payment.id)
         .join(Contract, Payment.contract_id == Contract.id).join(Post, Contract.post_id == Post.id))
    q = scope_regions(actor, q, Post.village_id)
    if status in ("open", "answered"):
        q = q.where(PaymentObjection.status == status)
    return q.options(joinedload(PaymentObjection.payment), joinedload(PaymentObjection.person)).order_by(
        PaymentObjection.status.desc(), PaymentObjection.raised_at)


def answer_objection(session: Session, actor, objection_id: int, answer: str, today: date) -> PaymentObjection:
    obj = session.get(PaymentObjection, objection_id)
    if obj is None:
        raise NotFound("申诉")
    require(actor, "answer_payment_objection", obj.payment.contract.post, what="申诉")
    if obj.status != "open":
        raise DomainError("objection_answered", "这件申诉已经答复过；如需补充，请在发放记录中办理补发或扣回")
    answer = (answer or "").strip()
    if len(answer) < 5:
        raise DomainError("answer_too_short", "请写明答复内容（至少5个字）：核查了什么、结论如何、是否补发")
    obj.status, obj.answer, obj.answered_by_id = "answered", answer, actor.id
    obj.answered_at = now_of(session)
    session.flush()
    audit.record(session, actor, "answer_payment_objection", "payment_objection", obj.id,
                 before={"status": "open"}, after={"status": "answered", "answer": answer})
    return obj


@dataclass
class NoticeLine:
    name: str
    id_number: str
    post_title: str
    attended_days: int
    amount_fen: int


def payment_notice(session: Session, village_code: str, month: str) -> tuple[Region, list[NoticeLine]]:
    """补发放公示: the approved payments of a village's month, for the public page (IDs masked by the view)."""
    village = session.scalar(select(Region).where(Region.code == village_code, Region.level == "village"))
    if village is None:
        raise NotFound("村")
    month_bounds(month)  # validates
    rows = session.execute(
        select(Person.name, Person.id_number, Post.title, Payment.attended_days, Payment.amount_fen)
        .join(Payment, Payment.person_id == Person.id).join(Contract, Payment.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id).join(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(Post.village_id == village.id, Payment.month == month, Payment.kind == "regular",
               PayrollRun.status == "approved")
        .order_by(Person.name)).all()
    return village, [NoticeLine(*r) for r in rows]


def ensure_holder(actor) -> None:
    if actor.role != HOLDER:
        raise Forbidden("此页面仅供岗位人员本人使用")
