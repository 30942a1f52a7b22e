"""`pwposts demo`: a realistic, deterministic demo county (DOMAIN.md §1, §5).

generate_county() builds everything as plain dicts in Python with explicit primary keys and
inserts them table by table with executemany (no per-row round trips), so 50,000 persons take
seconds. The same seed and `today` give the same county, persons, ID numbers and names.

What it makes:
- 青山县 (made-up code 522799000000), 8–20 乡镇, 100–300 村/社区 with 村民小组;
- households (户编号 = village code + 4 digits) of 1–6 members, families split over several
  households (elderly parents living apart from their sons), relations stored once per pair;
- persons with valid 18-digit 身份证号 (prefix 522799, GB 11643 check digit), names with some
  rare characters, phones, 银行卡/社保卡 accounts, categories with dates, work capacity, deaths;
- 村干部 for every village (current and previous term; 书记/主任 一肩挑 in about half of them),
  some with a married daughter and son-in-law in another household that is in an eligible
  category (the 优亲厚友 pattern), and deliberate traces for the anomaly rules: one phone on many
  unrelated people, one account on several people, accounts whose holder name differs;
- employment (参保) records for about 1% of persons;
- policy: 10 post categories, county standards from 2024-01-01 (two revised from 2026-01-01),
  funds for 2025 and 2026 (光伏收益 restricted to 脱贫人口 and 防止返贫监测对象), statutory
  holidays and make-up workdays of 2025 and 2026;
- one login per role, all with the password DEMO_PASSWORD (see DEMO_LOGINS), plus a clerk for every
  other township (township2 …) and a second clerk of the first (township1b) for four-eyes payroll;
- history (history.py): posts in every township since 2024, recruitments with the eligibility
  engine's own results, 公示 and objections, one-year contracts with insurance, renewals, annual grades
  and exits, attendance, monthly grades and payroll for the last 13 ended months; holder1 is a real
  holder, and two deliberate anomaly seeds (CADRE_KIN, PAID_AFTER_DEATH) await the oversight rules.

Split along the build: county_state (constants, the in-memory _Build), county_people (regions, households,
persons), county_cadres (村干部, policy); this module writes the rows and runs the whole build.

Children under 16 are stored with work capacity 弱劳力 (the schema has no "无劳动力"); the 大龄
category is not stored because it follows from birth date and sex.
"""

from __future__ import annotations

import gc
import random
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..domain.roles import COUNTY_ADMIN, HOLDER, INSPECTOR, TOWNSHIP_CLERK, VILLAGE_CLERK
from ..models._types import utcnow
from ..models.accounts import User
from ..models.people import Cadre, EmploymentRecord, Household, Person, PersonCategory, Region, Relation
from ..models.policy import Fund, FundCategory, Holiday, PostCategory, Standard
from ..services import audit
from ..services.accounts import add_user, hash_password
from .bulk import indexes_set_aside, insert_rows, sync_sequences
from .county_cadres import generate_cadres, generate_policy
from .county_people import _finish_people, generate_people, generate_regions
from .county_state import (
    CHUNK,
    COUNTY_CODE6,
    COUNTY_NAME,
    DEMO_ACTOR,
    DEMO_PASSWORD,
    MIN_PER_VILLAGE,
    MIN_PERSONS,
    _Build,
    _Person,
    _Village,
)
from .exits import generate_exits
from .history import HISTORY_MODELS, extra_users, generate_history, prepare_history
from .oversight import plant_cases as plant_oversight_cases
from .records import generate_department_records
from .recruitment import generate_open_recruitment

# ---------------------------------------------------------------------------------------------
# Rows, insertion, audit
# ---------------------------------------------------------------------------------------------


def _registry_rows(b: _Build) -> dict[str, list[dict]]:
    now = utcnow()
    regions = [
        {
            "id": b.county_id,
            "code": COUNTY_CODE6 + "000000",
            "name": COUNTY_NAME,
            "level": "county",
            "parent_id": None,
        }
    ]
    regions += [
        {"id": t.id, "code": t.code, "name": t.name, "level": "township", "parent_id": b.county_id}
        for t in b.townships
    ]
    regions += [
        {"id": v.id, "code": v.code, "name": v.name, "level": "village", "parent_id": v.township.id}
        for v in b.villages
    ]
    households = [{"id": h.id, "code": h.code, "village_id": h.village.id} for h in b.households]
    persons, categories = [], []
    for p in b.persons:
        persons.append(
            {
                "id": p.id,
                "name": p.name,
                "id_number": p.id_number,
                "birth_date": p.birth,
                "sex": p.sex,
                "phone": p.phone,
                "village_id": p.village.id,
                "household_id": p.household.id,
                "group_name": p.household.group_name,
                "work_capacity": p.work_capacity,
                "cannot_leave_home": p.cannot_leave_home,
                "account_kind": p.account_kind,
                "account_no": p.account_no,
                "account_name": p.account_name,
                "death_date": p.death_date,
                "created_at": now,
                "updated_at": now,
            }
        )
        for cat, start, end in p.categories:
            categories.append(
                {
                    "id": b.new_id("person_category"),
                    "person_id": p.id,
                    "category": cat,
                    "start_on": start,
                    "end_on": end,
                }
            )
    relations = [
        {"id": b.new_id("relation"), "person_id": a, "relative_id": r, "kind": k} for a, r, k in b.relations
    ]
    cadres = [
        {
            "id": b.new_id("cadre"),
            "person_id": p.id,
            "village_id": v.id,
            "office": office,
            "term_start": start,
            "term_end": end,
        }
        for p, v, office, start, end in b.cadres
    ]
    for e in b.employment:
        e["imported_at"] = now
    return {
        "region": regions,
        "household": households,
        "person": persons,
        "person_category": categories,
        "relation": relations,
        "cadre": cadres,
        "employment_record": b.employment,
    }


