"""统计用区划代码: the level and parent of a region follow from its 12-digit code (DOMAIN.md §1).

县 = 6 digits + 000000, 乡镇 = 9 digits + 000, 村 = 12 digits (the last three not 000).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import DomainError

_DIGITS = re.compile(r"^\d{12}$")


def normalize_code(raw) -> str:
    """'522701 100 000', '522701100000.0', a number cell, full-width digits → '522701100000'."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def county_code(raw) -> str:
    """A county's code, given as 6 digits or as the full 12 (ending in 000000)."""
    code = normalize_code(raw)
    if re.fullmatch(r"\d{6}", code):
        code += "000000"
    if not _DIGITS.match(code) or not code.endswith("000000") or code[4:6] == "00":
        raise DomainError(
            "county_code_invalid",
            f"县级区划代码“{code}”无效：须为6位（如 522701）或12位且以000000结尾（如 522701000000）",
        )
    return code


def level_of(code: str) -> str:
    """'county', 'township' or 'village' for a valid 12-digit code; DomainError otherwise."""
    if not _DIGITS.match(code):
        raise DomainError("region_code_invalid", f"区划代码“{code}”须为12位数字")
    if code[6:] == "000000":
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == "village":
        return code[:9] + "000"
    if level == "township":
        return code[:6] + "000000"
    return None
