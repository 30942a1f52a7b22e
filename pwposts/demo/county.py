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

Children under 16 are stored with work capacity 弱劳力 (the schema has no "无劳动力"); the 大龄
category is not stored because it follows from birth date and sex.
"""

from __future__ import annotations

import gc
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..domain.people import age_on, check_digit
from ..domain.roles import COUNTY_ADMIN, HOLDER, INSPECTOR, TOWNSHIP_CLERK, VILLAGE_CLERK
from ..models._types import utcnow
from ..models.accounts import User
from ..models.people import Cadre, EmploymentRecord, Household, Person, PersonCategory, Region, Relation
from ..models.policy import Fund, FundCategory, Holiday, PostCategory, Standard
from ..services import audit
from ..services.accounts import add_user, hash_password
from .bulk import indexes_set_aside, insert_rows, sync_sequences
from .exits import generate_exits
from .history import HISTORY_MODELS, extra_users, generate_history, prepare_history
from .names import (
    CARD_BINS,
    CLAN_SURNAMES,
    CN_DIGITS,
    COMMUNITY_NAMES,
    EMPLOYERS,
    FUNDS,
    GIVEN_CHARS,
    HOLDER_SHARE,
    HOLIDAYS,
    MAKEUP_WORKDAYS,
    PHONE_PREFIXES,
    POST_CATEGORIES,
    RARE_CHARS,
    RARE_SHARE,
    REVISED_2026,
    SINGLE_GIVEN_SHARE,
    STANDARDS_2024,
    SURNAMES,
    TOWNSHIP_STEMS,
    VILLAGE_FIRST,
    VILLAGE_SECOND,
)
from .oversight import plant_cases as plant_oversight_cases
from .records import generate_department_records
from .recruitment import generate_open_recruitment

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


# ---------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _split(rng: random.Random, total: int, parts: int, minimum: int) -> list[int]:
    """`total` split into `parts` integers >= minimum, in random proportions (largest remainder)."""
    weights = [rng.uniform(0.5, 1.8) for _ in range(parts)]
    spare = total - minimum * parts
    shares = [spare * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(parts), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in order[: spare - sum(counts)]:
        counts[i] += 1
    return [minimum + c for c in counts]


def generate_regions(b: _Build, persons: int) -> None:
    rng = b.rng
    n_towns = _clamp(round(persons / 2500), 8, 20)
    n_villages = _clamp(round(persons / 45), 100, 300)
    b.county_id = b.new_id("region")
    stems = list(TOWNSHIP_STEMS)
    rng.shuffle(stems)
    town_names = ["城关镇"] + [
        stem + ("镇" if i < n_towns * 0.6 else "乡") for i, stem in enumerate(stems[: n_towns - 1])
    ]
    village_names = [f + s for f in VILLAGE_FIRST for s in VILLAGE_SECOND if f != s]
    rng.shuffle(village_names)
    per_town = _split(rng, n_villages, n_towns, 5)
    used = 0
    serials = {"镇": 100, "乡": 200}  # 统计用区划代码: towns 1xx, townships 2xx
    for t_index, (t_name, n_vill) in enumerate(zip(town_names, per_town, strict=False)):
        serials[t_name[-1]] += 1
        town = _Township(b.new_id("region"), f"{COUNTY_CODE6}{serials[t_name[-1]]:03d}000", t_name)
        for year in range(2011, b.today.year + 6, 5):
            town.elections[year] = date(year, 1, 10) + timedelta(days=rng.randrange(100))
        b.townships.append(town)
        communities = rng.randint(3, 5) if t_index == 0 else 0
        for v_index in range(n_vill):
            if v_index < communities:
                name, code = COMMUNITY_NAMES[v_index] + "社区", f"{town.code[:9]}{v_index + 1:03d}"
            else:
                name, code = village_names[used] + "村", f"{town.code[:9]}{200 + v_index + 1:03d}"
                used += 1
            poverty = rng.choice((0.6, 0.8, 1.0, 1.0, 1.2, 1.5)) * (0.6 if v_index < communities else 1.0)
            clans = [_weighted(rng, CLAN_SURNAMES) for _ in range(rng.randint(2, 4))]
            village = _Village(b.new_id("region"), code, name, town, poverty, rng.randint(4, 12), clans)
            town.villages.append(village)
            b.villages.append(village)


# ---------------------------------------------------------------------------------------------
# People: households, families, categories, accounts
# ---------------------------------------------------------------------------------------------


_CUMULATIVE: dict[int, tuple] = {}


def _weighted(rng: random.Random, pairs) -> str:
    """rng.choices([p[0] …], weights=[p[1] …])[0], with the cumulative weights of each (constant) table
    worked out once: the same single rng.random() draw and the same bisection, so the same choice."""
    entry = _CUMULATIVE.get(id(pairs))
    if entry is None or entry[0] is not pairs:
        cum = list(accumulate(p[1] for p in pairs))
        entry = _CUMULATIVE[id(pairs)] = (pairs, [p[0] for p in pairs], cum, cum[-1] + 0.0)
    _pairs, population, cum, total = entry
    return population[bisect(cum, rng.random() * total, 0, len(population) - 1)]


def _given_name(rng: random.Random, sex: str, birth: date) -> str:
    era = "old" if birth.year < 1965 else ("mid" if birth.year < 1995 else "young")
    pool = GIVEN_CHARS[(era, sex)]
    n = 1 if rng.random() < SINGLE_GIVEN_SHARE else 2
    chars = [rng.choice(pool) for _ in range(n)]
    if rng.random() < RARE_SHARE:
        chars[-1] = rng.choice(RARE_CHARS)
    return "".join(chars)


def _id_number(b: _Build, birth: date, sex: str) -> str:
    """County prefix, birth date, a sequence whose last digit is odd for men, GB 11643 check digit."""
    head = f"{COUNTY_CODE6}{birth.year:04d}{birth.month:02d}{birth.day:02d}"  # as %Y%m%d, without strftime
    while True:
        seq = b.rng.randrange(500) * 2 + (1 if sex == "M" else 0)
        first17 = f"{head}{seq:03d}"
        if first17 not in b.id_numbers:
            b.id_numbers.add(first17)
            return first17 + check_digit(first17)


def _birth(b: _Build, age: int) -> date:
    return b.today - timedelta(days=int(age * 365.2425) + b.rng.randrange(365))


def _person(b: _Build, h: _Household, sex: str, age: int, surname: str) -> _Person:
    birth = _birth(b, age)
    p = _Person(
        b.new_id("person"),
        surname + _given_name(b.rng, sex, birth),
        surname,
        sex,
        birth,
        _id_number(b, birth, sex),
        h.village,
        h,
    )
    p.age = age_on(birth, b.today)
    h.members.append(p)
    h.village.persons.append(p)
    b.persons.append(p)
    return p


def _chinese_number(n: int) -> str:
    """1..99 → 一 … 十二 … 九十九 (村民小组 names)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens - 1] + "十")
    return head + ("" if ones == 0 else CN_DIGITS[ones - 1])


