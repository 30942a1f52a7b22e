"""花名册 cells: the parsers of each column of an imported roster (text, ID number, categories, phone …),
the county's village index that resolves 所在村组, and the records of a checked row, its change and the
import's result. Used by the roster import (services/roster.py) and
the department records import; each parser raises _Bad with the Chinese reason for one cell."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import mul
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..documents.roster_xlsx import SkippedRow
from ..domain.errors import DomainError
from ..domain.people import (
    ACCOUNT_KINDS,
    CATEGORIES,
    WORK_CAPACITIES,
    IdInfo,
    formula_refusal,
    parse_id_number,
)
from ..models.people import Person, Region
from .audit import canonical
from .permissions import scope_prefix

CATEGORY_ALIASES = {
    "脱贫户": "脱贫人口",
    "脱贫": "脱贫人口",
    "监测对象": "防止返贫监测对象",
    "防返贫监测对象": "防止返贫监测对象",
    "易地扶贫搬迁": "易地搬迁人口",
    "易地搬迁": "易地搬迁人口",
    "低保": "农村低收入人口",
    "低保户": "农村低收入人口",
    "低收入人口": "农村低收入人口",
    "残疾人": "持证残疾人",
    "大龄人员": "大龄",
}
CAPACITY_ALIASES = {"全劳动力": "全劳力", "半劳动力": "半劳力", "弱劳动力": "弱劳力"}
ACCOUNT_KIND_ALIASES = {
    "银行": "银行卡",
    "银行账户": "银行卡",
    "存折": "银行卡",
    "社保": "社保卡",
    "社会保障卡": "社保卡",
}

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "sex": "性别",
    "village": "所在村",
    "group_name": "村民小组",
    "household": "户编号",
    "work_capacity": "劳动能力",
    "phone": "联系电话",
    "account_kind": "账户类型",
    "account_no": "账号",
    "account_name": "开户人",
    "categories": "人员类别",
}

_ID_AS_NUMBER = (
    "身份证号被 Excel 存成了数字（科学计数法，如 5.22701E+17），后几位已丢失、无法还原；"
    "请把该列单元格格式设为“文本”后重新录入完整号码"
)
_SCI = re.compile(r"^\d+(\.\d+)?E\+?\d+$", re.IGNORECASE)


_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_LIST_SEP = re.compile(r"[、,;，；\s]+")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1\d{10}")
_LANDLINE = re.compile(r"0\d{9,11}")
_CODE_FIRST = re.compile(r"(\d{12})(.*)")


class _Bad(Exception):
    """One cell's problem; becomes a RowError."""


