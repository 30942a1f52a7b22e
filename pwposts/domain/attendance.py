"""在岗领补 step 1–2: the rules of a month's attendance and of assessment grades (DOMAIN.md §2).

Pure functions, no session. A month's entry for one holder is checked against the contract
as attendance sees it (`Term`: start, last day paid, required days) and returns every problem
at once as `Problem(field, value, reason)`; the service adds the row number.

Rules:
- the month is a real 'YYYY-MM' that has begun (no attendance for a month still to come);
- every date is a real date (2027-02-29, 2026-09-31 refused), inside the month, inside the
  contract (start_on … last_day), not after today, and no day listed twice; each refusal names the
  rule it broke: before the contract's start, after an exit (exit_on, the last day worked), after the
  contract's end, or after the holder's death (person.death_date; the day of death itself still counts);
- days worked ≤ the days of the month the contract covers up to the holder's death ("attendable");
  worked + leave + absence ≤ attendable; a month with no attendable day is refused as a whole;
- when dates are given, days worked equals the number of 'work' dates (and leave/absence
  the number of leave/absent dates when such dates are listed); a blank count is taken
  from the dates;
- hours (for part-time posts counted in hours) are optional, whole, and at most 24 per day worked.

Dates can be written as a list ("1,2,3,5-9" = days of the month, or full dates 2026-10-05),
optionally in sections "出勤:1-9；请假:10；缺勤:11".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from . import payroll as pay_rules
from .contracts import ASSESSMENT_GRADES
from .errors import DomainError
from .formats import month_bounds, month_heading, parse_date, parse_month
from .inputs import MIN_MONTH_YEAR, check_year
from .payroll import month_days, pays_performance  # noqa: F401 (attendance's names for them)

DAY_KIND_LABELS = {"work": "出勤", "leave": "请假", "absent": "缺勤"}
_KIND_WORDS = {
    "出勤": "work",
    "工作": "work",
    "work": "work",
    "请假": "leave",
    "假": "leave",
    "leave": "leave",
    "缺勤": "absent",
    "旷工": "absent",
    "缺": "absent",
    "absent": "absent",
}

# Field keys of an entry and how people (and the Excel template) name them.
FIELD_LABELS = {
    "month": "月份",
    "contract_id": "合同编号",
    "days_worked": "出勤天数",
    "leave_days": "请假天数",
    "absent_days": "缺勤天数",
    "hours": "出勤小时数",
    "dates": "出勤日期",
    "note": "备注",
    "grade": "月度考核",
}
MAX_NOTE = 500
MAX_HOURS_PER_DAY = 24


@dataclass(frozen=True)
class Term:
    """A contract as attendance sees it."""

    start_on: date
    last_day: date  # exit_on when it ended early, else end_on
    required_days: int
    counts_hours: bool = False  # part-time post whose standard counts hours
    exit_on: date | None = None  # the contract ended early: last_day == exit_on
    died_on: date | None = None  # the holder's death date, when recorded

    @property
    def last_attendable(self) -> date:
        """The last day attendance can count: the contract's last day, or the day of death when earlier."""
        return min(self.last_day, self.died_on) if self.died_on is not None else self.last_day


@dataclass
class Problem:
    """One refusal: which field, the value as given, and a Chinese reason. `row` is set by the caller."""

    field: str
    value: str
    reason: str
    row: int | None = None
    label: str | None = None  # a caller's own name for the column (e.g. the Excel header)

    @property
    def column(self) -> str:
        return self.label or FIELD_LABELS.get(self.field, self.field)

    def __str__(self) -> str:
        where = f"第{self.row}行 " if self.row is not None else ""
        value = f"“{self.value}”" if self.value not in ("", None) else "（空）"
        return f"{where}{self.column} {value}：{self.reason}"


@dataclass(frozen=True)
class DayMark:
    day: date
    kind: str = "work"


@dataclass
class Entry:
    """A checked month entry, ready to be written."""

    days_worked: int
    leave_days: int
    absent_days: int
    hours: int | None
    marks: list[DayMark] = field(default_factory=list)
    note: str | None = None


