"""The demo picks the village for its recruitments under way (pwposts/demo/recruitment.py,
_recruiting_village) with the eligibility engine's facts gathered once for every village's candidates:
the same village, the same qualified and refused persons as asking the engine village by village."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from pwposts import demo
from pwposts.demo.recruitment import _recruiting_village
from pwposts.models.accounts import User
from pwposts.models.people import Person, PersonCategory, Region
from pwposts.models.policy import Fund
from pwposts.models.posts import Post
from pwposts.services import hiring


def _village_by_village(session, villages, used, fund, on):
    """The engine asked for each village in turn (a trial post there), its first 40 adults in a category."""
    best = (None, [], [])
    for village in villages:
        if village.id in used:
            continue
        trial = Post(village=village, village_id=village.id, fund=fund, fund_id=fund.id)
        people = session.scalars(
            select(Person)
            .where(
                Person.village_id == village.id,
                Person.death_date.is_(None),
                Person.id.in_(select(PersonCategory.person_id)),
                Person.birth_date <= date(on.year - 18, 1, 1),
                Person.birth_date >= date(on.year - 60, 1, 1),
            )
            .order_by(Person.work_capacity.desc(), Person.id)
            .limit(40)
        ).all()
        verdicts = list(zip(people, hiring.eligibility_for_many(session, people, trial, on), strict=True))
        ok = [p for p, failures in verdicts if not failures]
        if len(ok) > len(best[1]):
            best = (village, ok, [p for p, failures in verdicts if failures])
    return best


def _ids(best):
    village, ok, refused = best
    return (village.id if village else None, [p.id for p in ok], [p.id for p in refused])


def test_one_gathering_picks_what_the_engine_picks_village_by_village(session, today):
    demo.generate_county(session, seed=2026, persons=2000, today=today)
    session.flush()
    clerk = session.scalar(select(User).where(User.username == "township1"))
    fund = session.scalar(
        select(Fund)
        .where(Fund.year == today.year, Fund.restricts_categories.is_(False))
        .order_by(Fund.allocation_fen.desc())
    )
    villages = session.scalars(
        select(Region).where(Region.parent_id == clerk.region_id).order_by(Region.code)
    ).all()
    refused = 0
    for on in (today - timedelta(days=41), today - timedelta(days=20), today - timedelta(days=400)):
        used: set[int] = set()
        for _ in range(min(3, len(villages))):
            picked = _ids(_recruiting_village(session, villages, used, fund, on))
            assert picked == _ids(_village_by_village(session, villages, used, fund, on))
            assert picked[0] is not None and picked[1]
            refused += len(picked[2])
            used.add(picked[0])
    assert refused > 0  # the engine refused some: the verdicts, not just the counts, are compared
