"""以岗聘任 step 5 — contracts: sign for a hired application, record the accident insurance,
activate, renew after a passed annual grade, void a draft (DOMAIN.md §2).

Each signing lasts at most one year (domain.contracts.check_term, also a CHECK in the database);
no two active contracts for one person (here, and a partial unique index); never more live
(draft or active) signings on a post than its headcount. 'active' means the current signing —
it may be activated before its start date; payroll goes by the dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import uuid4

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ..domain.contracts import (
    CONTRACT_KINDS,
    CONTRACT_STATE_LABELS,
    CONTRACT_STATES,
    EXPIRING_DAYS,
    LIVE_STATES,
    check_annual_grade,
    check_policy_covers,
    check_renewal_start,
    check_start_after_hire,
    check_term,
    policy_covers,
)
from ..domain.errors import Conflict, DomainError, Forbidden, NotFound
from ..domain.hiring import APPLICATION_STATE_LABELS
from ..domain.posts import LIVE_STATES as POST_LIVE_STATES
from ..domain.posts import POST_STATE_LABELS
from ..models.audit import AuditEntry
from ..models.contracts import Assessment, Contract, InsurancePolicy
from ..models.hiring import Application, Notice
from ..models.people import Person, Region
from ..models.posts import Post
from . import audit
from .clock_binding import now_of
from .permissions import can, get_scoped, id_number_search, require, scope_regions

# Posts that may hold contracts: approved and not closed.
SIGNABLE_POST_STATES = POST_LIVE_STATES
FIELDS = (
    "code",
    "person_id",
    "post_id",
    "application_id",
    "previous_contract_id",
    "kind",
    "start_on",
    "end_on",
    "allowance_fen",
    "required_days",
    "full_time",
    "perf_excellent_fen",
    "perf_pass_fen",
    "duties",
    "work_place",
    "hours",
    "status",
    "signed_on",
    "exit_on",
    "end_reason",
)
STATUS_FIELDS = ("status", "activated_at", "end_reason")
POLICY_FIELDS = ("contract_id", "insurer", "policy_no", "start_on", "end_on")


def _span(c) -> str:
    return f"{c.start_on.isoformat()} 至 {c.end_on.isoformat()}"


def _label(status: str) -> str:
    return CONTRACT_STATE_LABELS.get(status, status)


def _text(value, label: str, max_len: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError("field_required", f"请填写{label}")
    if len(text) > max_len:
        raise DomainError("field_too_long", f"{label}过长（最多{max_len}个字符）")
    return text


def _check_kind(kind: str) -> None:
    if kind not in CONTRACT_KINDS:
        raise DomainError("contract_kind_invalid", f"合同类型“{kind}”无效，可选：{'、'.join(CONTRACT_KINDS)}")


def _lock_rows(session: Session, model, ident: int) -> None:
    """Serialise concurrent signings for one post / one person (row lock on PostgreSQL; SQLite locks all)."""
    session.execute(select(model.id).where(model.id == ident).with_for_update())


def _load(session: Session, actor, contract_id: int, action: str) -> Contract:
    return get_scoped(session, actor, Contract, contract_id, action, "合同")


# ---- the checks every new signing passes ----


def _check_person(person: Person, start_on: date) -> None:
    if person.death_date is not None:
        raise DomainError(
            "person_dead", f"{person.name}已登记死亡（{person.death_date.isoformat()}），不能签订合同"
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


# ---- use cases ----


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
    from .hiring import lock_post

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


def record_insurance(
    session: Session,
    actor,
    contract_id: int,
    insurer: str,
    policy_no: str,
    start_on: date,
    end_on: date,
    today: date,
) -> InsurancePolicy:
    """Record the 意外伤害保险 policy; it must cover the whole contract period."""
    c = _load(session, actor, contract_id, "record_insurance")
    if c.status not in LIVE_STATES:
        raise DomainError("contract_not_live", f"合同 {c.code} 状态为“{_label(c.status)}”，不能再录入保险")
    insurer = _text(insurer, "承保机构", 100)
    policy_no = _text(policy_no, "保单号", 60)
    check_policy_covers(start_on, end_on, c.start_on, c.end_on)
    p = InsurancePolicy(
        contract=c,
        insurer=insurer,
        policy_no=policy_no,
        start_on=start_on,
        end_on=end_on,
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(p)
    session.flush()
    audit.record(
        session,
        actor,
        "record_insurance",
        "insurance_policy",
        p.id,
        after=audit.snapshot(p, POLICY_FIELDS),
        summary=f"合同 {c.code} 录入意外伤害保险：{insurer} {policy_no}，"
        f"{start_on.isoformat()} 至 {end_on.isoformat()}",
    )
    return p


def covering_policy(contract: Contract) -> InsurancePolicy | None:
    """The latest recorded policy covering the whole contract period, if any."""
    c = contract
    ok = [p for p in c.policies if policy_covers(p.start_on, p.end_on, c.start_on, c.end_on)]
    return max(ok, key=lambda p: p.id) if ok else None


def activate_contract(session: Session, actor, c: Contract, today: date) -> Contract:
    """draft → active, only with a covering policy; a renewal ends the contract it renews.

    The caller loaded `c` through get_scoped (in scope); the role is checked again here."""
    require(actor, "activate_contract", c, what="合同")
    if c.status != "draft":
        raise DomainError(
            "contract_not_draft", f"只有待生效的合同可以生效：合同 {c.code} 状态为“{_label(c.status)}”"
        )
    if c.end_on < today:
        raise DomainError(
            "contract_period_passed", f"合同 {c.code} 的期限 {_span(c)} 已过，不能生效；请作废后重新签订"
        )
    policies = session.scalars(
        select(InsurancePolicy).where(InsurancePolicy.contract_id == c.id).order_by(InsurancePolicy.id.desc())
    ).all()
    if not any(policy_covers(p.start_on, p.end_on, c.start_on, c.end_on) for p in policies):
        if policies:
            check_policy_covers(policies[0].start_on, policies[0].end_on, c.start_on, c.end_on)
        raise DomainError(
            "insurance_missing",
            f"合同生效前须录入覆盖合同期限的意外伤害保险：合同 {c.code} 期限 {_span(c)}，尚未录入保单",
        )
    _lock_rows(session, Person, c.person_id)
    _check_person(c.person, c.start_on)
    previous = c.previous
    others = session.scalars(
        select(Contract).where(
            Contract.person_id == c.person_id, Contract.status == "active", Contract.id != c.id
        )
    ).all()
    for other in others:
        if previous is None or other.id != previous.id:
            raise Conflict(
                "contract_person_active",
                f"{c.person.name}已有履行中的合同 {other.code}（{other.post.title}，{_span(other)}）；"
                "一人不得同时有两份有效合同，请先办理退岗或到期终止",
            )
    if previous is not None:
        if previous.status not in ("active", "ended"):
            raise DomainError(
                "renewed_contract_not_active",
                f"所续签的原合同 {previous.code} 状态为“{_label(previous.status)}”，续签合同不能生效",
            )
        if previous.status == "active":
            before = audit.snapshot(previous, STATUS_FIELDS)
            previous.status = "ended"
            previous.end_reason = f"续签：由合同 {c.code} 接续"
            session.flush()  # the old one leaves 'active' before the new one enters it (unique index)
            audit.record(
                session,
                actor,
                "end_contract",
                "contract",
                previous.id,
                before=before,
                after=audit.snapshot(previous, STATUS_FIELDS),
                summary=f"合同 {previous.code} 因续签（{c.code}）终止，期满日 {previous.end_on.isoformat()}",
            )
    before = audit.snapshot(c, STATUS_FIELDS)
    c.status = "active"
    c.activated_at = now_of(session)
    session.flush()
    audit.record(
        session,
        actor,
        "activate_contract",
        "contract",
        c.id,
        before=before,
        after=audit.snapshot(c, STATUS_FIELDS),
        summary=f"合同 {c.code} 生效：{c.person.name}，岗位“{c.post.title}”，{_span(c)}",
    )
    from .posts import mark_staffing

    mark_staffing(session, c.post, actor)
    return c


def latest_annual_grade(session: Session, contract_id: int) -> tuple[str, str] | None:
    """(year, grade) of the latest year assessed for this contract, or None."""
    row = session.execute(
        select(Assessment.period, Assessment.grade)
        .where(Assessment.contract_id == contract_id, Assessment.kind == "annual")
        .order_by(Assessment.period.desc())
        .limit(1)
    ).first()
    return (row.period, row.grade) if row else None


def renew_contract(
    session: Session,
    actor,
    contract_id: int,
    kind: str,
    start_on: date,
    end_on: date,
    today: date,
    signed_on: date | None = None,
) -> Contract:
    """A new signing for the same person and post, after a passed annual grade and fresh eligibility."""
    old = _load(session, actor, contract_id, "renew_contract")
    if old.status != "active":
        raise DomainError(
            "contract_not_active", f"只有履行中的合同可以续签：合同 {old.code} 状态为“{_label(old.status)}”"
        )
    pending = session.scalars(
        select(Contract)
        .where(Contract.previous_contract_id == old.id, Contract.status.in_(LIVE_STATES))
        .limit(1)
    ).first()
    if pending is not None:
        raise Conflict(
            "renewal_exists",
            f"合同 {old.code} 已续签为 {pending.code}（{_label(pending.status)}，{_span(pending)}）",
        )
    from .exits import open_exit_of

    leaving = open_exit_of(session, old.id)
    if leaving is not None:
        raise Conflict(
            "renewal_exit_recorded",
            f"合同 {old.code} 已有退岗记录（{leaving.effective_on.isoformat()}起退岗），不能续签；"
            "退岗建议有误的，请先在退岗页面驳回",
        )
    _check_kind(kind)
    check_term(start_on, end_on)
    check_renewal_start(old.end_on, start_on)
    check_annual_grade(old.code, latest_annual_grade(session, old.id))
    from .hiring import eligibility_for

    failures = eligibility_for(session, old.person, old.post, start_on, ignore_contract_id=old.id)
    if failures:
        messages = [f.message for f in failures]
        raise DomainError(
            "renewal_ineligible",
            f"{old.person.name}续签前资格复核未通过（{start_on.isoformat()}）：" + "；".join(messages),
            details=messages if len(messages) > 1 else None,
        )
    c = _new_contract(
        session,
        actor,
        person=old.person,
        post=old.post,
        application_id=old.application_id,
        previous=old,
        kind=kind,
        start_on=start_on,
        end_on=end_on,
        today=today,
        signed_on=signed_on,
    )
    audit.record(
        session,
        actor,
        "renew_contract",
        "contract",
        c.id,
        after=audit.snapshot(c, FIELDS),
        summary=f"续签{c.kind} {c.code}（接续 {old.code}）：{c.person.name}，{_span(c)}，待录入保险",
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


# ---- reading ----


@dataclass
class ContractFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None
    status: str = ""
    expiring: bool = False
    post_id: int | None = None
    person_id: int | None = None


def _successor_exists():
    nxt = aliased(Contract)
    return exists().where(nxt.previous_contract_id == Contract.id, nxt.status.in_(LIVE_STATES))


def expiring_clause(today: date):
    """Active, ending within EXPIRING_DAYS, and not yet renewed: renew or prepare the exit."""
    return and_(
        Contract.status == "active",
        Contract.end_on >= today,
        Contract.end_on <= today + timedelta(days=EXPIRING_DAYS),
        ~_successor_exists(),
    )


def scope_contracts(actor, query: Select) -> Select:
    """Staff and inspectors: contracts on posts in their region; a holder: their own."""
    if can(actor, "view_contract"):
        return scope_regions(actor, query, Post.village_id)
    if can(actor, "view_own_records"):
        return query.where(Contract.person_id == (actor.person_id or -1))
    raise Forbidden()


def contract_query(actor, f: ContractFilter, today: date) -> Select:
    q = scope_contracts(
        actor,
        select(Contract)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id),
    )
    text = (f.q or "").strip()
    if text:
        q = q.where(
            or_(
                Person.name.contains(text, autoescape=True),
                id_number_search(actor, Person.id_number, text),
                Contract.code.contains(text.upper(), autoescape=True),
            )
        )
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    if f.status in CONTRACT_STATES:
        q = q.where(Contract.status == f.status)
    if f.post_id:
        q = q.where(Contract.post_id == f.post_id)
    if f.person_id:
        q = q.where(Contract.person_id == f.person_id)
    if f.expiring:
        q = q.where(expiring_clause(today)).order_by(Contract.end_on, Contract.id)
    else:
        q = q.order_by(Contract.id.desc())
    return q.options(
        joinedload(Contract.person),
        joinedload(Contract.post).joinedload(Post.village),
        joinedload(Contract.post).joinedload(Post.township),
        selectinload(Contract.policies),
    )


def load_contract(session: Session, actor, contract_id: int) -> Contract:
    """One contract the actor may see (a holder: only their own) — 404 otherwise."""
    return _load(session, actor, contract_id, "view_contract")


def contract_history(session: Session, contract: Contract) -> list[AuditEntry]:
    """Audit entries about this contract and its insurance policies, oldest first."""
    policy_ids = [str(p.id) for p in contract.policies]
    cond = and_(AuditEntry.object_type == "contract", AuditEntry.object_id == str(contract.id))
    if policy_ids:
        cond = or_(
            cond, and_(AuditEntry.object_type == "insurance_policy", AuditEntry.object_id.in_(policy_ids))
        )
    return session.scalars(select(AuditEntry).where(cond).order_by(AuditEntry.id)).all()


def renewal_of(session: Session, contract: Contract) -> Contract | None:
    """The live (or ended) signing that renews this contract, if any."""
    return session.scalars(
        select(Contract)
        .where(Contract.previous_contract_id == contract.id, Contract.status != "void")
        .order_by(Contract.id.desc())
    ).first()


def latest_policy(contract: Contract) -> InsurancePolicy | None:
    if not contract.policies:
        return None
    return covering_policy(contract) or max(contract.policies, key=lambda p: p.id)


def hired_application(session: Session, actor, application_id: int) -> Application:
    """The application a contract is to be signed for, if the actor may sign on its post."""
    app = session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(joinedload(Application.person), joinedload(Application.notice).joinedload(Notice.post))
    )
    if app is None:
        raise NotFound("报名记录")
    require(actor, "sign_contract", app.notice.post, what="报名记录")
    return app


def dashboard_counts(session: Session, actor, today: date) -> dict[str, int]:
    """Drafts awaiting insurance / activation, and active contracts ending within EXPIRING_DAYS."""
    base = scope_contracts(
        actor, select(func.count(Contract.id)).select_from(Contract).join(Post, Contract.post_id == Post.id)
    )
    has_policy = exists().where(InsurancePolicy.contract_id == Contract.id)
    return {
        "draft_no_insurance": session.scalar(base.where(Contract.status == "draft", ~has_policy)) or 0,
        "draft_ready": session.scalar(base.where(Contract.status == "draft", has_policy)) or 0,
        "expiring": session.scalar(base.where(expiring_clause(today))) or 0,
    }


# ---- 已聘用待签协议: hired applications with no contract yet ----


@dataclass
class PendingFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None


def awaiting_signing(actor, f: PendingFilter | None = None) -> Select:
    """Hired applications in the actor's region with no contract signed for them (a voided draft does not
    count): the people who were hired and wait for their 劳务协议, the oldest hire first."""
    f = f or PendingFilter()
    signed = exists().where(Contract.application_id == Application.id, Contract.status != "void")
    q = scope_regions(
        actor,
        select(Application)
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id)
        .join(Person, Person.id == Application.person_id),
        Post.village_id,
    ).where(Application.status == "hired", ~signed)
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(
            or_(
                Person.name.like(like),
                id_number_search(actor, Person.id_number, text),
                Post.title.like(like),
                Post.code.like(like),
            )
        )
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    return q.options(
        joinedload(Application.person),
        joinedload(Application.notice)
        .joinedload(Notice.post)
        .joinedload(Post.village)
        .joinedload(Region.parent),
    ).order_by(func.coalesce(Application.hired_on, Application.checked_on), Application.id)


def awaiting_signing_count(session: Session, actor) -> int:
    signed = exists().where(Contract.application_id == Application.id, Contract.status != "void")
    q = scope_regions(
        actor,
        select(func.count(Application.id))
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    )
    return session.scalar(q.where(Application.status == "hired", ~signed)) or 0


def contract_for_application(session: Session, application_id: int) -> Contract | None:
    """The (non-void) contract signed for a hired application, if any."""
    return session.scalars(
        select(Contract)
        .where(Contract.application_id == application_id, Contract.status != "void")
        .order_by(Contract.id.desc())
    ).first()


def contracts_for_applications(session: Session, application_ids) -> dict[int, Contract]:
    """{application id: its latest non-void contract} for these applications."""
    ids = list(application_ids)
    if not ids:
        return {}
    out: dict[int, Contract] = {}
    for c in session.scalars(
        select(Contract)
        .where(Contract.application_id.in_(ids), Contract.status != "void")
        .order_by(Contract.id)
    ):
        out[c.application_id] = c
    return out
