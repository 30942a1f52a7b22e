"""花名册 import and export (DOMAIN.md §4).

import_roster() checks the WHOLE file before writing anything: every problem becomes one
RowError (row as Excel shows it, column header, value, Chinese reason). With any error
nothing is written. Otherwise every person is upserted in the caller's transaction (flush
only — the view commits): persons are keyed by 身份证号, households by 户编号; one audit entry
per created or changed person with before/after of the changed fields, and one summary
entry for the file. A file that changes nothing writes nothing at all, not even the summary.

Rules of the file (also in the template's 填写说明 sheet):
- birth date and sex come from the 身份证号, never from the file;
- for an existing person a blank cell means "leave as is" — an import never clears data;
- 人员类别 only adds: a category not yet held starts on the import date, held ones are kept,
  and a held category missing from the row is NOT ended;
- 所在村组 must be a village inside the actor's scope; a person already registered outside
  the actor's scope cannot be touched by the import;
- the 姓名 of an existing 身份证号 must match the registered name, so that a mistyped but valid
  number cannot overwrite someone else's record (a rename is done on the person, not by import);
- the post and contract columns (岗位名称 …) are carried by the template and export but not
  read yet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..documents.roster_xlsx import HEADERS, POST_KEYS, RosterRow, RosterSheet, SkippedRow
from ..domain.errors import DomainError
from ..domain.people import (
    ACCOUNT_KINDS,
    CATEGORIES,
    WORK_CAPACITIES,
    IdInfo,
    formula_refusal,
    mask_id_number,
    parse_id_number,
)
from ..models.contracts import Contract
from ..models.people import Household, Person, PersonCategory, Region
from ..models.policy import Fund
from ..models.posts import Post
from . import audit
from .people import PersonFilter, person_query
from .permissions import can, require, scope_prefix

EXPORT_LIMIT = 100_000
_CHUNK = 500  # IN-list size for set-based loads (well under SQLite's variable limit)

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


class _Bad(Exception):
    """One cell's problem; becomes a RowError."""


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