def _household(b: _Build, v: _Village) -> _Household:
    serial = len(v.households) + 1
    group = f"{_chinese_number(b.rng.randrange(v.groups) + 1)}组"
    h = _Household(b.new_id("household"), f"{v.code}{serial:04d}", v, group)
    v.households.append(h)
    b.households.append(h)
    return h


def _surname(b: _Build, v: _Village) -> str:
    """Most villages are dominated by two to four clans (同姓聚居)."""
    return b.rng.choice(v.clans) if b.rng.random() < 0.55 else _weighted(b.rng, SURNAMES)


def _family(
    b: _Build,
    h: _Household,
    surname: str,
    head_sex: str,
    head_age: int,
    *,
    spouse: bool,
    children: int,
    parents: int,
) -> dict:
    """One household: head, spouse, children and the head's parents, with every relation."""
    rng = b.rng
    head = _person(b, h, head_sex, head_age, surname)
    wife = None
    if spouse:
        other = "F" if head_sex == "M" else "M"
        age = max(18, head_age + (rng.randint(-6, 2) if head_sex == "M" else rng.randint(-2, 6)))
        wife = _person(b, h, other, age, _weighted(rng, SURNAMES))
        b.relate(head, wife, "配偶", "配偶")
    kids = []
    base = min(head_age, wife.age) if wife else head_age
    if head_sex == "M":
        kid_surname = surname
    else:  # a woman heading the household: the children carry their (absent) father's surname
        kid_surname = wife.surname if wife else _weighted(rng, SURNAMES)
    for _ in range(children if base >= 20 else 0):
        kid_age = rng.randint(max(0, base - 40), base - 20)
        kid = _person(b, h, rng.choice("MF"), kid_age, kid_surname)
        for k in kids:
            b.relate(k, kid, "兄弟姐妹", "兄弟姐妹")
        b.relate(head, kid, "子女", "父母")
        if wife:
            b.relate(wife, kid, "子女", "父母")
        kids.append(kid)
    elders = []
    for i in range(parents):
        age = head_age + rng.randint(22, 32) + (0 if i == 0 else -rng.randint(0, 4))
        if age > 95:
            continue
        elder = _person(b, h, "M" if i == 0 else "F", age, surname if i == 0 else _weighted(rng, SURNAMES))
        if elders:
            b.relate(elders[0], elder, "配偶", "配偶")
        b.relate(head, elder, "父母", "子女")
        if wife:
            b.relate(wife, elder, "公婆岳父母", "儿媳女婿")
        for kid in kids:
            b.relate(kid, elder, "祖孙", "祖孙")
        elders.append(elder)
    return {"head": head, "spouse": wife, "children": kids, "parents": elders}


