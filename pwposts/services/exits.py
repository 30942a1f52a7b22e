"""有序退岗 — exits: propose (a clerk, or the daily sweep), confirm (township HR) or dismiss, record the
follow-up placement; the 311 services and the 四色预警 colours after the post (DOMAIN.md §2).

Confirming an exit sets the contract's exit_on (the last day paid: the day before the effective date)
and, once the effective date has come, its status to 'terminated' (已退岗) — the payroll and attendance
already stop at exit_on. The post's staffing follows (mark_staffing), so it shows the vacancy and can
recruit again. An exit never deletes anything; a dismissed proposal keeps its reason.

The rules (dates, late reports, the 311 schedule, the colours) are pure functions in domain/exits.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from ..domain import exits as rules
from ..domain.contracts import CONTRACT_STATE_LABELS, LIVE_STATES
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.formats import month_of
from ..models.contracts import Contract
from ..models.exits import ContractExit, FollowupService, PersonColour
from ..models.pay import Payment
from ..models.people import EmploymentRecord, Person, PersonCategory, Region
from ..models.posts import Post
from . import audit
from .permissions import can, get_scoped, id_number_search, scope_regions
from .settings import county_of, int_setting

EXIT_FIELDS = (
    "contract_id",
    "person_id",
    "reason",
    "status",
    "source",
    "event_on",
    "effective_on",
    "evidence",
    "note",
    "placement",
    "placement_note",
    "wants_work",
    "confirmed_on",
    "late",
    "report_limit_days",
    "dismissed_on",
    "dismiss_reason",
)
CONTRACT_FIELDS = ("status", "exit_on", "end_reason")
SERVICE_FIELDS = ("person_id", "exit_id", "kind", "given_on", "given_by", "note")


def _is_system(actor) -> bool:
    return isinstance(actor, str)


def _actor_id(actor):
    return None if _is_system(actor) else getattr(actor, "id", None)


def _actor_label(actor) -> str:
    return audit.actor_fields(actor)[1]


def _text(value, label: str, max_len: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise DomainError("field_required", f"请填写{label}")
        return None
    if len(text) > max_len:
        raise DomainError("field_too_long", f"{label}过长（最多{max_len}个字符）")
    return text


def report_limit(session: Session, post: Post, on: date) -> int:
    """The county's exit_report_days in force on `on` (default 5)."""
    return int_setting(session, county_of(session, post.village).id, "exit_report_days", on) or 5


def idle_days(session: Session, county_id: int, on: date) -> int:
    return int_setting(session, county_id, "colour_idle_days", on) or 30


def open_exit_of(session: Session, contract_id: int) -> ContractExit | None:
    """The proposed or confirmed exit of a contract, if any."""
    return session.scalars(
        select(ContractExit).where(
            ContractExit.contract_id == contract_id, ContractExit.status != "dismissed"
        )
    ).first()


def _successor(session: Session, contract: Contract) -> Contract | None:
    return session.scalars(
        select(Contract).where(Contract.previous_contract_id == contract.id, Contract.status.in_(LIVE_STATES))
    ).first()


def _load_contract(session: Session, actor, contract_id: int, action: str) -> Contract:
    if _is_system(actor):
        c = session.get(Contract, contract_id)
        if c is None:
            raise NotFound("合同")
        return c
    return get_scoped(session, actor, Contract, contract_id, action, "合同")


def load_exit(session: Session, actor, exit_id: int, action: str = "view_exit") -> ContractExit:
    return get_scoped(session, actor, ContractExit, exit_id, action, "退岗记录")


# ---- propose, confirm, dismiss ----


