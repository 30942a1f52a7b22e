"""311 services after an exit: the schedule, who is behind it, recording a service."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain import exits as rules
from ...domain.errors import DomainError
from ...models.exits import ContractExit, FollowupService, PersonColour
from ...models.people import Person
from .. import audit
from ..bulk import execute_in, scalars_in
from ..permissions import get_scoped
from .common import SERVICE_FIELDS, _actor_id, _text
from .listing import ExitFilter, exit_query

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
        scalars_in(
            session,
            lambda part: select(PersonColour.person_id).where(
                PersonColour.colour == "green", PersonColour.person_id.in_(part)
            ),
            latest,
        )
    )
    given: dict[int, list[tuple[str, date]]] = {}
    for pid, kind, on in execute_in(
        session,
        lambda part: select(FollowupService.person_id, FollowupService.kind, FollowupService.given_on).where(
            FollowupService.person_id.in_(part)
        ),
        latest,
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