CLUSTER_KINDS = ("single", "couple", "nuclear", "three_gen", "split")
CLUSTER_WEIGHTS = (8, 14, 40, 24, 14)
CLUSTERS = tuple(zip(CLUSTER_KINDS, CLUSTER_WEIGHTS, strict=True))


def _cluster(b: _Build, v: _Village, budget: int, first: bool) -> None:
    """Build one family cluster (one or more households) of at most `budget` persons."""
    rng = b.rng
    surname = _surname(b, v)
    if first:  # a young couple living with his parents: four adults, so every village can staff its offices
        _family(
            b,
            _household(b, v),
            surname,
            "M",
            rng.randint(28, 36),
            spouse=True,
            children=min(budget - 4, rng.randint(0, 2)),
            parents=2,
        )
        return
    for _ in range(6):
        kind = _weighted(rng, CLUSTERS)
        if kind == "single":
            size = 1
        elif kind == "couple":
            size = 2
        elif kind == "nuclear":
            spouse = rng.random() < 0.9
            kids = rng.choice((1, 1, 2, 2, 2, 3))
            size = 1 + spouse + kids
        elif kind == "three_gen":
            kids, elders = rng.choice((1, 2, 2)), rng.choice((1, 2, 2))
            size = 2 + kids + elders
        else:
            sons = rng.choice((1, 1, 2))
            elders = rng.choice((1, 2, 2))
            son_kids = [rng.choice((0, 1, 1, 2)) for _ in range(sons)]
            size = elders + sum(2 + k for k in son_kids)
        if size <= budget:
            break
    else:
        kind, size = ("couple", 2) if budget >= 2 else ("single", 1)
    if kind == "single":
        _family(
            b,
            _household(b, v),
            surname,
            "M" if rng.random() < 0.6 else "F",
            rng.randint(20, 80),
            spouse=False,
            children=0,
            parents=0,
        )
    elif kind == "couple":
        _family(b, _household(b, v), surname, "M", rng.randint(25, 80), spouse=True, children=0, parents=0)
    elif kind == "nuclear":
        head_sex = "M" if spouse or rng.random() < 0.5 else "F"
        _family(
            b,
            _household(b, v),
            surname,
            head_sex,
            rng.randint(26, 58),
            spouse=spouse,
            children=kids,
            parents=0,
        )
    elif kind == "three_gen":
        _family(
            b, _household(b, v), surname, "M", rng.randint(28, 52), spouse=True, children=kids, parents=elders
        )
    else:
        _split_family(b, v, surname, elders, son_kids)