def propose_exit(
    session: Session,
    actor,
    contract_id: int,
    reason: str,
    event_on: date,
    effective_on: date,
    today: date,
    *,
    note: str | None = None,
    evidence: str | None = None,
    placement: str = "none",
    placement_note: str | None = None,
    wants_work: bool = True,
) -> ContractExit:
    """An exit awaiting township HR's confirmation (by a clerk, or by the sweep when actor is its label)."""
    c = _load_contract(session, actor, contract_id, "propose_exit")
    rules.check_reason(reason)
    rules.check_placement(placement)
    if c.status == "terminated":
        # an exit made before exit records existed (imported or legacy data): recorded to match the contract
        expected = c.exit_on + timedelta(days=1) if c.exit_on else None
        if expected is None or effective_on != expected or open_exit_of(session, c.id) is not None:
            raise DomainError(
                "exit_contract_terminated",
                f"合同 {c.code} 已退岗（{c.end_reason or '原因未记录'}）"
                + (f"；补登退岗记录时生效日期应为 {expected.isoformat()}" if expected else ""),
            )
    elif c.status not in ("active", "ended"):
        raise DomainError(
            "exit_contract_not_live",
            f"合同 {c.code} 状态为“{CONTRACT_STATE_LABELS.get(c.status, c.status)}”，不能办理退岗"
            + ("；待生效的合同请作废" if c.status == "draft" else ""),
        )
    nxt = _successor(session, c)
    if nxt is not None:
        raise Conflict(
            "exit_contract_renewed",
            f"合同 {c.code} 已续签为 {nxt.code}（{CONTRACT_STATE_LABELS.get(nxt.status, nxt.status)}）："
            "请先作废续签合同，或对续签合同办理退岗",
        )
    existing = open_exit_of(session, c.id)
    if existing is not None:
        raise Conflict(
            "exit_exists",
            f"合同 {c.code} 已有{rules.EXIT_STATE_LABELS[existing.status]}的退岗记录"
            f"（{rules.reason_label(existing.reason)}，{existing.effective_on.isoformat()}起）",
        )
    rules.check_dates(c.code, c.start_on, c.end_on, event_on, effective_on, today)
    ex = ContractExit(
        contract=c,
        person_id=c.person_id,
        reason=reason,
        status="proposed",
        source="sweep" if _is_system(actor) else "staff",
        event_on=event_on,
        effective_on=effective_on,
        evidence=_text(evidence, "依据", 2000),
        note=_text(note, "备注", 1000),
        placement=placement,
        placement_note=_text(placement_note, "安置说明", 200),
        wants_work=bool(wants_work),
        proposed_on=today,
        proposed_by_id=_actor_id(actor),
        proposed_by_label=_actor_label(actor),
    )
    session.add(ex)
    session.flush()
    audit.record(
        session,
        actor,
        "propose_exit",
        "contract_exit",
        ex.id,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"提出退岗：{c.person.name}（合同 {c.code}，岗位“{c.post.title}”），"
        f"{rules.reason_label(reason)}，{effective_on.isoformat()}起",
    )
    return ex


def _target_state(ex: ContractExit) -> str:
    """已结束 for a contract that simply ran out without renewal, 已退岗 for every other exit."""
    return "ended" if ex.reason == "contract_end" else "terminated"


def _take_effect(session: Session, actor, c: Contract, ex: ContractExit) -> bool:
    """The exit's effective date has come: the contract reads
    已退岗 (or 已结束), the post's staffing follows."""
    target = _target_state(ex)
    if c.status == target or c.status not in ("active", "ended"):
        return False
    was_active = c.status == "active"
    before = audit.snapshot(c, CONTRACT_FIELDS)
    c.status = target
    session.flush()
    label = CONTRACT_STATE_LABELS[target]
    audit.record(
        session,
        actor,
        "terminate_contract" if target == "terminated" else "end_contract",
        "contract",
        c.id,
        before=before,
        after=audit.snapshot(c, CONTRACT_FIELDS),
        summary=f"合同 {c.code} {label}：{c.person.name}，{rules.reason_label(ex.reason)}，"
        f"{ex.effective_on.isoformat()}起停止发放",
    )
    if was_active:
        from .posts import mark_staffing

        mark_staffing(session, c.post, actor)
    return True