MODELS = {
    "region": Region,
    "household": Household,
    "person": Person,
    "person_category": PersonCategory,
    "relation": Relation,
    "cadre": Cadre,
    "employment_record": EmploymentRecord,
    "post_category": PostCategory,
    "standard": Standard,
    "fund": Fund,
    "fund_category": FundCategory,
    "holiday": Holiday,
}


def _insert(session: Session, table: str, rows: list[dict]) -> None:
    insert_rows(session, MODELS[table].__table__, rows)


def _sync_sequences(session: Session, tables) -> None:
    """PostgreSQL: explicit ids leave the serial sequences behind; move them to MAX(id)."""
    sync_sequences(session, [MODELS[t].__table__ for t in tables])


def _next_ids(session: Session) -> dict[str, int]:
    ids = {}
    for table, model in {**MODELS, **HISTORY_MODELS}.items():
        if "id" in model.__table__.c:
            ids[table] = (session.scalar(select(func.max(model.__table__.c.id))) or 0) + 1
    return ids


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------


def _holder_person(b: _Build, v: _Village) -> _Person:
    """A plausible post holder: adult, alive, in a category today, neither cadre nor cadre's kin."""
    cadre_ids = {c[0].id for c in b.cadres}
    kin_of_cadres = {k.id for c in b.cadres for k, _ in c[0].kin}

    def ok(p, strict):
        age = p.age
        if p.death_date or not 18 <= age <= 60 or p.id in cadre_ids:
            return False
        if not strict:
            return True
        return p.id not in kin_of_cadres and any(e is None for _, _, e in p.categories)

    for strict in (True, False):
        found = [p for p in v.persons if ok(p, strict)]
        if found:
            return found[0]
    return next(p for p in b.persons if ok(p, False))


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once (scrypt, ~0.14 s a hash): every demo login shares it."""
    return hash_password(DEMO_PASSWORD)


def _login(session: Session, username: str, display: str, role: str, *, region=None, person=None) -> User:
    """A demo login as services.accounts.create_user writes it (add_user: the row and its audit entry), with
    the shared password hash; the demo's usernames, roles and scopes are valid by construction."""
    return add_user(
        session,
        DEMO_ACTOR,
        username=username,
        password_hash=demo_password_hash(),
        display_name=display,
        role=role,
        region=region,
        person=person,
        phone=None,
        must_change=False,
    )


def generate_staff(session: Session, b: _Build) -> dict:
    """The county admin, township1 and the inspector (as create_user makes them, audited), a clerk for
    every other township and a second clerk for the first (set-based); returns the ids the history needs."""
    county = session.get(Region, b.county_id)
    town = b.townships[0]
    made = {}
    for username, region, display, role in (
        ("admin", county, f"{COUNTY_NAME}管理员", COUNTY_ADMIN),
        ("township1", session.get(Region, town.id), f"{town.name}经办人", TOWNSHIP_CLERK),
        ("inspector", county, f"{COUNTY_NAME}纪委监委", INSPECTOR),
    ):
        made[username] = _login(session, username, display, role, region=region).id
    extras = extra_users(session, b, DEMO_ACTOR, demo_password_hash())
    clerks = {town.id: made["township1"]}
    for i, t in enumerate(b.townships[1:], start=2):
        clerks[t.id] = extras[f"township{i}"]
    return {
        "admin": made["admin"],
        "clerk": clerks,
        "second": {town.id: extras["township1b"]},
        "count": len(made) + len(extras),
    }


