"""The demo county's regions and people: townships and villages, households and families, ID numbers and
names, categories, work capacity, phones and accounts, deaths, anomaly traces, employment."""

from __future__ import annotations

import random
from bisect import bisect
from datetime import date, timedelta
from itertools import accumulate

from ..domain.people import age_on
from .county_state import COUNTY_CODE6, MIN_PER_VILLAGE, _Build, _Household, _Person, _Township, _Village
from .names import (
    CARD_BINS,
    CLAN_SURNAMES,
    CN_DIGITS,
    COMMUNITY_NAMES,
    EMPLOYERS,
    GIVEN_CHARS,
    PHONE_PREFIXES,
    RARE_CHARS,
    RARE_SHARE,
    SINGLE_GIVEN_SHARE,
    SURNAMES,
    TOWNSHIP_STEMS,
    VILLAGE_FIRST,
    VILLAGE_SECOND,
)

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


# GB 11643's weighted sum of the first 17 characters, in three parts: the county prefix (one for all), the
# birth date (worked out per date) and the 3-digit sequence (a table of 1,000): the same check digit as
# domain.people.check_digit, without summing 17 digits for each of the county's persons
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECKS = "10X98765432"
_PREFIX_SUM = sum(int(c) * w for c, w in zip(COUNTY_CODE6, _ID_WEIGHTS[:6], strict=True))
_SEQ_SUMS = tuple(8 * (n // 100) + 4 * (n // 10 % 10) + 2 * (n % 10) for n in range(1000))  # weights 8, 4, 2


_ID_HEADS: dict[date, tuple[str, int]] = {}


def _id_head(birth: date) -> tuple[str, int]:
    """(county prefix and birth date as %Y%m%d, its part of the weighted sum), once per date."""
    found = _ID_HEADS.get(birth)
    if found is None:
        y, m, d = birth.year, birth.month, birth.day
        # the digits of %Y%m%d weighted 2 1 6 3 | 7 9 | 10 5
        total = _PREFIX_SUM + 2 * (y // 1000) + (y // 100 % 10) + 6 * (y // 10 % 10) + 3 * (y % 10)
        total += 7 * (m // 10) + 9 * (m % 10) + 10 * (d // 10) + 5 * (d % 10)
        found = _ID_HEADS[birth] = (f"{COUNTY_CODE6}{y:04d}{m:02d}{d:02d}", total)  # without strftime
    return found


def _id_number(b: _Build, birth: date, sex: str) -> str:
    """County prefix, birth date, a sequence whose last digit is odd for men, GB 11643 check digit."""
    head, head_sum = _id_head(birth)
    while True:
        seq = b.rng.randrange(500) * 2 + (1 if sex == "M" else 0)
        first17 = f"{head}{seq:03d}"
        if first17 not in b.id_numbers:
            b.id_numbers.add(first17)
            return first17 + _ID_CHECKS[(head_sum + _SEQ_SUMS[seq]) % 11]


def _birth(b: _Build, age: int) -> date:
    # b.today - timedelta(days=…), by day number (no timedelta made for each of the county's persons)
    return date.fromordinal(b.today.toordinal() - int(age * 365.2425) - b.rng.randrange(365))


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


def _luhn_sum(digits: str) -> int:
    """The Luhn sum of `digits` as the leading part of a number: its last digit is doubled."""
    backwards = digits[::-1]
    return sum(_LUHN_DOUBLED[int(c)] for c in backwards[0::2]) + sum(int(c) for c in backwards[1::2])


def _luhn(digits: str) -> str:
    return str((10 - _luhn_sum(digits) % 10) % 10)


# an account's 12 random digits in four groups of three, as tables: a group ending at an even place from the
# end (the last digit's is 0) has its last digit doubled (_EVEN_GROUP), the others their middle one
_EVEN_GROUP = tuple(_LUHN_DOUBLED[n // 100] + n // 10 % 10 + _LUHN_DOUBLED[n % 10] for n in range(1000))
_ODD_GROUP = tuple(n // 100 + _LUHN_DOUBLED[n // 10 % 10] + n % 10 for n in range(1000))
_BIN_SUMS = {bin_: _luhn_sum(bin_) for bins in CARD_BINS.values() for bin_ in bins}  # at places 12-17


def _luhn_of_account(bin_: str, serial: int) -> str:
    """_luhn(bin_ + f"{serial:012d}"), from the tables (a card number for each adult of the county)."""
    total = _BIN_SUMS.get(bin_)
    if total is None:
        return _luhn(f"{bin_}{serial:012d}")
    g0, rest = serial % 1000, serial // 1000
    g1, rest = rest % 1000, rest // 1000
    g2, g3 = rest % 1000, rest // 1000
    total += _EVEN_GROUP[g0] + _ODD_GROUP[g1] + _EVEN_GROUP[g2] + _ODD_GROUP[g3]
    return str((10 - total % 10) % 10)


def _new_account(b: _Build, kind: str) -> str:
    while True:
        bin_, serial = b.rng.choice(CARD_BINS[kind]), b.rng.randrange(10**12)
        body = f"{bin_}{serial:012d}"
        number = body + _luhn_of_account(bin_, serial)
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