def _confirm(
    session: Session, actor, ex: ContractExit, today: date, *, terminate: bool = True
) -> ContractExit:
    c = ex.contract
    nxt = _successor(session, c)
    if nxt is not None:
        raise Conflict(
            "exit_contract_renewed", f"合同 {c.code} 已续签为 {nxt.code}：请先作废续签合同，再确认退岗"
        )
    limit = report_limit(session, c.post, today)
    before = audit.snapshot(ex, EXIT_FIELDS)
    ex.status, ex.confirmed_on, ex.confirmed_by_id = "confirmed", today, _actor_id(actor)
    ex.report_limit_days = limit
    ex.late = rules.is_late(ex.event_on, today, limit)
    c_before = audit.snapshot(c, CONTRACT_FIELDS)
    c.exit_on = rules.last_paid_day(ex.effective_on, c.end_on)
    c.end_reason = (
        c.end_reason or f"退岗：{rules.reason_label(ex.reason)}（{ex.effective_on.isoformat()}起停止发放）"
    )
    session.flush()
    late = f"，超过{limit}天报告时限（迟报）" if ex.late else ""
    audit.record(
        session,
        actor,
        "confirm_exit",
        "contract_exit",
        ex.id,
        before=before,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"确认退岗：{c.person.name}（合同 {c.code}），{rules.reason_label(ex.reason)}，"
        f"事由发生于{ex.event_on.isoformat()}，{ex.effective_on.isoformat()}起{late}",
    )
    if c_before != audit.snapshot(c, CONTRACT_FIELDS):
        audit.record(
            session,
            actor,
            "record_exit_date",
            "contract",
            c.id,
            before=c_before,
            after=audit.snapshot(c, CONTRACT_FIELDS),
            summary=f"合同 {c.code} 登记退岗：最后计发日 {c.exit_on.isoformat()}",
        )
    if terminate and ex.effective_on <= today:
        _take_effect(session, actor, c, ex)
    return ex


def confirm_exit(
    session: Session,
    actor,
    exit_id: int,
    today: date,
    *,
    effective_on: date | None = None,
    placement: str | None = None,
    placement_note: str | None = None,
    wants_work: bool | None = None,
    note: str | None = None,
) -> ContractExit:
    """Township HR confirms a proposed exit, optionally correcting its effective date and placement."""
    ex = load_exit(session, actor, exit_id, "confirm_exit")
    if ex.status != "proposed":
        raise DomainError(
            "exit_not_proposed", f"只有待确认的退岗可以确认：此记录为“{rules.EXIT_STATE_LABELS[ex.status]}”"
        )
    c = ex.contract
    if effective_on is not None and effective_on != ex.effective_on:
        rules.check_dates(c.code, c.start_on, c.end_on, min(ex.event_on, effective_on), effective_on, today)
        ex.event_on = min(ex.event_on, effective_on)
        ex.effective_on = effective_on
    if placement is not None:
        rules.check_placement(placement)
        ex.placement = placement
        ex.placement_note = _text(placement_note, "安置说明", 200)
    if wants_work is not None:
        ex.wants_work = bool(wants_work)
    if note:
        ex.note = _text(note, "备注", 1000)
    return _confirm(session, actor, ex, today)


def record_exit(
    session: Session,
    actor,
    contract_id: int,
    reason: str,
    event_on: date,
    effective_on: date,
    today: date,
    **kw,
) -> ContractExit:
    """A clerk records an exit: confirmed at once when the actor may confirm, else proposed."""
    ex = propose_exit(session, actor, contract_id, reason, event_on, effective_on, today, **kw)
    if can(actor, "confirm_exit", ex):
        _confirm(session, actor, ex, today)
    return ex


