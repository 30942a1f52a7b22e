"""Contract rules: kinds, states, grades, and the one-year rule (DOMAIN.md §2 以岗聘任 step 5)."""

from __future__ import annotations

from datetime import date, timedelta

from .errors import DomainError

CONTRACT_KINDS = ("劳务协议", "劳动合同")
CONTRACT_STATES = ("draft", "active", "ended", "terminated", "void")
CONTRACT_STATE_LABELS = {
    "draft": "待生效（未录入保险）",
    "active": "履行中",
    "ended": "已结束",
    "terminated": "已退岗",
    "void": "已作废",
}
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
        raise DomainError(
            "contract_dates_reversed", f"合同截止日期{end.isoformat()}早于起始日期{start.isoformat()}，请核对"
        )
    limit = latest_end(start)
    if end > limit:
        raise DomainError(
            "contract_over_one_year",
            f"每次签订的合同期限不得超过1年：{start.isoformat()} 至 {end.isoformat()} 超出，"
            f"截止日期最晚为 {limit.isoformat()}",
        )


# ---- the first signing after a hire ----


def first_terms(hired_on: date) -> tuple[date, date]:
    """The form's defaults for the first signing after a hire: from the day after the hire to the
    latest end the one-year rule allows."""
    start = hired_on + timedelta(days=1)
    return start, latest_end(start)


def check_start_after_hire(hired_on: date, start: date, person_name: str = "") -> None:
    """A contract never starts before the hire: no month is paid for work before the person was hired."""
    if start < hired_on:
        earliest = hired_on + timedelta(days=1)
        raise DomainError(
            "contract_before_hire",
            f"合同起始日期{start.isoformat()}早于{person_name}的聘用日期{hired_on.isoformat()}：合同不得从聘用之前开始，"
            f"请将起始日期定为聘用日期或以后（通常为{earliest.isoformat()}）",
        )


# ---- renewal, insurance, activation (DOMAIN.md §2 以岗聘任 step 5) ----

EXPIRING_DAYS = 30  # "ending soon" on the list filter and the dashboard
PASSING_GRADES = ("优秀", "合格")
# States that hold a place on the post and block another signing for the person.
LIVE_STATES = ("draft", "active")


def check_renewal_start(old_end: date, new_start: date) -> None:
    """A renewal follows the current signing without overlap and without a gap: it starts the day after."""
    expected = old_end + timedelta(days=1)
    if new_start <= old_end:
        raise DomainError(
            "renewal_overlaps",
            f"续签合同不得与现合同重叠：现合同至 {old_end.isoformat()} 止，"
            f"续签起始日期 {new_start.isoformat()} 应为 {expected.isoformat()}",
        )
    if new_start > expected:
        raise DomainError(
            "renewal_gap",
            f"续签须与现合同相接：现合同至 {old_end.isoformat()} 止，续签起始日期应为 "
            f"{expected.isoformat()}，收到 {new_start.isoformat()}；中断后再聘用须重新招聘",
        )


def check_annual_grade(contract_code: str, latest: tuple[str, str] | None) -> None:
    """Renewal needs a passed annual grade; `latest` = (year, grade) of the last year assessed, or None."""
    if latest is None:
        raise DomainError(
            "renewal_no_annual_grade",
            f"续签须以年度考核合格为前提：合同 {contract_code} 尚无年度考核结果，请先录入年度考核",
        )
    year, grade = latest
    if grade not in PASSING_GRADES:
        raise DomainError(
            "renewal_annual_grade_failed",
            f"{year}年度考核结果为“{grade}”，不予续签（年度考核不合格应有序退岗）",
        )


def check_policy_covers(policy_start: date, policy_end: date, start: date, end: date) -> None:
    """The accident-insurance policy covers the whole contract period."""
    if policy_end < policy_start:
        raise DomainError(
            "policy_dates_reversed",
            f"保险截止日期 {policy_end.isoformat()} 早于起始日期 {policy_start.isoformat()}，请核对",
        )
    if policy_start > start or policy_end < end:
        raise DomainError(
            "policy_not_covering",
            f"意外伤害保险须覆盖合同全期：保险期间 {policy_start.isoformat()} 至 {policy_end.isoformat()}"
            f" 未覆盖合同期限 {start.isoformat()} 至 {end.isoformat()}",
        )


def policy_covers(policy_start: date, policy_end: date, start: date, end: date) -> bool:
    return policy_start <= start and policy_end >= end


def party_a_name(township_name: str) -> str:
    """甲方: the township government — '东坪镇' → '东坪镇人民政府' (left as is when already so named)."""
    name = township_name.strip()
    return name if name.endswith("人民政府") else name + "人民政府"


# ---- 大写金额 ----

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _group(n: int) -> str:
    """1..9999 in capitals, zeros inside written once: 1001 → 壹仟零壹, 1010 → 壹仟零壹拾."""
    out, zero, started = [], False, False
    for pos in (3, 2, 1, 0):
        d = n // 10**pos % 10
        if d == 0:
            zero = zero or started
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[d] + _SMALL_UNITS[pos])
        started = True
    return "".join(out)


def _integer(n: int) -> str:
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(_BIG_UNITS):
        raise ValueError("amount too large")
    out, written, gap = [], False, False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            gap = gap or written
            continue
        if written and (gap or g < 1000):
            out.append("零")
        out.append(_group(g) + _BIG_UNITS[i])
        written, gap = True, False
    return "".join(out)


def capital_yuan(fen: int) -> str:
    """Integer 分 → 中文大写金额 as written on contracts and cheques.

    60000 → 陆佰元整; 123456 → 壹仟贰佰叁拾肆元伍角陆分; 1005 → 壹拾元零伍分; 30 → 叁角.
    '整' follows 元 only; a zero 角 between 元 and 分 is written 零.
    """
    fen = int(fen)
    sign = "负" if fen < 0 else ""
    fen = abs(fen)
    yuan_part, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    if rest == 0:
        return f"{sign}{_integer(yuan_part)}元整"
    out = f"{_integer(yuan_part)}元" if yuan_part else ""
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan_part:
        out += "零"
    if fen_digit:
        out += _DIGITS[fen_digit] + "分"
    return sign + out