@dataclass
class PersonChange:
    row: int
    id_number: str
    name: str
    created: bool
    before: dict
    after: dict
    person: Person | None = None
    data: _Row | None = None
    add_categories: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.created:
            a = self.after
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

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.created)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if not c.created)

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- cell values


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as YYYY-MM-DD, full-width folded (NFKC)."""
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


def parse_id_cell(value: Any, today: date) -> IdInfo:
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
    text = re.sub(r"\s+", "", cell_text(value))
    if not text:
        raise _Bad(f"{label}不能为空")
    formula = formula_refusal(label, text)
    if formula:
        raise _Bad(formula)
    if len(text) > 50:
        raise _Bad(f"{label}过长（{len(text)}个字，最多50个）")
    if re.search(r"\d", text):
        raise _Bad(f"{label}“{text}”含数字，请核对是否填错了列")
    return text


def parse_categories(value: Any) -> list[str]:
    text = cell_text(value)
    found: list[str] = []
    for part in re.split(r"[、,;，；\s]+", text):
        if not part:
            continue
        cat = CATEGORY_ALIASES.get(part, part)
        if cat not in CATEGORIES:
            raise _Bad(f"人员类别“{part}”不是可选值，可选：{'、'.join(CATEGORIES)}（多个类别用“、”分隔）")
        if cat not in found:
            found.append(cat)
    return sorted(found, key=CATEGORIES.index)


def parse_capacity(value: Any) -> str | None:
    text = re.sub(r"\s+", "", cell_text(value))
    if not text:
        return None
    text = CAPACITY_ALIASES.get(text, text)
    if text not in WORK_CAPACITIES:
        raise _Bad(f"劳动能力“{text}”不是可选值，可选：{'、'.join(WORK_CAPACITIES)}")
    return text


def parse_phone(value: Any) -> str | None:
    """11-digit mobile starting with 1, or a landline with its area code (stored as 0851-12345678)."""
    raw = cell_text(value)
    digits = re.sub(r"[\s\-()（）]", "", raw)
    if not digits:
        return None
    if digits.startswith("+86"):
        digits = digits[3:]
    if re.fullmatch(r"1\d{10}", digits):
        return digits
    if re.fullmatch(r"0\d{9,11}", digits):
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
    text = re.sub(r"\s+", "", raw)
    if not text:
        return None
    if not text.isdigit():
        raise _Bad(f"银行/社保卡账号“{raw}”只能包含数字")
    if not 8 <= len(text) <= 30:
        raise _Bad(f"银行/社保卡账号“{raw}”位数不对（{len(text)}位），请核对")
    return text


def parse_account_kind(value: Any) -> str | None:
    text = re.sub(r"\s+", "", cell_text(value))
    if not text:
        return None
    text = ACCOUNT_KIND_ALIASES.get(text, text)
    if text not in ACCOUNT_KINDS:
        raise _Bad(f"账户类型“{text}”不是可选值，可选：{'、'.join(ACCOUNT_KINDS)}")
    return text


def parse_household(value: Any) -> str | None:
    if _lost_precision(value):
        raise _Bad("户编号被 Excel 存成了数字（科学计数法），请把该列设为“文本”格式后重新录入")
    text = re.sub(r"\s+", "", cell_text(value))
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
    names = {re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))}
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
        self.scope_label = actor.region.name if getattr(actor, "region", None) else ""

    def in_scope(self, village_id: int | None) -> bool:
        v = self.by_id.get(village_id)
        return v is not None and v.code.startswith(self.prefix)

    def label(self, village_id: int | None) -> str:
        v = self.by_id.get(village_id)
        if v is None:
            return "（管辖范围外）"
        town = self.by_id.get(v.parent_id)
        return f"{town.name if town else ''}{v.name}（{v.code}）"

    def resolve(self, value: Any) -> tuple[Region, str | None]:
        """(village, group or None); raises _Bad naming the value."""
        text = re.sub(r"\s+", "", cell_text(value))
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
        m = re.fullmatch(r"(\d{12})(.*)", text)
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


# ---------------------------------------------------------------- import


def _parse_row(
    row: RosterRow, present: frozenset[str], villages: VillageIndex, today: date, errors: list[RowError]
) -> _Row:
    r = _Row(row.number)

    def take(key: str, parse):
        if key not in present:
            return None
        value = row.get(key)
        try:
            return parse(value)
        except _Bad as bad:
            r.ok = False
            errors.append(RowError(row.number, HEADERS[key], cell_text(value)[:100], str(bad)))
            return None

    r.name = take("name", parse_name)
    r.id = take("id_number", lambda v: parse_id_cell(v, today))
    hit = take("village", villages.resolve)
    if hit:
        r.village, r.group = hit
    r.household = take("household", parse_household)
    r.categories = take("categories", parse_categories) or []
    r.capacity = take("work_capacity", parse_capacity)
    r.phone = take("phone", parse_phone)
    r.account_no = take("account_no", parse_account)
    r.account_name = take("account_name", lambda v: parse_name(v, "开户人") if cell_text(v) else None)
    r.account_kind = take("account_kind", parse_account_kind)
    return r


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _load_persons(session: Session, numbers: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for chunk in _chunks(sorted(set(numbers))):
        q = (
            select(Person)
            .where(Person.id_number.in_(chunk))
            .options(joinedload(Person.household), selectinload(Person.categories))
        )
        for p in session.scalars(q).unique():
            found[p.id_number] = p
    return found


def _load_households(session: Session, codes: list[str]) -> dict[str, Household]:
    found: dict[str, Household] = {}
    for chunk in _chunks(sorted(set(codes))):
        for h in session.scalars(select(Household).where(Household.code.in_(chunk))):
            found[h.code] = h
    return found


def _held(person: Person, today: date) -> list[str]:
    """Categories held now or later (open or ending on/after today) — the ones an import keeps."""
    held = {c.category for c in person.categories if c.end_on is None or c.end_on >= today}
    return sorted(held, key=CATEGORIES.index)


def plan_import(
    session: Session, actor, sheet: RosterSheet, today: date, *, filename: str = ""
) -> ImportResult:
    """Validate the whole sheet and work out what would change. Reads only."""
    require(actor, "import_roster")
    result = ImportResult(filename=filename, rows=len(sheet.rows), skipped=list(sheet.skipped))
    errors = result.errors
    villages = VillageIndex(session, actor)
    rows = [_parse_row(row, sheet.present, villages, today, errors) for row in sheet.rows]

    first_row: dict[str, int] = {}
    for r in rows:
        if r.id is None:
            continue
        if r.id.number in first_row:
            r.ok = False
            errors.append(
                RowError(
                    r.number,
                    HEADERS["id_number"],
                    r.id.number,
                    f"身份证号与第{first_row[r.id.number]}行重复：同一人在文件中只能出现一次",
                )
            )
        else:
            first_row[r.id.number] = r.number

    existing = _load_persons(session, [r.id.number for r in rows if r.id is not None])
    households = _load_households(
        session,
        [r.household for r in rows if r.household]
        + [p.household.code for p in existing.values() if p.household],
    )

    new_households: dict[str, tuple[Region, int]] = {}
    for r in rows:
        person = existing.get(r.id.number) if r.id is not None else None
        if person is not None and not villages.in_scope(person.village_id):
            r.ok = False
            errors.append(
                RowError(
                    r.number,
                    HEADERS["id_number"],
                    r.id.number,
                    "该人员已登记在您管辖范围以外的村，不能通过导入修改；如需迁入请联系县级管理员",
                )
            )
            continue
        if person is not None and r.name and r.name != person.name:
            # A valid but mistyped 身份证号 would otherwise overwrite someone else's record.
            r.ok = False
            errors.append(
                RowError(
                    r.number,
                    HEADERS["name"],
                    r.name,
                    f"该身份证号在系统中登记的姓名为“{person.name}”，与本行不一致：请核对身份证号；"
                    "如本人确已改名，请先在人员信息中修改姓名",
                )
            )
        if r.village is None:
            continue
        if r.household:
            h = households.get(r.household)
            if h is not None and h.village_id != r.village.id:
                r.ok = False
                where = (
                    villages.label(h.village_id) if villages.in_scope(h.village_id) else "您管辖范围以外的村"
                )
                errors.append(
                    RowError(
                        r.number,
                        HEADERS["household"],
                        r.household,
                        f"户编号“{r.household}”已登记在{where}，与本行所在村组不符",
                    )
                )
            elif h is None:
                village, at = new_households.setdefault(r.household, (r.village, r.number))
                if village.id != r.village.id:
                    r.ok = False
                    errors.append(
                        RowError(
                            r.number,
                            HEADERS["household"],
                            r.household,
                            f"户编号“{r.household}”在第{at}行属于{village.name}，本行却是{r.village.name}，"
                            "同一户只能在一个村",
                        )
                    )
        elif (
            person is not None
            and person.village_id != r.village.id
            and person.household is not None
            and person.household.village_id != r.village.id
        ):
            r.ok = False
            errors.append(
                RowError(
                    r.number,
                    HEADERS["household"],
                    "",
                    f"所在村由{villages.label(person.village_id)}改为{r.village.name}，"
                    "请同时填写该人员在新村的户编号",
                )
            )

    if errors:
        errors.sort(
            key=lambda e: (
                e.row,
                list(HEADERS.values()).index(e.column) if e.column in HEADERS.values() else 99,
            )
        )
        return result

    for r in rows:
        person = existing.get(r.id.number)
        if person is None:
            result.changes.append(_creation(r, villages, today))
            continue
        change = _update(r, person, villages, today)
        if change is None:
            result.unchanged += 1
        else:
            result.changes.append(change)
    used = {r.household for r in rows if r.household}
    result.new_households = {code: v for code, (v, _) in new_households.items() if code in used}
    return result


def _creation(r: _Row, villages: VillageIndex, today: date) -> PersonChange:
    after = {
        "name": r.name,
        "id_number": r.id.number,
        "birth_date": r.id.birth_date.isoformat(),
        "sex": r.id.sex,
        "village": villages.label(r.village.id),
        "group_name": r.group,
        "household": r.household,
        "work_capacity": r.capacity or "全劳力",
        "phone": r.phone,
        "account_kind": r.account_kind,
        "account_no": r.account_no,
        "account_name": r.account_name,
        "categories": r.categories,
    }
    return PersonChange(r.number, r.id.number, r.name, True, {}, after, None, r, list(r.categories))


def _update(r: _Row, p: Person, villages: VillageIndex, today: date) -> PersonChange | None:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}

    def diff(key: str, old, new):
        if new is not None and new != old:
            before[key], after[key] = old, new

    diff("name", p.name, r.name)
    if r.village.id != p.village_id:
        before["village"], after["village"] = villages.label(p.village_id), villages.label(r.village.id)
    diff("group_name", p.group_name, r.group)
    diff("household", p.household.code if p.household else None, r.household)
    diff("work_capacity", p.work_capacity, r.capacity)
    diff("phone", p.phone, r.phone)
    diff("account_kind", p.account_kind, r.account_kind)
    diff("account_no", p.account_no, r.account_no)
    diff("account_name", p.account_name, r.account_name)
    held = _held(p, today)
    add = [c for c in r.categories if c not in held]
    if add:
        before["categories"] = held
        after["categories"] = sorted(set(held) | set(add), key=CATEGORIES.index)
    if not after:
        return None
    return PersonChange(r.number, p.id_number, r.name or p.name, False, before, after, p, r, add)


def apply_import(session: Session, actor, result: ImportResult, today: date) -> ImportResult:
    """Write a planned, error-free import (flush only) with its audit entries."""
    require(actor, "import_roster")
    if result.errors:
        raise DomainError("roster_invalid", "花名册有错误，未导入任何数据")
    if not result.changes:
        return result
    households = _load_households(session, [c.data.household for c in result.changes if c.data.household])
    for code, village in result.new_households.items():
        if code not in households:
            h = Household(code=code, village_id=village.id)
            session.add(h)
            households[code] = h
    session.flush()

    for ch in result.changes:
        r = ch.data
        if ch.created:
            p = Person(
                name=r.name,
                id_number=r.id.number,
                birth_date=r.id.birth_date,
                sex=r.id.sex,
                village_id=r.village.id,
                group_name=r.group,
                household=households.get(r.household) if r.household else None,
                work_capacity=r.capacity or "全劳力",
                phone=r.phone,
                account_kind=r.account_kind,
                account_no=r.account_no,
                account_name=r.account_name,
            )
            session.add(p)
            ch.person = p
        else:
            p = ch.person
            for key in (
                "name",
                "group_name",
                "work_capacity",
                "phone",
                "account_kind",
                "account_no",
                "account_name",
            ):
                if key in ch.after:
                    setattr(p, key, ch.after[key])
            if "village" in ch.after:
                p.village_id = r.village.id
            if "household" in ch.after:
                p.household = households[r.household]
        for c in ch.add_categories:
            p.categories.append(PersonCategory(category=c, start_on=today))
    session.flush()

    source = f"花名册导入《{result.filename}》" if result.filename else "花名册导入"
    for ch in result.changes:
        if ch.created:
            audit.record(
                session,
                actor,
                "create_person",
                "person",
                ch.person.id,
                after=ch.after,
                summary=f"{source}第{ch.row}行：新增人员 {ch.name}",
            )
        else:
            fields = "、".join(FIELD_LABELS.get(k, k) for k in ch.after)
            audit.record(
                session,
                actor,
                "update_person",
                "person",
                ch.person.id,
                before=ch.before,
                after=ch.after,
                summary=f"{source}第{ch.row}行：更新人员 {ch.name}（{fields}）",
            )
    counts = {
        "file": result.filename,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "households_created": len(result.new_households),
    }
    skipped = ""
    if result.skipped:
        counts["skipped_rows"] = [s.number for s in result.skipped]
        skipped = f"；跳过{len(result.skipped)}行非人员行（合计、签字栏等）"
    audit.record(
        session,
        actor,
        "import_roster",
        "roster",
        None,
        after=counts,
        summary=f"{source}：共{result.rows}行，新增{result.created}人，更新{result.updated}人，"
        f"无变更{result.unchanged}人，新建{len(result.new_households)}户{skipped}",
    )
    result.applied = True
    return result


def import_roster(
    session: Session, actor, sheet: RosterSheet, today: date, *, filename: str = "", apply: bool = False
) -> ImportResult:
    """Validate the whole file; when `apply` and there is no error, write it (flush only)."""
    result = plan_import(session, actor, sheet, today, filename=filename)
    if apply and result.ok:
        apply_import(session, actor, result, today)
    return result


# ---------------------------------------------------------------- export


def export_count(session: Session, actor, f: PersonFilter, today: date) -> int:
    q = person_query(actor, f, today).order_by(None)
    return session.scalar(select(func.count()).select_from(q.subquery())) or 0


def export_rows(
    session: Session, actor, f: PersonFilter, today: date, *, limit: int = EXPORT_LIMIT
) -> Iterator[list]:
    """The roster rows of the actor's scope under the people-list filter, in the import layout.

    Raises DomainError before yielding anything when more than `limit` persons match.
    ID and account numbers are masked for roles without view_full_id_number.
    """
    require(actor, "export_roster")
    total = export_count(session, actor, f, today)
    if total > limit:
        raise DomainError(
            "export_too_large",
            f"符合条件的人员有{total:,}人，超过单次导出上限{limit:,}人，请按乡镇或村筛选后分批导出",
        )
    return _rows(session, actor, f, today)


def _rows(session: Session, actor, f: PersonFilter, today: date) -> Iterator[list]:
    full = can(actor, "view_full_id_number")
    county = actor.region.code[:6]
    ambiguous = set(
        session.scalars(
            select(Region.name)
            .where(Region.level == "village", Region.code.like(county + "%"))
            .group_by(Region.name)
            .having(func.count() > 1)
        )
    )
    blanks = [""] * len(POST_KEYS)
    posts = _post_columns(session, person_query(actor, f, today))
    q = person_query(actor, f, today).execution_options(yield_per=1000)
    for n, p in enumerate(session.scalars(q), start=1):
        v = p.village
        place = (v.parent.name + v.name if v.name in ambiguous and v.parent else v.name) + (
            p.group_name or ""
        )
        cats = "、".join(_current(p, today))
        account = p.account_no or ""
        if account and not full:
            account = "****" + account[-4:]
        yield [
            n,
            p.name,
            p.id_number if full else mask_id_number(p.id_number),
            p.household.code if p.household else "",
            cats,
            p.work_capacity,
            place,
            p.phone or "",
            account,
            p.account_name or "",
            *posts.get(p.id, blanks),
            p.account_kind or "",
        ]


def employer_of(village_name: str) -> str:
    """使用单位 of a village post: the village's committee (村民委员会, or 居民委员会 for a 社区)."""
    return village_name + ("居民委员会" if village_name.endswith("社区") else "村民委员会")


