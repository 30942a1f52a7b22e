"""Contract rules: kinds, states, grades, and the one-year rule (DOMAIN.md §2 以岗聘任 step 5)."""
from __future__ import annotations

from datetime import date, timedelta

from .errors import DomainError

CONTRACT_KINDS = ("劳务协议", "劳动合同")
CONTRACT_STATES = ("draft", "active", "ended", "terminated", "void")
CONTRACT_STATE_LABELS = {"draft": "待生效（未录入保险）", "active": "履行中", "ended": "已到期/已续签",
                         "terminated": "已解除", "void": "已作废"}
ASSESSMENT_GRADES = ("优秀", "合格", "不合格")


def first_anniversary(start: date) -> date:
    """The start's first anniversary; that of 2月29日 is 3月1日 in a common year."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 2月29日 → 3月1日
        return date(start.year + 1, 3, 1)


def latest_end(start: date) -> date:
    """The last day a signing starting on `start` may run: the day before the first anniversary."""
    return first_anniversary(start) - timedelta(days=1)


def check_term(start: date, end: date) -> None:
    """Each signing lasts at most one year (hard rule, not a setting)."""
    if end < start:
        raise DomainError("contract_dates_reversed",
                          f"合同截止日期{end.isoformat()}早于起始日期{start.isoformat()}，请核对")
    limit = latest_end(start)
    if end > limit:
        raise DomainError(
            "contract_over_one_year",
            f"每次签订的合同期限不得超过1年：{start.isoformat()} 至 {end.isoformat()} 超出，"
            f"截止日期最晚为 {limit.isoformat()}",
        )
