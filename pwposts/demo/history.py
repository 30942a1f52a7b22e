"""`pwposts demo`, part two: the demo county's history (called by demo.generate_county).

Posts in every township, several years of recruitment (notices, applications with the eligibility
engine's own failures, 公示, objections, hires), one-year contracts with insurance, renewals,
annual grades and exits, then attendance, monthly grades and payroll for the last 13 ended months.
Everything is built in memory with explicit ids and inserted table by table (executemany), like
the registry in county.py, so 50,000 persons stay well under a minute.

Holders are chosen the way the services choose them: domain.hiring.check_eligibility on facts
gathered exactly as services.hiring.gather_facts gathers them (relations either way, household
members, cadre offices, imported employment, active contracts and pending hires), at the entry
date, again at publication and at the hiring date, and again (ignoring the contract being
renewed) before each renewal. Contract terms are copied from the post as services.contracts does;
each signing ends at the latest on domain.contracts.latest_end(start). Payment lines are
domain.payroll.compute_line of their stored inputs, for exactly the contracts and days
services.pay would take (so a preview stays "not stale" and approving it works).

Deliberate anomaly seeds for the oversight rules, and nothing else that breaks a rule:
- ANOMALY SEED CADRE_KIN: one serving 党组织书记's relative (married daughter or the like) is hired
  although the cadre-kin rule refuses her (her application is stored as hired, without failures);
- ANOMALY SEED PAID_AFTER_DEATH: one holder's death is recorded in the registry, but no exit was
  made and attendance and pay continue for the months after the death.
Both are listed in the counts (anomaly_*) the generator returns.

Choices worth knowing:
- Users: every payroll run is prepared by its township's clerk and approved by someone else (the
  county admin; in the logins' township the second clerk township1b). The month before today's month
  is left as work: a preview prepared by township1b in township1's township (township1 may approve
  it), nothing prepared yet in township2's (attendance partly draft), approved but not yet paid in
  township3's; every earlier month is paid (a few lines paid on a second bank batch, two still failed).
- The logins' township is 城关镇 unless, in a very small county, nobody there stays eligible after
  the 2026 换届; then it is the township with the person eligible longest (put first in b.townships).
- Posts proposed in 2024 carry the 2025 line of their fund (the policy has no 2024 funds); payroll
  charges each month to the fund of the same name for its year, as services.pay does.
- The revised standards of 2026 (保洁, 护路): a live post shows the standard in force today; each
  signing copies the post's terms for its start date, so signings of 2025 keep the old allowance.
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..domain.contracts import latest_end
from ..domain.formats import month_bounds
from ..domain.hiring import (
    ApplicantFacts,
    EligibilityRules,
    Employment,
    HeldPost,
    check_eligibility,
    next_working_day,
    priority_key,
    publicity_period,
    split_held,
    tie_labels,
)
from ..domain.hiring import cadre_ties as cadre_ties_of
from ..domain.payroll import bank_reference, compute_line, correction_limit_fen, covered_days, money
from ..domain.people import age_on, inverse_kind
from ..domain.posts import staffing_state
from ..domain.roles import TOWNSHIP_CLERK
from ..domain.settings import BY_KEY
from ..models.accounts import User
from ..models.contracts import Assessment, Contract, InsurancePolicy
from ..models.hiring import Application, Notice, Objection, Publicity
from ..models.pay import AttendanceRecord, Payment, PayrollRun
from ..models.people import Person
from ..models.posts import Post
from ..services import audit
from .bulk import insert_rows, sync_sequences
from .history_texts import (
    ATTENDANCE_NOTES,
    BANK_FAILURES,
    CATEGORY_WEIGHTS,
    DEVIATION_REASONS,
    DUTIES,
    FUND_WEIGHTS,
    HEADCOUNTS,
    HOURS,
    INSURERS,
    NEED_POOL,
    NEED_WHY,
    OBJECTION_UPHELD,
    OBJECTIONS_REJECTED,
    PENDING_REASONS,
    PLACES,
    RANDOM_EXITS,
    REJECT_REASONS,
    TITLES,
    TOWN_LANDLINE,
)

HISTORY_FROM = date(2024, 2, 1)  # the first posts are proposed in early 2024 (standards from 2024-01-01)
PAY_MONTHS = 13  # attendance, grades and payroll for the last 13 ended months (late 2025 and 2026)
NOTICE_DAYS = 14
PUBLICITY_DAYS = int(BY_KEY["publicity_working_days"].default)
RULES = EligibilityRules(age_cap=None, household_limit=int(BY_KEY["household_post_limit"].default))

HISTORY_MODELS = {
    "post": Post,
    "notice": Notice,
    "publicity": Publicity,
    "application": Application,
    "objection": Objection,
    "contract": Contract,
    "insurance_policy": InsurancePolicy,
    "assessment": Assessment,
    "attendance_record": AttendanceRecord,
    "payroll_run": PayrollRun,
    "payment": Payment,
}


def _day(rng, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _at(rng, d: date, hour_from: int = 8, hour_to: int = 17) -> datetime:
    """A Beijing office-hours moment on `d`, stored as naive UTC."""
    local = datetime(
        d.year, d.month, d.day, rng.randint(hour_from, hour_to), rng.randrange(60), rng.randrange(60)
    )
    return local - timedelta(hours=8)


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _add_months(month: str, n: int) -> str:
    y, m = (int(x) for x in month.split("-"))
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


# ---------------------------------------------------------------------------------------------
# In-memory state
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Post:
    id: int
    code: str
    title: str
    village: object
    cat: str  # category code
    headcount: int
    fund_name: str
    fund_id: int
    created_on: date
    plan: str  # live / draft / submitted / rejected / closed
    submitted_on: date | None = None
    decided_on: date | None = None
    duties: str = ""
    work_place: str = ""
    hours: str = ""
    need_text: str = ""
    eligible_pool: int | None = None
    deviation: tuple | None = None  # (allowance_fen, days, reason, status)
    decision_reason: str | None = None
    contract_kind: str = "劳务协议"
    seats_free: list = field(default_factory=list)  # a date per vacant seat (free from)
    busy_until: date | None = None  # a recruitment in progress until then (date.max: still open today)
    noticed: bool = False
    closed_on: date | None = None
    forced_hire: object = None  # ANOMALY SEED CADRE_KIN: the person hired despite the rule

    @property
    def township(self):
        return self.village.township


@dataclass(eq=False)
class _Contract:
    id: int
    code: str
    person: object
    post: _Post
    app_id: int | None
    prev: _Contract | None
    start: date
    end: date
    signed_on: date
    allowance: int
    days: int
    full_time: bool
    perf_e: int
    perf_p: int
    status: str = "draft"
    activated_on: date | None = None
    exit_on: date | None = None
    end_reason: str | None = None

    @property
    def last_day(self) -> date:
        return self.exit_on or self.end


@dataclass(eq=False)
class _Tenure:
    """One person holding one seat of a post, from the hire through renewals to the exit."""

    person: object
    post: _Post
    app_id: int
    hire: date
    last: date | None = None  # None: still holding (or hired) today
    contracts: list = field(default_factory=list)

    def holds(self, d: date) -> bool:
        return self.hire <= d and (self.last is None or d <= self.last)

    def busy_after(self, d: date) -> bool:
        """Holding on `d` or at any time after it (a hire already decided for a later date counts)."""
        return self.last is None or self.last >= d

    def active_contract(self, d: date):
        found = None
        for c in self.contracts:
            if c.activated_on is not None and c.activated_on <= d:
                found = c
        return found


class _History:
    def __init__(self, session: Session, b, tables: dict, users: dict):
        self.session = session
        self.b = b
        self.rng = b.rng
        self.today = b.today
        self.users = users
        self.village_counts: dict[int, tuple[int, int, int]] = {}  # _texts: (old, kids, disabled)
        self.account_holders: dict[int, list] = {}  # own_accounts
        self.rows = {name: [] for name in HISTORY_MODELS}
        # policy
        self.cat_id = {r["code"]: r["id"] for r in tables["post_category"]}
        self.cat_name = {r["code"]: r["name"] for r in tables["post_category"]}
        code_of = {r["id"]: r["code"] for r in tables["post_category"]}
        self.standards = defaultdict(list)
        for s in tables["standard"]:
            self.standards[code_of[s["category_id"]]].append(s)
        fund_cats = defaultdict(list)
        for fc in tables["fund_category"]:
            fund_cats[fc["fund_id"]].append(fc["category"])
        self.funds = {
            (f["name"], f["year"]): dict(f, categories=tuple(fund_cats[f["id"]])) for f in tables["fund"]
        }
        # the calendar the service counts with: the national one (chinesecalendar) under the county's own days
        from ..domain.national_calendar import national_exceptions

        days = [h["day"] for h in tables["holiday"]]
        first = date(min(days).year - 3, 1, 1) if days else date(2020, 1, 1)
        last = date(max(days).year + 1, 12, 31) if days else date(2030, 12, 31)
        self.exceptions = national_exceptions(first, last)
        self.exceptions.update({h["day"]: h["is_workday"] for h in tables["holiday"]})
        # registry indexes (the facts services.hiring.gather_facts collects)
        self.relatives = defaultdict(list)  # (relative, kind seen from the person), for the planning
        self.relation_rows = defaultdict(list)  # the stored (person_id, relative_id, kind) rows touching one
        for a, r, kind in b.relations:
            self.relatives[a].append((r, kind))
            self.relatives[r].append((a, inverse_kind(kind)))
            self.relation_rows[a].append((a, r, kind))
            self.relation_rows[r].append((a, r, kind))
        self.cadre_rows = defaultdict(list)
        for i, (p, v, office, start, end) in enumerate(b.cadres):
            self.cadre_rows[p.id].append((i, p, v, office, start, end))
        self.employment = defaultdict(list)
        for e in sorted(b.employment, key=lambda e: e["start_on"]):
            self.employment[e["id_number"]].append(
                Employment(e["employer"], e["start_on"], e["end_on"], e["full_time"])
            )
        self._ties: dict[int, tuple] = {}
        self.holdings: dict[int, list[_Tenure]] = defaultdict(list)
        self.blacklist: set[int] = set()
        self.cadre_kin_seed: set[int] = set()
        self.posts: list[_Post] = []
        self.contracts: list[_Contract] = []
        self.tenures: list[_Tenure] = []
        self.processed_villages: set[int] = set()
        self.plans = {"upheld": None, "rejected": []}
        self.counts = defaultdict(int)
        self.seed_contract: _Contract | None = None
        self.holder1 = None  # the person the holder1 login will be: hired early, eligible throughout
        self.holder1_from = HISTORY_FROM

    # ---- policy look-ups -------------------------------------------------------------------

    def standard_on(self, cat: str, d: date) -> dict:
        best = None
        for s in self.standards[cat]:
            in_force = s["effective_from"] <= d and (s["effective_to"] is None or d <= s["effective_to"])
            if in_force and (best is None or s["effective_from"] > best["effective_from"]):
                best = s
        return best or min(self.standards[cat], key=lambda s: s["effective_from"])

    def terms_on(self, post: _Post, d: date) -> tuple[dict, int, int]:
        """(standard, allowance, required days) of the post on `d` (services copy these at signing)."""
        std = self.standard_on(post.cat, d)
        if post.deviation is not None:
            return std, post.deviation[0], post.deviation[1]
        return std, std["monthly_allowance_fen"], std["required_days"]

    def fund(self, name: str, year: int) -> dict | None:
        return self.funds.get((name, year))

    def post_fund(self, post: _Post) -> dict:
        return next(f for f in self.funds.values() if f["id"] == post.fund_id)

    # ---- eligibility, exactly as the hiring service gathers it --------------------------------

    def cadre_ties(self, p) -> tuple:
        """The CadreTie facts of `p`, labelled and ordered by the hiring rules' own builders."""
        cached = self._ties.get(p.id)
        if cached is not None:
            return cached
        members = [m.id for m in p.household.members if m is not p]
        ties = tie_labels(p.id, self.relation_rows.get(p.id, ()), members)
        rows = sorted((row for pid in ties for row in self.cadre_rows.get(pid, ())), key=lambda r: r[0])
        result = cadre_ties_of(
            ties, [(cp.id, cp.name, office, v.name, start, end) for _i, cp, v, office, start, end in rows]
        )
        self._ties[p.id] = result
        return result

    def held(self, persons, state: date) -> tuple[list, list]:
        """(person_id, HeldPost) of the persons' active contracts (contract order) and pending hires
        (application order) on `state`, as the hiring service's two queries return them."""
        active, pending = [], []
        for p in persons:
            for t in self.holdings.get(p.id, ()):
                if not t.holds(state):
                    continue
                c = t.active_contract(state)
                if c is not None:
                    active.append((c.id, p.id, HeldPost(p.name, t.post.title, c.id, t.post.id)))
                else:
                    pending.append((t.app_id, p.id, HeldPost(p.name, t.post.title, None, t.post.id)))
        active.sort(key=lambda x: x[0])
        pending.sort(key=lambda x: x[0])
        return [(pid, h) for _k, pid, h in active], [(pid, h) for _k, pid, h in pending]

    def facts(self, p, post: _Post, on: date, state: date) -> ApplicantFacts:
        home = p.household.village
        fund = self.post_fund(post)
        others = [m for m in p.household.members if m is not p]
        own, household = split_held(p.id, post.id, *self.held([p, *others], state))
        return ApplicantFacts(
            name=p.name,
            birth_date=p.birth,
            sex=p.sex,
            household_village_id=home.id,
            household_village_name=home.name,
            post_village_id=post.village.id,
            post_village_name=post.village.name,
            dead=p.death_date is not None and p.death_date <= on,
            death_date=p.death_date,
            category_spans=tuple((c, s, e) for c, s, e in p.categories),
            fund_name=fund["name"],
            fund_restricts=fund["restricts_categories"],
            fund_categories=fund["categories"],
            held_posts=own,
            household_held_posts=household,
            cadre_ties=self.cadre_ties(p),
            employments=tuple(self.employment.get(p.id_number, ())),
        )

    def check(self, p, post: _Post, on: date, state: date | None = None, ignore: int | None = None) -> list:
        failures = check_eligibility(
            self.facts(p, post, on, state or on), on, RULES, ignore_contract_id=ignore
        )
        if p.id in self.cadre_kin_seed:  # ANOMALY SEED CADRE_KIN: the relation was not checked
            failures = [f for f in failures if f.code != "cadre_kin"]
        return failures

    def busy(self, p, d: date) -> bool:
        """The person or a household member holds (or has been hired for) a post on or after `d`."""
        for m in p.household.members:
            for t in self.holdings.get(m.id, ()):
                if t.busy_after(d):
                    return True
        return False

    @staticmethod
    def has_category(p, d: date) -> bool:
        if age_on(p.birth, d) >= (45 if p.sex == "F" else 50):
            return True
        return any(s <= d and (e is None or d <= e) for _, s, e in p.categories)

    @staticmethod
    def own_account(p) -> bool:
        return bool(p.account_no) and p.account_name == p.name

    def own_accounts(self, v) -> list:
        """The village's persons with an own account, in order (likely()'s first test; the accounts are
        settled before the history begins), listed once per village."""
        found = self.account_holders.get(v.id)
        if found is None:
            found = self.account_holders[v.id] = [p for p in v.persons if self.own_account(p)]
        return found

    def alive(self, p, d: date) -> bool:
        return p.death_date is None or p.death_date > d

    def cadre_family(self, p, d: date) -> bool:
        """A cadre in office on `d`, or a family member of one (what the cadre_kin rule refuses)."""
        return any(t.term_start <= d and (t.term_end is None or d <= t.term_end) for t in self.cadre_ties(p))

    def likely(self, p, d: date, restricted: tuple = (), kin_ok: bool = False, post=None) -> bool:
        """A plausible applicant on `d`: adult, alive, in a category (the fund's, if it restricts them),
        free, with an own account, not a cadre's family (HR knows its cadres)."""
        # the same conditions as ever, the cheapest and most selective first (all pure: no draws)
        if not (p.account_no and p.account_name == p.name):  # own_account
            return False
        if p.death_date is not None and p.death_date <= d:  # alive
            return False
        age = age_on(p.birth, d)
        if not 18 <= age <= 68 or p.id in self.blacklist:
            return False
        if age < (45 if p.sex == "F" else 50) and not any(  # has_category
            s <= d and (e is None or d <= e) for _, s, e in p.categories
        ):
            return False
        if self.busy(p, d):
            return False
        if (
            self.holder1 is not None
            and p.household is self.holder1.household
            and (post is None or post.forced_hire is not self.holder1)
        ):
            return False  # kept free for the holder1 post
        if restricted and not any(
            c in restricted and s <= d and (e is None or d <= e) for c, s, e in p.categories
        ):
            return False
        return kin_ok or not self.cadre_family(p, d)

    # ---- users -----------------------------------------------------------------------------

    def clerk(self, post_or_town) -> int:
        town = post_or_town.township if isinstance(post_or_town, _Post) else post_or_town
        return self.users["clerk"][town.id]


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