def _split_family(b: _Build, v: _Village, surname: str, elders: int, son_kids: list[int]) -> None:
    """Elderly parents in their own household and their married sons in theirs (分户)."""
    rng = b.rng
    elder_age = rng.randint(62, 84)
    elder_sex = "M" if elders == 2 or rng.random() < 0.4 else "F"  # a widow keeps her own surname
    old = _family(
        b,
        _household(b, v),
        surname if elder_sex == "M" else _weighted(rng, SURNAMES),
        elder_sex,
        elder_age,
        spouse=elders == 2,
        children=0,
        parents=0,
    )
    old_people = [p for p in (old["head"], old["spouse"]) if p]
    sons = []
    for kids in son_kids:
        son_age = max(22, elder_age - rng.randint(22, 34))
        fam = _family(b, _household(b, v), surname, "M", son_age, spouse=True, children=kids, parents=0)
        son = fam["head"]
        for brother in sons:
            b.relate(brother, son, "兄弟姐妹", "兄弟姐妹")
        for elder in old_people:
            b.relate(son, elder, "父母", "子女")
            if fam["spouse"]:
                b.relate(fam["spouse"], elder, "公婆岳父母", "儿媳女婿")
            for kid in fam["children"]:
                b.relate(kid, elder, "祖孙", "祖孙")
        sons.append(son)


