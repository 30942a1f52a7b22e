"""The demo history's posts: how many in each village, their texts, funds and states (run by
history.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from ..domain.people import age_on
from .history_state import HISTORY_FROM, _day, _History, _Post, _weighted
from .history_texts import (
    CATEGORY_WEIGHTS,
    DEVIATION_REASONS,
    DUTIES,
    FUND_WEIGHTS,
    HEADCOUNTS,
    HOURS,
    NEED_POOL,
    NEED_WHY,
    PENDING_REASONS,
    PLACES,
    REJECT_REASONS,
    TITLES,
)

# ---------------------------------------------------------------------------------------------
# Posts
# ---------------------------------------------------------------------------------------------


def _pool(h: _History, v, on: date) -> list:
    """Adults of the village who could hold a post on `on` (the need a post is set for)."""
    out = []
    for p in v.persons:
        if not (h.alive(p, on) and 18 <= age_on(p.birth, on) <= 65 and h.has_category(p, on)):
            continue
        if h.cadre_family(p, on):
            continue  # a cadre in office or a cadre's family member
        out.append(p)
    return out


def _texts(h: _History, post: _Post, pool: list) -> None:
    rng, v = h.rng, post.village
    g = [f"{n}组" for n in ("一", "二", "三", "四", "五", "六", "七", "八")[: max(2, min(8, v.groups))]]
    g1, g2 = rng.sample(g, 2)
    if v.id not in h.village_counts:  # the village's people as they stand today (no draws)
        h.village_counts[v.id] = (
            max(3, sum(1 for p in v.persons if p.age >= 60)),
            max(3, sum(1 for p in v.persons if p.age < 14)),
            max(1, sum(1 for p in v.persons if any(c[0] == "持证残疾人" for c in p.categories))),
        )
    old, kids, disabled = h.village_counts[v.id]
    fill = {
        "village": v.name,
        "g1": g1,
        "g2": g2,
        "groups": v.groups,
        "km": rng.randint(3, 18),
        "mu": rng.randrange(800, 9000, 100),
        "households": max(12, len(v.households)),
        "lamps": rng.randrange(40, 220, 10),
        "old": old,
        "alone": rng.randint(2, 15),
        "kids": kids,
        "disabled": disabled,
    }
    post.work_place = rng.choice(PLACES[post.cat]).format(**fill)
    post.duties = rng.choice(DUTIES[post.cat]).format(place=post.work_place)
    post.hours = rng.choice(HOURS[post.cat])
    cannot = sum(1 for p in pool if p.cannot_leave_home)
    post.eligible_pool = max(cannot, min(len(pool), post.headcount + rng.randint(1, 6)))
    why = rng.choice(NEED_WHY[post.cat]).format(**fill)
    post.need_text = f"{why}。" + rng.choice(NEED_POOL).format(
        pool=post.eligible_pool, headcount=post.headcount
    )


def _choose_fund(h: _History, post_cost: int, pool: list, budget: dict) -> str:
    """A fund with room in its 2026 allocation; 光伏收益 only where 脱贫/监测 people are enough."""
    rng = h.rng
    restricted_ok = (
        sum(
            1
            for p in pool
            if any(c[0] in ("脱贫人口", "防止返贫监测对象") and c[2] is None for c in p.categories)
        )
        >= 4
    )
    options = [
        (n, w) for n, w in FUND_WEIGHTS if budget[n] >= post_cost and (n != "光伏收益" or restricted_ok)
    ]
    name = _weighted(rng, options) if options else max(budget, key=lambda n: budget[n])
    budget[name] -= post_cost
    return name


def _steady_people(h: _History, town, until_election: bool = False) -> list[tuple[date, object]]:
    """(since, person): people of the township who stay eligible from `since` until today — an
    open-ended category begun, every cadre office in the family ended and none serving now, no other
    employment, an own account — early enough for a recruitment and some paid months.
    until_election: (for counties too small to have such people) eligible from 2024 until a relative
    takes office at the 2026 换届, after the first paid months of late 2025."""
    latest = h.today - timedelta(days=200)
    found = []
    for v in town.villages:
        for p in v.persons:
            if (
                p.death_date is not None
                or not h.own_account(p)
                or h.employment.get(p.id_number)
                or not 22 <= p.age <= 62
            ):
                continue
            opened = [s for _, s, e in p.categories if e is None]
            ties = h.cadre_ties(p)
            if not opened:
                continue
            if until_election:
                since = max(HISTORY_FROM, min(opened))
                if any(
                    t.term_start <= date(2025, 12, 31) and (t.term_end is None or t.term_end >= since)
                    for t in ties
                ) or since > date(2024, 6, 30):
                    continue
                found.append((since, p))
                continue
            if any(t.term_end is None or t.term_end >= h.today for t in ties):
                continue
            since = max([HISTORY_FROM, min(opened)] + [t.term_end + timedelta(days=1) for t in ties])
            if since <= latest:
                found.append((since, p))
    return found


def _plan_holder1(h: _History) -> None:
    """The holder1 login must show a populated portal: its township is 城关镇 when a person there stays
    eligible since early on, else the township with the earliest such person; that person's village gets
    the township's first post just after `since`, which hires them, and renewals keep them. The logins'
    township is put first in b.townships (township1; the others are township2 … in order)."""
    towns = h.b.townships
    best = None
    for until_election in (False, True):
        for i, town in enumerate(towns):
            found = _steady_people(h, town, until_election)
            if not found:
                continue
            first = min(since for since, _ in found)
            if best is None or first < best[0] or (i == 0 and first <= date(2025, 1, 1)):
                best = (first, town, found)
            if i == 0 and first <= date(2025, 1, 1):
                break
        if best is not None:
            break
    if best is None:
        return
    first, town, found = best
    h.holder1 = h.rng.choice([p for since, p in found if since <= max(first, date(2024, 3, 1))])
    h.holder1_from = next(since for since, p in found if p is h.holder1)
    towns.remove(town)
    towns.insert(0, town)


def generate_posts(h: _History) -> None:
    """Posts in every township, about one per 15–25 eligible adults, spread over 2024–2026."""
    b, rng, today = h.b, h.rng, h.today
    last_created = today - timedelta(days=45)
    years = [y for y in (2024, 2025, 2026) if date(y, 1, 10) <= last_created]
    if not years:
        return
    budget = {}
    for name, _w in FUND_WEIGHTS:
        f = h.fund(name, 2026) or h.fund(name, 2025)
        budget[name] = int(f["allocation_fen"] / 12 * 0.85) if f else 0
    for t_index, town in enumerate(b.townships):
        pools = {v.id: _pool(h, v, today) for v in town.villages}
        total = sum(len(p) for p in pools.values())
        n_posts = max(1, round(total / rng.uniform(15, 25)))
        per_village = defaultdict(int)
        weights = [len(pools[v.id]) for v in town.villages]
        biggest = max(town.villages, key=lambda v: (v.name.endswith("村"), len(v.persons)))
        if t_index == 0 and h.holder1 is not None:
            biggest = h.holder1.village
        if t_index == 0:  # the demo logins' township: its largest village surely has posts with history
            per_village[biggest.id] += 2
            n_posts = max(1, n_posts - 2)
        if sum(weights) == 0:
            weights = [1] * len(town.villages)
        for _ in range(n_posts):
            adjusted = [
                w / (1 + per_village[v.id]) ** 1.5 for v, w in zip(town.villages, weights, strict=False)
            ]
            v = rng.choices(town.villages, weights=adjusted)[0]
            per_village[v.id] += 1
        for v in town.villages:
            for k in range(per_village[v.id]):
                pool = pools[v.id]
                cat = _weighted(rng, CATEGORY_WEIGHTS)
                headcount = min(_weighted(rng, HEADCOUNTS), max(1, len(pool) // 4))
                if t_index == 0 and v is biggest and k < 2:
                    year = years[0] if k == 0 else years[min(1, len(years) - 1)]
                else:
                    year = rng.choices(years, weights=[45, 35, 20][: len(years)])[0]
                lo = max(HISTORY_FROM, date(year, 1, 10))
                hi = min(date(year, 12, 15), last_created)
                created = _day(rng, lo, hi)
                forced = t_index == 0 and v is biggest and k == 0 and h.holder1 is not None
                if forced:
                    created = min(h.holder1_from + timedelta(days=rng.randint(0, 20)), last_created)
                std = h.standard_on(cat, created)
                cost = headcount * (std["monthly_allowance_fen"] + std["perf_excellent_fen"])
                fund_name = _choose_fund(h, cost, pool, budget)
                if forced:
                    fund_name = FUND_WEIGHTS[0][0]  # no category restriction for the holder1 post
                pid = b.new_id("post")
                post = _Post(
                    pid, "", rng.choice(TITLES[cat]), v, cat, headcount, fund_name, 0, created, "live"
                )
                if forced:
                    post.forced_hire = h.holder1
                post.contract_kind = "劳动合同" if std["full_time"] and rng.random() < 0.7 else "劳务协议"
                _texts(h, post, pool)
                h.posts.append(post)
    _plan_post_states(h)


def _finish_posts(h: _History) -> None:
    """Funds of the creation year (2024 posts: the 2025 line of the same fund, the first in the
    county's books) and codes in creation order within a village and year
    (services/posts/lookups._next_code)."""
    for post in h.posts:
        year = max(2025, min(2026, post.created_on.year))
        fund = h.fund(post.fund_name, year) or h.fund(post.fund_name, 2026) or h.fund(post.fund_name, 2025)
        post.fund_id = fund["id"]
    by_key = defaultdict(list)
    for post in h.posts:
        by_key[(post.village.id, post.created_on.year)].append(post)
    for (_vid, year), posts in by_key.items():
        for n, post in enumerate(sorted(posts, key=lambda p: (p.created_on, p.id)), start=1):
            post.code = f"{post.village.code}-{year}-{n:03d}"


def _plan_post_states(h: _History) -> None:
    """Most posts are approved and recruit; a few wait for the county (draft, submitted, one or two with
    a deviation pending), one is rejected, one closed; a handful carry an approved deviation."""
    rng, today = h.rng, h.today
    posts = h.posts
    n = len(posts)
    # recently created posts first; older ones (not yet simulated) are re-dated when a county has too few
    is_recent = {
        p.id: p.created_on.year == today.year or p.created_on >= today - timedelta(days=200) for p in posts
    }
    recent = [p for p in posts if is_recent[p.id]]
    older = [p for p in posts if not is_recent[p.id]]
    rng.shuffle(recent)
    rng.shuffle(older)
    recent = [
        p
        for p in recent + older
        if p.forced_hire is None and not (p.village.township is h.b.townships[0] and p.created_on.year < 2026)
    ]

    def take(k):
        out = recent[:k]
        del recent[:k]
        return out

    for p in take(max(1, n // 100)):
        p.plan = "draft"
        p.created_on = _day(rng, today - timedelta(days=20), today - timedelta(days=2))
    pending_dev = 1 if n < 100 else 2
    for i, p in enumerate(take(max(1, n // 70) + pending_dev)):
        p.plan = "submitted"
        p.created_on = _day(rng, today - timedelta(days=40), today - timedelta(days=8))
        p.submitted_on = p.created_on + timedelta(days=rng.randint(1, 6))
        if i < pending_dev:
            std = h.standard_on(p.cat, p.submitted_on)
            p.deviation = (
                int(round(std["monthly_allowance_fen"] * 1.3, -3)),
                std["required_days"],
                rng.choice(PENDING_REASONS),
                "pending",
            )
    for p in take(1 if n >= 15 else 0):
        p.plan = "rejected"
        p.created_on = _day(rng, today - timedelta(days=90), today - timedelta(days=45))
        p.submitted_on = p.created_on + timedelta(days=rng.randint(1, 5))
        p.decided_on = p.submitted_on + timedelta(days=rng.randint(3, 12))
        p.decision_reason = rng.choice(REJECT_REASONS)
    first_year = [
        p
        for p in posts
        if p.plan == "live"
        and p.created_on.year == 2024
        and p.headcount == 1
        and p.village.township is not h.b.townships[0]
    ]
    if n >= 20 and first_year:
        rng.choice(first_year).plan = "closed"
    live = [p for p in posts if p.plan in ("live", "closed")]
    for p in live:
        p.submitted_on = p.created_on + timedelta(days=rng.randint(1, 7))
        p.decided_on = min(p.submitted_on + timedelta(days=rng.randint(3, 15)), today - timedelta(days=1))
    candidates = [p for p in live if p.plan == "live" and p.cat in DEVIATION_REASONS]
    for p in rng.sample(candidates, min(len(candidates), max(2, n // 150))):
        std = h.standard_on(p.cat, p.created_on)
        reason, factor, days = DEVIATION_REASONS[p.cat]
        p.deviation = (
            int(round(std["monthly_allowance_fen"] * factor, -3)),
            std["required_days"] + days,
            reason,
            "approved",
        )