# ---------------------------------------------------------------- cell values


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as YYYY-MM-DD, full-width folded (NFKC)."""
    if type(value) is str:  # the common case first
        return unicodedata.normalize("NFKC", value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).upper()
    return unicodedata.normalize("NFKC", str(value)).strip()


def _lost_precision(value: Any) -> bool:
    """A long number Excel kept as a float (5.22701E+17): its last digits are gone."""
    if isinstance(value, float):
        return not value.is_integer() or abs(value) >= 1e15
    return isinstance(value, str) and bool(_SCI.match(cell_text(value)))


_PLAIN_ID = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999, as domain.people
_ZEROS = ord("0") * sum(_WEIGHTS)
_CHECK = "10X98765432"
_BIRTHS: dict[str, date] = {}  # yyyymmdd → date: birth dates repeat across a roster


def _plain_id(text: str, today: date) -> IdInfo | None:
    """The common case at C speed: 18 ASCII characters with a valid date and check digit. None for anything
    else — parse_id_number then names what is wrong."""
    if len(text) != 18 or not _PLAIN_ID.fullmatch(text):
        return None
    born = _BIRTHS.get(text[6:14])
    if born is None:
        try:
            born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        except ValueError:
            return None
        if len(_BIRTHS) < 100_000:
            _BIRTHS[text[6:14]] = born
    if born.year < 1900 or born > today:
        return None
    if _CHECK[(sum(map(mul, text[:17].encode("ascii"), _WEIGHTS)) - _ZEROS) % 11] != text[17]:
        return None
    return IdInfo(text, born, "M" if text[16] in "13579" else "F")


def parse_id_cell(value: Any, today: date) -> IdInfo:
    if type(value) is str:
        info = _plain_id(value, today)
        if info is not None:
            return info
    if isinstance(value, float) or _lost_precision(value):
        raise _Bad(_ID_AS_NUMBER)
    try:
        return parse_id_number(cell_text(value), today=today)
    except DomainError as err:
        if isinstance(value, int) and not isinstance(value, bool):
            raise _Bad(err.message + "；该单元格是数字格式，请设为“文本”格式后重新录入") from None
        raise _Bad(err.message) from None


def parse_name(value: Any, label: str = "姓名") -> str:
    raw = value.lstrip(" \u3000") if isinstance(value, str) else value
    formula = formula_refusal(label, raw) if isinstance(raw, str) else None
    if formula:  # checked before the spaces (a leading tab among them) are taken out
        raise _Bad(formula)
    text = _SPACES.sub("", cell_text(value))
    if not text:
        raise _Bad(f"{label}不能为空")
    formula = formula_refusal(label, text)
    if formula:
        raise _Bad(formula)
    if len(text) > 50:
        raise _Bad(f"{label}过长（{len(text)}个字，最多50个）")
    if _DIGIT.search(text):
        raise _Bad(f"{label}“{text}”含数字，请核对是否填错了列")
    return text


def parse_categories(value: Any) -> list[str]:
    text = cell_text(value)
    found: list[str] = []
    for part in _LIST_SEP.split(text):
        if not part:
            continue
        cat = CATEGORY_ALIASES.get(part, part)
        if cat not in CATEGORIES:
            raise _Bad(f"人员类别“{part}”不是可选值，可选：{'、'.join(CATEGORIES)}（多个类别用“、”分隔）")
        if cat not in found:
            found.append(cat)
    return sorted(found, key=CATEGORIES.index)


def parse_capacity(value: Any) -> str | None:
    text = _SPACES.sub("", cell_text(value))
    if not text:
        return None
    text = CAPACITY_ALIASES.get(text, text)
    if text not in WORK_CAPACITIES:
        raise _Bad(f"劳动能力“{text}”不是可选值，可选：{'、'.join(WORK_CAPACITIES)}")
    return text


def parse_phone(value: Any) -> str | None:
    """11-digit mobile starting with 1, or a landline with its area code (stored as 0851-12345678)."""
    raw = cell_text(value)
    digits = _PHONE_NOISE.sub("", raw)
    if not digits:
        return None
    if digits.startswith("+86"):
        digits = digits[3:]
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(digits):
        area = 3 if digits[1] in "12" else 4
        if 7 <= len(digits) - area <= 8:
            return digits[:area] + "-" + digits[area:]
    hint = (
        "座机须带区号（如 0851-12345678）；"
        if re.fullmatch(r"[1-9]\d{6,10}", digits) and not digits.startswith("1")
        else ""
    )
    raise _Bad(
        f"联系电话“{raw}”格式不对：{hint}应为1开头的11位手机号，或带区号的固定电话（如 0851-12345678）"
    )


def parse_account(value: Any) -> str | None:
    if _lost_precision(value):
        raise _Bad("账号被 Excel 存成了数字（科学计数法），后几位已丢失；请把该列设为“文本”格式后重新录入")
    raw = cell_text(value)
    text = _SPACES.sub("", raw)
    if not text:
        return None
    if not text.isdigit():
        raise _Bad(f"银行/社保卡账号“{raw}”只能包含数字")
    if not 8 <= len(text) <= 30:
        raise _Bad(f"银行/社保卡账号“{raw}”位数不对（{len(text)}位），请核对")
    return text


def parse_account_kind(value: Any) -> str | None:
    text = _SPACES.sub("", cell_text(value))
    if not text:
        return None
    text = ACCOUNT_KIND_ALIASES.get(text, text)
    if text not in ACCOUNT_KINDS:
        raise _Bad(f"账户类型“{text}”不是可选值，可选：{'、'.join(ACCOUNT_KINDS)}")
    return text


def parse_household(value: Any) -> str | None:
    if _lost_precision(value):
        raise _Bad("户编号被 Excel 存成了数字（科学计数法），请把该列设为“文本”格式后重新录入")
    text = _SPACES.sub("", cell_text(value))
    if not text:
        return None
    if len(text) > 40:
        raise _Bad(f"户编号“{text}”过长（最多40个字符）")
    formula = formula_refusal("户编号", text)
    if formula:
        raise _Bad(formula)
    return text


# ---------------------------------------------------------------- villages

_NAME_SUFFIXES = (
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", ""),
    ("居委会", ""),
)
_GROUP = re.compile(r"(组|社|队)$")


def _name_variants(name: str) -> set[str]:
    names = {_SPACES.sub("", unicodedata.normalize("NFKC", name))}
    for suffix, repl in _NAME_SUFFIXES:
        for n in list(names):
            if n.endswith(suffix) and len(n) > len(suffix):
                names.add(n[: -len(suffix)] + repl)
    return names


class VillageIndex:
    """The county's villages (one query), resolvable by 区划代码, name, or township name + name."""

    def __init__(self, session: Session, actor):
        self.prefix = scope_prefix(actor) or "-"
        county = actor.region.code[:6] if getattr(actor, "region", None) else "-"
        regions = session.scalars(select(Region).where(Region.code.like(county + "%"))).all()
        self.by_id = {r.id: r for r in regions}
        self.by_code = {r.code: r for r in regions}
        self.by_key: dict[str, list[Region]] = {}
        for v in regions:
            if v.level != "village":
                continue
            town = self.by_id.get(v.parent_id)
            for n in _name_variants(v.name):
                self.by_key.setdefault(n, []).append(v)
                if town is not None:
                    for t in _name_variants(town.name):
                        self.by_key.setdefault(t + n, []).append(v)
        self.keys = sorted(self.by_key, key=len, reverse=True)
        self._cache: dict[str, tuple[Region, str | None] | str] = {}
        self._labels: dict[int | None, str] = {}
        self.scope_label = actor.region.name if getattr(actor, "region", None) else ""

    def in_scope(self, village_id: int | None) -> bool:
        v = self.by_id.get(village_id)
        return v is not None and v.code.startswith(self.prefix)

    def label(self, village_id: int | None) -> str:
        label = self._labels.get(village_id)
        if label is None:
            v = self.by_id.get(village_id)
            if v is None:
                return "（管辖范围外）"
            town = self.by_id.get(v.parent_id)
            label = self._labels[village_id] = f"{town.name if town else ''}{v.name}（{v.code}）"
        return label

    def resolve(self, value: Any) -> tuple[Region, str | None]:
        """(village, group or None); raises _Bad naming the value."""
        text = _SPACES.sub("", cell_text(value))
        if text not in self._cache:
            try:
                self._cache[text] = self._resolve(text)
            except _Bad as bad:
                self._cache[text] = str(bad)
        hit = self._cache[text]
        if isinstance(hit, str):
            raise _Bad(hit)
        return hit

    def _resolve(self, text: str) -> tuple[Region, str | None]:
        if not text:
            raise _Bad("所在村组不能为空")
        m = _CODE_FIRST.fullmatch(text)
        if m:
            region = self.by_code.get(m.group(1))
            if region is None:
                raise _Bad(f"区划代码“{m.group(1)}”不是本县的村，请核对12位统计用区划代码")
            if region.level != "village":
                raise _Bad(f"区划代码“{m.group(1)}”是{region.name}（乡镇或县），请填写村的区划代码")
            village, rest = region, m.group(2)
        else:
            key = next((k for k in self.keys if text.startswith(k)), None)
            if key is None:
                raise _Bad(f"未找到村“{text}”：请填写本县的村名（可加“X组”）或村的12位区划代码")
            candidates = {v.id: v for v in self.by_key[key]}
            if len(candidates) > 1:
                towns = "、".join(
                    self.by_id[v.parent_id].name for v in candidates.values() if v.parent_id in self.by_id
                )
                raise _Bad(f"本县有多个“{key}”（{towns}），请写成“乡镇名+村名”或填写12位区划代码")
            village, rest = next(iter(candidates.values())), text[len(key) :]
        rest = rest.lstrip("-_/·、,")
        if rest and not _GROUP.search(rest):
            raise _Bad(f"“{text}”中村名后的“{rest}”不是村民小组：村民小组应以“组”结尾，如“{village.name}3组”")
        if not village.code.startswith(self.prefix):
            raise _Bad(f"{village.name}不在您的管辖范围内（您只能导入{self.scope_label}的人员）")
        return village, (rest or None)


