"""/api/v1 attendance and assessment: a village's month (list / enter), the township's approval, grades.

A village-month is small (its holders), so its lists are answered whole, not paginated.
Entering is all-or-nothing: a refused batch answers 422 with one `details` line per problem
("第3行 出勤日期“2026-09-31”：…不是真实存在的日期…").
"""

from __future__ import annotations

import re

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..domain import attendance as rules
from ..domain.contracts import ASSESSMENT_GRADES
from ..domain.errors import NotFound
from ..domain.formats import parse_month
from ..domain.inputs import MIN_MONTH_YEAR, check_year, halfwidth
from ..domain.pay import ATTENDANCE_STATES, DAY_KINDS
from ..domain.people import mask_id_number
from ..extensions import db
from ..models.contracts import Assessment, Contract
from ..models.people import Person
from ..models.posts import Post
from ..services import assessment as assessment_service
from ..services import attendance as attendance_service
from ..services.permissions import can, require
from .openapi import array, document, nullable, obj, ref, schema
from .v1 import BadInput, bp, int_arg, iso_utc, json_id, token_required

DATE = {"type": "string", "format": "date"}
MONTH = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "考勤月份 YYYY-MM"}
DAY_LINE = schema(
    "AttendanceDay",
    obj(
        {
            "day": DATE,
            "kind": {
                "type": "string",
                "enum": list(DAY_KINDS),
                "description": "work 出勤 / leave 请假 / absent 缺勤",
            },
        },
        required=("day", "kind"),
    ),
)
RECORD = schema(
    "AttendanceRecord",
    obj(
        {
            "id": {"type": "integer"},
            "status": {
                "type": "string",
                "enum": list(ATTENDANCE_STATES),
                "description": "draft 待审核 / approved 已审核 / locked 已发放锁定",
            },
            "days_worked": {"type": "integer"},
            "leave_days": {"type": "integer"},
            "absent_days": {"type": "integer"},
            "hours_worked": {"type": "integer", "nullable": True},
            "dates": array(ref("AttendanceDay")),
            "note": {"type": "string", "nullable": True},
            "entered_by": {"type": "string", "nullable": True},
            "entered_at": {"type": "string", "format": "date-time"},
            "approved_by": {"type": "string", "nullable": True},
            "approved_at": {"type": "string", "format": "date-time", "nullable": True},
        },
        required=(
            "id",
            "status",
            "days_worked",
            "leave_days",
            "absent_days",
            "hours_worked",
            "dates",
            "note",
            "entered_by",
            "entered_at",
            "approved_by",
            "approved_at",
        ),
    ),
)
HOLDER_PERSON = schema(
    "AttendancePerson",
    obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "id_number": {"type": "string", "description": "无权查看全号者得到脱敏值"},
        },
        required=("id", "name", "id_number"),
    ),
)
HOLDER_LINE = schema(
    "AttendanceHolder",
    obj(
        {
            "row": {"type": "integer", "description": "序号"},
            "contract_id": {"type": "integer"},
            "contract_code": {"type": "string"},
            "person": ref("AttendancePerson"),
            "post_title": {"type": "string"},
            "contract_start": DATE,
            "contract_last_day": DATE,
            "required_days": {"type": "integer"},
            "covered_days": {"type": "integer", "description": "本月合同覆盖的日历天数"},
            "counts_hours": {"type": "boolean", "description": "非全日制、按小时计的岗位"},
            "record": nullable(ref("AttendanceRecord")),
            "grade": {
                "type": "string",
                "enum": list(ASSESSMENT_GRADES),
                "nullable": True,
                "description": "月度考核",
            },
        },
        required=(
            "row",
            "contract_id",
            "contract_code",
            "person",
            "post_title",
            "contract_start",
            "contract_last_day",
            "required_days",
            "covered_days",
            "counts_hours",
            "record",
            "grade",
        ),
    ),
)
VILLAGE_MONTH = schema(
    "AttendanceVillageMonth",
    obj(
        {
            "village": ref("RegionRef"),
            "month": MONTH,
            "month_days": {"type": "integer"},
            "version": {
                "type": "integer",
                "description": "考勤表版本号：录入时原样传回，若此后已有他人保存则拒绝（409）",
            },
            "changed_by": {"type": "string", "nullable": True, "description": "最后保存本表的人员"},
            "changed_at": {"type": "string", "format": "date-time", "nullable": True},
            "items": array(ref("AttendanceHolder")),
        },
        required=("village", "month", "month_days", "version", "changed_by", "changed_at", "items"),
    ),
)
ROW_INPUT = schema(
    "AttendanceRowInput",
    obj(
        {
            "contract_id": {"type": "integer"},
            "days_worked": {
                "type": "integer",
                "minimum": 0,
                "maximum": 31,
                "description": "出勤天数；给了 dates 时可省略（按出勤日期计算）",
            },
            "leave_days": {"type": "integer", "minimum": 0, "maximum": 31},
            "absent_days": {"type": "integer", "minimum": 0, "maximum": 31},
            "hours": {
                "type": "integer",
                "minimum": 0,
                "nullable": True,
                "description": "出勤小时数（非全日制按小时计的岗位）",
            },
            "dates": {
                "oneOf": [
                    {"type": "string", "description": '如 "1,2,5-9" 或 "出勤:1-9；请假:10"'},
                    array({"oneOf": [DATE, ref("AttendanceDay")]}),
                ],
                "nullable": True,
                "description": "可选：出勤日期。给出时出勤天数须等于出勤日期数",
            },
            "note": {"type": "string", "nullable": True},
        },
        required=("contract_id",),
    ),
)
ENTRY_RESULT = schema(
    "AttendanceEntryResult",
    obj(
        {
            "month": MONTH,
            "village_id": {"type": "integer"},
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "record_ids": array({"type": "integer"}),
            "version": {"type": "integer", "description": "保存后的考勤表版本号，下次录入时传回"},
        },
        required=("month", "village_id", "created", "updated", "unchanged", "record_ids", "version"),
    ),
)
ASSESSMENT = schema(
    "Assessment",
    obj(
        {
            "id": {"type": "integer"},
            "contract_id": {"type": "integer"},
            "contract_code": {"type": "string"},
            "person": ref("AttendancePerson"),
            "kind": {"type": "string", "enum": ["monthly", "annual"]},
            "period": {"type": "string", "description": "月度 YYYY-MM，年度 YYYY"},
            "grade": {"type": "string", "enum": list(ASSESSMENT_GRADES)},
            "note": {"type": "string", "nullable": True},
            "assessed_at": {"type": "string", "format": "date-time"},
        },
        required=(
            "id",
            "contract_id",
            "contract_code",
            "person",
            "kind",
            "period",
            "grade",
            "note",
            "assessed_at",
        ),
    ),
)

