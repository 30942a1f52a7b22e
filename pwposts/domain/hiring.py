"""以岗聘任 rules: application states, eligibility, priority, 公示 working days (DOMAIN.md §2).

Everything here is pure: the service gathers plain facts in a few queries (ApplicantFacts),
the county settings (EligibilityRules), and asks check_eligibility() for *every* failed rule,
each with a stable code and its own Chinese reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .errors import DomainError
from .people import CATEGORIES, age_on, category_held, inverse_kind, is_older_worker

APPLICATION_STATES = (
    "eligible",
    "ineligible",
    "shortlisted",
    "removed",
    "hired",
    "withdrawn",
    "not_selected",
)
APPLICATION_STATE_LABELS = {
    "eligible": "符合条件",
    "ineligible": "不符合条件",
    "shortlisted": "公示中",
    "removed": "因异议取消",
    "hired": "已聘用",
    "withdrawn": "已撤回",
    "not_selected": "未入选",
}
PUBLICITY_STATES = ("open", "ended")
PUBLICITY_STATE_LABELS = {"open": "公示中", "ended": "已结束"}
OBJECTION_STATES = ("open", "upheld", "rejected")
OBJECTION_STATE_LABELS = {"open": "待处理", "upheld": "异议成立", "rejected": "异议不成立"}
# A notice's state is derived (notice_state), never stored: the column Notice.status only says whether
# the notice was ended by hand or by the service ("open" / "closed").
NOTICE_STATES = ("upcoming", "open", "registration_closed", "publicity", "hired", "ended")
NOTICE_STATE_LABELS = {
    "upcoming": "未开始报名",
    "open": "报名中",
    "registration_closed": "报名截止",
    "publicity": "公示中",
    "hired": "已聘用",
    "ended": "已结束",
}

# Statuses an application may be shortlisted from (not_selected: a supplementary 公示 after a removal).
SHORTLISTABLE = ("eligible", "not_selected")

MIN_AGE = 16
OLDER_WORKER = "大龄"

# Stable failure codes, in the order the rules are checked (and reported).
FAILURE_CODES = {
    "not_local": "非本村户籍",
    "underage": "未满16周岁",
    "age_cap": "超过聘用年龄上限",
    "dead": "已死亡",
    "no_eligible_category": "不属于帮扶类别",
    "fund_category": "不符合资金来源的人员类别",
    "one_person_one_post": "已在其他公益性岗位（一人一岗）",
    "household_limit": "同户在岗人数已达上限",
    "cadre_kin": "村干部或其家庭成员",
    "employed_elsewhere": "已在其他单位全日制就业",
}


@dataclass(frozen=True)
class Failure:
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class HeldPost:
    """A post someone holds: an active contract, or a hire not yet under contract (contract_id None)."""

    holder_name: str
    post_title: str
    contract_id: int | None = None
    post_id: int | None = None


@dataclass(frozen=True)
class CadreTie:
    """A cadre in office that makes the applicant ineligible: themself, a relative, or a household member.

    relation is seen from the applicant: "本人", "配偶", "父母"
    (the cadre is the applicant's parent), "同户成员" …"""

    cadre_name: str
    office: str
    village_name: str
    relation: str
    term_start: date
    term_end: date | None


@dataclass(frozen=True)
class Employment:
    employer: str
    start_on: date
    end_on: date | None
    full_time: bool = True
    source: str = ""  # the imported file behind it, e.g. 人社局《参保名单.xlsx》（2026-11-20导入）


@dataclass(frozen=True)
class ExternalPost:
    """A post held in another department's roster (护林员, 生态管护员 …), from an imported file."""

    department: str
    post_name: str
    start_on: date
    end_on: date | None
    source: str = ""  # e.g. 林业局《生态护林员花名册.xlsx》（2026-11-20导入）


@dataclass(frozen=True)
class ApplicantFacts:
    """Plain values about one applicant and one post, gathered by the service."""

    name: str
    birth_date: date
    sex: str  # "M" / "F"
    household_village_id: int  # the village of the person's 户籍 (household), else the person's village
    household_village_name: str
    post_village_id: int
    post_village_name: str
    dead: bool = False
    death_date: date | None = None
    category_spans: tuple[tuple[str, date, date | None], ...] = ()  # (category, start_on, end_on)
    fund_name: str = ""
    fund_restricts: bool = False
    fund_categories: tuple[str, ...] = ()
    held_posts: tuple[HeldPost, ...] = ()  # the applicant's own active contracts and pending hires
    household_held_posts: tuple[HeldPost, ...] = ()  # those of the other members of the household
    cadre_ties: tuple[CadreTie, ...] = ()  # every cadre office tied to the applicant (term filtering is here)
    employments: tuple[Employment, ...] = ()  # imported social-insurance records for the ID number
    death_source: str = ""  # where the recorded death comes from
    external_posts: tuple[ExternalPost, ...] = ()  # other departments' rosters naming the ID number


def tie_labels(person_id: int, relations, member_ids) -> dict[int, str]:
    """Who is tied to the applicant, and how, seen from the applicant: "本人", each relative (relations
    are (person_id, relative_id, kind) rows touching the applicant, stored once per pair, in either
    direction), then "同户成员" for the other members of the household; the first label wins."""
    ties: dict[int, str] = {person_id: "本人"}
    for a, b, kind in relations:
        if a == person_id:
            ties.setdefault(b, kind)  # the relative is the applicant's `kind`
        else:
            ties.setdefault(a, inverse_kind(kind))
    for pid in member_ids:
        ties.setdefault(pid, "同户成员")
    return ties


def cadre_ties(ties: dict[int, str], cadres) -> tuple[CadreTie, ...]:
    """The cadre offices of the tied persons: `cadres` are (person_id, name, office, village name,
    term_start, term_end) rows in cadre order (terms are judged by the rule, not here)."""
    return tuple(
        CadreTie(name, office, village, ties[pid], start, end)
        for pid, name, office, village, start, end in cadres
        if pid in ties
    )


def split_held(
    person_id: int, post_id: int, active, pending
) -> tuple[tuple[HeldPost, ...], tuple[HeldPost, ...]]:
    """(the applicant's own posts, the other household members' posts) from the household's active
    contracts (contract order) and pending hires (application order), as (person_id, HeldPost) pairs;
    a hire in progress on this very post is not "another post" of the applicant."""
    own, household = [], []
    for pid, held in active:
        (own if pid == person_id else household).append(held)
    for pid, held in pending:
        if pid != person_id:
            household.append(held)
        elif held.post_id != post_id:
            own.append(held)
    return tuple(own), tuple(household)


@dataclass(frozen=True)
class EligibilityRules:
    """County settings in force on the date."""

    age_cap: int | None = None  # default: none
    household_limit: int = 1
    min_age: int = MIN_AGE
    eligible_categories: tuple[str, ...] = CATEGORIES  # the county setting eligible_categories


def categories_on(facts: ApplicantFacts, on: date) -> list[str]:
    """The categories the applicant holds on `on`, in CATEGORIES order.

    大龄 is judged from the birth date (women 45+, men 50+), never from a recorded span, since
    the ID number already says it.
    """
    held = [c for c in CATEGORIES if c != OLDER_WORKER and category_held(facts.category_spans, c, on)]
    if is_older_worker(facts.sex, facts.birth_date, on):
        held.append(OLDER_WORKER)
    return held


def _in_term(tie: CadreTie, on: date) -> bool:
    return tie.term_start <= on and (tie.term_end is None or tie.term_end >= on)


def _employed_on(e: Employment, on: date) -> bool:
    return e.full_time and e.start_on <= on and (e.end_on is None or e.end_on >= on)


def _held(posts: tuple[HeldPost, ...], ignore_contract_id: int | None) -> list[HeldPost]:
    return [p for p in posts if ignore_contract_id is None or p.contract_id != ignore_contract_id]


def _post_label(p: HeldPost) -> str:
    return f"“{p.post_title}”" + ("" if p.contract_id else "（已聘用待签协议）")


def check_eligibility(
    facts: ApplicantFacts,
    on: date,
    rules: EligibilityRules = EligibilityRules(),
    ignore_contract_id: int | None = None,
) -> list[Failure]:
    """Every rule of DOMAIN.md §2 以岗聘任 step 3 the applicant fails on `on`; [] means eligible.

    ignore_contract_id: the contract being renewed, so a holder's own current signing does not
    count against 一人一岗 or the household limit when checking a renewal.
    Age or disability is never a reason by itself: only under 16 and the county's age cap are.
    """
    out: list[Failure] = []
    age = age_on(facts.birth_date, on)

    if facts.household_village_id != facts.post_village_id:
        out.append(
            Failure(
                "not_local",
                f"申请人户籍在{facts.household_village_name}，岗位在{facts.post_village_name}："
                f"乡村公益性岗位须聘用本村户籍人员",
            )
        )
    if age < rules.min_age:
        out.append(Failure("underage", f"申请人年龄{age}岁，未满{rules.min_age}周岁，不得聘用"))
    if rules.age_cap is not None and age > rules.age_cap:
        out.append(Failure("age_cap", f"申请人年龄{age}岁，超过本县聘用年龄上限{rules.age_cap}岁"))
    if facts.dead or (facts.death_date is not None and facts.death_date <= on):
        when = f"于{facts.death_date.isoformat()}" if facts.death_date else ""
        source = f"（来源：{facts.death_source}）" if facts.death_source else ""
        out.append(Failure("dead", f"申请人已{when}死亡{source}，不得聘用"))

    held = [c for c in categories_on(facts, on) if c in rules.eligible_categories]
    if not held:
        ended = [
            f"{c}已于{e.isoformat()}结束"
            for c, s, e in facts.category_spans
            if c in rules.eligible_categories and e is not None and e < on
        ]
        out.append(
            Failure(
                "no_eligible_category",
                f"申请人在{on.isoformat()}不属于任何帮扶类别（本县安置对象类别：{'、'.join(rules.eligible_categories)}），"
                f"不是公益性岗位安置对象" + (f"：{'；'.join(ended)}" if ended else ""),
            )
        )
    elif facts.fund_restricts and not set(held) & set(facts.fund_categories):
        allowed = "、".join(facts.fund_categories) or "（未设定）"
        out.append(
            Failure(
                "fund_category",
                f"岗位资金来源“{facts.fund_name}”只能安置{allowed}人员，申请人类别为{'、'.join(held)}",
            )
        )

    own = _held(facts.held_posts, ignore_contract_id)
    if own:
        out.append(
            Failure(
                "one_person_one_post",
                f"申请人已在岗：{'、'.join(_post_label(p) for p in own)}；"
                f"一人只能同时在一个公益性岗位（一人一岗）",
            )
        )

    for x in facts.external_posts:
        if x.start_on <= on and (x.end_on is None or x.end_on >= on):
            since = f"自{x.start_on.isoformat()}起" + (f"至{x.end_on.isoformat()}" if x.end_on else "")
            out.append(
                Failure(
                    "one_person_one_post",
                    f"申请人在{x.department}的“{x.post_name}”岗位在册（{since}，"
                    f"见{x.source or '导入名单'}）；"
                    f"一人只能同时在一个公益性岗位（一人一岗）",
                )
            )

    others = _held(facts.household_held_posts, ignore_contract_id)
    if len(others) >= rules.household_limit:
        names = "、".join(f"{p.holder_name}{_post_label(p)}" for p in others)
        out.append(
            Failure(
                "household_limit",
                f"申请人同户已有{len(others)}人在岗（{names}），本县每户在岗人数上限为{rules.household_limit}人",
            )
        )

    for tie in facts.cadre_ties:
        if not _in_term(tie, on):
            continue
        term = f"任期{tie.term_start.isoformat()}至{tie.term_end.isoformat() if tie.term_end else '今'}"
        if tie.relation == "本人":
            msg = f"申请人本人现任{tie.village_name}{tie.office}（{term}），村干部不得聘用"
        else:
            msg = (
                f"申请人的{tie.relation}{tie.cadre_name}现任{tie.village_name}{tie.office}（{term}），"
                f"村干部及其家庭成员不得聘用"
            )
        out.append(Failure("cadre_kin", msg))

    for e in facts.employments:
        if _employed_on(e, on):
            since = f"自{e.start_on.isoformat()}起" + (f"至{e.end_on.isoformat()}" if e.end_on else "")
            source = f"，见{e.source}" if e.source else ""
            out.append(
                Failure(
                    "employed_elsewhere",
                    f"申请人在{e.employer}全日制就业（参保记录{since}{source}），不得聘用",
                )
            )
    return out


# ---- priority among eligible applicants ----

CAPACITY_RANK = {"弱劳力": 0, "半劳力": 1, "全劳力": 2}


def priority_key(work_capacity: str, cannot_leave_home: bool) -> int:
    """Lower comes first: 弱劳力, then 半劳力, then 全劳力; within each, 无法离乡 first.

    Ties are broken by earlier entry (see shortlist_order); this number is stored in
    Application.priority.
    """
    return CAPACITY_RANK.get(work_capacity, len(CAPACITY_RANK)) * 2 + (0 if cannot_leave_home else 1)


def priority_label(priority: int) -> str:
    caps = {v: k for k, v in CAPACITY_RANK.items()}
    cap = caps.get(priority // 2, "其他")
    return cap + ("·无法离乡" if priority % 2 == 0 else "")


def shortlist_order(entries):
    """Sort (priority, entered_at, id, …) tuples or objects
    with those attributes: the default shortlist order."""

    def key(e):
        if isinstance(e, tuple):
            return e[:3]
        return (e.priority, e.entered_at, e.id)

    return sorted(entries, key=key)


# ---- 公示 counted in working days ----


def is_working_day(day: date, exceptions: dict[date, bool]) -> bool:
    """Monday–Friday, unless the county calendar says otherwise (holiday False, make-up working day True)."""
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def next_working_day(day: date, exceptions: dict[date, bool]) -> date:
    """The first working day after `day`."""
    d = day + timedelta(days=1)
    while not is_working_day(d, exceptions):
        d += timedelta(days=1)
    return d


def add_working_days(start: date, n: int, exceptions: dict[date, bool]) -> date:
    """The last day of a period of `n` working days published on `start`.

    The publication day itself does not count (even when it is a working day): the period starts
    on the next working day, so a list published on Wednesday 2026-11-25 for 5 working days runs
    Thursday 26 to Wednesday 2026-12-02, and hiring is possible from the day after.
    """
    if n < 1:
        raise ValueError("公示期至少1个工作日")
    d = start
    for _ in range(n):
        d = next_working_day(d, exceptions)
    return d


def calendar_window(start: date, n: int) -> tuple[date, date]:
    """A date range certainly long enough to hold n working days after start (for loading holidays)."""
    return start, start + timedelta(days=n * 2 + 40)


# ---- the state of a notice, from its dates and outcome ----


def notice_state(
    start_on: date, end_on: date, today: date, *, closed: bool, publicity_open: bool, hired: int
) -> str:
    """报名中 / 报名截止 / 公示中 / 已聘用 / 已结束 (and 未开始报名) — from facts, never a stored label.

    closed: the notice was ended (by hand, or when nobody could be hired);
    publicity_open: a 公示 of its shortlist has not been ended yet (its period runs, or it is over
    and the candidates wait to be hired); hired: applications hired on it.
    In order: a running 公示 → 公示中; any hire → 已聘用; ended → 已结束; then by the dates
    (today before the start → 未开始报名, up to the deadline inclusive → 报名中, after it → 报名截止).
    """
    if publicity_open and not closed:
        return "publicity"
    if hired > 0:
        return "hired"
    if closed:
        return "ended"
    if today < start_on:
        return "upcoming"
    if today <= end_on:
        return "open"
    return "registration_closed"


def check_notice_opens(start_on: date, end_on: date, today: date) -> None:
    """A notice cannot open in the past, and its deadline follows its start."""
    if end_on < start_on:
        raise DomainError(
            "notice_dates_reversed",
            f"报名截止日期{end_on.isoformat()}早于开始日期{start_on.isoformat()}，请核对",
        )
    if start_on < today:
        raise DomainError(
            "notice_starts_in_past",
            f"报名开始日期{start_on.isoformat()}早于今天{today.isoformat()}：招聘公告不能从过去的日期开始报名，"
            f"请把开始日期定为今天或以后",
        )


def check_registration_over(end_on: date, today: date) -> None:
    """公示 follows registration: it may be published only after the registration deadline has passed."""
    if today <= end_on:
        raise DomainError(
            "registration_still_open",
            f"报名截止日期为{end_on.isoformat()}，今天（{today.isoformat()}）仍在报名期内：公示须在报名截止后发布，"
            f"最早{(end_on + timedelta(days=1)).isoformat()}",
        )


def publicity_period(published_on: date, n: int, exceptions: dict[date, bool]) -> tuple[date, date]:
    """(first day, last day) of a 公示 of n working days published on `published_on` (county calendar)."""
    return next_working_day(published_on, exceptions), add_working_days(published_on, n, exceptions)