def _exit_text(exit_on: date | None, reason: str | None) -> str:
    return " ".join(x for x in (exit_on.isoformat() if exit_on else "", (reason or "").strip()) if x)


def _post_columns(session: Session, persons) -> dict[int, list]:
    """The 岗位名称 … 退岗日期及原因 columns (DOMAIN.md §4) per person id, two queries for the whole export:
    a current holder's active contract (with its early exit when one is recorded), else — for a former
    holder — the post and exit of the last contract that ended."""
    ids = select(persons.order_by(None).subquery().c.id)
    village = Region.__table__.alias("post_village")
    cols = (
        Contract.person_id,
        Contract.status,
        Post.title,
        village.c.name,
        Fund.name,
        Contract.full_time,
        Contract.allowance_fen,
        Contract.required_days,
        Contract.start_on,
        Contract.end_on,
        Contract.exit_on,
        Contract.end_reason,
    )
    base = (
        select(*cols)
        .join(Post, Post.id == Contract.post_id)
        .join(village, village.c.id == Post.village_id)
        .join(Fund, Fund.id == Post.fund_id)
        .where(Contract.person_id.in_(ids))
    )

    def columns(r, exit_text: str) -> list:
        return [
            r.title,
            employer_of(r.name),
            r.name_1,
            "全日制" if r.full_time else "非全日制",
            Decimal(r.allowance_fen) / 100,
            r.required_days,
            f"{r.start_on}至{r.end_on}",
            exit_text,
        ]

    out: dict[int, list] = {}
    for r in session.execute(base.where(Contract.status == "active")):
        out[r.person_id] = columns(r, _exit_text(r.exit_on, r.end_reason) if r.exit_on else "")
    last_ended = (
        select(func.max(Contract.id))
        .where(Contract.person_id.in_(ids), Contract.status.in_(("ended", "terminated")))
        .group_by(Contract.person_id)
    )
    for r in session.execute(base.where(Contract.id.in_(last_ended))):
        if r.person_id in out:
            continue
        reason = r.end_reason or ("协议到期" if r.status == "ended" else "")
        out[r.person_id] = columns(r, _exit_text(r.exit_on or r.end_on, reason))
    return out


