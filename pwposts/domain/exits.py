"""有序退岗 and after the post: exit reasons and dates, the late-report rule, the 311 schedule and the
四色预警 colours (DOMAIN.md §2 有序退岗, "After the post"). Pure functions, literal values in tests.

Dates
-----
An exit has an **event date** (the death, the first day of the other job, the day the category
ended, the contract's end) and an **effective date**: the first day the holder is no longer on the
post and no longer paid. The contract's ``exit_on`` is the last day paid, the day before the
effective date (never after the contract's own end). A death on 2026-05-10 → effective 2026-05-11,
exit_on 2026-05-10: May is paid for 10 of 31 days by the payroll's proration rule, June not at all.

Late report
-----------
An exit is reported (confirmed by township HR) within the county's ``exit_report_days`` (default 5)
after its event; confirmed later it is marked late (虚报冒领 risk: pay for a vacant post) and inspectors
see it. An event that lies in the future (a planned exit at the contract's end) is never late.

311 schedule
------------
For every exited holder without a job who wants one the county owes, per service year (counted from
the effective date of the exit: year 1 is the first twelve months, and so on), 3 job-information, 1
training-information and 1 career-guidance service. The year's quota is spread over its twelve
months and each service is owed as soon as its share has begun: after ``m`` whole months of the
year, ``ceil(quota × m ÷ 12)`` of each kind are due. So after one month one of each is due, after
five months two job-information services, after nine months all five. Fewer given in the service
year than due → behind schedule.

Colours (recomputed daily by the sweep; the idle threshold is the county setting colour_idle_days)
----------------------------------------------------------------------------------------------
- 绿 green: has a job (an employment record, or 就业 recorded as follow-up) or a post again (转岗 or an
  active contract), or the exit reason ends monitoring (death, moved away, age cap with a pension);
- 红 red: no job and no post for ``idle_days`` or more since the exit, and nobody in the household has
  a job or a post (零就业家庭), or the household is a 监测对象 household;
- 橙 orange: no job and no post for ``idle_days`` or more, and the year's 311 services are behind;
- 黄 yellow: no job and no post otherwise (recently exited, or 311 on schedule).
A household carries the worst colour of its members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from .errors import DomainError

EXIT_REASONS = {
    "employed": "已就业（找到其他工作）",
    "ineligible": "不再符合条件（收入超过标准或帮扶类别终止）",
    "assessment_failed": "年度考核不合格（不予续签）",
    "unable": "无法胜任（健康、技能原因）",
    "death": "死亡",
    "misconduct": "严重违纪或违法",
    "own_request": "本人申请退岗",
    "contract_end": "合同期满未续签",
    "moved_away": "户籍迁出",
    "retired": "达到年龄上限并领取养老金",
}
# Exit reasons after which the person is no longer followed (always green).
ENDS_MONITORING = ("death", "moved_away", "retired")

EXIT_STATES = ("proposed", "confirmed", "dismissed")
EXIT_STATE_LABELS = {"proposed": "待确认", "confirmed": "已退岗", "dismissed": "已驳回"}
EXIT_SOURCES = ("staff", "sweep")
EXIT_SOURCE_LABELS = {"staff": "经办人登记", "sweep": "系统每日巡检发现"}
PLACEMENTS = ("none", "转岗", "就业")
PLACEMENT_LABELS = {"none": "暂无安置", "转岗": "转岗", "就业": "就业"}

SERVICE_KINDS = {"job_info": "就业岗位信息", "training": "培训信息", "guidance": "职业指导"}
YEARLY_QUOTA = {"job_info": 3, "training": 1, "guidance": 1}  # "311", per service year

COLOURS = ("red", "orange", "yellow", "green")
COLOUR_LABELS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "green": "绿色"}
COLOUR_RANK = {c: i for i, c in enumerate(COLOURS)}  # lower = worse

SWEEP_ACTOR = "系统：每日巡检"


def reason_label(code: str) -> str:
    return EXIT_REASONS.get(code, code)


def check_reason(code: str) -> None:
    if code not in EXIT_REASONS:
        raise DomainError(
            "exit_reason_invalid", f"退岗原因“{code}”无效，可选：{'、'.join(EXIT_REASONS.values())}"
        )


def check_placement(placement: str) -> None:
    if placement not in PLACEMENTS:
        raise DomainError(
            "exit_placement_invalid",
            f"后续安置“{placement}”无效，可选：{'、'.join(PLACEMENT_LABELS.values())}",
        )


def check_dates(
    code: str, start_on: date, end_on: date, event_on: date, effective_on: date, today: date
) -> None:
    """The effective date falls after the contract's first day and at the latest the day after its end;
    the event is not after the effective date and, unless it is the exit itself, not in the future."""
    if effective_on <= start_on:
        raise DomainError(
            "exit_before_start",
            f"合同 {code} 自 {start_on.isoformat()} 起履行，退岗生效日期 {effective_on.isoformat()} "
            f"须晚于起始日期；尚未开始履行的合同请与本人核实后登记",
        )
    if effective_on > end_on + timedelta(days=1):
        raise DomainError(
            "exit_after_end",
            f"合同 {code} 至 {end_on.isoformat()} 期满，退岗生效日期 {effective_on.isoformat()} "
            f"最晚为期满次日 {(end_on + timedelta(days=1)).isoformat()}",
        )
    if event_on > effective_on:
        raise DomainError(
            "exit_event_after_effective",
            f"退岗事由发生日期 {event_on.isoformat()} 不得晚于退岗生效日期 {effective_on.isoformat()}",
        )
    if event_on > today and event_on != effective_on:
        raise DomainError(
            "exit_event_future",
            f"退岗事由发生日期 {event_on.isoformat()} 晚于今天 {today.isoformat()}，请核对",
        )


def last_paid_day(effective_on: date, end_on: date) -> date:
    """The contract's exit_on: the day before the effective date, never after the contract's end."""
    return min(effective_on - timedelta(days=1), end_on)


def effective_after(event_on: date, start_on: date) -> date:
    """An effective date the day after an event (a death), never on or before the contract's first day."""
    return max(event_on + timedelta(days=1), start_on + timedelta(days=1))


