"""The demo county's constants and in-memory build state (_Person, _Household, _Village, _Township,
_Build): what county.py builds before anything is written."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from ..domain.roles import COUNTY_ADMIN, HOLDER, INSPECTOR, TOWNSHIP_CLERK, VILLAGE_CLERK

DEMO_ACTOR = "演示数据"
DEMO_PASSWORD = "demo-pass-2026"
# username → role; the scope is chosen by generate_users (county, first township, its largest village).
DEMO_LOGINS = (
    ("admin", COUNTY_ADMIN),
    ("township1", TOWNSHIP_CLERK),
    ("village1", VILLAGE_CLERK),
    ("inspector", INSPECTOR),
    ("holder1", HOLDER),
)
COUNTY_NAME = "青山县"
COUNTY_CODE6 = "522799"
MIN_PERSONS = 500
MIN_PER_VILLAGE = 4
CHUNK = 5000


# ---------------------------------------------------------------------------------------------
# In-memory build state
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Person:
    id: int
    name: str
    surname: str
    sex: str
    birth: date
    id_number: str
    village: _Village
    household: _Household
    work_capacity: str = "全劳力"
    cannot_leave_home: bool = False
    phone: str | None = None
    account_kind: str | None = None
    account_no: str | None = None
    account_name: str | None = None
    death_date: date | None = None
    categories: list = field(default_factory=list)  # [category, start_on, end_on]
    kin: list = field(default_factory=list)  # (other _Person, kind as seen from self)
    age: int = 0  # age_on(birth, today), worked out once


@dataclass(eq=False)
class _Household:
    id: int
    code: str
    village: _Village
    group_name: str
    members: list = field(default_factory=list)


@dataclass(eq=False)
class _Village:
    id: int
    code: str
    name: str
    township: _Township
    poverty: float  # multiplies the household category odds (深度贫困村 > 1)
    groups: int
    clans: list
    households: list = field(default_factory=list)
    persons: list = field(default_factory=list)
    cadres: dict = field(default_factory=dict)  # office → _Person (current term)


@dataclass(eq=False)
class _Township:
    id: int
    code: str
    name: str
    elections: dict = field(default_factory=dict)  # election year → date
    villages: list = field(default_factory=list)


@dataclass
class _Build:
    rng: random.Random
    today: date
    seed: int
    next_id: dict
    county_id: int = 0
    townships: list = field(default_factory=list)
    villages: list = field(default_factory=list)
    persons: list = field(default_factory=list)
    households: list = field(default_factory=list)
    relations: list = field(default_factory=list)  # (person_id, relative_id, kind)
    pairs: set = field(default_factory=set)
    cadres: list = field(default_factory=list)  # (person, village, office, start, end)
    employment: list = field(default_factory=list)
    id_numbers: set = field(default_factory=set)
    phones: set = field(default_factory=set)
    accounts: set = field(default_factory=set)
    anomalies: dict = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def relate(self, a: _Person, b: _Person, kind: str, back: str) -> bool:
        """Store `b is a's kind` once for the pair; `back` is the kind seen from b."""
        key = (min(a.id, b.id), max(a.id, b.id))
        if a is b or key in self.pairs:
            return False
        self.pairs.add(key)
        self.relations.append((a.id, b.id, kind))
        a.kin.append((b, kind))
        b.kin.append((a, back))
        return True
