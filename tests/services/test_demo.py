"""The demo county generator (pwposts/demo.py): valid, realistic, deterministic, audited."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

import pytest
from sqlalchemy import func, or_, select

from pwposts import create_app, demo
from pwposts.domain.people import CATEGORIES, parse_id_number
from pwposts.domain.roles import ROLES
from pwposts.extensions import db
from pwposts.models.accounts import User
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Cadre, EmploymentRecord, Household, Person, PersonCategory, Region, Relation
from pwposts.models.policy import Fund, FundCategory, Holiday, PostCategory, Standard
from pwposts.services.accounts import authenticate
from pwposts.services.audit import verify_chain

PERSONS = 600
SEED = 2026


@pytest.fixture
def counts(session, today):
    result = demo.generate_county(session, seed=SEED, persons=PERSONS, today=today)
    session.commit()
    return result


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _active(categories, on: date) -> bool:
    return any(c.start_on <= on and (c.end_on is None or on <= c.end_on) for c in categories)


def test_counts_and_regions(session, counts):
    assert counts["persons"] == _count(session, Person) == PERSONS
    assert counts["townships"] >= 8 and counts["villages"] >= 100
    assert counts["households"] == _count(session, Household)
    assert counts["relations"] == _count(session, Relation) > 0
    assert counts["cadres"] == _count(session, Cadre) > 0
    assert counts["employment_records"] == _count(session, EmploymentRecord) >= 3
    regions = session.scalars(select(Region)).all()
    by_level = defaultdict(list)
    for r in regions:
        by_level[r.level].append(r)
        assert len(r.code) == 12 and r.code.isdigit()
    (county,) = by_level["county"]
    assert county.code == demo.COUNTY_CODE6 + "000000"
    assert len(by_level["township"]) == counts["townships"]
    assert len(by_level["village"]) == counts["villages"]
    parents = {r.id: r for r in regions}
    for t in by_level["township"]:
        assert t.parent_id == county.id and t.code[:6] == county.code[:6] and t.code.endswith("000")
        assert t.name.endswith(("镇", "乡"))
    for v in by_level["village"]:
        assert parents[v.parent_id].level == "township" and v.code[:9] == parents[v.parent_id].code[:9]
        assert v.name.endswith(("村", "社区"))
    assert len({v.name for v in by_level["village"]}) == len(by_level["village"])


def test_id_numbers_valid_unique_and_agree_with_birth_and_sex(session, counts, today):
    rows = session.execute(select(Person.id_number, Person.birth_date, Person.sex, Person.death_date)).all()
    assert len({r.id_number for r in rows}) == len(rows)
    for r in rows:
        info = parse_id_number(r.id_number, today=today)
        assert info.birth_date == r.birth_date and info.sex == r.sex
        assert r.id_number.startswith(demo.COUNTY_CODE6)
        assert r.death_date is None or r.birth_date < r.death_date <= today
    assert counts["deaths"] >= 3


def test_people_look_like_a_rural_county(session, counts, today):
    persons = session.scalars(select(Person)).all()
    adults = [p for p in persons if (today - p.birth_date).days >= 16 * 365.25]
    assert 0.5 < len(adults) / len(persons) < 0.95
    assert any(ch in demo.RARE_CHARS for p in persons for ch in p.name)
    capacities = Counter(p.work_capacity for p in adults)
    assert capacities["全劳力"] > capacities["半劳力"] > 0 and capacities["弱劳力"] > 0
    assert any(p.cannot_leave_home for p in adults)
    for p in persons:
        if p.phone:
            assert len(p.phone) == 11 and p.phone[:2] in ("13", "15", "18")
        if p.account_no:
            assert p.account_kind in ("银行卡", "社保卡") and p.account_name
    # Deliberate traces for the anomaly rules: a shared phone, a shared account, a foreign holder name.
    phones = Counter(p.phone for p in persons if p.phone)
    assert any(n >= 3 for n in phones.values())
    accounts = Counter(p.account_no for p in persons if p.account_no)
    assert any(n >= 3 for n in accounts.values())
    assert sum(1 for p in persons if p.account_no and p.account_name != p.name) >= 5
    # About 40–60% of adults in at least one category; several kinds, some ended.
    cats = session.scalars(select(PersonCategory)).all()
    assert {c.category for c in cats} <= set(CATEGORIES)
    assert {"脱贫人口", "防止返贫监测对象", "农村低收入人口", "持证残疾人"} <= {c.category for c in cats}
    assert any(c.end_on is not None for c in cats)
    with_category = {c.person_id for c in cats}
    share = sum(1 for p in adults if p.id in with_category) / len(adults)
    assert 0.35 <= share <= 0.65


def test_households_and_relations(session, counts):
    households = session.scalars(select(Household)).all()
    assert len({h.code for h in households}) == len(households)
    sizes = Counter(session.execute(select(Person.household_id)).scalars())
    assert all(1 <= n <= 6 for n in sizes.values())
    for h in households:
        assert h.code.startswith(h.village.code) and len(h.code) == 16
    relations = session.execute(select(Relation.person_id, Relation.relative_id, Relation.kind)).all()
    pairs = [frozenset((a, b)) for a, b, _ in relations]
    assert len(set(pairs)) == len(pairs)  # stored once per pair, never both directions
    kinds = Counter(k for _, _, k in relations)
    assert {"配偶", "子女", "父母", "兄弟姐妹"} <= set(kinds)
    sex = dict(session.execute(select(Person.id, Person.sex)).all())
    for a, b, kind in relations:
        if kind == "配偶":
            assert sex[a] != sex[b]


def test_every_village_has_cadres_some_with_relatives_in_categories(session, counts, today):
    current = session.scalars(select(Cadre).where(Cadre.term_start <= today, Cadre.term_end >= today)).all()
    offices = defaultdict(set)
    for c in current:
        offices[c.village_id].add(c.office)
        assert c.person.village_id == c.village_id and c.person.death_date is None
        assert c.term_start.year == 2026 and c.term_end.year == 2031
    assert len(offices) == counts["villages"]
    assert all({"党组织书记", "村委会主任", "村文书"} <= o for o in offices.values())
    assert session.scalar(select(func.count(Cadre.id)).where(Cadre.term_end < today)) > 0  # past terms

    with_kin_in_category = 0
    for c in current:
        rels = session.scalars(select(Relation).where(
            or_(Relation.person_id == c.person_id, Relation.relative_id == c.person_id))).all()
        kin = [r.relative if r.person_id == c.person_id else r.person for r in rels]
        if any(_active(k.categories, today) for k in kin):
            with_kin_in_category += 1
    assert with_kin_in_category >= 10


def test_policy_funds_and_holidays(session, counts):
    cats = session.scalars(select(PostCategory)).all()
    assert len(cats) == 10 and {"保洁", "护林", "防返贫信息员"} <= {c.name for c in cats}
    assert all(c.code.isascii() for c in cats)
    standards = session.scalars(select(Standard)).all()
    assert all(30000 <= s.monthly_allowance_fen <= 100000 and 3 <= s.required_days <= 22 for s in standards)
    assert all(s.effective_from >= date(2024, 1, 1) for s in standards)
    revised = [s for s in standards if s.effective_from == date(2026, 1, 1)]
    assert revised
    for s in revised:
        old = next(o for o in standards
                   if o.category_id == s.category_id and o.effective_from == date(2024, 1, 1))
        assert old.effective_to == date(2025, 12, 31) and s.effective_to is None
    assert sum(s.full_time for s in standards) < len(standards) / 2
    funds = session.scalars(select(Fund)).all()
    assert {f.year for f in funds} == {2025, 2026} and all(f.allocation_fen > 0 for f in funds)
    solar = [f for f in funds if f.name == "光伏收益"]
    assert len(solar) == 2
    for f in solar:
        assert f.restricts_categories
        assert set(session.scalars(select(FundCategory.category).where(FundCategory.fund_id == f.id))) == {
            "脱贫人口", "防止返贫监测对象"}
    days = {h.day: h for h in session.scalars(select(Holiday)).all()}
    assert not days[date(2026, 2, 17)].is_workday and days[date(2026, 2, 17)].name == "春节"
    assert not days[date(2025, 10, 1)].is_workday
    makeups = [h for h in days.values() if h.is_workday]
    assert makeups and all(h.day.weekday() >= 5 for h in makeups)


def test_audit_chain_verifies_and_every_role_can_log_in(session, counts, today):
    assert verify_chain(session).ok
    generated = session.scalars(
        select(AuditEntry.object_type).where(AuditEntry.action == "demo_generate")).all()
    assert {"person", "relation", "cadre", "standard", "holiday"} <= set(generated)
    assert len(generated) == len(set(generated))  # one entry per table, not per row
    users = {u.username: u for u in session.scalars(select(User)).all()}
    assert {u.role for u in users.values()} == set(ROLES)
    assert users["township1"].region.level == "township"
    assert users["village1"].region.parent_id == users["township1"].region_id
    holder = users["holder1"].person
    assert holder.village_id == users["village1"].region_id and holder.death_date is None
    for username, _role in demo.DEMO_LOGINS:
        assert authenticate(session, username, demo.DEMO_PASSWORD, "127.0.0.1", datetime(2026, 11, 25, 8, 0))
    session.commit()
    assert verify_chain(session).ok


def _first_persons(session) -> list[tuple[str, str]]:
    rows = session.execute(select(Person.id_number, Person.name).order_by(Person.id).limit(20))
    return [tuple(r) for r in rows]


def test_same_seed_same_county_in_a_fresh_database(session, counts, today, tmp_path):
    first = _first_persons(session)
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        db.create_all()
        demo.generate_county(db.session, seed=SEED, persons=PERSONS, today=today)
        db.session.commit()
        again = _first_persons(db.session)
        db.session.remove()
        db.engine.dispose()
    assert again == first and len(first) == 20


def test_other_seed_other_people(session, today):
    demo.generate_county(session, seed=7, persons=demo.MIN_PERSONS, today=today)
    assert _first_persons(session) != []
    assert session.scalar(select(func.count(Person.id))) == demo.MIN_PERSONS
    numbers = {n for n, _ in _first_persons(session)}
    demo.reset_all(session)
    demo.generate_county(session, seed=SEED, persons=demo.MIN_PERSONS, today=today)
    assert numbers != {n for n, _ in _first_persons(session)}


def test_too_few_persons_refused(session, today):
    with pytest.raises(ValueError):
        demo.generate_county(session, seed=1, persons=demo.MIN_PERSONS - 1, today=today)


def test_command_prints_logins_and_refuses_to_overwrite(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--persons", "500", "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "admin / demo-pass-2026" in result.output and "纪检监察" in result.output
    assert "holder1" in result.output and "人员：500 人" in result.output
    again = runner.invoke(args=["demo", "--persons", "500"])
    assert again.exit_code != 0 and "--reset" in again.output
    reset = runner.invoke(args=["demo", "--persons", "550", "--reset", "--today", "2026-11-25"])
    assert reset.exit_code == 0, reset.output
    assert session.scalar(select(func.count(Person.id))) == 550
    assert session.scalar(select(func.count(User.id))) == len(demo.DEMO_LOGINS)
    assert verify_chain(session).ok
    bad = runner.invoke(args=["demo", "--reset", "--today", "2026-02-30"])
    assert bad.exit_code != 0 and "不是真实存在的日期" in bad.output