def _random_day(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _household_categories(b: _Build, h: _Household) -> None:
    """Categories decided per household (脱贫户 …), with dates; some ended; 持证残疾人 per person."""
    rng, today, f = b.rng, b.today, h.village.poverty
    spans = []
    if rng.random() < 0.36 * f:
        spans.append(["脱贫人口", _random_day(rng, date(2015, 10, 1), date(2020, 11, 30)), None])
        if rng.random() < 0.15:
            spans.append(["易地搬迁人口", _random_day(rng, date(2016, 6, 1), date(2019, 12, 31)), None])
    if rng.random() < 0.07 * f:
        start = _random_day(rng, date(2021, 3, 1), today - timedelta(days=30))
        end = start + timedelta(days=rng.randint(180, 900)) if rng.random() < 0.45 else None
        spans.append(["防止返贫监测对象", start, end if end and end < today else None])
    if rng.random() < 0.12 * f:
        start = _random_day(rng, date(2019, 1, 1), today - timedelta(days=30))
        end = start + timedelta(days=rng.randint(365, 1500)) if rng.random() < 0.2 else None
        spans.append(["农村低收入人口", start, end if end and end < today else None])
    if rng.random() < 0.025:
        start = _random_day(rng, date(2022, 1, 1), today - timedelta(days=30))
        end = start + timedelta(days=rng.randint(120, 700)) if rng.random() < 0.3 else None
        spans.append(["零就业家庭", start, end if end and end < today else None])
    for p in h.members:
        for cat, start, end in spans:
            begin = max(start, p.birth)
            if end is None or end >= begin:
                p.categories.append([cat, begin, end])
        age = p.age
        if rng.random() < (0.02 if age < 60 else 0.06):
            p.categories.append(["持证残疾人", _random_day(rng, max(p.birth, date(2008, 1, 1)), today), None])


CAPACITY_DISABLED = (("全劳力", 20), ("半劳力", 45), ("弱劳力", 35))
CAPACITY_UNDER_60 = (("全劳力", 78), ("半劳力", 15), ("弱劳力", 7))
CAPACITY_UNDER_70 = (("全劳力", 40), ("半劳力", 40), ("弱劳力", 20))
CAPACITY_OLD = (("全劳力", 10), ("半劳力", 35), ("弱劳力", 55))


def _capacity(b: _Build, p: _Person, household: _Household) -> None:
    rng = b.rng
    age = p.age
    disabled = any(c[0] == "持证残疾人" for c in p.categories)
    if age < 16:
        p.work_capacity = "弱劳力"
        return
    if disabled:
        table = CAPACITY_DISABLED
    elif age < 60:
        table = CAPACITY_UNDER_60
    elif age < 70:
        table = CAPACITY_UNDER_70
    else:
        table = CAPACITY_OLD
    p.work_capacity = _weighted(rng, table)
    if age > 70:
        return
    carer = p.sex == "F" and any(m.age < 12 or m.age >= 75 for m in household.members if m is not p)
    odds = 0.08 + (0.25 if carer else 0) + (0.4 if disabled else 0)
    odds += 0.12 if p.work_capacity != "全劳力" else 0
    p.cannot_leave_home = rng.random() < odds


def _new_phone(b: _Build) -> str:
    while True:
        phone = b.rng.choice(PHONE_PREFIXES) + f"{b.rng.randrange(10**8):08d}"
        if phone not in b.phones:
            b.phones.add(phone)
            return phone


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # d * 2, less 9 when above 9


def _luhn(digits: str) -> str:
    backwards = digits[::-1]
    total = sum(_LUHN_DOUBLED[int(c)] for c in backwards[0::2]) + sum(int(c) for c in backwards[1::2])
    return str((10 - total % 10) % 10)


def _new_account(b: _Build, kind: str) -> str:
    while True:
        body = b.rng.choice(CARD_BINS[kind]) + f"{b.rng.randrange(10**12):012d}"
        number = body + _luhn(body)
        if number not in b.accounts:
            b.accounts.add(number)
            return number


def _contacts(b: _Build, h: _Household) -> None:
    """Phones (elderly often on the head's phone) and accounts (usually in the person's name)."""
    rng = b.rng
    head = h.members[0]
    for p in h.members:
        age = p.age
        if age >= 16:
            if age < 65 or rng.random() < 0.5:
                p.phone = _new_phone(b)
            elif head.phone and head is not p:
                p.phone = head.phone
            if rng.random() < 0.9:
                p.account_kind = "社保卡" if rng.random() < 0.55 else "银行卡"
                p.account_no = _new_account(b, p.account_kind)
                p.account_name = p.name


def generate_people(b: _Build, persons: int) -> None:
    rng = b.rng
    quotas = _split(rng, persons, len(b.villages), MIN_PER_VILLAGE)
    for v, quota in zip(b.villages, quotas, strict=False):
        made = 0
        first = True
        while made < quota:
            before = len(v.persons)
            _cluster(b, v, quota - made, first)
            made += len(v.persons) - before
            first = False
        for h in v.households:
            _household_categories(b, h)
            for p in h.members:
                _capacity(b, p, h)


def _finish_people(b: _Build) -> None:
    """After cadres are known: deaths (never a cadre), contacts, anomaly traces, employment."""
    rng, today = b.rng, b.today
    cadre_ids = {c[0].id for c in b.cadres}
    elderly = [p for p in b.persons if p.id not in cadre_ids and p.age >= 65]
    younger = [p for p in b.persons if p.id not in cadre_ids and 16 <= p.age < 65]
    deaths = rng.sample(elderly, min(len(elderly), max(3, len(b.persons) // 200)))
    deaths += rng.sample(younger, min(len(younger), max(1, len(b.persons) // 2000)))
    for p in deaths:
        p.death_date = _random_day(
            rng, max(p.birth + timedelta(days=1), today - timedelta(days=3 * 365)), today - timedelta(days=15)
        )
        kept = []
        for cat, start, end in p.categories:
            if start <= p.death_date:
                kept.append([cat, start, p.death_date if end is None or end > p.death_date else end])
        p.categories = kept
    b.anomalies["deaths"] = len(deaths)
    for h in b.households:
        _contacts(b, h)
    _anomaly_traces(b)
    _employment(b)


def _anomaly_traces(b: _Build) -> None:
    """Deliberate traces for the inspectors' rules (SHARED_PHONE, SHARED_ACCOUNT, name mismatch)."""
    rng = b.rng
    others = {}
    for v in b.villages:
        clerk = v.cadres.get("村文书")
        if clerk is not None:
            others[v.id] = [
                p
                for p in v.persons
                if p.household is not clerk.household and p.death_date is None and p.age >= 18
            ]
    roomy = [v for v in b.villages if len(others.get(v.id, ())) >= 3]
    n = len(b.villages)
    shared_phone = rng.sample(roomy, min(len(roomy), max(2, n // 25)))
    shared_account = rng.sample(roomy, min(len(roomy), max(2, n // 50)))
    b.anomalies["shared_phone_people"] = 0
    b.anomalies["shared_account_people"] = 0
    for v in roomy:
        if v not in shared_phone and v not in shared_account:
            continue
        clerk = v.cadres["村文书"]
        for p in rng.sample(others[v.id], min(len(others[v.id]), rng.randint(3, 6))):
            if v in shared_phone:  # 代管: the clerk's phone on people of other households
                clerk.phone = clerk.phone or _new_phone(b)
                p.phone = clerk.phone
                b.anomalies["shared_phone_people"] += 1
            if v in shared_account:  # 代领: the clerk's account receives for others
                if not clerk.account_no:
                    clerk.account_kind, clerk.account_name = "银行卡", clerk.name
                    clerk.account_no = _new_account(b, "银行卡")
                p.account_kind, p.account_no = clerk.account_kind, clerk.account_no
                p.account_name = clerk.name
                b.anomalies["shared_account_people"] += 1
    holders = [
        p for p in b.persons if p.account_no and p.account_name == p.name and len(p.household.members) > 1
    ]
    mismatched = rng.sample(holders, min(len(holders), max(5, len(b.persons) // 500)))
    for p in mismatched:
        other = rng.choice([m for m in p.household.members if m is not p])
        p.account_name = other.name if other.name != p.name else other.name + "（代）"
    b.anomalies["account_name_mismatch"] = len(mismatched)


def _employment(b: _Build) -> None:
    rng, today = b.rng, b.today
    workers = [p for p in b.persons if p.death_date is None and 18 <= p.age <= 55]
    for p in rng.sample(workers, min(len(workers), max(3, len(b.persons) // 100))):
        start = _random_day(rng, date(2021, 1, 1), today - timedelta(days=30))
        end = start + timedelta(days=rng.randint(90, 900)) if rng.random() < 0.5 else None
        b.employment.append(
            {
                "id": b.new_id("employment_record"),
                "id_number": p.id_number,
                "employer": rng.choice(EMPLOYERS),
                "full_time": rng.random() < 0.75,
                "start_on": start,
                "end_on": end if end and end < today else None,
                "source": "社会保险参保记录（演示导入）",
            }
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


def _pick(b: _Build, v: _Village, on: date, low: int, high: int, used: set, prefer=None) -> _Person | None:
    pool = [p for p in v.persons if p.id not in used and low <= age_on(p.birth, on) <= high]
    if not pool:
        pool = [p for p in v.persons if p.id not in used and 18 <= age_on(p.birth, on) <= 70]
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

    def keep_or_pick(office, low, high, prefer=None):
        old = previous.get(office)
        if old is not None and old.id not in used and rng.random() < 0.6 and age_on(old.birth, start) <= high:
            return old
        return _pick(b, v, start, low, high, used, prefer)

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
            person = _pick(b, v, start, low, high, used)
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
