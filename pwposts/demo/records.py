"""Demo: records from other departments, imported through the real service the way a county admin would —
a 民政 death list naming one active holder (so HR's dashboard and the exit worklist have a case) and a
林业局 roster of 生态护林员 naming two registered persons who hold no post here (一人一岗 refuses them)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.accounts import User
from ..models.contracts import Contract
from ..models.people import Person, PersonCategory
from ..services.department_records import import_records


def generate_department_records(session: Session, today: date) -> dict[str, int]:
    admin = session.scalar(select(User).where(User.username == "admin"))
    holder_login = session.scalar(select(User.person_id).where(User.username == "holder1"))
    if admin is None:
        return {}
    holder = session.scalar(
        select(Person)
        .join(Contract, Contract.person_id == Person.id)
        .where(Contract.status == "active", Person.death_date.is_(None), Person.id != (holder_login or -1))
        .order_by(Contract.id.desc())
        .limit(1)
    )
    counts = {}
    if holder is not None:
        died = today - timedelta(days=3)
        data = f"身份证号,姓名,死亡日期\n{holder.id_number},{holder.name},{died.isoformat()}\n".encode()
        counts["imported_deaths"] = import_records(
            session, admin, "deaths", data, f"民政局死亡人员名单{today:%Y%m}.csv", "民政局", today
        ).added
    busy = select(Contract.person_id).where(Contract.status.in_(("active", "draft")))
    others = session.scalars(
        select(Person)
        .where(
            Person.id.in_(select(PersonCategory.person_id)),
            Person.death_date.is_(None),
            Person.id.not_in(busy),
        )
        .order_by(Person.id)
        .limit(2)
    ).all()
    if others:
        lines = "".join(f"{p.id_number},{p.name},林业局,生态护林员,{today.year}-01-01,\n" for p in others)
        data = ("身份证号,姓名,主管部门,岗位名称,上岗日期,离岗日期\n" + lines).encode()
        counts["external_post_records"] = import_records(
            session, admin, "external_posts", data, "生态护林员花名册.csv", "林业局", today
        ).added
    return counts