def _current(p: Person, today: date) -> list[str]:
    held = {
        c.category for c in p.categories if c.start_on <= today and (c.end_on is None or c.end_on >= today)
    }
    return sorted(held, key=CATEGORIES.index)


# ---------------------------------------------------------------- template

EXAMPLE_ID_NUMBER = "11010519491231002X"  # the worked example of GB 11643 — valid, and nobody's


def template_example(session: Session, actor) -> list:
    """The template's example row (序号 “示例”, skipped on import), using a village the actor may import into."""
    prefix = scope_prefix(actor) or "-"
    village = session.scalars(
        select(Region)
        .where(Region.level == "village", Region.code.like(prefix + "%"))
        .order_by(Region.code)
        .limit(1)
    ).first()
    name = village.name if village else "东坪一村"
    household = (village.code if village else "522701100201") + "0001"
    return [
        "示例（导入时跳过）",
        "张三",
        EXAMPLE_ID_NUMBER,
        household,
        "脱贫人口、持证残疾人",
        "半劳力",
        f"{name}3组",
        "13812345678",
        "6217000000000000000",
        "张三",
        "保洁",
        f"{name}村民委员会",
        "衔接推进乡村振兴补助资金",
        "非全日制",
        600,
        20,
        "2026-01-01至2026-12-31",
        "",
        "社保卡",
    ]
