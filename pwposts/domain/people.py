"""Registry rules: 身份证号 (GB 11643-1999), categories, relations, cadre offices."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from operator import mul

from .errors import DomainError

CATEGORIES = (
    "脱贫人口",
    "防止返贫监测对象",
    "易地搬迁人口",
    "农村低收入人口",
    "零就业家庭",
    "持证残疾人",
    "大龄",
    "边缘易致贫人员",
)
WORK_CAPACITIES = ("全劳力", "半劳力", "弱劳力")
RELATION_KINDS = ("配偶", "父母", "子女", "兄弟姐妹", "祖孙", "儿媳女婿", "公婆岳父母", "其他")
CADRE_OFFICES = (
    "党组织书记",
    "党组织副书记",
    "村委会主任",
    "村委会副主任",
    "村文书",
    "村务监督委员会主任",
    "其他财政补贴村干部",
)
ACCOUNT_KINDS = ("银行卡", "社保卡")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: date
    sex: str  # "M" or "F"


def normalize_id_number(raw: object) -> str:
    """Full-width digits, spaces and a lower-case x as typed or pasted from Excel → canonical."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").replace("\u200b", "")
    if text.endswith(".0") and text[:-2].isdigit():  # a number cell from Excel
        text = text[:-2]
    return text.upper()


def check_digit(first17: str) -> str:
    if len(first17) != len(_WEIGHTS):
        raise ValueError(f"check_digit() takes the first 17 characters, not {len(first17)}")
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


def parse_id_number(raw: object, *, today: date | None = None) -> IdInfo:
    """Validate an 18-character 身份证号 and derive birth date and sex from it.

    Each failure raises DomainError with its own Chinese reason.
    """
    number = normalize_id_number(raw)
    if not number:
        raise DomainError("id_empty", "身份证号不能为空")
    if len(number) != 18:
        raise DomainError("id_length", f"身份证号应为18位，“{number}”为{len(number)}位")
    if not _SHAPE.match(number):
        raise DomainError("id_chars", f"身份证号“{number}”含非法字符：前17位须为数字，末位为数字或X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise DomainError(
            "id_birth_date",
            f"身份证号“{number}”中的出生日期{number[6:10]}-{number[10:12]}-{number[12:14]}不是有效日期",
        ) from None
    if born.year < 1900 or (today and born > today):
        raise DomainError("id_birth_date", f"身份证号“{number}”中的出生日期{born.isoformat()}不合理")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise DomainError(
            "id_check_digit",
            f"身份证号“{number}”校验位错误：末位应为{expected}，实为{number[17]}，请核对号码",
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdInfo(number, born, sex)


def mask_id_number(number: str | None) -> str:
    """First 6 + 8 asterisks + last 4, for anyone without a need for the whole number."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * 8 + number[-4:]


_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
_ACCOUNT_IN_TEXT = re.compile(r"(?<![0-9*])[0-9]{12,15}([0-9]{4})(?![0-9])")


def mask_numbers_in_text(text: str | None) -> str:
    """Mask every ID number (first 6 + 8 * + last 4) and long account number (**** + last 4) in free text,
    e.g. an audit entry's before/after, for display in logs."""
    if not text:
        return text or ""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return _ACCOUNT_IN_TEXT.sub(lambda m: "****" + m.group(1), text)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_older_worker(sex: str, birth: date, on: date) -> bool:
    """大龄: women 45 and over, men 50 and over."""
    return age_on(birth, on) >= (45 if sex == "F" else 50)


def category_held(spans, category: str, on: date) -> bool:
    """Whether any (category, start_on, end_on) span covers `on`."""
    return any(c == category and s <= on and (e is None or on <= e) for c, s, e in spans)


SEX_LABELS = {"M": "男", "F": "女"}


# A spreadsheet runs text that starts with one of these as a formula (=HYPERLINK(…), +cmd|…, @SUM(…));
# the full-width forms are listed because input is folded (NFKC) in some paths and not in others.
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def formula_refusal(label: str, text: str | None) -> str | None:
    """The Chinese reason to refuse a free-text person field that a spreadsheet would run as a formula."""
    first = (text or "").lstrip(" \u3000")[:1]
    if not first or first not in FORMULA_STARTS:
        return None
    shown = {"\t": "制表符", "\r": "回车符"}.get(first, first)
    return (
        f"{label}“{text.strip()[:40]}”以“{shown}”开头，Excel 会把它当作公式执行（可能打开恶意链接），"
        f"不能作为{label}：请填写真实的{label}"
    )


_INVERSE = {"父母": "子女", "子女": "父母", "儿媳女婿": "公婆岳父母", "公婆岳父母": "儿媳女婿"}


def inverse_kind(kind: str) -> str:
    """The relation seen from the other side: if B is A's 父母, A is B's 子女."""
    return _INVERSE.get(kind, kind)