class AttendanceRejected(DomainError):
    """A batch refused as a whole; `problems` lists each row's problem."""

    def __init__(self, problems: list[Problem], message: str | None = None):
        self.problems = problems
        super().__init__(
            "attendance_invalid",
            message or f"考勤有{len(problems)}处错误，未保存任何数据；请按行改正后重新提交",
            details=[str(p) for p in problems],
        )


# ---------------------------------------------------------------- months and coverage


def check_month(raw: Any, today: date) -> str:
    """A real 'YYYY-MM' that has begun by `today`."""
    month = parse_month(raw, "考勤月份")
    first, _ = month_bounds(month)
    if first > today:
        raise DomainError(
            "month_in_future",
            f"考勤月份{month_heading(month)}尚未开始（今天是{today.isoformat()}），不能预先登记考勤",
        )
    return month


def months_between(first: date, last: date) -> list[str]:
    """Every 'YYYY-MM' from the month of `first` to the month of `last` (inclusive)."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def next_month(month: str) -> str:
    y, m = (int(x) for x in month.split("-"))
    return f"{y + (m == 12):04d}-{m % 12 + 1:02d}"


def previous_month(month: str) -> str:
    y, m = (int(x) for x in month.split("-"))
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def assessment_due(month: str, due_day: int) -> date:
    """The day a month's grades are due: `due_day` of the next month (county setting, default 10)."""
    first, last = month_bounds(next_month(month))
    return min(first.replace(day=min(due_day, 28)), last)


def month_ended(month: str, today: date) -> bool:
    return month_bounds(month)[1] < today


# ---------------------------------------------------------------- parsing values


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return unicodedata.normalize("NFKC", str(raw)).strip()


def parse_count(raw: Any, field_key: str, problems: list[Problem], *, maximum: int = 31) -> int | None:
    """A whole number of days 0 … maximum; blank → None; else a Problem."""
    text = _text(raw)
    if text == "":
        return None
    if isinstance(raw, bool):
        problems.append(Problem(field_key, text, "须为整数"))
        return None
    if isinstance(raw, float) and not raw.is_integer():
        problems.append(Problem(field_key, text, "须为整数天数，不能有小数"))
        return None
    text = text.removesuffix("天").strip()
    if not re.fullmatch(r"\d+", text):
        if re.fullmatch(r"-\d+", text):
            problems.append(Problem(field_key, text, "不能为负数"))
        elif re.fullmatch(r"\d+\.\d+", text):
            problems.append(Problem(field_key, text, "须为整数天数，不能有小数"))
        else:
            problems.append(Problem(field_key, text, "须为整数，如 20"))
        return None
    n = int(text)
    if n > maximum:
        problems.append(Problem(field_key, text, f"不能超过{maximum}"))
        return None
    return n


def parse_hours(raw: Any, problems: list[Problem]) -> int | None:
    """Optional whole hours."""
    text = _text(raw).removesuffix("小时").strip()
    if text == "":
        return None
    return parse_count(text, "hours", problems, maximum=31 * MAX_HOURS_PER_DAY)


def _kind_of(word: str) -> str | None:
    return _KIND_WORDS.get(word.strip().lower())