def dismiss_exit(session: Session, actor, exit_id: int, reason: str, today: date) -> ContractExit:
    """A proposal that is wrong (e.g. a mismatched employment record) is dismissed with a reason;
    the sweep does not propose the same exit (same reason and event date) again."""
    ex = load_exit(session, actor, exit_id, "confirm_exit")
    if ex.status != "proposed":
        raise DomainError(
            "exit_not_proposed", f"只有待确认的退岗可以驳回：此记录为“{rules.EXIT_STATE_LABELS[ex.status]}”"
        )
    why = _text(reason, "驳回理由", 1000, required=True)
    before = audit.snapshot(ex, EXIT_FIELDS)
    ex.status, ex.dismissed_on, ex.dismissed_by_id, ex.dismiss_reason = (
        "dismissed",
        today,
        _actor_id(actor),
        why,
    )
    session.flush()
    audit.record(
        session,
        actor,
        "dismiss_exit",
        "contract_exit",
        ex.id,
        before=before,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"驳回退岗建议：{ex.person.name}（合同 {ex.contract.code}），{why}",
    )
    return ex


def set_placement(
    session: Session,
    actor,
    exit_id: int,
    placement: str,
    placement_note: str | None,
    wants_work: bool,
    today: date,
) -> ContractExit:
    """Record (or update) the follow-up placement of an exit: 转岗, 就业 or none, and the wish to work."""
    ex = load_exit(session, actor, exit_id, "confirm_exit")
    rules.check_placement(placement)
    if ex.status == "dismissed":
        raise DomainError("exit_dismissed", "已驳回的退岗建议不能登记后续安置")
    before = audit.snapshot(ex, EXIT_FIELDS)
    ex.placement, ex.placement_note, ex.wants_work = (
        placement,
        _text(placement_note, "安置说明", 200),
        bool(wants_work),
    )
    session.flush()
    audit.record(
        session,
        actor,
        "exit_placement",
        "contract_exit",
        ex.id,
        before=before,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"登记后续安置：{ex.person.name}，{rules.PLACEMENT_LABELS[placement]}"
        f"{('（' + ex.placement_note + '）') if ex.placement_note else ''}，"
        f"{'有' if ex.wants_work else '无'}就业意愿",
    )
    return ex


def apply_due_exits(session: Session, actor, today: date) -> int:
    """Confirmed exits whose effective date has come take effect on their contracts (the sweep)."""
    rows = session.execute(
        select(Contract, ContractExit)
        .join(ContractExit, ContractExit.contract_id == Contract.id)
        .where(
            ContractExit.status == "confirmed",
            ContractExit.effective_on <= today,
            or_(
                Contract.status == "active",
                and_(Contract.status == "ended", ContractExit.reason != "contract_end"),
            ),
        )
        .order_by(Contract.id)
    ).all()
    return sum(1 for c, ex in rows if _take_effect(session, actor, c, ex))


def paid_after_exit(session: Session, contract: Contract) -> list[Payment]:
    """Regular payments for months after the one holding the last day paid: to be recovered (扣回)."""
    if contract.exit_on is None:
        return []
    last_month = month_of(contract.exit_on)
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.contract_id == contract.id, Payment.kind == "regular", Payment.month > last_month)
            .order_by(Payment.month)
        )
    )


def exit_history(session: Session, ex: ContractExit):
    from ..models.audit import AuditEntry

    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "contract_exit", AuditEntry.object_id == str(ex.id))
        .order_by(AuditEntry.id)
    ).all()


# ---- lists ----


@dataclass
class ExitFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None
    status: str = ""
    reason: str = ""
    late: bool = False
    person_id: int | None = None