# ---------------------------------------------------------------------------------------------
# Recruitment and tenures (one village at a time, in date order)
# ---------------------------------------------------------------------------------------------


def _plan_cadre_kin_seed(h: _History) -> None:
    """ANOMALY SEED CADRE_KIN: pick one serving 书记's relative who is otherwise eligible, and a post of
    that village created after the term began, whose first hire will be that relative."""
    rng, today = h.rng, h.today
    for v in h.b.villages[len(h.b.villages) // 2 :] + h.b.villages[: len(h.b.villages) // 2]:
        if v.township is h.b.townships[0]:
            continue
        secretary = v.cadres.get("党组织书记")
        if secretary is None:
            continue
        term = next(
            (c for c in h.b.cadres if c[0] is secretary and c[2] == "党组织书记" and c[3] <= today <= c[4]),
            None,
        )
        if term is None or term[3] > today - timedelta(days=150):
            continue
        hire_on = term[3] + timedelta(days=60)
        kin = [
            h.b.persons_by_id[pid]
            for pid, kind in h.relatives.get(secretary.id, ())
            if kind in ("子女", "儿媳女婿")
        ]
        for k in kin:
            if k.village is not v or not h.likely(k, hire_on, kin_ok=True) or k.death_date is not None:
                continue
            post = next(
                (
                    p
                    for p in h.posts
                    if p.village is v and p.plan == "live" and p.headcount == 1 and p.fund_name != "光伏收益"
                ),
                None,
            )
            if post is None:
                continue
            post.created_on = term[3] + timedelta(days=rng.randint(10, 20))
            post.submitted_on = post.created_on + timedelta(days=2)
            post.decided_on = post.submitted_on + timedelta(days=5)
            post.forced_hire = k
            h.cadre_kin_seed.add(k.id)
            h.counts["anomaly_cadre_kin"] = 1
            return


def simulate(h: _History) -> None:
    rng, today = h.rng, h.today
    by_village = defaultdict(list)
    for p in h.posts:
        by_village[p.village.id].append(p)
    seq = 0
    for v in h.b.villages:
        heap = []
        for post in by_village.get(v.id, ()):
            if post.plan not in ("live", "closed"):
                continue
            post.seats_free = [post.decided_on] * post.headcount
            d0 = post.decided_on + timedelta(days=rng.randint(3, 20))
            seq += 1
            heapq.heappush(heap, (d0, seq, post))
        while heap:
            d0, _s, post = heapq.heappop(heap)
            if d0 > today or post.closed_on is not None:
                continue
            if post.busy_until is not None and post.busy_until >= d0:
                if post.busy_until != date.max:
                    seq += 1
                    heapq.heappush(heap, (post.busy_until + timedelta(days=rng.randint(5, 20)), seq, post))
                continue
            places = sum(1 for f in post.seats_free if f is not None and f <= d0)
            if places == 0:
                continue
            for when in _recruit(h, post, d0, places):
                seq += 1
                heapq.heappush(heap, (when, seq, post))
        h.processed_villages.add(v.id)


def _applicants(h: _History, post: _Post, d0: date, places: int) -> list:
    rng, v = h.rng, post.village
    fund = h.post_fund(post)
    restricted = fund["categories"] if fund["restricts_categories"] and h.rng.random() < 0.9 else ()
    pool = [p for p in h.own_accounts(v) if h.likely(p, d0, restricted, post=post)]
    k = min(len(pool), places + rng.randint(1, 3) + (1 if rng.random() < 0.3 else 0))
    chosen = rng.sample(pool, k)
    if post.forced_hire is not None and post.forced_hire not in chosen:
        chosen.insert(0, post.forced_hire)
    if rng.random() < 0.35:  # someone who will be refused, with the engine's reasons
        others = [
            p
            for p in v.persons
            if p not in chosen and h.alive(p, d0) and age_on(p.birth, d0) >= 18 and not h.likely(p, d0)
        ]
        if others:
            chosen.append(rng.choice(others))
    if rng.random() < 0.06:  # from a neighbouring village (not 本村户籍)
        near = [x for x in v.township.villages if x is not v and x.id in h.processed_villages]
        if near:
            other = rng.choice(near)
            adults = [p for p in other.persons if h.alive(p, d0) and 18 <= age_on(p.birth, d0) <= 60]
            if adults:
                chosen.append(rng.choice(adults))
    if rng.random() < 0.02:
        young = [p for p in v.persons if age_on(p.birth, d0) == 15 and p not in chosen]
        if young:
            chosen.append(rng.choice(young))
    return chosen


def _period(h: _History, published: date) -> tuple[date, date]:
    """The 公示 period as the service counts it (domain.hiring.publicity_period over the county calendar)."""
    return publicity_period(published, PUBLICITY_DAYS, h.exceptions)


def _recruit(h: _History, post: _Post, d0: date, places: int) -> list[date]:
    """One recruitment (公告 → applications → 公示 → hire) for `places` seats; returns dates to try again."""
    b, rng, today = h.b, h.rng, h.today
    town = post.township
    clerk = h.clerk(post)
    post.noticed = True
    notice_id = b.new_id("notice")
    end_on = d0 + timedelta(days=NOTICE_DAYS)
    fund = h.post_fund(post)
    restricted = (
        "，资金来源为光伏收益，限脱贫人口、防止返贫监测对象报名" if fund["restricts_categories"] else ""
    )
    notice = {
        "id": notice_id,
        "post_id": post.id,
        "title": f"{post.village.name}{post.title}招聘公告",
        "conditions": "本村户籍、年满16周岁，属于脱贫人口、防止返贫监测对象、"
        f"农村低收入人口等帮扶类别{restricted}；"
        f"身体能胜任{h.cat_name[post.cat]}工作，弱劳力、半劳力和无法离乡人员优先；"
        "村干部及其家庭成员不得报名，已在其他公益性岗位的不得报名。",
        "places": places,
        "start_on": d0,
        "end_on": end_on,
        "contact": f"{town.name}人力资源和社会保障服务中心，"
        f"电话{TOWN_LANDLINE}{town.code[6:9]}{post.village.code[-4:]}",
        "status": "open",
        "published_by_id": clerk,
        "published_at": _at(rng, d0),
    }
    h.rows["notice"].append(notice)
    retry = []
    # applications, each checked by the engine on its entry date
    people = _applicants(h, post, d0, places)
    entries = sorted(
        ((_day(rng, d0, min(end_on, today)), i, p) for i, p in enumerate(people)), key=lambda e: (e[0], e[1])
    )
    apps = []
    for entered, _i, p in entries:
        failures = h.check(p, post, entered)
        app = {
            "id": b.new_id("application"),
            "notice_id": notice_id,
            "person_id": p.id,
            "publicity_id": None,
            "status": "ineligible" if failures else "eligible",
            "failures_json": json.dumps([f.as_dict() for f in failures], ensure_ascii=False)
            if failures
            else None,
            "checked_on": entered,
            "hired_on": None,
            "priority": priority_key(p.work_capacity, p.cannot_leave_home),
            "note": None,
            "entered_by_id": clerk,
            "entered_at": _at(rng, entered),
            "_person": p,
        }
        apps.append(app)
        h.rows["application"].append(app)
    if today <= end_on:
        post.busy_until = date.max
        return retry
    published = end_on + timedelta(days=rng.randint(1, 3))
    if published > today:
        post.busy_until = date.max
        return retry
    for a in apps:  # a few eligible applicants withdraw before the 公示
        if a["status"] == "eligible" and a["_person"] is not post.forced_hire and rng.random() < 0.04:
            a["status"] = "withdrawn"
            a["note"] = "本人申请撤回报名"
    hired = []
    excluded = set()
    round_no = 0
    while True:
        round_no += 1
        start, last = _period(h, published)
        hire_on = next_working_day(last, h.exceptions) + timedelta(days=rng.randint(0, 3))
        order = sorted(
            (a for a in apps if a["status"] in ("eligible", "not_selected") and a["id"] not in excluded),
            key=lambda a: (a["_person"] is not post.forced_hire, a["priority"], a["entered_at"], a["id"]),
        )
        reserved = (
            h.holder1.household if h.holder1 is not None and post.forced_hire is not h.holder1 else None
        )
        fit = [
            a
            for a in order
            if h.own_account(a["_person"])
            and not h.busy(a["_person"], published)
            and a["_person"].household is not reserved
            and not h.check(a["_person"], post, published)
            and not h.check(a["_person"], post, hire_on)
        ]
        chosen, households = [], set()
        for a in fit:  # the second of a household would be refused at hire (household limit)
            if len(chosen) < places and a["_person"].household.id not in households:
                chosen.append(a)
                households.add(a["_person"].household.id)
        if not chosen:
            close_on = published
            _close_notice(h, notice, apps, close_on)
            retry.append(close_on + timedelta(days=rng.randint(60, 120)))
            post.busy_until = close_on
            return retry
        pub = {
            "id": b.new_id("publicity"),
            "notice_id": notice_id,
            "start_on": start,
            "end_on": last,
            "working_days": PUBLICITY_DAYS,
            "where_to_object": notice["contact"],
            "status": "open",
            "published_by_id": clerk,
            "published_at": _at(rng, published),
        }
        h.rows["publicity"].append(pub)
        for a in chosen:
            a["status"], a["publicity_id"] = "shortlisted", pub["id"]
        finished = hire_on + timedelta(days=10) < today
        if (
            round_no == 1
            and places == 1
            and len(fit) > 1
            and finished
            and h.plans["upheld"] is None
            and published.year >= 2025
            and post.forced_hire is None
            and post.village.township is not h.b.townships[0]
        ):
            victim = chosen[0]
            _objection(h, pub, victim, start, last, upheld=True, clerk=clerk)
            excluded.add(victim["id"])
            pub["status"] = "ended"
            for a in apps:
                if a["status"] == "eligible":
                    a["status"] = "not_selected"
            published = last + timedelta(days=rng.randint(1, 2))
            if published > today:
                post.busy_until = date.max
                return retry
            continue
        if (
            finished
            and published.year >= 2025
            and len(h.plans["rejected"]) < 2
            and post.forced_hire is None
            and rng.random() < (0.15 if not h.plans["rejected"] else 0.02)
        ):
            _objection(h, pub, chosen[0], start, last, upheld=False, clerk=clerk)
        if hire_on > today:
            post.busy_until = date.max
            return retry
        pub["status"] = "ended"
        for a in chosen:
            a["status"], a["checked_on"], a["hired_on"], a["failures_json"] = "hired", hire_on, hire_on, None
            hired.append(a)
        _close_notice(h, notice, apps, hire_on)
        break
    post.busy_until = hire_on
    for a in hired:
        seat = next(i for i, f in enumerate(post.seats_free) if f is not None and f <= d0)
        post.seats_free[seat] = None
        tenure = _Tenure(a["_person"], post, a["id"], hire_on)
        h.holdings[a["_person"].id].append(tenure)
        h.tenures.append(tenure)
        _serve(h, tenure)
        if tenure.last is not None:
            free = tenure.last + timedelta(days=1)
            post.seats_free[seat] = free
            if post.plan == "closed":
                post.closed_on = min(free + timedelta(days=rng.randint(5, 20)), today)
            else:
                retry.append(free + timedelta(days=rng.randint(15, 60)))
    unfilled = places - len(hired)
    if unfilled > 0:
        retry.append(hire_on + timedelta(days=rng.randint(60, 120)))
    return retry


def _close_notice(h: _History, notice: dict, apps: list, on: date) -> None:
    notice["status"] = "closed"
    for a in apps:
        if a["status"] in ("eligible", "shortlisted"):
            a["status"] = "not_selected"


def _objection(
    h: _History, pub: dict, app: dict, start: date, last: date, *, upheld: bool, clerk: int
) -> None:
    rng = h.rng
    p = app["_person"]
    received = _day(rng, start, last)
    resolved = _day(rng, received, last)
    content, resolution = OBJECTION_UPHELD if upheld else rng.choice(OBJECTIONS_REJECTED)
    villager = rng.choice([x for x in p.village.persons if x is not p and x.phone] or [p])
    row = {
        "id": h.b.new_id("objection"),
        "publicity_id": pub["id"],
        "application_id": app["id"],
        "objector_name": villager.name if rng.random() < 0.6 else None,
        "objector_contact": villager.phone if rng.random() < 0.6 else None,
        "content": content.format(name=p.name),
        "received_on": received,
        "status": "upheld" if upheld else "rejected",
        "resolution": resolution.format(name=p.name),
        "recorded_by_id": clerk,
        "resolved_by_id": clerk,
        "resolved_at": _at(rng, resolved),
    }
    h.rows["objection"].append(row)
    if upheld:
        app["status"] = "removed"
        app["note"] = f"因异议成立取消（{resolved.isoformat()}）：{row['resolution']}"
        h.plans["upheld"] = row
    else:
        h.plans["rejected"].append(row)


def _first_term(h: _History, signed: date) -> tuple[date, date]:
    rng = h.rng
    if rng.random() < 0.7:
        start = date(signed.year + (signed.month == 12), signed.month % 12 + 1, 1)
    else:
        start = signed + timedelta(days=rng.randint(1, 5))
    return start, _end_for(h, start)


def _end_for(h: _History, start: date) -> date:
    """One year at most (domain.contracts.latest_end); some signings run to the end of the year."""
    limit = latest_end(start)
    year_end = date(start.year, 12, 31)
    if start.month != 1 and (year_end - start).days >= 90 and h.rng.random() < 0.2:
        return year_end
    return limit


def _new_contract(h: _History, tenure: _Tenure, start: date, end: date, signed: date, prev) -> _Contract:
    post = tenure.post
    std, allowance, days = h.terms_on(
        post, start
    )  # the post's terms for the start (a revision is known ahead)
    cid = h.b.new_id("contract")
    c = _Contract(
        cid,
        f"HT{start.year}-{cid:06d}",
        tenure.person,
        post,
        tenure.app_id,
        prev,
        start,
        end,
        signed,
        allowance,
        days,
        std["full_time"],
        std["perf_excellent_fen"],
        std["perf_pass_fen"],
    )
    assert end <= latest_end(start)
    tenure.contracts.append(c)
    h.contracts.append(c)
    return c


def _insure(h: _History, c: _Contract) -> bool:
    """Record the accident insurance (before the start) and activate; False while not yet recorded today."""
    rng = h.rng
    latest = max(c.signed_on, c.start - timedelta(days=1))
    insured = min(c.signed_on + timedelta(days=rng.randint(0, 3)), latest)
    if c.start > h.today and (h.today - c.signed_on).days <= 12 and rng.random() < 0.6:
        insured = h.today + timedelta(days=1)  # the policy is still being bought
    if insured > h.today:
        return False
    insurer, prefix = rng.choice(INSURERS)
    h.rows["insurance_policy"].append(
        {
            "id": h.b.new_id("insurance_policy"),
            "contract_id": c.id,
            "insurer": insurer,
            "policy_no": f"{prefix}{c.start.year}{rng.randrange(10**9):09d}",
            "start_on": c.start,
            "end_on": c.end,
            "recorded_by_id": h.clerk(c.post),
            "recorded_at": _at(rng, insured),
        }
    )
    c.status, c.activated_on = "active", insured
    if c.prev is not None and c.prev.status == "active":
        c.prev.status = "ended"
        c.prev.end_reason = f"续签：由合同 {c.code} 接续"
    return True


def _exit_event(h: _History, c: _Contract, hired: date, steady: bool = False) -> tuple[date, str, str] | None:
    """The first thing that ends the signing early
    (death, other employment, category ended, own request …)."""
    rng, p = h.rng, c.person
    events = []
    if p.death_date is not None and c.start <= p.death_date <= c.end:
        events.append(
            (
                p.death_date,
                "death",
                f"死亡（{p.death_date.year}年{p.death_date.month}月{p.death_date.day}日）",
            )
        )
    for e in h.employment.get(p.id_number, ()):
        if e.full_time and c.start < e.start_on <= c.end:
            events.append(
                (
                    e.start_on - timedelta(days=1),
                    "employment",
                    f"找到其他工作：{e.start_on.isoformat()}起在{e.employer}全日制就业",
                )
            )
            break
    for cat, _s, e in p.categories:
        if e is not None and c.start <= e < c.end and not h.has_category(p, e + timedelta(days=1)):
            when = min(e + timedelta(days=rng.randint(3, 20)), c.end)
            events.append(
                (when, "ineligible", f"不再符合条件：{cat}身份已于{e.isoformat()}终止，无其他帮扶类别")
            )
            break
    if p.id not in h.cadre_kin_seed:
        for t in h.cadre_ties(p):  # a 换届 makes the holder (or a relative) a cadre: no longer eligible
            if hired < t.term_start <= c.end:
                when = max(c.start, min(t.term_start + timedelta(days=rng.randint(10, 30)), c.end))
                who = "本人" if t.relation == "本人" else f"{t.relation}{t.cadre_name}"
                reason = (
                    f"不再符合条件：{who}自{t.term_start.isoformat()}起任{t.village_name}{t.office}，"
                    "村干部及其家庭成员不得在岗"
                )
                events.append((when, "cadre", reason))
                break
    if not steady and rng.random() < 0.035 and (c.end - c.start).days > 90:
        kind, reason, _w = rng.choices(RANDOM_EXITS, weights=[r[2] for r in RANDOM_EXITS])[0]
        events.append((_day(rng, c.start + timedelta(days=45), c.end - timedelta(days=15)), kind, reason))
    events = [e for e in events if e[0] >= c.start]
    return min(events, key=lambda e: e[0]) if events else None


def _annual(h: _History, c: _Contract, on: date, steady: bool = False) -> str:
    """The annual grade of a signing, assessed near its end (period: the year it mostly covers)."""
    rng = h.rng
    first_year_days = (min(c.end, date(c.start.year, 12, 31)) - c.start).days + 1
    total = (c.end - c.start).days + 1
    period = str(c.start.year if first_year_days * 2 >= total else c.end.year)
    grade = rng.choices(("优秀", "合格", "不合格"), weights=(20, 77, 0 if steady else 3))[0]
    h.rows["assessment"].append(
        {
            "id": h.b.new_id("assessment"),
            "contract_id": c.id,
            "kind": "annual",
            "period": period,
            "grade": grade,
            "note": "全年多次无故缺勤，工作任务完成差" if grade == "不合格" else None,
            "assessed_by_id": h.clerk(c.post),
            "assessed_at": _at(h.rng, on),
        }
    )
    return grade


def _serve(h: _History, tenure: _Tenure) -> None:
    """From the hire to the exit (or today): signings, insurance, renewals, annual grades, exits."""
    rng, today = h.rng, h.today
    p, post = tenure.person, tenure.post
    steady = p is h.holder1  # the holder1 login: no chance exits, passing grades
    signed = tenure.hire + timedelta(days=rng.randint(0, 3))
    if signed > today:
        return  # hired, contract not yet signed
    start, end = _first_term(h, signed)
    if p.death_date is not None and p.death_date < start:
        tenure.last = p.death_date  # died before the signing took effect: never signed
        return
    c = _new_contract(h, tenure, start, end, signed, None)
    if not _insure(h, c):
        return  # ANOMALY-FREE: a draft waiting for its insurance
    while True:
        event = _exit_event(h, c, tenure.hire, steady)
        if event is not None and event[0] <= today and event[0] <= c.end:
            when, kind, reason = event
            c.status, c.exit_on, c.end_reason = "terminated", when, reason
            tenure.last = when
            if kind == "breach":
                h.blacklist.add(p.id)
            return
        signing = c.end - timedelta(days=rng.randint(5, 20))
        assessed = max(c.start, signing - timedelta(days=rng.randint(1, 10)))
        if c.end >= today and (signing > today or assessed > today):
            return  # still serving today
        grade = _annual(h, c, assessed, steady)
        reason = None
        if grade == "不合格":
            reason = "年度考核不合格，期满不再续签"
            h.blacklist.add(p.id)
        elif post.plan == "closed":
            reason = f"岗位撤销：{post.village.name}{post.title}设岗需求已消失，期满终止，不再续签"
        else:
            failures = h.check(p, post, c.end + timedelta(days=1), state=signing, ignore=c.id)
            if failures:
                reason = "期满不再续签：续签资格复核未通过（" + "；".join(f.message for f in failures) + "）"
            elif not steady and rng.random() < 0.04:
                reason = "期满本人不再续签（外出务工）"
        if reason is not None:
            if c.end >= today:
                return  # the decision is known, the signing still runs until its end
            c.status, c.end_reason = "ended", reason
            tenure.last = c.end
            return
        start = c.end + timedelta(days=1)
        nxt = _new_contract(h, tenure, start, _end_for(h, start), signing, c)
        if not _insure(h, nxt):
            return  # renewal signed, insurance not yet recorded: the current signing stays active
        c = nxt


# ---------------------------------------------------------------------------------------------
# Rows for posts, contracts
# ---------------------------------------------------------------------------------------------


def _post_rows(h: _History) -> None:
    rng, today = h.rng, h.today
    admin = h.users["admin"]
    active = defaultdict(int)
    for c in h.contracts:
        if c.status == "active":
            active[c.post.id] += 1
    for post in h.posts:
        ref = post.closed_on or today
        std, allowance, days = h.terms_on(post, ref if post.plan in ("live", "closed") else post.created_on)
        deviation_status, reason = "none", None
        if post.deviation is not None:
            deviation_status, reason = post.deviation[3], post.deviation[2]
        if post.plan == "live":
            status = staffing_state(active[post.id], post.headcount) if post.noticed else "approved"
        elif post.plan == "closed":
            status = (
                "closed"
                if post.closed_on
                else (staffing_state(active[post.id], post.headcount) if post.noticed else "approved")
            )
        else:
            status = post.plan
        decided = post.decided_on if post.plan in ("live", "closed", "rejected") else None
        h.rows["post"].append(
            {
                "id": post.id,
                "code": post.code,
                "title": post.title,
                "township_id": post.township.id,
                "village_id": post.village.id,
                "category_id": h.cat_id[post.cat],
                "fund_id": post.fund_id,
                "standard_id": std["id"],
                "headcount": post.headcount,
                "duties": post.duties,
                "work_place": post.work_place,
                "hours": post.hours,
                "need_text": post.need_text,
                "eligible_pool": post.eligible_pool,
                "allowance_fen": allowance,
                "required_days": days,
                "full_time": std["full_time"],
                "deviation_reason": reason,
                "deviation_status": deviation_status,
                "status": status,
                "decision_reason": post.decision_reason if post.plan == "rejected" else None,
                "created_by_id": h.clerk(post),
                "created_at": _at(rng, post.created_on),
                "submitted_at": _at(rng, post.submitted_on) if post.submitted_on else None,
                "decided_by_id": admin if decided else None,
                "decided_at": _at(rng, decided) if decided else None,
                "decided_on": decided if decided else None,
                "closed_on": post.closed_on if status == "closed" else None,
            }
        )
        h.counts[f"posts_{status}"] += 1


def _contract_rows(h: _History) -> None:
    rng = h.rng
    for c in h.contracts:
        h.rows["contract"].append(
            {
                "id": c.id,
                "code": c.code,
                "person_id": c.person.id,
                "post_id": c.post.id,
                "application_id": c.app_id,
                "previous_contract_id": c.prev.id if c.prev else None,
                "kind": c.post.contract_kind,
                "start_on": c.start,
                "end_on": c.end,
                "allowance_fen": c.allowance,
                "required_days": c.days,
                "full_time": c.full_time,
                "perf_excellent_fen": c.perf_e,
                "perf_pass_fen": c.perf_p,
                "duties": c.post.duties,
                "work_place": c.post.work_place,
                "hours": c.post.hours,
                "status": c.status,
                "signed_on": c.signed_on,
                "signed_by_id": h.clerk(c.post),
                "activated_at": _at(rng, c.activated_on) if c.activated_on else None,
                "exit_on": c.exit_on,
                "end_reason": c.end_reason,
                "created_at": _at(rng, c.signed_on),
            }
        )


# ---------------------------------------------------------------------------------------------
# Attendance, monthly grades, payroll
# ---------------------------------------------------------------------------------------------


def _pay_months(today: date) -> list[str]:
    last = _add_months(_month(today), -1)
    return [_add_months(last, -k) for k in range(PAY_MONTHS - 1, -1, -1)]


def _paid_after_death_seed(h: _History, months: list[str], exclude_towns) -> _Contract | None:
    """ANOMALY SEED PAID_AFTER_DEATH: a holder (not in the demo logins' township) whose death gets recorded
    three months before the last month, while the signing stays active and attendance and pay go on."""
    if len(months) < 4:
        return None
    death_month = months[-3]
    first, last = month_bounds(death_month)
    cands = [
        c
        for c in h.contracts
        if c.status == "active"
        and c.start <= first
        and c.end >= h.today
        and c.post.township not in exclude_towns
        and c.person.death_date is None
        and c.person.id not in h.cadre_kin_seed
    ]
    if not cands:
        return None
    c = h.rng.choice(sorted(cands, key=lambda c: c.id))
    h.seed_contract = c
    c.person.death_date = _day(h.rng, first + timedelta(days=3), last - timedelta(days=3))
    h.counts["anomaly_paid_after_death"] = 1
    return c


def _attendance_numbers(
    rng, required: int, covered: int, month_days: int
) -> tuple[int, int, int, str | None]:
    base = (
        min(covered, round(required * covered / month_days))
        if covered < month_days
        else min(required, covered)
    )
    if rng.random() < 0.008:
        return 0, covered, 0, "病假，全月未出勤"
    delta = rng.choices((-4, -2, -1, 0, 1, 2, 3), weights=(2, 4, 6, 42, 20, 14, 12))[0]
    worked = max(0, min(covered, base + delta))
    leave = absent = 0
    note = None
    if worked < base:
        short = base - worked
        if rng.random() < 0.7:
            leave = min(short, covered - worked)
            note = rng.choice(ATTENDANCE_NOTES) + f"{leave}天"
        else:
            absent = min(short, covered - worked)
            note = f"无故缺勤{absent}天" if absent else None
    return worked, leave, absent, note


def _month_grade(rng, worked: int, base: int) -> str | None:
    if rng.random() < 0.02:
        return None
    if base and worked < base * 0.6:
        return rng.choices(("合格", "不合格"), weights=(40, 60))[0]
    return rng.choices(("优秀", "合格", "不合格"), weights=(18, 80, 2))[0]


def generate_pay(h: _History) -> None:
    b, rng, today = h.b, h.rng, h.today
    months = _pay_months(today)
    if not months or not h.contracts:
        return
    town0 = b.townships[0]
    town1 = b.townships[1] if len(b.townships) > 1 else None
    town2 = b.townships[2] if len(b.townships) > 2 else None
    seed = _paid_after_death_seed(h, months, (town0, town1, town2))
    last_month = months[-1]

    def state(town, month) -> str:
        if month != last_month:
            return "paid"
        if town is town0:
            return "preview"
        if town is town1:
            return "none"
        if town is town2:
            return "approved"
        return "paid"

    # per (township, month): contract-months, in the order the payroll service lists them
    work = defaultdict(list)
    for c in h.contracts:
        if c.status not in ("active", "ended", "terminated"):
            continue
        for m in months:
            first, last = month_bounds(m)
            died = None if c is seed else c.person.death_date
            covered = covered_days(m, c.start, c.last_day, death_date=died)
            if not covered:
                continue
            work[(c.post.township.id, m)].append((c, covered, (last - first).days + 1))
    towns = {t.id: t for t in b.townships}
    second = h.users.get("second", {})
    admin = h.users["admin"]
    failed_left = 2
    for m in months:
        first, last = month_bounds(m)
        year_funds = {}
        for town_id in [t.id for t in b.townships]:
            items = work.get((town_id, m))
            if not items:
                continue
            town = towns[town_id]
            clerk = h.clerk(town)
            st = state(town, m)
            entered = last + timedelta(days=rng.randint(1, 4))
            approved_att = entered + timedelta(days=rng.randint(1, 3))
            prepared = approved_att + timedelta(days=rng.randint(1, 4))
            approved = prepared + timedelta(days=rng.randint(1, 3))
            paid_on = approved + timedelta(days=rng.randint(2, 5))
            if st == "paid" and paid_on > today:
                st = "approved"
            if st == "approved" and approved > today:
                st = "preview"
            if st == "preview" and prepared > today:
                st = "none"
            preparer = second.get(town_id, clerk) if st == "preview" else clerk
            approver = second.get(town_id, admin) if preparer == clerk else clerk
            if approver == preparer:
                approver = admin
            enterer = second.get(
                town_id, admin
            )  # attendance four eyes: the clerk approves what another entered
            run = None
            if st != "none":
                run = {
                    "id": b.new_id("payroll_run"),
                    "township_id": town_id,
                    "month": m,
                    "status": "approved" if st in ("paid", "approved") else "preview",
                    "total_fen": 0,
                    "line_count": 0,
                    "unpaid_count": 0,
                    "prepared_by_id": preparer,
                    "prepared_at": _at(rng, prepared),
                    "approved_by_id": approver if st in ("paid", "approved") else None,
                    "approved_at": _at(rng, approved) if st in ("paid", "approved") else None,
                    "approved_on": approved if st in ("paid", "approved") else None,
                }
                h.rows["payroll_run"].append(run)
            items.sort(key=lambda it: (it[0].post.village.id, it[0].person.name, it[0].id))
            for c, covered, month_days in items:
                std_base = (
                    min(covered, round(c.days * covered / month_days)) if covered < month_days else c.days
                )
                worked, leave, absent, note = _attendance_numbers(rng, c.days, covered, month_days)
                if st == "none":
                    att_status = rng.choices(("approved", "draft", None), weights=(60, 30, 10))[0]
                elif st == "preview":
                    att_status = "approved" if rng.random() < 0.95 else "draft"
                else:
                    att_status = "locked"
                if att_status is None:
                    if run is not None:
                        run["unpaid_count"] += 1
                    continue
                h.rows["attendance_record"].append(
                    {
                        "id": b.new_id("attendance_record"),
                        "contract_id": c.id,
                        "person_id": c.person.id,
                        "month": m,
                        "days_worked": worked,
                        "hours_worked": None,
                        "leave_days": leave,
                        "absent_days": absent,
                        "note": note,
                        "status": att_status,
                        "entered_by_id": enterer,
                        "entered_at": _at(rng, entered),
                        "approved_by_id": clerk if att_status != "draft" else None,
                        "approved_at": _at(rng, approved_att) if att_status != "draft" else None,
                    }
                )
                grade = _month_grade(rng, worked, std_base)
                if st == "none" and rng.random() < 0.3:
                    grade = None
                if grade is not None:
                    h.rows["assessment"].append(
                        {
                            "id": b.new_id("assessment"),
                            "contract_id": c.id,
                            "kind": "monthly",
                            "period": m,
                            "grade": grade,
                            "note": None,
                            "assessed_by_id": clerk,
                            "assessed_at": _at(rng, last + timedelta(days=rng.randint(2, 9))),
                        }
                    )
                if run is None or att_status == "draft":
                    if run is not None:
                        run["unpaid_count"] += 1
                    continue
                line = compute_line(
                    c.allowance, c.days, worked, covered, month_days, grade, c.perf_e, c.perf_p
                )
                if c.post.fund_name not in year_funds:
                    f = h.fund(c.post.fund_name, int(m[:4]))
                    year_funds[c.post.fund_name] = f["id"] if f else c.post.fund_id
                pid = b.new_id("payment")
                p = c.person
                row = {
                    "id": pid,
                    "run_id": run["id"],
                    "contract_id": c.id,
                    "person_id": p.id,
                    "fund_id": year_funds[c.post.fund_name],
                    "month": m,
                    "kind": "regular",
                    "standard_fen": c.allowance,
                    "required_days": c.days,
                    "attended_days": worked,
                    "covered_days": covered,
                    "month_days": month_days,
                    "cap_fen": line.cap_fen,
                    "base_fen": line.base_fen,
                    "grade": grade,
                    "performance_fen": line.performance_fen,
                    "amount_fen": line.amount_fen,
                    "calc_text": line.calc_text,
                    "account_kind": p.account_kind,
                    "account_no": p.account_no,
                    "account_name": p.account_name,
                    "status": "pending",
                    "bank_batch": 1,
                    "bank_ref": None,
                    "failure_reason": None,
                    "paid_on": None,
                    "reason": None,
                    "original_payment_id": None,
                    "created_by_id": preparer,
                    "created_at": run["prepared_at"],
                }
                if st == "paid":
                    row["status"], row["paid_on"], row["bank_ref"] = "paid", paid_on, bank_reference(pid, 1)
                    if m == last_month and failed_left > 0 and rng.random() < 0.05:
                        failed_left -= 1
                        row["status"], row["paid_on"] = "failed", None
                        row["failure_reason"] = rng.choice(BANK_FAILURES)
                    elif rng.random() < 0.004:  # failed in batch 1, paid on retry in batch 2
                        retried = paid_on + timedelta(days=rng.randint(5, 10))
                        if retried <= today:
                            row["bank_batch"], row["paid_on"] = 2, retried
                            row["bank_ref"] = bank_reference(pid, 2)
                            h.counts["payments_retried"] += 1
                h.rows["payment"].append(row)
                run["total_fen"] += line.amount_fen
                run["line_count"] += 1
    _corrections(h, months)


def _corrections(h: _History, months: list[str]) -> None:
    """A couple of 补发 and 扣回 lines with their reasons (the original lines are never changed)."""
    rng, today = h.rng, h.today
    runs = {r["id"]: r for r in h.rows["payroll_run"]}
    early = set(months[:-2])
    paid = [
        p for p in h.rows["payment"] if p["status"] == "paid" and p["month"] in early and p["amount_fen"] > 0
    ]
    if not paid:
        return
    picks = rng.sample(paid, min(len(paid), 4))
    batches = defaultdict(int)
    for p in h.rows["payment"]:
        batches[p["run_id"]] = max(batches[p["run_id"]], p["bank_batch"])
    plan = [
        ("补发", "村委会补报漏记的2天出勤，经乡镇核实后补发"),
        ("补发", "考勤表录入有误，少计出勤天数，核实后补发"),
        ("扣回", "出勤天数多报2天（村委会复核更正），扣回多发补贴"),
        ("扣回", "当月绩效补贴重复计发，予以扣回"),
    ]
    for orig, (kind, reason) in zip(picks, plan, strict=False):
        run = runs[orig["run_id"]]
        day_fen = orig["standard_fen"] * 2 // orig["required_days"]
        if kind == "扣回" and "绩效" in reason:
            amount = orig["performance_fen"] or day_fen
        else:
            amount = day_fen
        amount = (
            max(1, min(amount, correction_limit_fen(kind, orig["amount_fen"])))
            if kind == "扣回"
            else max(1, amount)
        )
        created = min(orig["paid_on"] + timedelta(days=rng.randint(10, 25)), today)
        batch = batches[run["id"]] + 1
        batches[run["id"]] = batch
        pid = h.b.new_id("payment")
        row = dict(orig)
        row.update(
            {
                "id": pid,
                "kind": kind,
                "base_fen": 0,
                "performance_fen": 0,
                "amount_fen": amount if kind == "补发" else -amount,
                "calc_text": f"{kind} {money(amount)}"
                f"（更正第{orig['id']}号明细 {money(orig['amount_fen'])}）：{reason}",
                "status": "pending",
                "bank_batch": batch,
                "bank_ref": None,
                "failure_reason": None,
                "paid_on": None,
                "reason": reason,
                "original_payment_id": orig["id"],
                "created_by_id": run["prepared_by_id"],
                "created_at": _at(rng, created),
            }
        )
        paid_on = created + timedelta(days=rng.randint(2, 5))
        if kind == "补发" and paid_on <= today:
            row["status"], row["paid_on"], row["bank_ref"] = "paid", paid_on, bank_reference(pid, batch)
        h.rows["payment"].append(row)
        h.counts[f"corrections_{kind}"] += 1


# ---------------------------------------------------------------------------------------------
# Users, insertion, audit
# ---------------------------------------------------------------------------------------------


def extra_users(session: Session, b, actor: str, pw_hash: str) -> dict:
    """A township clerk for every other township (township2 …) and a second clerk for the first
    (township1b), so that every payroll run has a preparer and a different approver."""
    rows = []
    next_id = (session.scalar(select(func.max(User.id))) or 0) + 1
    names = []
    for i, town in enumerate(b.townships):
        if i == 0:
            names.append(("township1b", f"{town.name}复核人", town))
        else:
            names.append((f"township{i + 1}", f"{town.name}经办人", town))
    for username, display, town in names:
        rows.append(
            {
                "id": next_id,
                "username": username,
                "display_name": display,
                "password_hash": pw_hash,
                "role": TOWNSHIP_CLERK,
                "region_id": town.id,
                "person_id": None,
                "phone": None,
                "active": True,
                "created_at": datetime(2024, 1, 2, 1, 0),
            }
        )
        next_id += 1
    if rows:
        insert_rows(session, User.__table__, rows)
        sync_sequences(session, [User.__table__])
        session.flush()
        audit.record(
            session,
            actor,
            "demo_generate",
            "user_account",
            None,
            after={"rows": len(rows), "seed": b.seed, "usernames": [r["username"] for r in rows]},
            summary=f"生成演示数据：user_account {len(rows)} 行（各乡镇经办人及复核人）",
        )
    return {r["username"]: r["id"] for r in rows}


def _insert_all(session: Session, rows: dict, chunk: int) -> None:
    for name, model in HISTORY_MODELS.items():
        insert_rows(session, model.__table__, rows[name])
    sync_sequences(session, [model.__table__ for model in HISTORY_MODELS.values()])
    session.flush()


def prepare_history(session: Session, b, tables: dict) -> _History:
    """Index the registry and choose the logins' township and the holder1 person (before the users exist)."""
    b.persons_by_id = {p.id: p for p in b.persons}
    h = _History(session, b, tables, {})
    _plan_holder1(h)
    return h


def generate_history(h: _History, users: dict, *, actor: str, chunk: int = 5000) -> dict:
    """Build and insert the county's history; return counts and what the logins need (holder1)."""
    session, b = h.session, h.b
    h.users = users
    generate_posts(h)
    _plan_cadre_kin_seed(h)
    _finish_posts(h)
    simulate(h)
    generate_pay(h)
    _post_rows(h)
    _contract_rows(h)
    seed_person = h.seed_contract.person if h.seed_contract is not None else None
    _insert_all(session, h.rows, chunk)
    if seed_person is not None:  # ANOMALY SEED PAID_AFTER_DEATH: the registry learns of the death
        session.execute(
            update(Person.__table__)
            .where(Person.__table__.c.id == seed_person.id)
            .values(death_date=seed_person.death_date)
        )
        session.flush()
    for name in HISTORY_MODELS:
        audit.record(
            session,
            actor,
            "demo_generate",
            name,
            None,
            after={"rows": len(h.rows[name]), "seed": b.seed},
            summary=f"生成演示数据：{name} {len(h.rows[name])} 行",
        )
    counts = {name: len(rows) for name, rows in h.rows.items()}
    counts.update(h.counts)
    counts["holder_candidates"] = _holder_candidates(h, seed_person)
    return counts


def _holder_candidates(h: _History, excluded) -> list[tuple[int, int, int]]:
    """(village id, person id, paid lines) for the holder1 login, best first: the planned holder1, then
    holders of the logins' township with an active signing, alive and paid, no anomaly seed; in a county
    too small to have anyone eligible after the 2026 换届, a former holder with the longest paid history."""
    paid = defaultdict(int)
    for p in h.rows["payment"]:
        if p["status"] == "paid" and p["kind"] == "regular":
            paid[p["person_id"]] += 1
    town0 = h.b.townships[0]
    out = []
    for c in h.contracts:
        p = c.person
        if (
            c.post.township is town0
            and p.death_date is None
            and p is not excluded
            and p.id not in h.cadre_kin_seed
            and paid[p.id] >= 1
        ):
            current = c.status == "active" and c.start <= h.today
            out.append(
                (p.id != getattr(h.holder1, "id", None), not current, -paid[p.id], p.id, c.post.village.id)
            )
    return [(vid, pid, -neg) for _h, _c, neg, pid, vid in sorted(set(out))]
