"""The daily sweep (`pwposts sweep`): what the system can see by itself, acted on once a day.

In this order, every change audited with the sweep as actor (domain.exits.SWEEP_ACTOR):
1. confirmed exits whose effective date has come → the contract reads 已退岗 (the post shows the vacancy);
2. exit proposals for HR (each once per contract; a dismissed proposal is not made again for the same
   reason and event date):
   - a recorded death → effective the day after the death (an earlier proposal, e.g. for a failed grade,
     is turned into the death's when the death comes first);
   - a failed (不合格) latest annual grade → no renewal, exit at the contract's end;
   - current full-time employment in the imported social-insurance records, or a current post on another
     department's imported roster → effective from its start;
   - no eligible category any more (the last one ended during the contract) → effective the day after;
3. contracts past their end date → 已结束; without a renewal, an exit (合同期满未续签) is recorded too;
4. the 四色预警 colours (which include the 311 schedule) are recomputed; only changes are written.
Contracts ending within 30 days are on the renewal worklist by a query, not by a write.

Idempotent: a second run on the same day finds nothing to do and writes no audit entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..domain import exits as rules
from ..domain.contracts import EXPIRING_DAYS, LIVE_STATES
from ..domain.hiring import OLDER_WORKER
from ..domain.people import is_older_worker
from ..models.contracts import Assessment, Contract, refresh_contract_signed
from ..models.exits import ContractExit
from ..models.people import EmploymentRecord, Person, PersonCategory
from . import audit
from .exits import EXIT_FIELDS, _confirm, apply_due_exits, propose_exit, refresh_colours

log = logging.getLogger(__name__)

ACTOR = rules.SWEEP_ACTOR


@dataclass
class SweepReport:
    today: date
    applied: int = 0  # exits that took effect
    ended: int = 0  # contracts past their end date
    expiring: int = 0  # on the renewal worklist
    proposed: dict[str, int] = field(default_factory=dict)  # reason → new proposals
    colours: dict[str, int] = field(default_factory=dict)
    scan: str = ""  # the anomaly scan's summary (纪检监察 rules over the county)
    signed_fixed: int = 0  # application.contract_signed flags found wrong (a writer that bypassed the ORM)

    @property
    def changes(self) -> int:
        return self.applied + self.ended + sum(self.proposed.values()) + self.colours.get("changed", 0)

    def lines(self) -> list[str]:
        out = [
            f"每日巡检 {self.today.isoformat()}",
            f"退岗生效：{self.applied} 份合同",
            f"合同期满结束：{self.ended} 份",
            f"30天内到期待续签：{self.expiring} 份",
        ]
        for reason, n in self.proposed.items():
            out.append(f"新提出退岗建议（{rules.reason_label(reason)}）：{n} 人")
        out.append(
            f"四色预警变化：{self.colours.get('changed', 0)} 人"
            f"（新转红色 {self.colours.get('to_red', 0)}，新转橙色 {self.colours.get('to_orange', 0)}）"
        )
        if self.scan:
            out.append(f"线索扫描：{self.scan}")
        if self.signed_fixed:
            out.append(
                f"“已聘用待签协议”标记校正：{self.signed_fixed} 条（请报告开发人员：有合同写入未经服务层）"
            )
        return out


def _no_exit():
    """No proposed or confirmed exit on the contract yet."""
    return ~exists().where(ContractExit.contract_id == Contract.id, ContractExit.status != "dismissed")


def _dismissed(session: Session, contract_id: int, reason: str, event_on: date) -> bool:
    return (
        session.scalar(
            select(func.count(ContractExit.id)).where(
                ContractExit.contract_id == contract_id,
                ContractExit.status == "dismissed",
                ContractExit.reason == reason,
                ContractExit.event_on == event_on,
            )
        )
        > 0
    )


def _propose(
    session: Session,
    report: SweepReport,
    c: Contract,
    reason: str,
    event_on: date,
    effective_on: date,
    evidence: str,
) -> None:
    if _dismissed(session, c.id, reason, event_on):
        return
    if effective_on > c.end_on + timedelta(days=1):
        return  # the event lies after the contract's end: nothing to stop
    propose_exit(
        session,
        ACTOR,
        c.id,
        reason,
        min(event_on, effective_on),
        effective_on,
        report.today,
        evidence=evidence,
    )
    report.proposed[reason] = report.proposed.get(reason, 0) + 1


def _live_contracts(*where):
    return (
        select(Contract)
        .join(Person, Person.id == Contract.person_id)
        .where(Contract.status == "active", _no_exit(), *where)
        .order_by(Contract.id)
    )


def _death_evidence(p: Person) -> str:
    return (
        f"人员信息登记死亡日期 {p.death_date.isoformat()}（身份证号 "
        f"{p.id_number[:6]}********{p.id_number[-4:]}）"
    )


def propose_for_deaths(session: Session, report: SweepReport) -> None:
    for c in session.scalars(_live_contracts(Person.death_date.is_not(None))).all():
        d = c.person.death_date
        _propose(
            session, report, c, "death", d, rules.effective_after(d, c.start_on), _death_evidence(c.person)
        )
    # a death recorded after another exit was proposed (e.g. a failed grade, exit at the end): the proposal
    # becomes the death's, effective the day after it, so HR confirms what really happened
    rows = session.execute(
        select(ContractExit, Contract)
        .join(Contract, Contract.id == ContractExit.contract_id)
        .join(Person, Person.id == Contract.person_id)
        .where(
            ContractExit.status == "proposed",
            ContractExit.reason != "death",
            Person.death_date.is_not(None),
            Contract.status.in_(("active", "ended")),
        )
        .order_by(ContractExit.id)
    ).all()
    for ex, c in rows:
        d = c.person.death_date
        effective = rules.effective_after(d, c.start_on)
        if effective >= ex.effective_on or effective > c.end_on + timedelta(days=1):
            continue
        before = audit.snapshot(ex, EXIT_FIELDS)
        ex.reason, ex.event_on, ex.effective_on = "death", min(d, effective), effective
        ex.evidence = _death_evidence(c.person) + (f"；原建议：{ex.evidence}" if ex.evidence else "")
        session.flush()
        audit.record(
            session,
            ACTOR,
            "update_exit_proposal",
            "contract_exit",
            ex.id,
            before=before,
            after=audit.snapshot(ex, EXIT_FIELDS),
            summary=f"退岗建议改为死亡：{c.person.name}（合同 {c.code}），{effective.isoformat()}起",
        )
        report.proposed["death"] = report.proposed.get("death", 0) + 1


def propose_for_failed_grades(session: Session, report: SweepReport) -> None:
    latest = (
        select(Assessment.contract_id, func.max(Assessment.period).label("period"))
        .where(Assessment.kind == "annual")
        .group_by(Assessment.contract_id)
        .subquery()
    )
    a = aliased(Assessment)
    q = (
        _live_contracts()
        .join(latest, latest.c.contract_id == Contract.id)
        .join(a, and_(a.contract_id == Contract.id, a.kind == "annual", a.period == latest.c.period))
        .where(a.grade == "不合格")
        .add_columns(a.period)
    )
    for c, period in session.execute(q).all():
        effective = c.end_on + timedelta(days=1)
        _propose(
            session,
            report,
            c,
            "assessment_failed",
            effective,
            effective,
            f"{period}年度考核结果为“不合格”，不予续签，合同期满（{c.end_on.isoformat()}）后退岗",
        )


def propose_for_employment(session: Session, report: SweepReport) -> None:
    today = report.today
    q = (
        _live_contracts()
        .join(EmploymentRecord, EmploymentRecord.id_number == Person.id_number)
        .where(
            EmploymentRecord.full_time.is_(True),
            EmploymentRecord.start_on <= today,
            or_(EmploymentRecord.end_on.is_(None), EmploymentRecord.end_on >= today),
        )
        .add_columns(EmploymentRecord.employer, EmploymentRecord.start_on, EmploymentRecord.source)
        .order_by(EmploymentRecord.start_on)
    )
    seen = set()
    for c, employer, start, source in session.execute(q).all():
        if c.id in seen:
            continue
        seen.add(c.id)
        event = max(start, c.start_on)
        effective = max(event, c.start_on + timedelta(days=1))
        _propose(
            session,
            report,
            c,
            "employed",
            event,
            effective,
            f"社保参保记录显示自 {start.isoformat()} 起在“{employer}”全日制就业"
            f"{('（来源：' + source + '）') if source else ''}",
        )


def propose_for_ended_categories(session: Session, report: SweepReport) -> None:
    """Holders who held an eligible category when their contract began and hold none today
    (大龄 is judged from the birth date and never ends)."""
    today = report.today
    held_today = exists().where(
        PersonCategory.person_id == Person.id,
        PersonCategory.category != OLDER_WORKER,
        PersonCategory.start_on <= today,
        or_(PersonCategory.end_on.is_(None), PersonCategory.end_on >= today),
    )
    ended = (
        select(PersonCategory.person_id, func.max(PersonCategory.end_on).label("last"))
        .where(PersonCategory.end_on.is_not(None), PersonCategory.end_on < today)
        .group_by(PersonCategory.person_id)
        .subquery()
    )
    q = (
        _live_contracts(~held_today)
        .join(ended, ended.c.person_id == Person.id)
        .where(ended.c.last >= Contract.start_on)
        .add_columns(ended.c.last)
    )
    for c, last in session.execute(q).all():
        p = c.person
        if is_older_worker(p.sex, p.birth_date, today):
            continue
        cats = "、".join(sorted({pc.category for pc in p.categories if pc.end_on == last}))
        event = last + timedelta(days=1)
        _propose(
            session,
            report,
            c,
            "ineligible",
            event,
            rules.effective_after(last, c.start_on),
            f"帮扶类别（{cats}）已于 {last.isoformat()} 终止，今天不再属于任何帮扶类别",
        )


def propose_for_external_posts(session: Session, report: SweepReport) -> None:
    """An active holder on another department's current post roster (一人一岗 across departments) →
    exit proposal effective from that post's start. The roster table comes with the department imports
    (issue 13); in a tree without it there is nothing to look at."""
    try:
        from ..models.registry import ExternalPostRecord
    except ImportError:
        return
    today = report.today
    q = (
        _live_contracts()
        .join(ExternalPostRecord, ExternalPostRecord.id_number == Person.id_number)
        .where(
            ExternalPostRecord.start_on <= today,
            or_(ExternalPostRecord.end_on.is_(None), ExternalPostRecord.end_on >= today),
        )
        .add_columns(ExternalPostRecord.department, ExternalPostRecord.post_name, ExternalPostRecord.start_on)
        .order_by(ExternalPostRecord.start_on)
    )
    seen = set()
    for c, department, post_name, start in session.execute(q).all():
        if c.id in seen:
            continue
        seen.add(c.id)
        event = max(start, c.start_on)
        _propose(
            session,
            report,
            c,
            "employed",
            event,
            max(event, c.start_on + timedelta(days=1)),
            f"{department}公益性岗位花名册显示自 {start.isoformat()} 起在“{post_name}”岗位（一人一岗）",
        )


def end_expired(session: Session, report: SweepReport) -> None:
    """Active contracts whose end date has passed → 已结束; without a renewal and without an exit,
    the exit (合同期满未续签) is recorded and confirmed too."""
    today = report.today
    nxt = aliased(Contract)
    renewed = exists().where(nxt.previous_contract_id == Contract.id, nxt.status.in_(LIVE_STATES))
    rows = session.execute(
        select(Contract, renewed.label("renewed"))
        .where(Contract.status == "active", Contract.end_on < today)
        .order_by(Contract.id)
    ).all()
    from .posts import mark_staffing

    for c, is_renewed in rows:
        before = audit.snapshot(c, ("status", "exit_on", "end_reason"))
        c.status = "ended"
        if c.exit_on is None and not is_renewed:
            c.end_reason = c.end_reason or f"合同期满（{c.end_on.isoformat()}）未续签"
        elif is_renewed:
            c.end_reason = c.end_reason or "合同期满，由续签合同接续"
        session.flush()
        audit.record(
            session,
            ACTOR,
            "end_contract",
            "contract",
            c.id,
            before=before,
            after=audit.snapshot(c, ("status", "exit_on", "end_reason")),
            summary=f"合同 {c.code} 期满（{c.end_on.isoformat()}）已结束：{c.person.name}",
        )
        report.ended += 1
        if (
            not is_renewed
            and session.scalar(
                select(func.count(ContractExit.id)).where(
                    ContractExit.contract_id == c.id, ContractExit.status != "dismissed"
                )
            )
            == 0
        ):
            effective = c.end_on + timedelta(days=1)
            ex = propose_exit(
                session,
                ACTOR,
                c.id,
                "contract_end",
                effective,
                effective,
                today,
                evidence=f"合同 {c.code} 于 {c.end_on.isoformat()} 期满，无续签合同",
            )
            _confirm(session, ACTOR, ex, today, terminate=False)
        mark_staffing(session, c.post, ACTOR)


def _expiring_count(session: Session, today: date) -> int:
    """Active contracts ending within EXPIRING_DAYS without a live renewal (the renewal worklist's size);
    NOT IN over the renewals instead of a correlated EXISTS, which SQLite runs per contract."""
    renewed = select(Contract.previous_contract_id).where(
        Contract.previous_contract_id.is_not(None), Contract.status.in_(LIVE_STATES)
    )
    return (
        session.scalar(
            select(func.count(Contract.id)).where(
                Contract.status == "active",
                Contract.end_on >= today,
                Contract.end_on <= today + timedelta(days=EXPIRING_DAYS),
                Contract.id.not_in(renewed),
            )
        )
        or 0
    )


def run_sweep(session: Session, today: date) -> SweepReport:
    """The whole daily sweep for `today` (Beijing); flushes, never commits (the CLI commits)."""
    report = SweepReport(today)
    report.applied = apply_due_exits(session, ACTOR, today)
    propose_for_deaths(session, report)
    propose_for_failed_grades(session, report)
    propose_for_employment(session, report)
    propose_for_external_posts(session, report)
    propose_for_ended_categories(session, report)
    end_expired(session, report)
    report.expiring = _expiring_count(session, today)
    report.colours = refresh_colours(session, ACTOR, today)
    session.flush()
    # application.contract_signed is kept at every flush that writes a contract; a writer that went around the
    # ORM would leave it wrong — put right here, and said in the report
    report.signed_fixed = refresh_contract_signed(session)
    if report.signed_fixed:
        log.warning(
            "sweep: %d application.contract_signed flags were wrong and are corrected", report.signed_fixed
        )
    # every anomaly rule over the county, after the day's
    # changes (idempotent: audits only new or changed flags)
    from .oversight import daily_sweep as scan_county

    report.scan = scan_county(session, today).summary
    return report