# ---------------------------------------------------------------- rows, changes, results

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "sex": "性别",
    "village": "所在村",
    "group_name": "村民小组",
    "household": "户编号",
    "work_capacity": "劳动能力",
    "phone": "联系电话",
    "account_kind": "账户类型",
    "account_no": "账号",
    "account_name": "开户人",
    "categories": "人员类别",
}


@dataclass
class RowError:
    row: int
    column: str
    value: str
    reason: str

    def as_tuple(self) -> tuple[int, str, str, str]:
        return self.row, self.column, self.value, self.reason


@dataclass
class _Row:
    number: int
    ok: bool = True
    id: IdInfo | None = None
    name: str | None = None
    village: Region | None = None
    group: str | None = None
    household: str | None = None
    categories: list[str] = field(default_factory=list)
    capacity: str | None = None
    phone: str | None = None
    account_no: str | None = None
    account_name: str | None = None
    account_kind: str | None = None


def created_after(r: _Row, village_label: str) -> dict:
    """The audit entry's `after` of a person created from row r."""
    return {
        "name": r.name,
        "id_number": r.id.number,
        "birth_date": r.id.birth_date.isoformat(),
        "sex": r.id.sex,
        "village": village_label,
        "group_name": r.group,
        "household": r.household,
        "work_capacity": r.capacity or "全劳力",
        "phone": r.phone,
        "account_kind": r.account_kind,
        "account_no": r.account_no,
        "account_name": r.account_name,
        "categories": r.categories,
    }


