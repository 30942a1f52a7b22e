"""The demo county's 村干部 (current and previous terms, married daughters in eligible households) and its
policy (post categories, standards, funds, holidays)."""

from __future__ import annotations

from datetime import date, timedelta

from ..domain.people import age_on
from .county_state import _Build, _Person, _Township, _Village
from .names import (
    FUNDS,
    HOLDER_SHARE,
    HOLIDAYS,
    MAKEUP_WORKDAYS,
    POST_CATEGORIES,
    REVISED_2026,
    STANDARDS_2024,
)

# ---------------------------------------------------------------------------------------------
# Cadres
# ---------------------------------------------------------------------------------------------

OPTIONAL_OFFICES = (
    ("村委会副主任", 0.4, 25, 60),
    ("党组织副书记", 0.15, 30, 60),
    ("村务监督委员会主任", 0.4, 30, 65),
)


def _kin_in_category(p: _Person, on: date) -> bool:
    return any(
        age_on(k.birth, on) >= 16 and any(s <= on and (e is None or on <= e) for _, s, e in k.categories)
        for k, _ in p.kin
    )


def _pick(
    b: _Build, v: _Village, on: date, low: int, high: int, used: set, prefer=None, ages: list | None = None
) -> _Person | None:
    """A person of the village aged low..high on `on` (else 18..70), not `used` (preferred ones first);
    `ages`: the village's ages on `on`, in v.persons' order (worked out once per term by the caller)."""
    if ages is None:
        ages = [age_on(p.birth, on) for p in v.persons]
    pool = [p for p, age in zip(v.persons, ages, strict=True) if p.id not in used and low <= age <= high]
    if not pool:
        pool = [p for p, age in zip(v.persons, ages, strict=True) if p.id not in used and 18 <= age <= 70]
    if not pool:
        return None
    if prefer:
        preferred = [p for p in pool if prefer(p)]
        if preferred:
            pool = preferred
    return b.rng.choice(pool)


def _term_years(town: _Township, today: date) -> list[int]:
    held = [y for y, d in sorted(town.elections.items()) if d <= today]
    return held[-2:]


def generate_cadres(b: _Build) -> None:
    """Offices for the current and previous term of every village; some 书记 with kin in categories."""
    rng, today = b.rng, b.today
    for v in b.villages:
        years = _term_years(v.township, today)
        previous: dict[str, _Person] = {}
        for term_no, year in enumerate(years):
            start = v.township.elections[year]
            end = v.township.elections[year + 5] - timedelta(
                days=1
            )  # the next 换届 (planned if in the future)
            current = term_no == len(years) - 1
            offices = _fill_offices(b, v, start, previous)
            for office, person in offices.items():
                b.cadres.append((person, v, office, start, end))
            if current:
                v.cadres = offices
            previous = offices
        if v.cadres and rng.random() < 0.5:
            _married_daughter(b, v, v.cadres["党组织书记"])


def _fill_offices(b: _Build, v: _Village, start: date, previous: dict) -> dict:
    rng = b.rng
    used: set[int] = set()
    offices: dict[str, _Person] = {}
    ages = [age_on(p.birth, start) for p in v.persons]  # every _pick of this term tests the same ages

    def keep_or_pick(office, low, high, prefer=None):
        old = previous.get(office)
        if old is not None and old.id not in used and rng.random() < 0.6 and age_on(old.birth, start) <= high:
            return old
        return _pick(b, v, start, low, high, used, prefer, ages)

    prefer_kin = (lambda p: _kin_in_category(p, b.today)) if rng.random() < 0.35 else (lambda p: p.sex == "M")
    secretary = keep_or_pick("党组织书记", 32, 60, prefer_kin)
    if secretary is None:
        return offices
    offices["党组织书记"] = secretary
    used.add(secretary.id)
    director = secretary if rng.random() < 0.55 else keep_or_pick("村委会主任", 28, 60)
    offices["村委会主任"] = director or secretary
    used.add(offices["村委会主任"].id)
    clerk = keep_or_pick("村文书", 22, 55)
    if clerk is not None:
        offices["村文书"] = clerk
        used.add(clerk.id)
    for office, odds, low, high in OPTIONAL_OFFICES:
        if rng.random() < odds:
            person = _pick(b, v, start, low, high, used, ages=ages)
            if person is not None:
                offices[office] = person
                used.add(person.id)
    return offices