def exit_query(actor, f: ExitFilter) -> Select:
    """Exits on posts in the actor's region, newest first."""
    q = scope_regions(
        actor,
        select(ContractExit)
        .join(Contract, ContractExit.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, ContractExit.person_id == Person.id),
        Post.village_id,
    )
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(
            or_(
                Person.name.like(like),
                id_number_search(actor, Person.id_number, text),
                Contract.code.like(f"%{text.upper()}%"),
            )
        )
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    if f.status in rules.EXIT_STATES:
        q = q.where(ContractExit.status == f.status)
    if f.reason in rules.EXIT_REASONS:
        q = q.where(ContractExit.reason == f.reason)
    if f.late:
        q = q.where(ContractExit.late.is_(True))
    if f.person_id:
        q = q.where(ContractExit.person_id == f.person_id)
    return q.options(
        joinedload(ContractExit.person),
        joinedload(ContractExit.contract).joinedload(Contract.post).joinedload(Post.village),
    ).order_by(ContractExit.id.desc())


def confirmed_exit_of(session: Session, contract_id: int) -> ContractExit | None:
    return session.scalars(
        select(ContractExit).where(
            ContractExit.contract_id == contract_id, ContractExit.status == "confirmed"
        )
    ).first()


def exits_of_contract(session: Session, contract_id: int) -> list[ContractExit]:
    return list(
        session.scalars(
            select(ContractExit).where(ContractExit.contract_id == contract_id).order_by(ContractExit.id)
        )
    )


# ---- 311 services ----


def latest_exit(session: Session, person_id: int, today: date | None = None) -> ContractExit | None:
    """The person's latest confirmed exit (effective by `today` when given)."""
    q = select(ContractExit).where(ContractExit.person_id == person_id, ContractExit.status == "confirmed")
    if today is not None:
        q = q.where(ContractExit.effective_on <= today)
    return session.scalars(
        q.order_by(ContractExit.effective_on.desc(), ContractExit.id.desc()).limit(1)
    ).first()


def services_of(session: Session, person_id: int) -> list[FollowupService]:
    return list(
        session.scalars(
            select(FollowupService)
            .where(FollowupService.person_id == person_id)
            .order_by(FollowupService.given_on.desc(), FollowupService.id.desc())
        )
    )


def schedule_for(session: Session, ex: ContractExit, today: date) -> rules.Schedule:
    given = [
        (k, d)
        for k, d in session.execute(
            select(FollowupService.kind, FollowupService.given_on).where(
                FollowupService.person_id == ex.person_id
            )
        )
    ]
    return rules.schedule(ex.effective_on, today, given)


def behind_schedule(
    session: Session, actor, today: date, limit: int = 500
) -> list[tuple[ContractExit, rules.Schedule]]:
    """Exited holders in the actor's region who want work, have no job or post (not green) and whose 311
    services for the current service year are behind — oldest exit first."""
    exits = (
        session.scalars(
            exit_query(actor, ExitFilter(status="confirmed")).where(
                ContractExit.effective_on <= today,
                ContractExit.wants_work.is_(True),
                ContractExit.placement == "none",
                Person.death_date.is_(None),
            )
        )
        .unique()
        .all()
    )
    latest: dict[int, ContractExit] = {}
    for ex in sorted(exits, key=lambda e: (e.effective_on, e.id)):
        latest[ex.person_id] = ex
    green = set(
        session.scalars(
            select(PersonColour.person_id).where(
                PersonColour.colour == "green", PersonColour.person_id.in_(list(latest))
            )
        )
    )
    given: dict[int, list[tuple[str, date]]] = {}
    for pid, kind, on in session.execute(
        select(FollowupService.person_id, FollowupService.kind, FollowupService.given_on).where(
            FollowupService.person_id.in_(list(latest))
        )
    ):
        given.setdefault(pid, []).append((kind, on))
    out = []
    for pid, ex in latest.items():
        if pid in green or ex.reason in rules.ENDS_MONITORING:
            continue
        sched = rules.schedule(ex.effective_on, today, given.get(pid, []))
        if sched.behind:
            out.append((ex, sched))
    out.sort(key=lambda t: (t[0].effective_on, t[0].id))
    return out[:limit]