_FULL_DATE = re.compile(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?$")
_DAY = re.compile(r"^(\d+)日?$")
_RANGE = re.compile(r"^(\d+)日?\s*(?:-|~|～|至|到|—)\s*(\d+)日?$")


def _day_of_month(month: str, token: str, problems: list[Problem]) -> date | None:
    """Day number `token` of `month` as a date; an impossible one is refused as 不是真实存在的日期."""
    if len(token) > 2:
        problems.append(Problem("dates", token, "日数须为1至31之间的数字，或写完整日期如 2026-10-05"))
        return None
    try:
        return parse_date(f"{month}-{int(token):02d}", "日期")
    except DomainError as err:
        problems.append(Problem("dates", f"{month}-{int(token):02d}", err.message))
        return None


def parse_day_text(text: str, month: str, problems: list[Problem]) -> list[DayMark]:
    """'1,2,3,5-9' (days of `month`), full dates, or sections '出勤:1-9；请假:10；缺勤:11' → marks in order.

    Impossible dates become Problems whose reason says 不是真实存在的日期; nothing is dropped silently.
    """
    text = _text(text)
    marks: list[DayMark] = []
    if not text:
        return marks
    for section in re.split(r"[;；|\n]+", text):
        section = section.strip()
        if not section:
            continue
        kind = "work"
        m = re.match(r"^([^\d:：\s]+)\s*[:：]\s*(.*)$", section)
        if m:
            kind = _kind_of(m.group(1))
            if kind is None:
                problems.append(
                    Problem("dates", m.group(1), "日期分段只能标注“出勤”“请假”或“缺勤”，如 出勤:1-9；请假:10")
                )
                continue
            section = m.group(2)
        for token in re.split(r"[,，、\s]+", section):
            token = token.strip()
            if not token:
                continue
            if _FULL_DATE.match(token):
                try:
                    marks.append(DayMark(parse_date(token, "日期"), kind))
                except DomainError as err:
                    problems.append(Problem("dates", token, err.message))
                continue
            r = _RANGE.match(token)
            if r:
                a, b = r.group(1), r.group(2)
                if len(a) > 2 or len(b) > 2 or int(a) > int(b):
                    problems.append(Problem("dates", token, "日期范围应写成“起-止”，如 5-9（起不大于止）"))
                    continue
                for d in range(int(a), int(b) + 1):
                    day = _day_of_month(month, str(d), problems)
                    if day is not None:
                        marks.append(DayMark(day, kind))
                continue
            d = _DAY.match(token)
            if d:
                day = _day_of_month(month, d.group(1), problems)
                if day is not None:
                    marks.append(DayMark(day, kind))
                continue
            problems.append(
                Problem("dates", token, "看不懂这个日期：请写日数如 1,2,5-9，或完整日期如 2026-10-05")
            )
    return marks


def parse_marks(raw: Any, month: str, problems: list[Problem]) -> list[DayMark]:
    """Dates as given to a service: None, a text (see parse_day_text), or a list of
    'YYYY-MM-DD' / date / {"day": ..., "kind": "work|leave|absent"} / (day, kind)."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return parse_day_text(raw, month, problems)
    if isinstance(raw, date):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        problems.append(Problem("dates", _text(raw)[:100], "须为日期列表或如 1,2,5-9 的文字"))
        return []
    marks = []
    for item in raw:
        kind = "work"
        if isinstance(item, Mapping):
            day_raw, kind_raw = item.get("day", item.get("date")), item.get("kind", "work")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            day_raw, kind_raw = item
        else:
            day_raw, kind_raw = item, "work"
        kind = kind_raw if kind_raw in DAY_KIND_LABELS else _kind_of(str(kind_raw or ""))
        if kind is None:
            problems.append(
                Problem(
                    "dates", _text(kind_raw), "日期类别只能为 work（出勤）、leave（请假）、absent（缺勤）"
                )
            )
            continue
        try:
            marks.append(DayMark(parse_date(day_raw, "日期"), kind))
        except DomainError as err:
            problems.append(Problem("dates", _text(day_raw), err.message))
    return marks


def format_marks(marks: Iterable[DayMark]) -> str:
    """Marks → the compact text people type: '1-3,5；请假:4；缺勤:6' (days of one month)."""
    by_kind: dict[str, list[int]] = {}
    for m in sorted(marks, key=lambda m: m.day):
        by_kind.setdefault(m.kind, []).append(m.day.day)
    parts = []
    for kind in ("work", "leave", "absent"):
        days = by_kind.get(kind)
        if not days:
            continue
        text = _compress(days)
        parts.append(text if kind == "work" else f"{DAY_KIND_LABELS[kind]}:{text}")
    return "；".join(parts)


def _compress(days: list[int]) -> str:
    out, start, prev = [], None, None
    for d in days + [None]:
        if start is None:
            start = prev = d
        elif d is not None and d == prev + 1:
            prev = d
        else:
            out.append(
                str(start) if start == prev else f"{start},{prev}" if prev == start + 1 else f"{start}-{prev}"
            )
            start = prev = d
    return ",".join(out)


# ---------------------------------------------------------------- the checks


def term_text(term: Term) -> str:
    return f"{term.start_on.isoformat()} 至 {term.last_day.isoformat()}"


def outside_term(day: date, term: Term) -> str | None:
    """Why `day` cannot count under `term` (naming the rule and the date that bounds it), or None.

    The one check of a day against the contract and the holder, used for every entry path
    (the sheet, the API, the Excel import): before the start, after an exit, after the end, after death.
    """
    if day < term.start_on:
        return (
            f"不在合同期内：早于合同开始日{term.start_on.isoformat()}（合同期 {term_text(term)}），"
            "合同开始前的日期不能计考勤"
        )
    if term.died_on is not None and day > term.died_on:
        return f"晚于该人员的死亡日期{term.died_on.isoformat()}（已登记死亡），死亡之后的日期不能计考勤"
    if day > term.last_day:
        if term.exit_on is not None:
            return (
                f"不在合同期内：晚于退岗日{term.exit_on.isoformat()}（合同已于该日提前终止，"
                f"合同期 {term_text(term)}），"
                "退岗之后的日期不能计考勤"
            )
        return (
            f"不在合同期内：晚于合同到期日{term.last_day.isoformat()}（合同期 {term_text(term)}），"
            "合同到期后的日期不能计考勤"
        )
    return None


def month_outside_term(month: str, term: Term) -> str | None:
    """Why no day of `month` can count under `term`, or None when some day can."""
    first, last = month_bounds(month)
    if pay_rules.covered_days(month, term.start_on, term.last_day, death_date=term.died_on):
        return None
    heading = month_heading(month)
    if last < term.start_on:
        return (
            f"{heading}不在合同期内：合同自{term.start_on.isoformat()}开始（合同期 "
            f"{term_text(term)}），不能登记该月考勤"
        )
    if term.died_on is not None and term.died_on < first:
        return f"该人员已于{term.died_on.isoformat()}死亡，{heading}不能登记考勤"
    if term.exit_on is not None:
        return (
            f"{heading}不在合同期内：合同已于{term.exit_on.isoformat()}提前终止（退岗，"
            f"合同期 {term_text(term)}），"
            "不能登记该月考勤"
        )
    return f"{heading}不在合同期内（合同期 {term_text(term)}），不能登记该月考勤"


def _death_cuts(term: Term, month: str) -> bool:
    """The holder's death ends the attendable days within (or before) `month`, before the contract does."""
    return (
        term.died_on is not None and term.died_on < term.last_day and term.died_on <= month_bounds(month)[1]
    )


def _attendable_text(term: Term, month: str) -> str:
    """The bound of the days that can count this month, for a message."""
    text = f"合同期 {term_text(term)}"
    if _death_cuts(term, month):
        text += f"；该人员已于{term.died_on.isoformat()}死亡，之后的日期不能计考勤"
    return text


def check_marks(marks: list[DayMark], month: str, term: Term, today: date, problems: list[Problem]) -> None:
    """Each date inside the month, inside the contract and the holder's life, not after today, none twice."""
    first, last = month_bounds(month)
    seen: dict[date, str] = {}
    for m in marks:
        value = m.day.isoformat()
        if not first <= m.day <= last:
            problems.append(Problem("dates", value, f"不在考勤月份{month_heading(month)}内"))
            continue
        why = outside_term(m.day, term)
        if why:
            problems.append(Problem("dates", value, why))
            continue
        if m.day > today:
            problems.append(Problem("dates", value, f"晚于今天{today.isoformat()}，不能预先登记"))
            continue
        if m.day in seen:
            problems.append(
                Problem(
                    "dates",
                    value,
                    "同一天重复填写：每一天只能记一次"
                    + (f"（已记为{DAY_KIND_LABELS[seen[m.day]]}）" if seen[m.day] != m.kind else ""),
                )
            )
            continue
        seen[m.day] = m.kind


def check_entry(
    raw: Mapping[str, Any], month: str, term: Term, today: date
) -> tuple[Entry | None, list[Problem]]:
    """Check one holder's month: raw values as typed (or JSON) → (Entry, []) or (None, problems).

    `raw` keys: days_worked, leave_days, absent_days, hours, dates, note (any may be missing).
    """
    problems: list[Problem] = []
    why = month_outside_term(month, term)
    if why:
        problems.append(Problem("month", month, why))
        return None, problems
    covered = pay_rules.covered_days(month, term.start_on, term.last_day, death_date=term.died_on)
    limit = "本月可计考勤天数" if _death_cuts(term, month) else "本月合同覆盖天数"

    days = parse_count(raw.get("days_worked"), "days_worked", problems)
    leave = parse_count(raw.get("leave_days"), "leave_days", problems)
    absent = parse_count(raw.get("absent_days"), "absent_days", problems)
    hours = parse_hours(raw.get("hours"), problems)
    marks = parse_marks(raw.get("dates"), month, problems)
    note = _text(raw.get("note")) or None
    if note and len(note) > MAX_NOTE:
        problems.append(Problem("note", note[:20] + "…", f"备注过长（{len(note)}字，最多{MAX_NOTE}字）"))
    check_marks(marks, month, term, today, problems)
    if problems:
        return None, problems

    counted = {k: sum(1 for m in marks if m.kind == k) for k in DAY_KIND_LABELS}
    if days is None:
        if marks:
            days = counted["work"]
        else:
            problems.append(Problem("days_worked", "", "出勤天数不能为空（没有出勤请填 0）"))
            return None, problems
    if leave is None:
        leave = counted["leave"]
    if absent is None:
        absent = counted["absent"]

    if days > covered:
        problems.append(
            Problem("days_worked", str(days), f"超过{limit}{covered}天（{_attendable_text(term, month)}）")
        )
    elif days + leave + absent > covered:
        problems.append(
            Problem(
                "days_worked",
                str(days),
                f"出勤{days}天＋请假{leave}天＋缺勤{absent}天＝{days + leave + absent}天，"
                f"超过{limit}{covered}天（{_attendable_text(term, month)}）",
            )
        )
    if marks and days != counted["work"]:
        problems.append(
            Problem(
                "days_worked",
                str(days),
                f"与所列出勤日期的天数{counted['work']}天不一致，请核对出勤日期或出勤天数",
            )
        )
    if counted["leave"] and leave != counted["leave"]:
        problems.append(Problem("leave_days", str(leave), f"与所列请假日期的天数{counted['leave']}天不一致"))
    if counted["absent"] and absent != counted["absent"]:
        problems.append(
            Problem("absent_days", str(absent), f"与所列缺勤日期的天数{counted['absent']}天不一致")
        )
    if hours is not None and hours > days * MAX_HOURS_PER_DAY:
        problems.append(
            Problem(
                "hours",
                str(hours),
                f"超过出勤天数{days}天×{MAX_HOURS_PER_DAY}小时" if days else "没有出勤天数，不能有出勤小时数",
            )
        )
    if problems:
        return None, problems
    return Entry(days, leave, absent, hours, sorted(marks, key=lambda m: m.day), note), []


def is_blank_entry(raw: Mapping[str, Any]) -> bool:
    """Nothing typed for this holder (a row left empty on the screen or in the file)."""
    return all(
        _text(raw.get(k)) == "" for k in ("days_worked", "leave_days", "absent_days", "hours", "dates")
    )


# ---------------------------------------------------------------- grades

GRADE_ALIASES = {
    "优": "优秀",
    "良": "合格",
    "良好": "合格",
    "称职": "合格",
    "基本合格": "合格",
    "差": "不合格",
    "不称职": "不合格",
}


def parse_grade(raw: Any, field_key: str = "grade") -> str:
    text = re.sub(r"\s+", "", _text(raw))
    grade = GRADE_ALIASES.get(text, text)
    if grade not in ASSESSMENT_GRADES:
        raise DomainError(
            "grade_invalid", f"考核等次“{text}”不是可选值，可选：{'、'.join(ASSESSMENT_GRADES)}"
        )
    return grade


def parse_year(raw: Any, today: date) -> str:
    text = _text(raw).removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        raise DomainError("year_format", f"考核年度“{text}”格式不对，请填写如 2026")
    check_year(int(text), text, "考核年度", MIN_MONTH_YEAR)
    if int(text) > today.year:
        raise DomainError("year_in_future", f"{text}年度尚未开始，不能录入年度考核")
    return text


def days_in_year_covered(term_start: date, term_last: date, year: int) -> int:
    lo, hi = max(term_start, date(year, 1, 1)), min(term_last, date(year, 12, 31))
    return (hi - lo).days + 1 if lo <= hi else 0


def first_day_of(month: str) -> date:
    return month_bounds(month)[0]
