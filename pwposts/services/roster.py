"""花名册 import and export (DOMAIN.md §4).

import_roster() checks the WHOLE file before writing anything: every problem becomes one
RowError (row as Excel shows it, column header, value, Chinese reason). With any error
nothing is written. Otherwise every person is upserted in the caller's transaction (flush
only — the view commits): persons are keyed by 身份证号, households by 户编号; one audit entry
per created or changed person with before/after of the changed fields, and one summary
entry for the file. A file that changes nothing writes nothing at all, not even the summary.

The file is read and parsed once: the web's check keeps checked_rows() of an error-free plan, and the
confirmation re-plans them with plan_checked() — only the database side (persons and households now
registered, the actor's villages) is looked at again, with a few IN-list queries. apply_import() writes
set-based: one executemany each for households, persons, categories and audit entries (the chain
computed in one pass by audit.record_many), updates grouped by the columns they change.

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

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..documents.roster_xlsx import HEADERS, RosterSheet, SkippedRow
from ..domain.errors import DomainError
from ..domain.people import CATEGORIES, IdInfo
from ..models.people import Household, Person, Region
from . import audit, bulk  # noqa: F401  (audit: tests patch roster.audit)
from .permissions import require
from .roster_apply import apply_import  # noqa: F401  (the writing step, moved out of this file)

# the cell parsers, the village index and the export moved out of this file (each under ~600 lines); the
# names stay importable from here
from .roster_cells import (  # noqa: F401
    ACCOUNT_KIND_ALIASES,
    CAPACITY_ALIASES,
    CATEGORY_ALIASES,
    FIELD_LABELS,
    ImportResult,
    PersonChange,
    RowError,
    VillageIndex,
    _Bad,
    _Row,
    cell_text,
    parse_account,
    parse_account_kind,
    parse_capacity,
    parse_categories,
    parse_household,
    parse_id_cell,
    parse_name,
    parse_phone,
)
from .roster_export import (  # noqa: F401
    EXAMPLE_ID_NUMBER,
    EXPORT_LIMIT,
    employer_of,
    export_count,
    export_rows,
    template_example,
)

_CHUNK = 500  # IN-list size for loading objects
_BIG_CHUNK = 5_000  # IN-list size for Core lookups of one or two columns (SQLite takes 32,766 variables)
STASH_VERSION = 1  # the layout of checked_rows(); a stash of another version is refused at confirm

# ---------------------------------------------------------------- import

# (column, the _Row attribute it fills, whether its values repeat enough to check each distinct one once)
_COLUMNS = (
    ("name", "name", False),
    ("id_number", "id", False),
    ("village", "village", True),
    ("household", "household", True),
    ("categories", "categories", True),
    ("work_capacity", "capacity", True),
    ("phone", "phone", False),
    ("account_no", "account_no", False),
    ("account_name", "account_name", True),
    ("account_kind", "account_kind", True),
)
_MISS = object()


def _account_name(value):
    return parse_name(value, "开户人") if cell_text(value) else None


def _parse_rows(
    sheet: RosterSheet, villages: VillageIndex, today: date, errors: list[RowError]
) -> list[_Row]:
    """Check every cell, column by column; a column whose values repeat (villages, categories, 户编号 …) is
    checked once per distinct value (the parsers are pure: the same value, the same answer or refusal)."""
    parsers = {
        "name": parse_name,
        "id_number": lambda v: parse_id_cell(v, today),
        "village": villages.resolve,
        "household": parse_household,
        "categories": parse_categories,
        "work_capacity": parse_capacity,
        "phone": parse_phone,
        "account_no": parse_account,
        "account_name": _account_name,
        "account_kind": parse_account_kind,
    }
    rows = [_Row(row.number) for row in sheet.rows]
    for key, attr, repeats in _COLUMNS:
        if key not in sheet.present:
            continue
        parse, header = parsers[key], HEADERS[key]
        cache: dict = {}
        for r, src in zip(rows, sheet.rows, strict=True):
            value = src.values.get(key)
            got = _MISS
            if repeats:
                try:
                    got = cache.get((type(value), value), _MISS)
                except TypeError:  # an unhashable value: checked alone
                    repeats = False
            if got is _MISS:
                try:
                    got = parse(value)
                except _Bad as bad:
                    got = bad
                if repeats:
                    cache[(type(value), value)] = got
            if type(got) is _Bad:
                r.ok = False
                errors.append(RowError(r.number, header, cell_text(value)[:100], str(got)))
            elif key == "village":
                r.village, r.group = got
            elif got is not None:
                setattr(r, attr, got)
    return rows


def _load_persons(session: Session, numbers: list[str]) -> dict[str, Person]:
    """The registered persons of these 身份证号: which exist, by a few large Core IN-lists; then only those
    as objects (with household and categories)."""
    found_numbers = []
    for chunk in bulk.chunks(sorted(set(numbers)), _BIG_CHUNK):
        found_numbers += [
            n for (n,) in bulk.select_in(session, Person.__table__, ("id_number",), "id_number", chunk)
        ]
    found: dict[str, Person] = {}
    for chunk in bulk.chunks(found_numbers, _CHUNK):
        q = (
            select(Person)
            .where(Person.id_number.in_(chunk))
            .options(joinedload(Person.household), selectinload(Person.categories))
        )
        for p in session.scalars(q).unique():
            found[p.id_number] = p
    return found


def _load_households(session: Session, codes: list[str]) -> dict[str, tuple[int, int]]:
    """{户编号: (id, village id)} of the registered ones among `codes`."""
    found: dict[str, tuple[int, int]] = {}
    for chunk in bulk.chunks(sorted(set(codes)), _BIG_CHUNK):
        for code, hid, village_id in bulk.select_in(
            session, Household.__table__, ("code", "id", "village_id"), "code", chunk
        ):
            found[code] = (hid, village_id)
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
    rows = _parse_rows(sheet, villages, today, errors)

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
    return _plan_rows(session, villages, rows, result, today)


# ---------------------------------------------------------------- checked rows kept for the confirmation


def checked_rows(result: ImportResult) -> dict:
    """The rows of an error-free plan as they were checked (JSON-able), so that the confirmation writes them
    without reading and parsing the file again; plan_checked() re-checks them against the database."""
    if result.errors:
        raise ValueError("only an error-free plan is kept")
    rows = [
        [
            r.number,
            r.name,
            r.id.number,
            r.id.birth_date.isoformat(),
            r.id.sex,
            r.village.id,
            r.group,
            r.household,
            r.categories,
            r.capacity,
            r.phone,
            r.account_no,
            r.account_name,
            r.account_kind,
        ]
        for r in result.checked
    ]
    skipped = [[s.number, s.reason, s.text] for s in result.skipped]
    return {"v": STASH_VERSION, "filename": result.filename, "rows": rows, "skipped": skipped}


def dump_checked(stash: dict) -> bytes:
    return json.dumps(stash, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def plan_checked(session: Session, actor, stash: dict, today: date) -> ImportResult:
    """Plan again from rows checked at upload: only what may have changed since — the persons and households
    now in the database, and the villages the actor may import into — is looked at again, set-based."""
    require(actor, "import_roster")
    if not isinstance(stash, dict) or stash.get("v") != STASH_VERSION:
        raise DomainError("roster_stash", "暂存的检查结果已失效（系统已升级），请重新上传文件")
    skipped = [SkippedRow(n, reason, text) for n, reason, text in stash["skipped"]]
    result = ImportResult(filename=stash["filename"], rows=len(stash["rows"]), skipped=skipped)
    villages = VillageIndex(session, actor)
    in_scope: dict[int, bool] = {}
    rows = []
    births: dict[str, date] = {}
    for (
        number,
        name,
        id_number,
        birth,
        sex,
        village_id,
        group,
        household,
        cats,
        cap,
        phone,
        no,
        holder,
        kind,
    ) in stash["rows"]:
        village = villages.by_id.get(village_id)
        born = births.get(birth) or births.setdefault(birth, date.fromisoformat(birth))
        r = _Row(number, True, IdInfo(id_number, born, sex), name, village, group)
        r.household, r.categories, r.capacity, r.phone = household, cats, cap, phone
        r.account_no, r.account_name, r.account_kind = no, holder, kind
        ok = in_scope.get(village_id)
        if ok is None:
            ok = in_scope[village_id] = village is not None and villages.in_scope(village_id)
        if not ok:
            r.ok = False
            r.village = None
            result.errors.append(
                RowError(number, HEADERS["village"], villages.label(village_id), "该村已不在您的管辖范围内")
            )
        rows.append(r)
    return _plan_rows(session, villages, rows, result, today)


def _plan_rows(
    session: Session,
    villages: VillageIndex,
    rows: list[_Row],
    result: ImportResult,
    today: date,
) -> ImportResult:
    """The checks against the database (set-based: a few IN-list queries) and the changes they leave. A
    creation's `after` is built when it is shown or written (PersonChange.after_values), not here."""
    errors = result.errors
    existing = _load_persons(session, [r.id.number for r in rows if r.id is not None])
    households = _load_households(session, [r.household for r in rows if r.household])

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
            if h is not None and h[1] != r.village.id:
                r.ok = False
                where = villages.label(h[1]) if villages.in_scope(h[1]) else "您管辖范围以外的村"
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
            label = villages.label(r.village.id)
            change = PersonChange(r.number, r.id.number, r.name, True, {}, None, None, r, list(r.categories))
            change.village_label = label
            result.changes.append(change)
            continue
        change = _update(r, person, villages, today)
        if change is None:
            result.unchanged += 1
        else:
            result.changes.append(change)
    result.checked = rows
    result.household_ids = {code: hid for code, (hid, _) in households.items()}
    used = {r.household for r in rows if r.household}
    result.new_households = {code: v for code, (v, _) in new_households.items() if code in used}
    return result


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


def import_roster(
    session: Session, actor, sheet: RosterSheet, today: date, *, filename: str = "", apply: bool = False
) -> ImportResult:
    """Validate the whole file; when `apply` and there is no error, write it (flush only)."""
    result = plan_import(session, actor, sheet, today, filename=filename)
    if apply and result.ok:
        apply_import(session, actor, result, today)
    return result