VILLAGE_MONTH_QUERY = {
    "village_id": {"type": "integer", "required": True, "description": "村ID"},
    "month": {**MONTH, "required": True},
}


def _users(ids) -> dict[int, str]:
    from ..models.accounts import User

    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u.label for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def person_json(p: Person, actor) -> dict:
    full = can(actor, "view_full_id_number", p)
    return {"id": p.id, "name": p.name, "id_number": p.id_number if full else mask_id_number(p.id_number)}


def record_json(rec, users: dict[int, str]) -> dict:
    return {
        "id": rec.id,
        "status": rec.status,
        "days_worked": rec.days_worked,
        "leave_days": rec.leave_days,
        "absent_days": rec.absent_days,
        "hours_worked": rec.hours_worked,
        "dates": [{"day": d.day.isoformat(), "kind": d.kind} for d in rec.days],
        "note": rec.note,
        "entered_by": users.get(rec.entered_by_id),
        "entered_at": iso_utc(rec.entered_at),
        "approved_by": users.get(rec.approved_by_id),
        "approved_at": iso_utc(rec.approved_at),
    }


def _village_month_args():
    village_id = int_arg("village_id", minimum=1)
    month = request.args.get("month", "").strip()
    if village_id is None or not month:
        raise BadInput("须提供参数 village_id 与 month（如 2026-10）")
    return village_id, month