def is_late(event_on: date, recorded_on: date, limit_days: int) -> bool:
    """Recorded more than `limit_days` after the event (an event in the future is never late)."""
    return (recorded_on - event_on).days > limit_days


def days_overdue(event_on: date, today: date, limit_days: int) -> int:
    """How many days past the report limit an unreported exit is today (0 when still in time)."""
    return max(0, (today - event_on).days - limit_days)


# ---- 311 ----


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def whole_months(start: date, today: date) -> int:
    """Whole months from `start` to `today`, a month from a day the next month lacks ending at month end
    (2026-01-31 → 2026-02-27 is 0, → 2026-02-28 is 1; 2026-01-15 → 2026-03-14 is 1)."""
    if today < start:
        return 0
    n = (today.year - start.year) * 12 + today.month - start.month
    while n > 0 and add_months(start, n) > today:
        n -= 1
    return n


def service_year(effective_on: date, today: date) -> tuple[date, date, int]:
    """(first day, last day, whole months elapsed 0..11) of the service year `today` falls in."""
    months = whole_months(effective_on, today)
    year_index = months // 12
    first = add_months(effective_on, 12 * year_index)
    last = add_months(effective_on, 12 * (year_index + 1)) - timedelta(days=1)
    return first, last, months - 12 * year_index


def services_due(months_elapsed: int) -> dict[str, int]:
    """ceil(quota × m ÷ 12) of each kind after m whole months of the service year."""
    m = max(0, min(12, months_elapsed))
    return {k: -(-q * m // 12) for k, q in YEARLY_QUOTA.items()}


@dataclass(frozen=True)
class Schedule:
    year_first: date
    year_last: date
    months: int
    due: dict[str, int]
    given: dict[str, int]

    @property
    def shortfall(self) -> dict[str, int]:
        return {
            k: self.due[k] - self.given.get(k, 0) for k in YEARLY_QUOTA if self.due[k] > self.given.get(k, 0)
        }

    @property
    def behind(self) -> bool:
        return bool(self.shortfall)

    def text(self) -> str:
        parts = [f"{SERVICE_KINDS[k]}{self.given.get(k, 0)}/{self.due[k]}" for k in YEARLY_QUOTA]
        return "，".join(parts)


def schedule(effective_on: date, today: date, given_on: list[tuple[str, date]]) -> Schedule:
    """The 311 schedule on `today` for an exit effective on `effective_on`, from the (kind, date)
    services recorded; only those inside the current service year count."""
    first, last, months = service_year(effective_on, today)
    given = {k: 0 for k in YEARLY_QUOTA}
    for kind, on in given_on:
        if kind in given and first <= on <= min(last, today):
            given[kind] += 1
    return Schedule(first, last, months, services_due(months), given)


# ---- colours ----


@dataclass(frozen=True)
class ColourFacts:
    """Plain facts about one exited holder on a day, gathered by the service."""

    reason: str
    effective_on: date
    dead: bool = False
    has_job: bool = False
    job_text: str = ""
    has_post: bool = False
    household_has_worker: bool = False
    household_monitored: bool = False
    wants_work: bool = True
    schedule: Schedule | None = None
    extra: dict = field(default_factory=dict)


def colour_of(f: ColourFacts, today: date, idle_days: int) -> tuple[str, str]:
    """(colour, reason in Chinese) by the rules in this module's docstring."""
    if f.dead or f.reason == "death":
        return "green", "已故，不再跟踪"
    if f.reason in ENDS_MONITORING:
        return "green", f"退岗原因为“{reason_label(f.reason)}”，不再跟踪"
    if f.has_job:
        return "green", f"已就业{('：' + f.job_text) if f.job_text else ''}"
    if f.has_post:
        return "green", "已重新上岗（转岗或新岗位）"
    idle = (today - f.effective_on).days >= idle_days
    if idle and f.household_monitored:
        return "red", f"退岗满{idle_days}天未就业未上岗，且为防止返贫监测对象家庭"
    if idle and not f.household_has_worker:
        return "red", f"退岗满{idle_days}天未就业未上岗，且家庭无人就业或在岗（零就业家庭）"
    if idle and f.wants_work and f.schedule is not None and f.schedule.behind:
        return "orange", f"退岗满{idle_days}天未就业，本年度311服务落后（{f.schedule.text()}）"
    if not f.wants_work:
        return "yellow", "未就业未上岗，本人暂无就业意愿"
    if not idle:
        return "yellow", f"退岗未满{idle_days}天，未就业未上岗"
    return "yellow", "未就业未上岗，311服务按计划进行"


def worst(colours) -> str | None:
    """The worst colour of a household's members (None when no member has one)."""
    ranked = sorted((c for c in colours if c in COLOUR_RANK), key=COLOUR_RANK.get)
    return ranked[0] if ranked else None