def record_service(
    session: Session,
    actor,
    person_id: int,
    kind: str,
    given_on: date,
    given_by: str,
    note: str | None,
    today: date,
) -> FollowupService:
    """Record one 311 service for an exited holder (after the exit, not in the future)."""
    person = get_scoped(session, actor, Person, person_id, "record_followup", "人员")
    if kind not in rules.SERVICE_KINDS:
        raise DomainError(
            "service_kind_invalid", f"服务类型“{kind}”无效，可选：{'、'.join(rules.SERVICE_KINDS.values())}"
        )
    ex = latest_exit(session, person.id)
    if ex is None:
        raise DomainError("service_no_exit", f"{person.name}没有已确认的退岗记录：311服务面向退岗人员")
    if given_on > today:
        raise DomainError("service_future", f"服务日期 {given_on.isoformat()} 晚于今天 {today.isoformat()}")
    if given_on < ex.event_on:
        raise DomainError(
            "service_before_exit",
            f"服务日期 {given_on.isoformat()} 早于退岗事由发生日期 {ex.event_on.isoformat()}",
        )
    s = FollowupService(
        person_id=person.id,
        exit_id=ex.id,
        kind=kind,
        given_on=given_on,
        given_by=_text(given_by, "服务提供人", 100, required=True),
        note=_text(note, "备注", 1000),
        recorded_by_id=_actor_id(actor),
    )
    session.add(s)
    session.flush()
    audit.record(
        session,
        actor,
        "record_followup",
        "followup_service",
        s.id,
        after=audit.snapshot(s, SERVICE_FIELDS),
        summary=f"311服务：{person.name}，{rules.SERVICE_KINDS[kind]}，{given_on.isoformat()}，{s.given_by}",
    )
    return s


# ---- colours ----


def _village_counties(session: Session) -> dict[int, int]:
    """village id → county id, from the region tree (one query)."""
    regions = {
        rid: (level, parent)
        for rid, level, parent in session.execute(select(Region.id, Region.level, Region.parent_id))
    }
    out = {}
    for rid, (level, _parent) in regions.items():
        if level != "village":
            continue
        r = rid
        while r is not None and regions[r][0] != "county":
            r = regions[r][1]
        if r is not None:
            out[rid] = r
    return out


