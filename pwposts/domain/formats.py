"""How users see numbers, dates and months: 1,234.56 元, 2026-03-01, 2026年3月 (Beijing time)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import DomainError
from .inputs import MIN_MONTH_YEAR, BadValue, check_year, halfwidth

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MAX_FEN = 10**12  # 100亿元: more than any county's budget; far inside a BIGINT


def yuan(fen: int | None, unit: bool = True) -> str:
    """Integer 分 → '1,234.56 元'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    text = f"{sign}{whole:,}.{cents:02d}"
    return text + " 元" if unit else text


def round_fen(value: Decimal) -> int:
    """Exact amount in 分 (a Decimal) → integer 分, half-up (四舍五入)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_yuan(raw: object, label: str = "金额") -> int:
    """'1,234.5' / 1234.5 / '600元' → 123450 分; refuses more than two decimals or non-numbers."""
    text = (
        str(raw if raw is not None else "")
        .strip()
        .replace(",", "")
        .replace("，", "")
        .replace("元", "")
        .strip()
    )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError("amount_invalid", f"{label}“{raw}”不是有效金额，请填写如 600 或 600.50") from None
    if not value.is_finite():
        raise DomainError("amount_invalid", f"{label}“{raw}”不是有效金额")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise DomainError("amount_precision", f"{label}“{raw}”最多保留两位小数（到分）")
    if abs(cents) > MAX_FEN:
        raise BadValue("amount_range", f"{label}“{raw}”超出有效范围（不超过{MAX_FEN // 100:,}元）")
    return int(cents)


def ymd(value: date | datetime | None) -> str:
    """A date as 2026-03-01; a stored naive-UTC timestamp as its Beijing date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        value = aware.astimezone(BEIJING).date()
    return value.isoformat()


def beijing(value: datetime | None) -> str:
    """A stored naive-UTC timestamp shown in Beijing time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def parse_date(raw: object, label: str = "日期") -> date:
    """Accept a date, a datetime, or 'YYYY-MM-DD' (also 'YYYY/MM/DD', 'YYYY.MM.DD', '2026年3月1日',
    full-width digits); refuse impossible dates and years outside inputs.MIN_YEAR … MAX_YEAR (400)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = halfwidth(str(raw or "")).strip()
    m = re.match(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?$", text)
    if not m:
        raise DomainError("date_format", f"{label}“{text}”格式不对，请填写如 2026-03-01")
    y, mo, d = (int(g) for g in m.groups())
    check_year(y, text, label)
    try:
        return date(y, mo, d)
    except ValueError:
        raise DomainError(
            "date_invalid", f"{label}“{text}”不是真实存在的日期（{y}年{mo}月没有{d}日）"
        ) from None


def parse_month(raw: object, label: str = "月份") -> str:
    """'2026-03' (also '2026-3', '2026年3月', full-width digits) → '2026-03'; a year outside
    inputs.MIN_MONTH_YEAR … MAX_YEAR is refused (400) naming the value."""
    text = halfwidth(str(raw or "")).strip()
    m = re.match(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?$", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise DomainError("month_format", f"{label}“{text}”格式不对，请填写如 2026-03")
    check_year(int(m.group(1)), text, label, MIN_MONTH_YEAR)
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def month_heading(month: str) -> str:
    """'2026-03' → '2026年3月'."""
    m = _MONTH.match(month or "")
    if not m:
        return month or ""
    return f"{int(m.group(1))}年{int(m.group(2))}月"


def month_bounds(month: str) -> tuple[date, date]:
    y, m = (int(x) for x in month.split("-"))
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
