"""Starting a real county without the demo: `init` (the county and its first administrator) and the
import of townships and villages from the official 统计用区划代码 list (DOMAIN.md §1, issue 13).

The import is all or nothing: every row's error is listed (row, column, value, reason) and nothing is
written unless all rows pass. Re-importing adds what is new and changes nothing else: a code already
known keeps its name (a different name in the file is reported, not applied); the very same file again
writes nothing and no audit entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..documents.tables import Column, read_table
from ..domain import regions as codes
from ..domain.errors import DomainError
from ..domain.roles import COUNTY_ADMIN
from ..models.accounts import User
from ..models.people import Region
from ..models.registry import ImportBatch
from . import audit
from .accounts import create_user
from .permissions import require

REGION_COLUMNS = (
    Column(
        "code",
        "统计用区划代码",
        ("区划代码", "代码", "code", "行政区划代码"),
        help="12位数字：乡镇为9位+000，村为12位；上级由代码推出",
    ),
    Column("name", "名称", ("单位名称", "区划名称", "name"), help="乡镇或村（社区）的名称"),
    Column("urban_rural", "城乡分类代码", ("城乡分类",), required=False, help="可选，仅供核对，不导入"),
)


def the_county(session: Session) -> Region | None:
    return session.scalar(select(Region).where(Region.level == "county").order_by(Region.id).limit(1))


def init_county(
    session: Session,
    *,
    code: str,
    name: str,
    admin_username: str,
    admin_password: str,
    admin_name: str,
    today: date,
) -> tuple[Region, User]:
    """Create the county and its first 县级管理员. Refused once a county exists."""
    existing = the_county(session)
    if existing is not None:
        raise DomainError(
            "county_exists",
            f"本系统已初始化为{existing.name}（{existing.code}）：不能再次初始化。"
            "如需新增用户，请以县级管理员登录后在“用户”中添加",
        )
    full = codes.county_code(code)
    label = (name or "").strip()
    if not label or len(label) > 100:
        raise DomainError("county_name_invalid", "县名称不能为空，且不超过100个字")
    if not (admin_name or "").strip():
        raise DomainError("admin_name_required", "请填写管理员姓名")
    county = Region(code=full, name=label, level="county")
    session.add(county)
    session.flush()
    audit.record(
        session,
        "系统初始化",
        "init_county",
        "region",
        county.id,
        after={"code": full, "name": label},
        summary=f"初始化县：{label}（{full}），{today.isoformat()}",
    )
    user = create_user(
        session,
        "系统初始化",
        username=admin_username,
        password=admin_password,
        display_name=admin_name.strip(),
        role=COUNTY_ADMIN,
        region=county,
    )
    return county, user


@dataclass
class RegionImportResult:
    added_townships: list[str] = field(default_factory=list)
    added_villages: list[str] = field(default_factory=list)
    unchanged: int = 0
    name_differs: list[str] = field(default_factory=list)  # known codes whose name in the file differs (kept)
    same_file: bool = False

    @property
    def added(self) -> int:
        return len(self.added_townships) + len(self.added_villages)

    def as_dict(self) -> dict:
        return {
            "added_townships": len(self.added_townships),
            "added_villages": len(self.added_villages),
            "unchanged": self.unchanged,
            "name_differs": self.name_differs,
            "same_file": self.same_file,
        }


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_regions(session: Session, actor, data: bytes, filename: str, today: date) -> RegionImportResult:
    """Import townships and villages of the actor's county from a 统计用区划代码 file (.xlsx or .csv)."""
    require(actor, "manage_regions")
    county = actor.region
    if county is None or county.level != "county":
        raise DomainError("region_scope", "区划代码只能由县级管理员导入")
    digest = file_hash(data)
    if session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.county_id == county.id, ImportBatch.kind == "regions", ImportBatch.file_hash == digest
        )
    ):
        return RegionImportResult(same_file=True)
    table = read_table(data, filename, REGION_COLUMNS, what="区划代码文件")
    prefix = county.code[:6]
    known = {r.code: r for r in session.scalars(select(Region).where(Region.code.like(prefix + "%")))}
    errors: list[str] = []
    seen: dict[str, int] = {}
    plan: list[tuple[str, str, str]] = []  # (code, name, level)
    result = RegionImportResult()
    for line, values in table.rows:
        raw = values.get("code")
        code = codes.normalize_code(raw)
        name = str(values.get("name") or "").strip()
        where = f"第{line}行"
        if not code:
            errors.append(f"{where}，“统计用区划代码”列：不能为空")
            continue
        try:
            level = codes.level_of(code)
        except DomainError as err:
            errors.append(f"{where}，“统计用区划代码”列，值“{code}”：{err.message}")
            continue
        if not code.startswith(prefix):
            errors.append(
                f"{where}，“统计用区划代码”列，值“{code}”：不属于本县（{county.name}，代码以{prefix}开头）"
            )
            continue
        if code in seen:
            errors.append(f"{where}，“统计用区划代码”列，值“{code}”：与第{seen[code]}行重复")
            continue
        seen[code] = line
        if level == "county":
            continue  # the county's own row
        if not name:
            errors.append(f"{where}，“名称”列：代码{code}的名称不能为空")
            continue
        if len(name) > 100:
            errors.append(f"{where}，“名称”列，值“{name[:20]}…”：名称过长（最多100个字）")
            continue
        old = known.get(code)
        if old is not None:
            result.unchanged += 1
            if old.name != name:
                result.name_differs.append(f"{code}：系统中为“{old.name}”，文件中为“{name}”（未更改）")
            continue
        plan.append((code, name, level))
    new_codes = {c for c, _n, _l in plan}
    for code, _name, level in plan:
        if level == "village":
            parent = codes.parent_code(code)
            if parent not in known and parent not in new_codes:
                errors.append(
                    f"第{seen[code]}行，“统计用区划代码”列，值“{code}”：所属乡镇{parent}既不在系统中也不在文件中，"
                    "请在文件中加上该乡镇的行"
                )
    if errors:
        raise DomainError(
            "import_rows_invalid",
            f"区划代码导入未执行：{len(errors)}处错误，请改正后重新导入",
            details=errors,
        )
    if not plan:
        return result
    by_code = dict(known)
    for code, name, level in sorted(plan):  # townships (…000) sort before their villages
        parent = by_code[codes.parent_code(code)] if level == "village" else county
        region = Region(code=code, name=name, level=level, parent=parent)
        session.add(region)
        by_code[code] = region
        (result.added_townships if level == "township" else result.added_villages).append(code)
    session.flush()
    batch = ImportBatch(
        county_id=county.id,
        kind="regions",
        source_department="国家统计局",
        file_name=filename[:200],
        file_hash=digest,
        imported_on=today,
        importer_id=actor.id,
        importer_name=actor.display_name,
        row_count=len(table.rows),
        added=result.added,
        changed=0,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        actor,
        "import_regions",
        "import_batch",
        batch.id,
        after={
            "file": filename,
            "sha256": digest,
            "townships": result.added_townships,
            "villages": result.added_villages,
        },
        summary=f"导入区划代码《{filename}》：新增乡镇{len(result.added_townships)}个、村{len(result.added_villages)}个，"
        f"已有{result.unchanged}个未变",
    )
    return result


def region_tree(session: Session, county: Region) -> list[tuple[Region, list[Region]]]:
    """[(township, [villages])] of the county, by code."""
    rows = session.scalars(
        select(Region)
        .where(Region.code.like(county.code[:6] + "%"), Region.level != "county")
        .order_by(Region.code)
    ).all()
    towns = {r.id: (r, []) for r in rows if r.level == "township"}
    for r in rows:
        if r.level == "village" and r.parent_id in towns:
            towns[r.parent_id][1].append(r)
    return list(towns.values())


def count_regions(session: Session, county: Region) -> dict[str, int]:
    rows = session.execute(
        select(Region.level, func.count())
        .where(Region.code.like(county.code[:6] + "%"))
        .group_by(Region.level)
    ).all()
    return {level: n for level, n in rows}