@dataclass
class PersonChange:
    """One person's change. A creation's `after` is built only when asked: for the few rows a page shows
    (after_values) and, once, for its audit entry (audit_after)."""

    row: int
    id_number: str
    name: str
    created: bool
    before: dict
    after: dict | None
    person: Person | None = None
    data: _Row | None = None
    add_categories: list[str] = field(default_factory=list)
    village_label: str = ""

    def after_values(self) -> dict:
        """`after` of the audit entry; a creation's is built from its row when asked (and kept: the preview
        asks for the few it shows)."""
        if self.after is None:
            self.after = created_after(self.data, self.village_label)
        return self.after

    def audit_after(self) -> str:
        """The canonical JSON of `after` for the audit entry — for a creation built from its row and made
        canonical in one step, nothing kept."""
        return canonical(
            self.after if self.after is not None else created_after(self.data, self.village_label)
        )

    def describe(self) -> str:
        if self.created:
            a = self.after_values()
            parts = [a["village"] + (a["group_name"] or "")]
            if a["household"]:
                parts.append(f"户编号 {a['household']}")
            if a["categories"]:
                parts.append("类别 " + "、".join(a["categories"]))
            return "新增人员：" + "；".join(parts)
        parts = []
        for k, new in self.after.items():
            old = self.before.get(k)
            if k == "categories":
                parts.append("人员类别：增加" + "、".join(c for c in new if c not in (old or [])))
            else:
                parts.append(f"{FIELD_LABELS.get(k, k)}：{_show(old)} → {_show(new)}")
        return "；".join(parts)


def _show(v: Any) -> str:
    if v in (None, ""):
        return "（空）"
    if isinstance(v, (list, tuple)):
        return "、".join(v) or "（空）"
    return str(v)


@dataclass
class ImportResult:
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[PersonChange] = field(default_factory=list)
    unchanged: int = 0
    new_households: dict[str, Region] = field(default_factory=dict)
    applied: bool = False
    skipped: list[SkippedRow] = field(default_factory=list)  # 合计/签字栏 rows: not persons, not imported
    checked: list[_Row] = field(default_factory=list, repr=False)  # every row, once the plan has no error
    household_ids: dict[str, int] = field(default_factory=dict, repr=False)  # 户编号 registered at the plan

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.created)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if not c.created)

    @property
    def ok(self) -> bool:
        return not self.errors