@bp.get("/attendance")
@document(
    "村月考勤",
    tags=["考勤"],
    response=VILLAGE_MONTH,
    query=VILLAGE_MONTH_QUERY,
    errors=(404, 422),
    description="某村某月的在岗人员（覆盖该月、状态为履行中/已到期/已解除的合同）及其考勤、月度考核。",
)
@token_required
def get_attendance():
    actor = g.actor
    require(actor, "view_attendance")
    village_id, month = _village_month_args()
    vm = attendance_service.village_month(db.session, actor, village_id, month, clock.today())
    users = _users(
        [h.record.entered_by_id for h in vm.holders if h.record]
        + [h.record.approved_by_id for h in vm.holders if h.record]
    )
    users.update(_users([vm.changed_by_id]))
    v = vm.village
    return jsonify(
        {
            "village": {"id": v.id, "code": v.code, "name": v.name, "level": v.level},
            "month": vm.month,
            "month_days": vm.month_days,
            "version": vm.version,
            "changed_by": users.get(vm.changed_by_id),
            "changed_at": iso_utc(vm.changed_at) if vm.changed_at else None,
            "items": [
                {
                    "row": h.row,
                    "contract_id": h.contract.id,
                    "contract_code": h.contract.code,
                    "person": person_json(h.person, actor),
                    "post_title": h.post.title,
                    "contract_start": h.contract.start_on.isoformat(),
                    "contract_last_day": h.contract.last_day.isoformat(),
                    "required_days": h.contract.required_days,
                    "covered_days": h.covered,
                    "counts_hours": h.term.counts_hours,
                    "record": record_json(h.record, users) if h.record else None,
                    "grade": h.grade.grade if h.grade else None,
                }
                for h in vm.holders
            ],
        }
    )


@bp.put("/attendance")
@document(
    "录入村月考勤",
    tags=["考勤"],
    response=ENTRY_RESULT,
    query=VILLAGE_MONTH_QUERY,
    errors=(404, 409, 422),
    body=obj(
        {
            "rows": array(ref("AttendanceRowInput")),
            "version": {
                "type": "integer",
                "minimum": 0,
                "description": "读取考勤表（GET）时返回的 version；若此后已有他人保存本表，"
                "则 409 拒绝并说明由谁于何时修改，不保存任何数据。省略则不比对",
            },
        },
        required=("rows",),
    ),
    description="按合同逐人录入（新增或修改待审核记录）。整批检查：任何一行有错则全部不保存，"
    "422 的 details 逐行列出错误。已审核或已锁定的记录不能修改；死亡之后、退岗之后、"
    "合同开始之前的日期不能计考勤。",
)
@token_required
def put_attendance():
    actor = g.actor
    require(actor, "enter_attendance")
    village_id, month = _village_month_args()
    data = request.get_json(silent=True)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("rows"), list)
        or not all(isinstance(r, dict) for r in data["rows"])
    ):
        raise BadInput('请求体须为JSON：{"rows": [{"contract_id": …, "days_worked": …}, …]}')
    rows = [{k: v for k, v in r.items() if k != "row"} for r in data["rows"]]
    result = attendance_service.enter_month(
        db.session, actor, village_id, month, rows, clock.today(), source="API", version=data.get("version")
    )
    month = rules.check_month(month, clock.today())
    return jsonify(
        {
            "month": month,
            "village_id": village_id,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "record_ids": [r.id for r in result.records],
            "version": attendance_service.sheet_version(db.session, village_id, month)[0],
        }
    )


@bp.post("/attendance/approve")
@document(
    "审核考勤",
    tags=["考勤"],
    errors=(404, 422),
    response=obj(
        {"approved": {"type": "integer"}, "record_ids": array({"type": "integer"})},
        required=("approved", "record_ids"),
    ),
    body=obj(
        {"region_id": {"type": "integer", "description": "乡镇ID（或村ID）"}, "month": MONTH},
        required=("region_id", "month"),
    ),
    description="乡镇经办人（或县级）审核该乡镇（或村）该月全部已录入、待审核的考勤；月份结束后才能审核。村级录入员无权审核。",
)
@token_required
def approve_attendance():
    actor = g.actor
    require(actor, "approve_attendance")
    data = request.get_json(silent=True)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("region_id"), int)
        or not isinstance(data.get("month"), str)
    ):
        raise BadInput('请求体须为JSON：{"region_id": 乡镇ID, "month": "2026-10"}')
    records = attendance_service.approve_month(
        db.session, actor, json_id(data, "region_id"), data["month"], clock.today()
    )
    return jsonify({"approved": len(records), "record_ids": [r.id for r in records]})


