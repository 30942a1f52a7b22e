"""Records from other departments (issue 13 §4): deaths (民政/公安), social-insurance and employment
enrolment (人社), other departments' post rosters (护林员, 生态管护员 …), cadre lists with offices and terms,
and the category list of the 防返贫监测 system.

Each file (.xlsx or .csv, template downloadable) is checked whole and written all or nothing: every
problem is listed as 第N行，“列”列，值“…”：reason. Rows are matched by 身份证号, never by name (a name
column, when present, is only checked against the registry). An unknown 身份证号 or a malformed date
refuses the file. Each import is kept as an ImportBatch (source department, file name, SHA-256, date,
importer); the records it wrote point to it. Importing the same file again — or a file that brings
nothing new — changes nothing and writes no audit entry. Reading one cell and parsing a row live in
department_record_cells.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..documents.tables import Column, read_table
from ..domain.errors import DomainError
from ..domain.hiring import ExternalPost
from ..domain.people import CADRE_OFFICES, normalize_id_number, parse_id_number
from ..models.people import Person, Region
from ..models.registry import IMPORT_KIND_LABELS, ExternalPostRecord, ImportBatch
from . import audit
from .bulk import chunks
from .clock_binding import now_of
from .department_record_cells import CATEGORY_EXTRA_ALIASES as CATEGORY_EXTRA_ALIASES
from .department_record_cells import _Bad, _parse
from .department_record_plans import PLANNERS, Parsed, Who, write_plan
from .permissions import require
from .roster_cells import cell_text

ID = Column("id_number", "身份证号", ("公民身份号码", "身份证号码", "证件号码"), help="18位，设为文本格式")
NAME = Column("name", "姓名", (), required=False, help="可选：仅用于核对，与系统登记不符则整份文件不导入")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "deaths": (ID, NAME, Column("death_date", "死亡日期", ("死亡时间", "注销日期"), help="如 2026-03-01")),
    "employment": (
        ID,
        NAME,
        Column("employer", "单位名称", ("参保单位", "用人单位", "就业单位")),
        Column("start_on", "参保开始日期", ("开始日期", "参保日期", "就业日期")),
        Column("end_on", "参保结束日期", ("结束日期", "停保日期"), required=False, help="仍在参保则留空"),
        Column(
            "full_time", "用工形式", ("是否全日制",), required=False, help="全日制或非全日制，留空为全日制"
        ),
    ),
    "external_posts": (
        ID,
        NAME,
        Column("department", "主管部门", ("部门",), required=False, help="留空则为导入时所填的来源部门"),
        Column("post_name", "岗位名称", ("岗位",)),
        Column("start_on", "上岗日期", ("开始日期", "聘用日期")),
        Column("end_on", "离岗日期", ("结束日期",), required=False, help="仍在岗则留空"),
    ),
    "cadres": (
        ID,
        NAME,
        Column(
            "village", "村区划代码", ("村代码", "区划代码"), required=False, help="12位；留空为本人所在村"
        ),
        Column("office", "职务", ("职位",), help="、".join(CADRE_OFFICES)),
        Column("term_start", "任期开始", ("任职日期", "任期起")),
        Column("term_end", "任期结束", ("离任日期", "任期止"), required=False, help="仍在任则留空"),
    ),
    "categories": (
        ID,
        NAME,
        Column(
            "category",
            "人员类别",
            ("监测类型", "类别", "人员属性"),
            help="脱贫人口、防止返贫监测对象（监测对象）、边缘易致贫人员 等",
        ),
        Column("start_on", "认定日期", ("纳入日期", "识别日期", "开始日期")),
        Column(
            "end_on",
            "退出日期",
            ("风险消除日期", "结束日期", "标注消除日期"),
            required=False,
            help="仍在类别中则留空",
        ),
    ),
}
DEFAULT_DEPARTMENT = {
    "deaths": "民政局",
    "employment": "人社局",
    "external_posts": "林业局",
    "cadres": "组织部",
    "categories": "乡村振兴局",
}
EXAMPLES = {
    "deaths": ["522701197005060028", "王秀英", "2026-11-01"],
    "employment": ["522701198503010031", "李建国", "某某建材有限公司", "2026-06-01", "", "全日制"],
    "external_posts": ["522701198503010031", "李建国", "林业局", "生态护林员", "2026-01-01", ""],
    "cadres": ["522701196802290011", "张村长", "522701100201", "村委会主任", "2021-01-01", "2026-12-31"],
    "categories": ["522701197005060028", "王秀英", "防止返贫监测对象", "2024-03-01", ""],
}


@dataclass
class RecordImport:
    kind: str
    batch: ImportBatch | None = None
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    same_file: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "batch_id": self.batch.id if self.batch else None,
            "rows": self.rows,
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "same_file": self.same_file,
        }


def record_source(record) -> str:
    """The imported file behind a record, for messages: 人社局《参保.xlsx》（2026-11-20导入）."""
    batch = getattr(record, "batch", None)
    if batch is not None:
        return batch.label
    return getattr(record, "source", None) or ""


def external_posts_of(session: Session, id_number: str) -> tuple[ExternalPost, ...]:
    return external_posts_of_many(session, [id_number]).get(id_number, ())


def external_posts_of_many(session: Session, id_numbers) -> dict[str, tuple[ExternalPost, ...]]:
    """Other departments' roster entries of each ID number (by start date), one query per chunk."""
    found: dict[str, list[ExternalPost]] = {}
    for part in chunks(sorted(set(id_numbers))):
        for r in session.scalars(
            select(ExternalPostRecord)
            .where(ExternalPostRecord.id_number.in_(part))
            .order_by(ExternalPostRecord.start_on)
        ):
            found.setdefault(r.id_number, []).append(
                ExternalPost(r.department, r.post_name, r.start_on, r.end_on, r.batch.label)
            )
    return {k: tuple(v) for k, v in found.items()}


