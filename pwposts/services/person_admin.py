"""Keeping the registry by hand (issue 13 §3), for township and village clerks within their scope: create
and edit a person with the roster's validation, move a person to another household or split one off,
categories with start and end dates, death date with its source, relations entered once and read both
ways, cadres with office and term. Every change audited; services flush, never commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError, NotFound
from ..domain.people import (
    CADRE_OFFICES,
    CATEGORIES,
    RELATION_KINDS,
    WORK_CAPACITIES,
    formula_refusal,
    parse_id_number,
)
from ..models.people import Cadre, Household, Person, PersonCategory, Region, Relation
from . import audit
from . import roster as roster_rules
from .permissions import get_scoped, require

EDITABLE = (
    "name",
    "phone",
    "group_name",
    "work_capacity",
    "cannot_leave_home",
    "account_kind",
    "account_no",
    "account_name",
)
FIELD_LABELS = {
    "name": "姓名",
    "phone": "联系电话",
    "group_name": "村民小组",
    "work_capacity": "劳动能力",
    "cannot_leave_home": "无法离乡",
    "account_kind": "账户类型",
    "account_no": "账号",
    "account_name": "开户人",
}


def _checked(parse, value, label: str):
    """Run one of the roster's cell parsers; its refusal becomes a DomainError naming the field."""
    try:
        return parse(value)
    except roster_rules._Bad as bad:
        raise DomainError("person_field_invalid", f"{label}：{bad}") from None


def _clean(values: dict) -> dict:
    out = {}
    if "name" in values:
        out["name"] = _checked(roster_rules.parse_name, values["name"], "姓名")
    if "phone" in values:
        out["phone"] = _checked(roster_rules.parse_phone, values["phone"], "联系电话")
    if "group_name" in values:
        g = (values["group_name"] or "").strip() or None
        if g and len(g) > 50:
            raise DomainError("person_field_invalid", "村民小组名称过长（最多50个字）")
        refusal = formula_refusal("村民小组", g)
        if refusal:
            raise DomainError("person_field_formula", refusal)
        out["group_name"] = g
    if "work_capacity" in values:
        cap = _checked(roster_rules.parse_capacity, values["work_capacity"], "劳动能力") or "全劳力"
        if cap not in WORK_CAPACITIES:
            raise DomainError("person_field_invalid", f"劳动能力只能为{'、'.join(WORK_CAPACITIES)}")
        out["work_capacity"] = cap
    if "cannot_leave_home" in values:
        out["cannot_leave_home"] = bool(values["cannot_leave_home"])
    if "account_kind" in values:
        out["account_kind"] = _checked(roster_rules.parse_account_kind, values["account_kind"], "账户类型")
    if "account_no" in values:
        out["account_no"] = _checked(roster_rules.parse_account, values["account_no"], "账号")
    if "account_name" in values:
        out["account_name"] = (
            _checked(roster_rules.parse_name, values["account_name"], "开户人")
            if (values["account_name"] or "").strip()
            else None
        )
    return out


def _village(session: Session, actor, village_id: int) -> Region:
    v = session.get(Region, village_id)
    if v is None or v.level != "village":
        raise NotFound("村")
    require(actor, "edit_person", v, what="村")
    return v


def _household(session: Session, actor, code: str | None, village: Region) -> Household | None:
    code = _checked(roster_rules.parse_household, code, "户编号")
    if not code:
        return None
    h = session.scalar(select(Household).where(Household.code == code))
    if h is None:
        h = Household(code=code, village_id=village.id)
        session.add(h)
        session.flush()
    else:
        require(actor, "edit_person", h, what="家庭户")
    return h


def create_person(
    session: Session,
    actor,
    *,
    village_id: int,
    id_number: str,
    household_code: str | None = None,
    categories: list[tuple[str, date]] = (),
    today: date,
    **values,
) -> Person:
    """A new person, validated as the roster import validates
    a row (身份证号 check digit, phone, account …)."""
    require(actor, "edit_person")
    village = _village(session, actor, village_id)
    try:
        info = parse_id_number(id_number, today=today)
    except DomainError as err:
        raise DomainError(err.code, f"身份证号：{err.message}") from None
    if session.scalar(select(Person.id).where(Person.id_number == info.number)):
        raise DomainError(
            "person_exists", f"身份证号{info.number[:6]}********{info.number[-4:]}已登记，请查找并修改该人员"
        )
    data = _clean({k: values.get(k) for k in EDITABLE if k in values} | {"name": values.get("name")})
    p = Person(
        id_number=info.number,
        birth_date=info.birth_date,
        sex=info.sex,
        village=village,
        household=_household(session, actor, household_code, village),
        **data,
    )
    session.add(p)
    for cat, start in categories:
        if cat not in CATEGORIES:
            raise DomainError("category_invalid", f"人员类别“{cat}”不是可选值，可选：{'、'.join(CATEGORIES)}")
        p.categories.append(PersonCategory(category=cat, start_on=start))
    session.flush()
    audit.record(
        session,
        actor,
        "create_person",
        "person",
        p.id,
        after={
            "name": p.name,
            "id_number": p.id_number,
            "village": village.code,
            "household": p.household.code if p.household else None,
            **data,
            "categories": [(c, s) for c, s in categories],
        },
        summary=f"新增人员 {p.name}（{village.name}）",
    )
    return p