def generate_logins(session: Session, b: _Build, candidates: list) -> int:
    """village1 and holder1: the holder with the longest paid history in the first township (a real
    holder with a contract, attendance and payments), and the village clerk of that holder's village."""
    town = b.townships[0]
    by_id = {p.id: p for p in b.persons}
    if candidates:
        village_id, person_id, _paid = candidates[0]
        village = next(v for v in town.villages if v.id == village_id)
        holder = by_id[person_id]
    else:  # no history (a `today` before 2024): a plausible person of the largest village
        village = max(town.villages, key=lambda v: (v.name.endswith("村"), len(v.persons)))
        holder = _holder_person(b, village)
    _login(
        session, "village1", f"{village.name}录入员", VILLAGE_CLERK, region=session.get(Region, village.id)
    )
    _login(session, "holder1", holder.name, HOLDER, person=session.get(Person, holder.id))
    return 2


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def generate_county(session: Session, *, seed: int, persons: int, today: date) -> dict[str, int]:
    """Generate the whole demo county into `session` (flushed, not committed); return row counts."""
    if persons < MIN_PERSONS:
        raise ValueError(f"演示人数至少为{MIN_PERSONS}人（100个村每村至少{MIN_PER_VILLAGE}人）")
    # The build holds millions of small objects until it ends (persons, households, rows); Python's cyclic
    # garbage collector would walk all of them again and again as they pile up. Paused for the build.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_county(session, seed=seed, persons=persons, today=today)
    finally:
        if enabled:
            gc.enable()


def _build_county(session: Session, *, seed: int, persons: int, today: date) -> dict[str, int]:
    from ..services.clock_binding import bind_now

    # the demo's technical timestamps follow its own `today`
    # (10:00 Beijing), so a seed always builds the same county
    bind_now(session, datetime(today.year, today.month, today.day, 2, 0))
    b = _Build(random.Random(seed), today, seed, _next_ids(session))
    generate_regions(b, persons)
    generate_people(b, persons)
    generate_cadres(b)
    _finish_people(b)
    tables = _registry_rows(b)
    tables.update(generate_policy(b, persons))
    with indexes_set_aside(session, [MODELS[name].__table__ for name in tables]):
        for name, rows in tables.items():
            _insert(session, name, rows)
    _sync_sequences(session, tables)
    session.flush()
    for name, rows in tables.items():
        audit.record(
            session,
            DEMO_ACTOR,
            "demo_generate",
            name,
            None,
            after={"rows": len(rows), "seed": seed},
            summary=f"生成演示数据：{name} {len(rows)} 行",
        )
    plan = prepare_history(session, b, tables)  # puts the logins' township first in b.townships
    staff = generate_staff(session, b)
    history = generate_history(plan, staff, actor=DEMO_ACTOR, chunk=CHUNK)
    users = staff["count"] + generate_logins(session, b, history.pop("holder_candidates"))
    history["open_notices"] = generate_open_recruitment(session, today)
    history.update(generate_department_records(session, today))
    history.update(generate_exits(session, today, seed))
    history.update(
        plant_oversight_cases(session, today, seed, DEMO_ACTOR)
    )  # 纪检监察 true cases and look-alikes
    from .hire_sign import generate_hire_awaiting_contract  # a hire waiting for its 劳务协议 (worklist)

    history["hired_awaiting_contract"] = generate_hire_awaiting_contract(session, today)
    from ..models.contracts import refresh_contract_signed

    session.flush()
    refresh_contract_signed(session)  # the contracts above were written in bulk, not through the session
    from ..services.oversight import daily_sweep as scan_county

    history["flags_raised"] = scan_county(
        session, today
    ).new  # the inspectors find the county as the daily sweep leaves it
    today_adults = [p for p in b.persons if p.age >= 16]
    counts = {
        "county": 1,
        "townships": len(b.townships),
        "villages": len(b.villages),
        "households": len(tables["household"]),
        "persons": len(tables["person"]),
        "adults_in_category": sum(1 for p in today_adults if p.categories),
        "adults": len(today_adults),
        "person_categories": len(tables["person_category"]),
        "relations": len(tables["relation"]),
        "cadres": len(tables["cadre"]),
        "employment_records": len(tables["employment_record"]),
        "post_categories": len(tables["post_category"]),
        "standards": len(tables["standard"]),
        "funds": len(tables["fund"]),
        "fund_categories": len(tables["fund_category"]),
        "holidays": len(tables["holiday"]),
        "users": users,
    }
    traces = (
        "deaths",
        "shared_phone_people",
        "shared_account_people",
        "account_name_mismatch",
        "cadre_daughters_married_out",
    )
    counts.update({k: b.anomalies.get(k, 0) for k in traces})
    counts.update({k: v for k, v in history.items() if k not in counts})
    return counts


def reset_all(session: Session) -> None:
    """Delete every row of every table, children before parents."""
    from ..extensions import db

    sqlite = session.get_bind().dialect.name == "sqlite"
    for table in reversed(db.metadata.sorted_tables):
        # SQLite looks for the rows referring to each deleted row; a self-reference without an index
        # (payment.original_payment_id) makes that a scan per row: index it for the delete only
        # (the DDL is part of the same transaction)
        own = [
            fk.parent.name for fk in table.foreign_keys if fk.column.table is table and not fk.parent.index
        ]
        for column in own if sqlite else ():
            session.execute(text(f"CREATE INDEX demo_reset_{table.name}_{column} ON {table.name} ({column})"))
        session.execute(table.delete())
        for column in own if sqlite else ():
            session.execute(text(f"DROP INDEX demo_reset_{table.name}_{column}"))
    session.flush()
