"""The demo history's settings, small helpers and in-memory state (_Post, _Contract, _Tenure, and _History:
the registry indexed for the simulation, the eligibility facts as services.hiring gathers them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from ..domain.hiring import (
    ApplicantFacts,
    EligibilityRules,
    Employment,
    HeldPost,
    check_eligibility,
    split_held,
    tie_labels,
)
from ..domain.hiring import cadre_ties as cadre_ties_of
from ..domain.people import age_on, inverse_kind
from ..domain.settings import BY_KEY
from ..models.contracts import Assessment, Contract, InsurancePolicy
from ..models.hiring import Application, Notice, Objection, Publicity
from ..models.pay import AttendanceRecord, Payment, PayrollRun
from ..models.posts import Post

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


_BEIJING_OFFSET = timedelta(hours=8)


def _at(rng, d: date, hour_from: int = 8, hour_to: int = 17) -> datetime:
    """A Beijing office-hours moment on `d`, stored as naive UTC."""
    local = datetime(
        d.year, d.month, d.day, rng.randint(hour_from, hour_to), rng.randrange(60), rng.randrange(60)
    )
    return local - _BEIJING_OFFSET


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
        self.account_holders: dict[int, list] = {}  # likely_pool
        self.recruiting_from = HISTORY_FROM  # the first day a recruitment may start (simulate sets it)
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
        self.funds_by_id = {}  # post_fund's: the first fund of self.funds with each id
        for f in self.funds.values():
            self.funds_by_id.setdefault(f["id"], f)
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
        return self.funds_by_id[post.fund_id]

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
        holdings = self.holdings
        for m in p.household.members:
            for t in holdings.get(m.id, ()):
                if t.last is None or t.last >= d:  # t.busy_after(d)
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

    def likely_pool(self, v) -> list:
        """The village's persons likely() may accept on some day a recruitment starts (recruiting_from to
        today), in order: an own account (likely()'s first test; the accounts are settled before the history
        begins), 18 by today, not yet 69 and alive on recruiting_from — likely() refuses the others on every
        one of those days; listed once per village."""
        found = self.account_holders.get(v.id)
        if found is None:
            first, today = self.recruiting_from, self.today
            found = self.account_holders[v.id] = [
                p
                for p in v.persons
                if self.own_account(p)
                and age_on(p.birth, today) >= 18
                and age_on(p.birth, first) <= 68
                and (p.death_date is None or p.death_date > first)
            ]
        return found

    def alive(self, p, d: date) -> bool:
        return p.death_date is None or p.death_date > d

    def cadre_family(self, p, d: date) -> bool:
        """A cadre in office on `d`, or a family member of one (what the cadre_kin rule refuses)."""
        for t in self.cadre_ties(p):
            if t.term_start <= d and (t.term_end is None or d <= t.term_end):
                return True
        return False

    def likely(self, p, d: date, restricted: tuple = (), kin_ok: bool = False, post=None) -> bool:
        """A plausible applicant on `d`: adult, alive, in a category (the fund's, if it restricts them),
        free, with an own account, not a cadre's family (HR knows its cadres)."""
        # the same conditions as ever, the cheapest and most selective first (all pure: no draws)
        if not (p.account_no and p.account_name == p.name):  # own_account
            return False
        if p.death_date is not None and p.death_date <= d:  # alive
            return False
        birth = p.birth  # age_on(p.birth, d), inline (this test runs some 200,000 times a build)
        age = d.year - birth.year - ((d.month, d.day) < (birth.month, birth.day))
        if not 18 <= age <= 68 or p.id in self.blacklist:
            return False
        if age < (45 if p.sex == "F" else 50):  # has_category (loops, not any() over a generator: cheaper)
            for _, s, e in p.categories:
                if s <= d and (e is None or d <= e):
                    break
            else:
                return False
        if self.busy(p, d):
            return False
        if (
            self.holder1 is not None
            and p.household is self.holder1.household
            and (post is None or post.forced_hire is not self.holder1)
        ):
            return False  # kept free for the holder1 post
        if restricted:
            for c, s, e in p.categories:
                if c in restricted and s <= d and (e is None or d <= e):
                    break
            else:
                return False
        return kin_ok or not self.cadre_family(p, d)

    # ---- users -----------------------------------------------------------------------------

    def clerk(self, post_or_town) -> int:
        town = post_or_town.township if isinstance(post_or_town, _Post) else post_or_town
        return self.users["clerk"][town.id]