def load_for_edit(session: Session, actor, person_id: int) -> Person:
    return get_scoped(session, actor, Person, person_id, "edit_person", "人员")


def update_person(session: Session, actor, person_id: int, **values) -> Person:
    p = load_for_edit(session, actor, person_id)
    data = _clean({k: v for k, v in values.items() if k in EDITABLE})
    before = {k: getattr(p, k) for k in data if getattr(p, k) != data[k]}
    after = {k: data[k] for k in before}
    if not after:
        return p
    for k, v in after.items():
        setattr(p, k, v)
    session.flush()
    audit.record(
        session,
        actor,
        "update_person",
        "person",
        p.id,
        before=before,
        after=after,
        summary=f"修改人员 {p.name}：{'、'.join(FIELD_LABELS[k] for k in after)}",
    )
    return p


def move_household(session: Session, actor, person_id: int, household_code: str, today: date) -> Person:
    """Move a person into another household (an existing 户编号), or split
    them off into a new one (a new 户编号, in the person's village)."""
    p = load_for_edit(session, actor, person_id)
    old = p.household.code if p.household else None
    h = _household(session, actor, household_code, p.village)
    if h is None:
        raise DomainError("household_required", "请填写要迁入的户编号（已有的户，或新的户编号以分户）")
    if p.household_id == h.id:
        return p
    p.household = h
    session.flush()
    audit.record(
        session,
        actor,
        "move_household",
        "person",
        p.id,
        before={"household": old},
        after={"household": h.code, "on": today},
        summary=f"{p.name}户籍由{old or '（无）'}变更为{h.code}",
    )
    return p


def add_category(
    session: Session, actor, person_id: int, category: str, start_on: date, end_on: date | None = None
) -> PersonCategory:
    p = load_for_edit(session, actor, person_id)
    if category not in CATEGORIES:
        raise DomainError(
            "category_invalid", f"人员类别“{category}”不是可选值，可选：{'、'.join(CATEGORIES)}"
        )
    if end_on is not None and end_on < start_on:
        raise DomainError("category_dates", f"结束日期{end_on.isoformat()}早于开始日期{start_on.isoformat()}")
    for c in p.categories:
        if (
            c.category == category
            and (c.end_on is None or c.end_on >= start_on)
            and (end_on is None or c.start_on <= end_on)
        ):
            raise DomainError(
                "category_overlap",
                f"{p.name}的“{category}”已自{c.start_on.isoformat()}起登记"
                f"{'至' + c.end_on.isoformat() if c.end_on else '（未结束）'}，与新的期间重叠",
            )
    pc = PersonCategory(category=category, start_on=start_on, end_on=end_on)
    p.categories.append(pc)
    session.flush()
    audit.record(
        session,
        actor,
        "add_person_category",
        "person_category",
        pc.id,
        after={"person_id": p.id, "category": category, "start_on": start_on, "end_on": end_on},
        summary=f"{p.name}：登记人员类别“{category}”，自{start_on.isoformat()}起",
    )
    return pc


def end_category(
    session: Session, actor, category_id: int, end_on: date, reason: str | None = None
) -> PersonCategory:
    """End a category on `end_on` (the last day it is held).
    From the day after the person no longer holds it."""
    pc = session.get(PersonCategory, category_id)
    if pc is None:
        raise NotFound("人员类别")
    p = load_for_edit(session, actor, pc.person_id)
    if end_on < pc.start_on:
        raise DomainError(
            "category_dates", f"结束日期{end_on.isoformat()}早于开始日期{pc.start_on.isoformat()}"
        )
    if pc.end_on is not None and pc.end_on <= end_on:
        raise DomainError("category_already_ended", f"“{pc.category}”已于{pc.end_on.isoformat()}结束")
    before = pc.end_on
    pc.end_on = end_on
    session.flush()
    audit.record(
        session,
        actor,
        "end_person_category",
        "person_category",
        pc.id,
        before={"end_on": before},
        after={"end_on": end_on, "reason": reason},
        summary=f"{p.name}：人员类别“{pc.category}”于{end_on.isoformat()}结束"
        + (f"（{reason}）" if reason else ""),
    )
    return pc


