"""The national calendar: statutory holidays and 调休 make-up working days, as the State Council
announces them each November, read from the `chinesecalendar` package (kept up to date by upgrading
it). A county's own calendar entries sit on top of it (services/settings.calendar_exceptions); for a
year the package does not cover yet, only the county's own calendar applies and the pages say so.
"""

from __future__ import annotations

from datetime import date, timedelta

from chinese_calendar import constants as _cc

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
COVERED_YEARS = (min(_cc.holidays).year, max(max(_cc.holidays), max(_cc.workdays)).year)


def covers(year: int) -> bool:
    """Whether the installed package carries the State Council's calendar for `year`."""
    return COVERED_YEARS[0] <= year <= COVERED_YEARS[1]


def uncovered_years(start: date, end: date) -> list[int]:
    return [y for y in range(start.year, end.year + 1) if not covers(y)]


def _name(english) -> str:
    text = getattr(english, "value", english) or ""
    return HOLIDAY_NAMES.get(text, str(text))


def national_days(start: date, end: date) -> dict[date, tuple[bool, str]]:
    """{day: (is_workday, Chinese name)} for every day between start and end where the national calendar
    departs from Monday–Friday: a holiday on a weekday, or a make-up working day on a weekend."""
    out: dict[date, tuple[bool, str]] = {}
    d = start
    while d <= end:
        if d in _cc.holidays and d.weekday() < 5:
            out[d] = (False, _name(_cc.holidays[d]))
        elif d in _cc.workdays and d.weekday() >= 5:
            out[d] = (True, _name(_cc.workdays[d]) + "调休上班")
        d += timedelta(days=1)
    return out


def national_exceptions(start: date, end: date) -> dict[date, bool]:
    return {d: w for d, (w, _n) in national_days(start, end).items()}


def calendar_note(start: date, end: date) -> str:
    """'' when the national calendar covers start..end; else
    a note that the county's own calendar is in use."""
    years = uncovered_years(start, end)
    if not years:
        return ""
    shown = "、".join(f"{y}年" for y in years)
    return (
        f"内置的国家节假日安排尚未包含{shown}：{shown}的工作日按本县自己的节假日日历计算，"
        f"须在“政策设置→节假日日历”中登记法定节假日和调休上班日"
    )