def _married_daughter(b: _Build, v: _Village, cadre: _Person) -> None:
    """The 书记's daughter married into another household of the village, preferably one in a category."""
    age = cadre.age
    if age < 42:
        return
    candidates = []
    for h in v.households:
        if h is cadre.household or len(h.members) < 2:
            continue
        head, wife = h.members[0], h.members[1]
        if (
            head.sex == "M"
            and wife.sex == "F"
            and (wife, "配偶") in head.kin
            and 18 <= age - wife.age <= 34
            and not any(k is cadre for k, _ in wife.kin)
        ):
            candidates.append((head, wife))
    in_category = [c for c in candidates if any(cat[2] is None for cat in c[1].categories)]
    if not candidates:
        return
    son_in_law, daughter = b.rng.choice(in_category or candidates)
    family_surname = (
        cadre.surname
        if cadre.sex == "M"
        else next((k.surname for k, kind in cadre.kin if kind == "配偶"), daughter.surname)
    )
    daughter.name = family_surname + daughter.name[len(daughter.surname) :]
    daughter.surname = family_surname
    parents = [cadre] + [k for k, kind in cadre.kin if kind == "配偶"]
    for parent in parents:
        b.relate(parent, daughter, "子女", "父母")
        b.relate(parent, son_in_law, "儿媳女婿", "公婆岳父母")
    b.anomalies["cadre_daughters_married_out"] = b.anomalies.get("cadre_daughters_married_out", 0) + 1


# ---------------------------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------------------------


def generate_policy(b: _Build, persons: int) -> dict[str, list[dict]]:
    county = b.county_id
    categories, standards = [], []
    for code, name, kind, description in POST_CATEGORIES:
        cid = b.new_id("post_category")
        categories.append({"id": cid, "code": code, "name": name, "kind": kind, "description": description})
        revised = REVISED_2026.get(code)
        periods = [(date(2024, 1, 1), date(2025, 12, 31) if revised else None, STANDARDS_2024[code])]
        if revised:
            periods.append((date(2026, 1, 1), None, revised))
        for start, end, (allowance, days, full_time, excellent, passed) in periods:
            standards.append(
                {
                    "id": b.new_id("standard"),
                    "county_id": county,
                    "category_id": cid,
                    "effective_from": start,
                    "effective_to": end,
                    "monthly_allowance_fen": allowance,
                    "required_days": days,
                    "full_time": full_time,
                    "required_hours": None,
                    "perf_excellent_fen": excellent,
                    "perf_pass_fen": passed,
                    "perf_fail_fen": 0,
                }
            )
    mean_allowance = sum(s[0] + s[4] for s in STANDARDS_2024.values()) // len(STANDARDS_2024)
    yearly_need = int(persons * HOLDER_SHARE) * mean_allowance * 12
    funds, fund_categories = [], []
    for year, growth in ((2025, 1.0), (2026, 1.05)):
        for name, share, allowed in FUNDS:
            fid = b.new_id("fund")
            allocation = round(yearly_need * share * growth * 1.1 / 1_000_000) * 1_000_000  # whole 万元
            funds.append(
                {
                    "id": fid,
                    "county_id": county,
                    "name": name,
                    "year": year,
                    "allocation_fen": max(allocation, 1_000_000),
                    "restricts_categories": bool(allowed),
                }
            )
            fund_categories += [{"fund_id": fid, "category": c} for c in allowed]
    holidays = []
    for year in sorted(HOLIDAYS):
        for (m1, d1), (m2, d2), name in HOLIDAYS[year]:
            day = date(year, m1, d1)
            while day <= date(year, m2, d2):
                holidays.append(
                    {
                        "id": b.new_id("holiday"),
                        "county_id": county,
                        "day": day,
                        "name": name,
                        "is_workday": False,
                    }
                )
                day += timedelta(days=1)
        for (m, d), name in MAKEUP_WORKDAYS[year]:
            holidays.append(
                {
                    "id": b.new_id("holiday"),
                    "county_id": county,
                    "day": date(year, m, d),
                    "name": f"{name}调休上班",
                    "is_workday": True,
                }
            )
    return {
        "post_category": categories,
        "standard": standards,
        "fund": funds,
        "fund_category": fund_categories,
        "holiday": holidays,
    }