def record_death(
    session: Session,
    actor,
    person_id: int,
    death_date: date,
    source: str,
    today: date,
    batch_id: int | None = None,
) -> Person:
    """Record a death with its source (民政 death certificate, 公安 cancellation …)."""
    require(actor, "record_death")
    p = get_scoped(session, actor, Person, person_id, "record_death", "人员")
    source = (source or "").strip()
    if not source:
        raise DomainError(
            "death_source_required", "请填写死亡信息来源（如 民政局死亡证明、公安户籍注销、村委会证明）"
        )
    if death_date > today:
        raise DomainError("death_in_future", f"死亡日期{death_date.isoformat()}晚于今天{today.isoformat()}")
    if death_date < p.birth_date:
        raise DomainError(
            "death_before_birth", f"死亡日期{death_date.isoformat()}早于出生日期{p.birth_date.isoformat()}"
        )
    before = {"death_date": p.death_date, "death_source": p.death_source}
    if before == {"death_date": death_date, "death_source": source[:200]}:
        return p
    p.death_date, p.death_source, p.death_batch_id = death_date, source[:200], batch_id
    session.flush()
    audit.record(
        session,
        actor,
        "record_death",
        "person",
        p.id,
        before=before,
        after={"death_date": death_date, "death_source": p.death_source},
        summary=f"登记{p.name}于{death_date.isoformat()}死亡（来源：{p.death_source}）",
    )
    return p


def add_relation(session: Session, actor, person_id: int, relative_id: int, kind: str) -> Relation:
    """`relative` is the `kind` of `person` (e.g. 配偶, 父母). Stored once; read both ways."""
    p = load_for_edit(session, actor, person_id)
    other = get_scoped(session, actor, Person, relative_id, "view_person", "亲属")
    if kind not in RELATION_KINDS:
        raise DomainError("relation_kind", f"亲属关系只能为{'、'.join(RELATION_KINDS)}，收到“{kind}”")
    if p.id == other.id:
        raise DomainError("relation_self", "不能登记与本人的亲属关系")
    if session.scalar(
        select(Relation.id).where(
            or_(
                (Relation.person_id == p.id) & (Relation.relative_id == other.id),
                (Relation.person_id == other.id) & (Relation.relative_id == p.id),
            )
        )
    ):
        raise DomainError("relation_exists", f"{p.name}与{other.name}的亲属关系已登记")
    r = Relation(person=p, relative=other, kind=kind)
    session.add(r)
    session.flush()
    audit.record(
        session,
        actor,
        "add_relation",
        "relation",
        r.id,
        after={"person_id": p.id, "relative_id": other.id, "kind": kind},
        summary=f"登记亲属关系：{other.name}是{p.name}的{kind}",
    )
    return r


def delete_relation(session: Session, actor, relation_id: int) -> None:
    r = session.get(Relation, relation_id)
    if r is None:
        raise NotFound("亲属关系")
    load_for_edit(session, actor, r.person_id)
    before = {"person_id": r.person_id, "relative_id": r.relative_id, "kind": r.kind}
    summary = f"删除亲属关系：{r.relative.name}是{r.person.name}的{r.kind}"
    session.delete(r)
    session.flush()
    audit.record(session, actor, "delete_relation", "relation", relation_id, before=before, summary=summary)


def add_cadre(
    session: Session,
    actor,
    person_id: int,
    office: str,
    term_start: date,
    term_end: date | None,
    village_id: int | None = None,
    batch_id: int | None = None,
) -> Cadre:
    require(actor, "manage_cadres")
    p = get_scoped(session, actor, Person, person_id, "manage_cadres", "人员")
    village = session.get(Region, village_id) if village_id else p.village
    if village is None or village.level != "village":
        raise NotFound("村")
    require(actor, "manage_cadres", village, what="村")
    if office not in CADRE_OFFICES:
        raise DomainError("cadre_office", f"职务只能为{'、'.join(CADRE_OFFICES)}，收到“{office}”")
    if term_end is not None and term_end < term_start:
        raise DomainError("cadre_term", f"任期结束{term_end.isoformat()}早于开始{term_start.isoformat()}")
    c = Cadre(
        person=p, village=village, office=office, term_start=term_start, term_end=term_end, batch_id=batch_id
    )
    session.add(c)
    session.flush()
    audit.record(
        session,
        actor,
        "add_cadre",
        "cadre",
        c.id,
        after={
            "person_id": p.id,
            "village": village.code,
            "office": office,
            "term_start": term_start,
            "term_end": term_end,
        },
        summary=f"登记村干部：{p.name}任{village.name}{office}，{term_start.isoformat()}至"
        f"{term_end.isoformat() if term_end else '今'}",
    )
    return c


def end_cadre(session: Session, actor, cadre_id: int, term_end: date) -> Cadre:
    c = session.get(Cadre, cadre_id)
    if c is None:
        raise NotFound("村干部任职")
    require(actor, "manage_cadres", c, what="村干部任职")
    if term_end < c.term_start:
        raise DomainError(
            "cadre_term", f"离任日期{term_end.isoformat()}早于任期开始{c.term_start.isoformat()}"
        )
    before = c.term_end
    c.term_end = term_end
    session.flush()
    audit.record(
        session,
        actor,
        "end_cadre",
        "cadre",
        c.id,
        before={"term_end": before},
        after={"term_end": term_end},
        summary=f"{c.person.name}于{term_end.isoformat()}离任{c.village.name}{c.office}",
    )
    return c
