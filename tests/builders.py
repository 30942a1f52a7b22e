"""Test data builders: a small county with real, valid ID numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import count

from pwposts.domain.people import check_digit
from pwposts.models.people import Cadre, Household, Person, PersonCategory, Region, Relation
from pwposts.services.accounts import create_user

PASSWORD = "test-pass-123"
_seq = count(1)


def make_id_number(birth: date, sex: str, region6: str = "522701", seq: int | None = None) -> str:
    """A valid 18-digit number: odd 17th digit for men, even for women."""
    n = seq if seq is not None else next(_seq)
    s3 = (n * 2 + (1 if sex == "M" else 0)) % 1000
    if sex == "M" and s3 % 2 == 0:
        s3 += 1
    if sex == "F" and s3 % 2 == 1:
        s3 -= 1
    first17 = f"{region6}{birth:%Y%m%d}{s3:03d}"
    return first17 + check_digit(first17)


@dataclass
class County:
    county: Region
    townships: list[Region]
    villages: list[Region]  # villages[0], [1] in townships[0]; [2], [3] in townships[1]
    persons: dict[str, Person] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)


def add_person(
    session,
    village: Region,
    name: str,
    birth: date,
    sex: str,
    *,
    household: Household | None = None,
    categories=("脱贫人口",),
    capacity="全劳力",
    since=date(2020, 1, 1),
    **extra,
) -> Person:
    idn = make_id_number(birth, sex)
    while session.query(Person.id).filter_by(id_number=idn).first():
        idn = make_id_number(birth, sex)
    if household is None:
        household = Household(code=f"{village.code}{next(_seq):05d}", village=village)
        session.add(household)
    p = Person(
        name=name,
        id_number=idn,
        birth_date=birth,
        sex=sex,
        village=village,
        household=household,
        work_capacity=capacity,
        account_kind="社保卡",
        account_no=f"62210{next(_seq):011d}",
        account_name=name,
        phone=f"138{next(_seq):08d}",
        **extra,
    )
    session.add(p)
    for c in categories:
        session.add(PersonCategory(person=p, category=c, start_on=since))
    session.flush()
    return p


def build_county(session) -> County:
    county = Region(code="522701000000", name="青山县", level="county")
    session.add(county)
    townships, villages = [], []
    for t in range(2):
        town = Region(
            code=f"522701{100 + t:03d}000", name=["东坪镇", "西岭乡"][t], level="township", parent=county
        )
        session.add(town)
        townships.append(town)
        for v in range(2):
            vil = Region(
                code=f"522701{100 + t:03d}{201 + v:03d}",
                name=f"{['东坪', '西岭'][t]}{['一', '二'][v]}村",
                level="village",
                parent=town,
            )
            session.add(vil)
            villages.append(vil)
    session.flush()
    c = County(county, townships, villages)
    v0 = villages[0]
    c.persons["wang"] = add_person(session, v0, "王秀英", date(1970, 5, 6), "F", capacity="弱劳力")
    c.persons["li"] = add_person(session, v0, "李建国", date(1985, 3, 1), "M")
    c.persons["zhao"] = add_person(session, villages[2], "赵喆", date(1975, 12, 31), "M")
    c.persons["chief"] = add_person(session, v0, "张村长", date(1968, 2, 29), "M", categories=())
    c.persons["chief_wife"] = add_person(
        session, v0, "刘桂兰", date(1970, 8, 8), "F", household=c.persons["chief"].household
    )
    session.add(Relation(person=c.persons["chief"], relative=c.persons["chief_wife"], kind="配偶"))
    session.add(
        Cadre(
            person=c.persons["chief"],
            village=v0,
            office="村委会主任",
            term_start=date(2021, 1, 1),
            term_end=date(2026, 12, 31),
        )
    )
    session.flush()
    users = {
        "admin": ("county_admin", county, None),
        "town": ("township_clerk", townships[0], None),
        "town2": ("township_clerk", townships[0], None),
        "otherTown": ("township_clerk", townships[1], None),
        "village": ("village_clerk", v0, None),
        "inspector": ("inspector", county, None),
        "holder": ("holder", None, c.persons["wang"]),
        "holder2": ("holder", None, c.persons["zhao"]),
    }
    for username, (role, region, person) in users.items():
        c.users[username] = create_user(
            session,
            "测试",
            username=username,
            password=PASSWORD,
            display_name=username,
            role=role,
            region=region,
            person=person,
        )
    return c
