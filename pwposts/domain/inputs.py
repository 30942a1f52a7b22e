"""What a typed value may be before any rule looks at it: ids, full-width text, sane years.

* Ids: every primary key is a 32-bit INTEGER (PostgreSQL's `integer`), so an id above
  MAX_ID can name no row; sent to the database it would overflow (SQLite past 2^63,
  PostgreSQL past 2^31) and answer 500. Everything that turns outside input into an id —
  the URL converter, query strings, JSON bodies — goes through `parse_id`.
* Full-width input (２０２６－０３－０１, ２０２６年３月) is what Chinese input methods type;
  `halfwidth` folds it to ASCII once, and the date/month parsers use it.
* Years: business dates lie in MIN_YEAR … MAX_YEAR (birth dates reach back into the 1900s;
  the program started in the 2020s), months in MIN_MONTH_YEAR … MAX_YEAR. A value outside is
  refused with 400 naming it, instead of overflowing date arithmetic later.
"""

from __future__ import annotations

from typing import Any

from .errors import DomainError

MAX_ID = 2**31 - 1
MIN_YEAR, MAX_YEAR = 1900, 2100
MIN_MONTH_YEAR = 2000

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic space.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH.update({0x3000: 0x20, 0x2212: 0x2D, 0x2014: 0x2D, 0x3002: 0x2E})


def halfwidth(text: str) -> str:
    """'２０２６－０３－０１' → '2026-03-01'; Chinese characters (年, 月, 日) are kept."""
    return text.translate(_HALFWIDTH)


class BadValue(DomainError):
    """Input that cannot be a value of its kind at all (malformed or out of range): 400."""

    status = 400


def parse_id(raw: Any, label: str = "ID") -> int:
    """A positive id from a query string or JSON value.

    Digits only (full-width folded); booleans are not ids even though Python counts them as ints.
    Anything that is not a whole number in 1 … MAX_ID raises BadValue naming the label and the value.
    """
    if isinstance(raw, bool) or raw is None or isinstance(raw, float):
        raise BadValue("id_invalid", f"{label}须为正整数，收到 {raw!r}")
    text = halfwidth(str(raw)).strip()
    if not isinstance(raw, int) and not (text.isascii() and text.isdigit()):
        raise BadValue("id_invalid", f"{label}须为正整数，收到“{text[:40]}”")
    value = int(text) if len(text) <= 30 else MAX_ID + 1
    if value < 1:
        raise BadValue("id_invalid", f"{label}须为正整数，收到 {value}")
    if value > MAX_ID:
        raise BadValue("id_range", f"{label}“{text[:40]}”超出有效范围（最大{MAX_ID}），不存在这样的记录")
    return value


def check_year(year: int, text: str, label: str, minimum: int = MIN_YEAR) -> int:
    if not minimum <= year <= MAX_YEAR:
        raise BadValue("year_range", f"{label}“{text}”的年份{year}超出有效范围（{minimum}—{MAX_YEAR}年）")
    return year