def compute_colours(session: Session, today: date) -> dict[int, tuple[str, str, int]]:
    """{person id: (colour, reason, exit id)} for every holder whose latest confirmed exit is in effect
    and who holds no active post — in a handful of queries for the whole database."""
    latest: dict[int, ContractExit] = {}
    for ex in session.scalars(
        select(ContractExit)
        .where(ContractExit.status == "confirmed", ContractExit.effective_on <= today)
        .order_by(ContractExit.effective_on, ContractExit.id)
    ):
        latest[ex.person_id] = ex
    if not latest:
        return {}
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(latest))))}
    households = {p.household_id for p in persons.values() if p.household_id is not None}
    members: dict[int, list[tuple[int, str]]] = {}
    if households:
        for pid, hid, idn in session.execute(
            select(Person.id, Person.household_id, Person.id_number).where(
                Person.household_id.in_(households)
            )
        ):
            members.setdefault(hid, []).append((pid, idn))
    everyone = set(persons) | {pid for ms in members.values() for pid, _ in ms}
    id_numbers = {p.id_number for p in persons.values()} | {idn for ms in members.values() for _, idn in ms}
    on_post = set(
        session.scalars(
            select(Contract.person_id).where(
                Contract.person_id.in_(everyone),
                Contract.status == "active",
                Contract.start_on <= today,
                func.coalesce(Contract.exit_on, Contract.end_on) >= today,
            )
        )
    )
    jobs: dict[str, str] = {}
    for idn, employer in session.execute(
        select(EmploymentRecord.id_number, EmploymentRecord.employer).where(
            EmploymentRecord.id_number.in_(id_numbers),
            EmploymentRecord.start_on <= today,
            or_(EmploymentRecord.end_on.is_(None), EmploymentRecord.end_on >= today),
        )
    ):
        jobs.setdefault(idn, employer)
    monitored_people = set(
        session.scalars(
            select(PersonCategory.person_id).where(
                PersonCategory.person_id.in_(everyone),
                PersonCategory.category == "防止返贫监测对象",
                PersonCategory.start_on <= today,
                or_(PersonCategory.end_on.is_(None), PersonCategory.end_on >= today),
            )
        )
    )
    given: dict[int, list[tuple[str, date]]] = {}
    for pid, kind, on in session.execute(
        select(FollowupService.person_id, FollowupService.kind, FollowupService.given_on).where(
            FollowupService.person_id.in_(list(latest))
        )
    ):
        given.setdefault(pid, []).append((kind, on))
    counties = _village_counties(session)
    idle_by_county: dict[int | None, int] = {}
    out = {}
    for pid, ex in latest.items():
        p = persons[pid]
        county_id = counties.get(p.village_id)
        if county_id not in idle_by_county:
            idle_by_county[county_id] = idle_days(session, county_id, today) if county_id else 30
        hh = [m for m in members.get(p.household_id, []) if m[0] != pid] if p.household_id else []
        placed_job = ex.placement == "就业"
        facts = rules.ColourFacts(
            reason=ex.reason,
            effective_on=ex.effective_on,
            dead=p.death_date is not None and p.death_date <= today,
            has_job=placed_job or p.id_number in jobs,
            job_text=jobs.get(p.id_number) or (ex.placement_note or "" if placed_job else ""),
            has_post=pid in on_post or ex.placement == "转岗",
            household_has_worker=any(m in on_post or idn in jobs for m, idn in hh),
            household_monitored=pid in monitored_people or any(m in monitored_people for m, _ in hh),
            wants_work=ex.wants_work,
            schedule=rules.schedule(ex.effective_on, today, given.get(pid, [])) if ex.wants_work else None,
        )
        colour, reason = rules.colour_of(facts, today, idle_by_county[county_id])
        out[pid] = (colour, reason, ex.id)
    return out


def refresh_colours(session: Session, actor, today: date) -> dict[str, int]:
    """Store today's colours; only a changed colour or reason is written and audited (idempotent)."""
    fresh = compute_colours(session, today)
    stored = {c.person_id: c for c in session.scalars(select(PersonColour))}
    counts = {"changed": 0, "to_red": 0, "to_orange": 0}
    names = (
        {
            pid: name
            for pid, name in session.execute(select(Person.id, Person.name).where(Person.id.in_(list(fresh))))
        }
        if fresh
        else {}
    )
    for pid, (colour, reason, exit_id) in sorted(fresh.items()):
        row = stored.get(pid)
        if row is not None and row.colour == colour and row.reason == reason and row.exit_id == exit_id:
            continue
        before = {"colour": row.colour, "reason": row.reason, "since": row.since} if row is not None else None
        if row is None:
            row = PersonColour(person_id=pid, colour=colour, reason=reason, since=today, exit_id=exit_id)
            session.add(row)
        else:
            if row.colour != colour:
                row.since = today
            row.colour, row.reason, row.exit_id = colour, reason, exit_id
        session.flush()
        counts["changed"] += 1
        if before is None or before["colour"] != colour:
            counts["to_" + colour] = counts.get("to_" + colour, 0) + 1
        audit.record(
            session,
            actor,
            "set_colour",
            "person",
            pid,
            before=before,
            after={"colour": colour, "reason": reason, "since": row.since},
            summary=f"四色预警：{names.get(pid, pid)} "
            f"{rules.COLOUR_LABELS[before['colour']] + ' → ' if before else ''}"
            f"{rules.COLOUR_LABELS[colour]}（{reason}）",
        )
    return counts


