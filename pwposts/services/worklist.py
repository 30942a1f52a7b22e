"""HR's worklist (what needs a person's decision this week) and the year-end renewal cycle.

Worklist sections, each limited to the actor's region: proposed exits with their evidence, exits not
yet reported past the limit, late reports, renewals due (30 days), posts vacant for over a month
(有岗无人), people red or orange. The year-end screen lists every active contract ending within the
next two months with its latest annual grade and a fresh eligibility check, and a suggested outcome:
renew (passed and eligible), exit (failed grade or dead) — both clear, so they may be done in bulk —
or decide (no grade yet, or an eligibility rule failed), one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from ..domain import exits as rules
from ..domain.contracts import LIVE_STATES, PASSING_GRADES, latest_end
from ..domain.errors import DomainError
from ..models.contracts import Contract
from ..models.exits import ContractExit, PersonColour
from ..models.posts import Post
from .contracts import expiring_clause, latest_annual_grade, renew_contract, scope_contracts
from .exits import ColourFilter, ExitFilter, colour_query, exit_query, record_exit
from .permissions import require
from .posts import vacant_posts


@dataclass
class Worklist:
    report_limit: int = 5  # the county's exit_report_days today
    proposed: list[ContractExit] = field(default_factory=list)
    late: list[ContractExit] = field(default_factory=list)
    renewals: list[tuple[Contract, tuple[str, str] | None]] = field(default_factory=list)
    vacancies: list = field(default_factory=list)
    colours: list[PersonColour] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "proposed": len(self.proposed),
            "late": len(self.late),
            "renewals": len(self.renewals),
            "vacancies": len(self.vacancies),
            "colours": len(self.colours),
        }


LATE_WINDOW_DAYS = 90  # late reports shown on the worklist: confirmed within this many days


def worklist(session: Session, actor, today: date, limit: int = 200) -> Worklist:
    require(actor, "view_exit")
    from .posts import actor_county
    from .settings import int_setting

    county = actor_county(session, actor)
    w = Worklist(
        report_limit=(int_setting(session, county.id, "exit_report_days", today) or 5) if county else 5
    )
    w.proposed = list(session.scalars(exit_query(actor, ExitFilter(status="proposed")).limit(limit)).unique())
    w.late = list(
        session.scalars(
            exit_query(actor, ExitFilter(late=True))
            .where(ContractExit.confirmed_on >= today - timedelta(days=LATE_WINDOW_DAYS))
            .limit(limit)
        ).unique()
    )
    renewals = (
        session.scalars(
            scope_contracts(actor, select(Contract).join(Post, Contract.post_id == Post.id))
            .where(expiring_clause(today), ~_open_exit())
            .options(joinedload(Contract.person), joinedload(Contract.post).joinedload(Post.village))
            .order_by(Contract.end_on, Contract.id)
            .limit(limit)
        )
        .unique()
        .all()
    )
    w.renewals = [(c, latest_annual_grade(session, c.id)) for c in renewals]
    w.vacancies = [v for v in vacant_posts(session, actor, today) if v.over_a_month][:limit]
    w.colours = list(
        session.scalars(
            colour_query(actor, ColourFilter()).where(PersonColour.colour.in_(("red", "orange"))).limit(limit)
        ).unique()
    )
    return w


def _open_exit():
    return exists().where(ContractExit.contract_id == Contract.id, ContractExit.status != "dismissed")


# ---- year end ----


@dataclass
class YearEndRow:
    contract: Contract
    grade: tuple[str, str] | None
    failures: list[str]
    outcome: str  # renew / exit / decide
    why: str
    exit_reason: str | None = None

    @property
    def clear(self) -> bool:
        return self.outcome in ("renew", "exit")


def year_end_rows(session: Session, actor, today: date, township_id: int | None = None) -> list[YearEndRow]:
    """Active contracts ending between today and two months from today, not renewed, no exit recorded."""
    require(actor, "view_exit")
    from .hiring import eligibility_for

    nxt = aliased(Contract)
    renewed = exists().where(nxt.previous_contract_id == Contract.id, nxt.status.in_(LIVE_STATES))
    q = (
        scope_contracts(actor, select(Contract).join(Post, Contract.post_id == Post.id))
        .where(
            Contract.status == "active",
            Contract.exit_on.is_(None),
            Contract.end_on >= today,
            Contract.end_on <= rules.add_months(today, 2),
            ~renewed,
            ~_open_exit(),
        )
        .options(joinedload(Contract.person), joinedload(Contract.post).joinedload(Post.village))
        .order_by(Contract.end_on, Contract.id)
    )
    if township_id:
        q = q.where(Post.township_id == township_id)
    out = []
    for c in session.scalars(q).unique():
        grade = latest_annual_grade(session, c.id)
        start = c.end_on + timedelta(days=1)
        if c.person.death_date is not None:
            out.append(
                YearEndRow(c, grade, [], "exit", f"已登记死亡（{c.person.death_date.isoformat()}）", "death")
            )
            continue
        failures = [
            f.message for f in eligibility_for(session, c.person, c.post, start, ignore_contract_id=c.id)
        ]
        if grade is not None and grade[1] not in PASSING_GRADES:
            out.append(
                YearEndRow(
                    c,
                    grade,
                    failures,
                    "exit",
                    f"{grade[0]}年度考核“{grade[1]}”，不予续签",
                    "assessment_failed",
                )
            )
        elif failures:
            out.append(
                YearEndRow(
                    c, grade, failures, "decide", "资格复核未通过：" + "；".join(failures), "ineligible"
                )
            )
        elif grade is None:
            out.append(
                YearEndRow(c, grade, failures, "decide", "尚无年度考核结果：先录入年度考核再续签", None)
            )
        else:
            out.append(
                YearEndRow(c, grade, failures, "renew", f"{grade[0]}年度考核“{grade[1]}”，资格复核通过")
            )
    return out


@dataclass
class YearEndResult:
    renewed: list[Contract] = field(default_factory=list)
    exited: list[ContractExit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def year_end_apply(
    session: Session,
    actor,
    decisions: list[tuple[int, str]],
    today: date,
    reasons: dict[int, str] | None = None,
) -> YearEndResult:
    """Renew (a new signing of at most one year from the day after the end) or exit (at the end) each
    contract; each decision in its own savepoint, so one refusal does not undo the others."""
    result = YearEndResult()
    reasons = reasons or {}
    for contract_id, action in decisions:
        c = session.get(Contract, contract_id)
        label = c.code if c is not None else f"#{contract_id}"
        try:
            with session.begin_nested():
                if c is None:
                    raise DomainError("contract_missing", "合同不存在")
                start = c.end_on + timedelta(days=1)
                if action == "renew":
                    result.renewed.append(
                        renew_contract(session, actor, c.id, c.kind, start, latest_end(start), today)
                    )
                elif action == "exit":
                    reason = reasons.get(c.id) or _default_reason(session, c)
                    event = start if reason != "death" else c.person.death_date
                    effective = start if reason != "death" else rules.effective_after(event, c.start_on)
                    result.exited.append(
                        record_exit(session, actor, c.id, reason, min(event, effective), effective, today)
                    )
                else:
                    raise DomainError("year_end_action", f"未知的处理方式“{action}”：只能为续签或退岗")
        except DomainError as err:
            result.errors.append(f"合同 {label}：{err.message}")
    return result


def _default_reason(session: Session, c: Contract) -> str:
    if c.person.death_date is not None:
        return "death"
    grade = latest_annual_grade(session, c.id)
    if grade is not None and grade[1] not in PASSING_GRADES:
        return "assessment_failed"
    return "contract_end"


def dashboard_counts(session: Session, actor, today: date) -> dict[str, int]:
    """Counts for the dashboard cards (each a single COUNT)."""
    proposed = (
        session.scalar(
            select(func.count()).select_from(
                exit_query(actor, ExitFilter(status="proposed")).order_by(None).subquery()
            )
        )
        or 0
    )
    late = (
        session.scalar(
            select(func.count()).select_from(
                exit_query(actor, ExitFilter(late=True))
                .where(ContractExit.confirmed_on >= today - timedelta(days=LATE_WINDOW_DAYS))
                .order_by(None)
                .subquery()
            )
        )
        or 0
    )
    red = (
        session.scalar(
            select(func.count()).select_from(
                colour_query(actor, ColourFilter(colour="red")).order_by(None).subquery()
            )
        )
        or 0
    )
    orange = (
        session.scalar(
            select(func.count()).select_from(
                colour_query(actor, ColourFilter(colour="orange")).order_by(None).subquery()
            )
        )
        or 0
    )
    return {"proposed": proposed, "late": late, "red": red, "orange": orange}


def person_exit_rows(session: Session, person_id: int) -> list[ContractExit]:
    return list(
        session.scalars(
            select(ContractExit)
            .where(ContractExit.person_id == person_id)
            .options(joinedload(ContractExit.contract))
            .order_by(ContractExit.id)
        )
    )