# ---------------------------------------------------------------- the import


LABELS = {c.key: c.label for cols in COLUMNS.values() for c in cols}


def _column_of(message: str, kind: str) -> str:
    for c in COLUMNS[kind]:
        if message.startswith(c.label) or c.label in message[:8]:
            return c.label
    return "—"


def import_records(
    session: Session, actor, kind: str, data: bytes, filename: str, source_department: str | None, today: date
) -> RecordImport:
    require(actor, "import_records")
    if kind not in COLUMNS:
        raise DomainError("import_kind", f"未知的数据类型：{kind}")
    county = actor.region
    if county is None or county.level != "county":
        raise DomainError("import_scope", "部门数据只能由县级管理员导入")
    department = (source_department or "").strip() or DEFAULT_DEPARTMENT[kind]
    if len(department) > 50:
        raise DomainError("import_department", "来源部门名称过长（最多50个字）")
    digest = hashlib.sha256(data).hexdigest()
    outcome = RecordImport(kind)
    if session.scalar(
        select(ImportBatch.id).where(
            ImportBatch.county_id == county.id, ImportBatch.kind == kind, ImportBatch.file_hash == digest
        )
    ):
        outcome.same_file = True
        return outcome
    what = IMPORT_KIND_LABELS[kind]
    table = read_table(data, filename, COLUMNS[kind], what=what + "文件")
    outcome.rows = len(table.rows)
    errors: list[str] = []
    numbers: dict[int, str] = {}
    for line, values in table.rows:
        raw = values.get("id_number")
        try:
            numbers[line] = parse_id_number(
                normalize_id_number(cell_text(raw)) if not isinstance(raw, float) else "x", today=today
            ).number
        except DomainError as err:
            shown = cell_text(raw)
            reason = (
                err.message
                if not isinstance(raw, float)
                else "身份证号被 Excel 存成了数字，后几位已丢失；请设为文本格式"
            )
            errors.append(f"第{line}行，“身份证号”列，值“{shown}”：{reason}")
    persons: dict[str, Who] = {}
    for part in chunks(sorted(set(numbers.values()))):
        for row in session.execute(
            select(Person.id, Person.id_number, Person.name, Person.village_id, Person.death_date)
            .join(Region, Region.id == Person.village_id)
            .where(Person.id_number.in_(part), Region.code.like(county.code[:6] + "%"))
        ):
            persons[row.id_number] = Who(*row)
    parsed: list[Parsed] = []
    seen: dict[tuple, int] = {}
    for line, values in table.rows:
        number = numbers.get(line)
        if number is None:
            continue
        person = persons.get(number)
        if person is None:
            errors.append(
                f"第{line}行，“身份证号”列，值“{number[:6]}********{number[-4:]}”：本县人员登记中没有此身份证号"
                f"（请先登记该人员或核对号码；不按姓名匹配）"
            )
            continue
        name = cell_text(values.get("name")).replace(" ", "")
        if name and name != person.name:
            errors.append(
                f"第{line}行，“姓名”列，值“{name}”：与该身份证号登记的姓名“{person.name}”不符，请核对"
            )
            continue
        try:
            row = _parse(kind, values, today)
        except _Bad as bad:
            msg = str(bad)
            col = _column_of(msg, kind)
            key = next((c.key for c in COLUMNS[kind] if c.label == col), None)
            shown = cell_text(values.get(key)) if key else ""
            errors.append(f"第{line}行，“{col}”列，值“{shown}”：{msg}")
            continue
        identity = (
            number,
            *(
                str(row.get(k))
                for k in ("employer", "post_name", "department", "office", "category", "start_on")
            ),
        )
        if identity in seen:
            errors.append(f"第{line}行，“身份证号”列：与第{seen[identity]}行重复")
            continue
        seen[identity] = line
        parsed.append(Parsed(line, person, row))
    if kind == "cadres":
        codes = sorted({r.values["village"] for r in parsed if r.values.get("village")})
        villages: dict[str, int] = {}
        for part in chunks(codes):
            villages.update(
                session.execute(
                    select(Region.code, Region.id).where(Region.code.in_(part), Region.level == "village")
                )
                .tuples()
                .all()
            )
        for r in parsed:
            code = r.values.get("village")
            if code and code not in villages:
                errors.append(f"第{r.line}行，“村区划代码”列，值“{code}”：系统中没有这个村")
            r.values["village_id"] = villages.get(code) if code else r.person.village_id
    if errors:
        raise DomainError(
            "import_rows_invalid",
            f"{what}导入未执行：{len(errors)}处错误，整份文件未写入，请改正后重新导入",
            details=errors,
        )
    plan = PLANNERS[kind](session, parsed, department)
    outcome.unchanged = len(parsed) - len(plan)
    if not plan:
        return outcome
    batch = ImportBatch(
        county_id=county.id,
        kind=kind,
        source_department=department,
        file_name=(filename or "")[:200],
        file_hash=digest,
        imported_on=today,
        imported_at=now_of(session),
        importer_id=actor.id,
        importer_name=actor.display_name,
        row_count=len(table.rows),
    )
    outcome.added, outcome.changed = plan.added, plan.changed
    batch.added, batch.changed = plan.added, plan.changed
    session.add(batch)
    write_plan(session, kind, plan, batch)
    outcome.batch = batch
    audit.record(
        session,
        actor,
        "import_records",
        "import_batch",
        batch.id,
        after={
            "kind": kind,
            "department": department,
            "file": filename,
            "sha256": digest,
            "rows": len(table.rows),
            "added": outcome.added,
            "changed": outcome.changed,
            "changes": plan.summaries[:500],
        },
        summary=f"导入{what}《{filename}》（{department}）：新增{outcome.added}条，更改{outcome.changed}条，"
        f"未变{outcome.unchanged}条",
    )
    if kind == "deaths":  # one entry per death, chained in one pass and written with one executemany
        died = {row["id"]: row["death_date"] for row in plan.updates}
        source = batch.label[:200]
        audit.record_many(
            session,
            actor,
            (
                (
                    "record_death",
                    "person",
                    r.person.id,
                    None,
                    {"death_date": died[r.person.id], "death_source": source},
                    f"登记{r.person.name}于{died[r.person.id].isoformat()}死亡（来源：{source}）",
                )
                for r in parsed
                if r.person.id in died
            ),
        )
    return outcome


def batches(session: Session, county: Region, kind: str | None = None, limit: int = 100) -> list[ImportBatch]:
    q = select(ImportBatch).where(ImportBatch.county_id == county.id)
    if kind:
        q = q.where(ImportBatch.kind == kind)
    return list(session.scalars(q.order_by(ImportBatch.id.desc()).limit(limit)))