@dataclass
class ColourFilter:
    colour: str = ""
    township_id: int | None = None
    village_id: int | None = None
    q: str = ""


def colour_query(actor, f: ColourFilter) -> Select:
    """Exited holders with their colour, in the actor's region (by the person's village), worst first."""
    q = scope_regions(
        actor, select(PersonColour).join(Person, PersonColour.person_id == Person.id), Person.village_id
    )
    if f.colour in rules.COLOURS:
        q = q.where(PersonColour.colour == f.colour)
    if f.village_id:
        q = q.where(Person.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Person.village_id.in_(select(Region.id).where(Region.parent_id == f.township_id)))
    text = (f.q or "").strip()
    if text:
        q = q.where(
            or_(Person.name.contains(text, autoescape=True), id_number_search(actor, Person.id_number, text))
        )
    from sqlalchemy import case

    rank = case(*[(PersonColour.colour == c, i) for i, c in enumerate(rules.COLOURS)], else_=9)
    return q.options(
        joinedload(PersonColour.person).joinedload(Person.village), joinedload(PersonColour.exit)
    ).order_by(rank, PersonColour.since, Person.id)


def colour_counts(session: Session, actor) -> list[dict]:
    """Per township: how many exited holders of each colour (for inspectors and the dashboard)."""
    town = aliased(Region)
    q = (
        scope_regions(
            actor,
            select(town.id, town.name, PersonColour.colour, func.count(PersonColour.person_id))
            .select_from(PersonColour)
            .join(Person, PersonColour.person_id == Person.id)
            .join(Region, Region.id == Person.village_id)
            .join(town, town.id == Region.parent_id),
            Person.village_id,
        )
        .group_by(town.id, town.name, PersonColour.colour)
        .order_by(town.id)
    )
    rows: dict[int, dict] = {}
    for tid, name, colour, n in session.execute(q):
        row = rows.setdefault(tid, {"township_id": tid, "township": name, **{c: 0 for c in rules.COLOURS}})
        row[colour] = n
    return list(rows.values())


def household_colours(session: Session, household_ids) -> dict[int, str]:
    """{household id: the worst colour of its members} for the given households."""
    out: dict[int, list[str]] = {}
    if not household_ids:
        return {}
    for hid, colour in session.execute(
        select(Person.household_id, PersonColour.colour)
        .join(Person, Person.id == PersonColour.person_id)
        .where(Person.household_id.in_(list(household_ids)))
    ):
        out.setdefault(hid, []).append(colour)
    return {hid: rules.worst(cs) for hid, cs in out.items()}


def red_household_person_ids(session: Session, person_ids) -> set[int]:
    """Of these persons, those whose household is red (a red member): placed first on a vacated post."""
    ids = list(person_ids)
    if not ids:
        return set()
    hh = {
        pid: hid
        for pid, hid in session.execute(
            select(Person.id, Person.household_id).where(Person.id.in_(ids), Person.household_id.is_not(None))
        )
    }
    colours = household_colours(session, set(hh.values()))
    return {pid for pid, hid in hh.items() if colours.get(hid) == "red"}


def red_candidates(session: Session, actor, village_id: int, today: date, limit: int = 10) -> list[Person]:
    """People in red households of a village, not dead and not on a post: first in line for a vacated post."""
    red = (
        select(Person.household_id)
        .join(PersonColour, PersonColour.person_id == Person.id)
        .where(PersonColour.colour == "red")
    )
    busy = exists().where(Contract.person_id == Person.id, Contract.status.in_(LIVE_STATES))
    q = scope_regions(actor, select(Person), Person.village_id).where(
        Person.village_id == village_id, Person.household_id.in_(red), Person.death_date.is_(None), ~busy
    )
    return list(session.scalars(q.order_by(Person.id).limit(limit)))


def colour_of_person(session: Session, person_id: int) -> PersonColour | None:
    return session.get(PersonColour, person_id)
