"""What the flag page, the person history and the case reports show, gathered in a few queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.errors import NotFound
from ...models.contracts import Assessment, Contract
from ...models.oversight import Flag
from ...models.pay import AttendanceRecord, Payment
from ...models.people import Person, Region
from .. import audit
from ..permissions import require
from .workflow import audit_behind, evidence_of, flag_query, history_of, load_flag


@dataclass
class FlagView:
    flag: Flag
    evidence: dict
    audit_entries: list
    history: list[Flag]


def flag_view(session: Session, actor, flag_id: Any) -> FlagView:
    flag = load_flag(session, actor, flag_id)
    ev = evidence_of(flag)
    return FlagView(flag, ev, audit_behind(session, ev), history_of(session, flag))


@dataclass
class PersonHistory:
    person: Person
    contracts: list = field(default_factory=list)
    attendance: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    grades: list = field(default_factory=list)
    flags: list = field(default_factory=list)


def person_history(session: Session, actor, person_id: Any) -> PersonHistory:
    """A person's whole record for inspectors: posts and contracts, attendance, grades, payments, flags."""
    person = session.get(Person, int(person_id)) if str(person_id).isdigit() else None
    if person is None:
        raise NotFound("人员")
    require(actor, "view_person_history", person, what="人员")
    h = PersonHistory(person)
    h.contracts = list(
        session.scalars(select(Contract).where(Contract.person_id == person.id).order_by(Contract.start_on))
    )
    ids = [c.id for c in h.contracts]
    if ids:
        h.attendance = list(
            session.scalars(
                select(AttendanceRecord)
                .where(AttendanceRecord.contract_id.in_(ids))
                .order_by(AttendanceRecord.month)
            )
        )
        h.grades = list(
            session.scalars(
                select(Assessment).where(Assessment.contract_id.in_(ids)).order_by(Assessment.period)
            )
        )
    h.payments = list(
        session.scalars(
            select(Payment).where(Payment.person_id == person.id).order_by(Payment.month, Payment.id)
        )
    )
    h.flags = list(session.scalars(flag_query(actor, person_id=person.id).order_by(Flag.id.desc())))
    return h


def township_flags(session: Session, actor, township_id: Any) -> tuple[Region, list[Flag]]:
    town = session.get(Region, int(township_id)) if str(township_id).isdigit() else None
    if town is None or town.level != "township":
        raise NotFound("乡镇")
    require(actor, "view_flags", town, what="乡镇")
    flags = list(session.scalars(flag_query(actor, township_id=town.id).order_by(Flag.rule_id, Flag.id)))
    return town, flags


def record_report_download(
    session: Session, actor, kind: str, obj_id: int, summary: str, today: date
) -> None:
    """A case report names people and money: its download is audited like any export of personal data."""
    audit.record(
        session,
        actor,
        "download_case_report",
        kind,
        obj_id,
        after={"kind": kind, "on": today},
        summary=summary,
    )
