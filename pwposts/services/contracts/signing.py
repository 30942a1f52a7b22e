"""Signing: the checks every new signing passes (overlap, headcount), building the draft, signing for a
hired application, voiding a draft."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.contracts import LIVE_STATES, check_start_after_hire, check_term
from ...domain.errors import Conflict, DomainError, NotFound
from ...domain.hiring import APPLICATION_STATE_LABELS
from ...domain.posts import POST_STATE_LABELS
from ...models.contracts import Contract
from ...models.hiring import Application
from ...models.people import Person
from ...models.posts import Post
from .. import audit
from ..permissions import require
from .common import (
    FIELDS,
    SIGNABLE_POST_STATES,
    STATUS_FIELDS,
    _check_kind,
    _check_person,
    _label,
    _lock_rows,
    _span,
    _text,
)


def _check_no_overlap(session: Session, person: Person, start_on: date, end_on: date) -> None:
    """No second draft or active contract for the person overlapping these dates (一人一岗)."""
    other = session.scalars(
        select(Contract)
        .where(
            Contract.person_id == person.id,
            Contract.status.in_(LIVE_STATES),
            Contract.start_on <= end_on,
            Contract.end_on >= start_on,
        )
        .order_by(Contract.start_on)
        .limit(1)
    ).first()
    if other is not None:
        raise Conflict(
            "contract_person_overlap",
            f"{person.name}已有{_label(other.status)}的合同 {other.code}"
            f"（{other.post.title}，{_span(other)}），"
            f"与所签期限 {start_on.isoformat()} 至 {end_on.isoformat()} 重叠；一人不得同时有两份合同",
        )


def _check_headcount(session: Session, post: Post, person: Person, start_on: date, end_on: date) -> None:
    """Live signings on the post overlapping the period (other persons, each once) stay within headcount."""
    holders = (
        session.execute(
            select(Person.name)
            .join(Contract, Contract.person_id == Person.id)
            .where(
                Contract.post_id == post.id,
                Contract.status.in_(LIVE_STATES),
                Contract.person_id != person.id,
                Contract.start_on <= end_on,
                Contract.end_on >= start_on,
            )
            .group_by(Person.id, Person.name)
            .order_by(Person.name)
        )
        .scalars()
        .all()
    )
    if len(holders) >= post.headcount:
        raise Conflict(
            "post_headcount_full",
            f"岗位“{post.title}”核定{post.headcount}人，{start_on.isoformat()} 至 {end_on.isoformat()} "
            f"期间已有{len(holders)}人签订合同（{'、'.join(holders)}），不能超员签订",
        )


def _new_contract(
    session: Session,
    actor,
    *,
    person: Person,
    post: Post,
    application_id: int | None,
    previous: Contract | None,
    kind: str,
    start_on: date,
    end_on: date,
    today: date,
    signed_on: date | None,
) -> Contract:
    _check_kind(kind)
    check_term(start_on, end_on)
    signed_on = signed_on or today
    if signed_on > today:
        raise DomainError(
            "signed_on_future", f"签订日期 {signed_on.isoformat()} 不得晚于今天 {today.isoformat()}"
        )
    if post.status not in SIGNABLE_POST_STATES:
        raise DomainError(
            "post_not_signable",
            f"岗位“{post.title}”当前状态为“{POST_STATE_LABELS.get(post.status, post.status)}”，"
            "只有已批准且未撤销的岗位可以签订合同",
        )
    _lock_rows(session, Post, post.id)
    _lock_rows(session, Person, person.id)
    _check_person(person, start_on)
    _check_no_overlap(session, person, start_on, end_on)
    _check_headcount(session, post, person, start_on, end_on)
    standard = post.standard
    c = Contract(
        code="TMP" + uuid4().hex[:24],
        person=person,
        post=post,
        application_id=application_id,
        previous_contract_id=previous.id if previous else None,
        kind=kind,
        start_on=start_on,
        end_on=end_on,
        allowance_fen=post.allowance_fen,
        required_days=post.required_days,
        full_time=post.full_time,
        perf_excellent_fen=standard.perf_excellent_fen if standard else 0,
        perf_pass_fen=standard.perf_pass_fen if standard else 0,
        duties=post.duties,
        work_place=post.work_place,
        hours=post.hours,
        status="draft",
        signed_on=signed_on,
        signed_by_id=getattr(actor, "id", None),
    )
    session.add(c)
    session.flush()
    c.code = f"HT{start_on.year}-{c.id:06d}"
    session.flush()
    return c


def sign_contract(
    session: Session,
    actor,
    application_id: int,
    kind: str,
    start_on: date,
    end_on: date,
    today: date,
    signed_on: date | None = None,
) -> Contract:
    """Sign a contract (draft until the insurance is recorded and it is activated) for a hired application."""
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound("报名记录")
    post = app.notice.post
    require(actor, "sign_contract", post, what="报名记录")
    if app.status != "hired":
        raise DomainError(
            "application_not_hired",
            f"只能为已聘用的人员签订合同：{app.person.name}的报名状态为"
            f"“{APPLICATION_STATE_LABELS.get(app.status, app.status)}”",
        )
    from ..hiring import lock_post

    lock_post(session, post.id)  # a second clerk signing the same application waits, then sees this contract
    existing = session.scalars(
        select(Contract).where(Contract.application_id == app.id, Contract.status != "void").limit(1)
    ).first()
    if existing is not None:
        raise Conflict(
            "application_has_contract",
            f"该报名已签订合同 {existing.code}（{_label(existing.status)}，{_span(existing)}）；"
            "续签请在原合同页面办理",
        )
    if app.hire_date is not None:
        check_start_after_hire(app.hire_date, start_on, app.person.name)
    c = _new_contract(
        session,
        actor,
        person=app.person,
        post=post,
        application_id=app.id,
        previous=None,
        kind=kind,
        start_on=start_on,
        end_on=end_on,
        today=today,
        signed_on=signed_on,
    )
    audit.record(
        session,
        actor,
        "sign_contract",
        "contract",
        c.id,
        after=audit.snapshot(c, FIELDS),
        summary=f"签订{c.kind} {c.code}：{c.person.name}，岗位“{post.title}”，{_span(c)}，待录入保险",
    )
    return c


def void_draft(session: Session, actor, c: Contract, reason: str, today: date) -> Contract:
    """Void a draft that will not take effect (wrong dates, applicant withdrew); the reason is kept.

    The caller loaded `c` through get_scoped (in scope); the role is checked again here."""
    require(actor, "void_contract", c, what="合同")
    if c.status != "draft":
        raise DomainError(
            "contract_not_draft",
            f"只能作废待生效的合同：合同 {c.code} 状态为“{_label(c.status)}”；已生效合同请办理退岗",
        )
    reason = _text(reason, "作废原因", 500)
    before = audit.snapshot(c, STATUS_FIELDS)
    c.status = "void"
    c.end_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        "void_contract",
        "contract",
        c.id,
        before=before,
        after=audit.snapshot(c, STATUS_FIELDS),
        summary=f"作废待生效合同 {c.code}：{reason}",
    )
    return c