@bp.post("/attendance/records/<int:record_id>/reopen")
@document(
    "退回考勤修改",
    tags=["考勤"],
    response=ref("AttendanceRecord"),
    errors=(422,),
    body=obj({"reason": {"type": "string", "minLength": 2}}, required=("reason",)),
    description="把已审核、尚未发放的考勤退回为待审核，以便更正；已发放锁定的不能退回。",
)
@token_required
def reopen_attendance(record_id: int):
    actor = g.actor
    require(actor, "approve_attendance")
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("reason"), str):
        raise BadInput('请求体须为JSON：{"reason": "退回原因"}')
    rec = attendance_service.reopen_record(db.session, actor, record_id, data["reason"], clock.today())
    return jsonify(record_json(rec, _users([rec.entered_by_id])))


# ---- assessments ----


def assessment_json(a: Assessment, actor) -> dict:
    return {
        "id": a.id,
        "contract_id": a.contract_id,
        "contract_code": a.contract.code,
        "person": person_json(a.contract.person, actor),
        "kind": a.kind,
        "period": a.period,
        "grade": a.grade,
        "note": a.note,
        "assessed_at": iso_utc(a.assessed_at),
    }


@bp.get("/assessments")
@document(
    "考核结果",
    tags=["考核"],
    response=array(ref("Assessment")),
    errors=(404, 422),
    query={
        "village_id": {"type": "integer", "required": True, "description": "村ID"},
        "period": {
            "type": "string",
            "required": True,
            "pattern": r"^\d{4}(-\d{2})?$",
            "description": "月度考核 YYYY-MM，或年度考核 YYYY",
        },
    },
    description="某村某月（或某年度）已评定的考核结果，按合同列出。",
)
@token_required
def list_assessments():
    actor = g.actor
    require(actor, "view_attendance")
    village_id = int_arg("village_id", minimum=1)
    period = halfwidth(request.args.get("period", "")).strip()
    if village_id is None or not re.fullmatch(r"[0-9]{4}(-[0-9]{2})?", period):
        raise BadInput("须提供参数 village_id 与 period（月度如 2026-10，年度如 2026）")
    if len(period) == 4:
        check_year(int(period), period, "period", MIN_MONTH_YEAR)
    else:
        period = parse_month(period, "period")
    village = attendance_service.load_village(db.session, actor, village_id, "view_attendance")
    rows = (
        db.session.scalars(
            select(Assessment)
            .join(Contract, Assessment.contract_id == Contract.id)
            .join(Post, Contract.post_id == Post.id)
            .join(Person, Contract.person_id == Person.id)
            .where(Post.village_id == village.id, Assessment.period == period)
            .options(joinedload(Assessment.contract).joinedload(Contract.person))
            .order_by(Person.name, Contract.id)
        )
        .unique()
        .all()
    )
    return jsonify([assessment_json(a, actor) for a in rows])


@bp.post("/assessments")
@document(
    "评定考核",
    tags=["考核"],
    response=ref("Assessment"),
    errors=(404, 422),
    body=obj(
        {
            "contract_id": {"type": "integer"},
            "period": {
                "type": "string",
                "pattern": r"^\d{4}(-\d{2})?$",
                "description": "YYYY-MM 为月度考核，YYYY 为年度考核",
            },
            "grade": {"type": "string", "enum": list(ASSESSMENT_GRADES)},
            "note": {"type": "string", "nullable": True},
        },
        required=("contract_id", "period", "grade"),
    ),
    description="评定（或更改）一份合同的月度或年度考核；已发放锁定的月份不能再改。乡镇经办人或县级管理员。",
)
@token_required
def post_assessment():
    actor = g.actor
    require(actor, "enter_assessment")
    data = request.get_json(silent=True)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("contract_id"), int)
        or not isinstance(data.get("period"), str)
        or not isinstance(data.get("grade"), str)
    ):
        raise BadInput(
            '请求体须为JSON：{"contract_id": 合同ID, "period": "2026-10" 或 "2026", "grade": "合格"}'
        )
    json_id(data, "contract_id")
    period = halfwidth(data["period"]).strip()
    note = data.get("note") if isinstance(data.get("note"), str) else None
    today = clock.today()
    if re.fullmatch(r"[0-9]{4}", period):
        a = assessment_service.set_annual_grade(
            db.session, actor, data["contract_id"], period, data["grade"], today, note
        )
    elif re.fullmatch(r"[0-9]{4}-[0-9]{1,2}", period):
        a = assessment_service.set_monthly_grade(
            db.session, actor, data["contract_id"], period, data["grade"], today, note
        )
    else:
        raise BadInput(f"period“{period}”格式不对：月度如 2026-10，年度如 2026")
    if a is None:
        raise NotFound("考核")
    return jsonify(assessment_json(a, actor))
