"""/api/v1 有序退岗: exits (record, propose, confirm, dismiss, placement, notice PDF), HR's worklist,
the year-end renewals, 311 services and the 四色预警 colours."""

from __future__ import annotations

import io

from flask import g, jsonify, request, send_file

from .. import clock
from ..documents.exits_pdf import exit_notice_filename, exit_notice_pdf
from ..domain import exits as rules
from ..domain.contracts import CONTRACT_STATE_LABELS
from ..domain.people import mask_id_number
from ..extensions import db
from ..models.exits import ContractExit, FollowupService, PersonColour
from ..services import exits as service
from ..services.permissions import can, require
from .contracts import body_date, body_text, json_body
from .openapi import array, document, nullable, obj, schema
from .people import request_text
from .v1 import BadInput, bp, choice_arg, flag_arg, int_arg, paginated, token_required

DATE = {"type": "string", "format": "date"}
TAGS = ["退岗"]

EXIT = schema(
    "Exit",
    obj(
        {
            "id": {"type": "integer"},
            "contract_id": {"type": "integer"},
            "contract_code": {"type": "string"},
            "contract_status": {"type": "string"},
            "contract_status_label": {"type": "string"},
            "exit_on": nullable(DATE),
            "person": obj(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "id_number": {"type": "string", "description": "无权查看全号者得到脱敏值"},
                },
                required=("id", "name", "id_number"),
            ),
            "post": obj(
                {"id": {"type": "integer"}, "title": {"type": "string"}, "village": {"type": "string"}},
                required=("id", "title", "village"),
            ),
            "reason": {"type": "string", "enum": list(rules.EXIT_REASONS)},
            "reason_label": {"type": "string"},
            "status": {
                "type": "string",
                "enum": list(rules.EXIT_STATES),
                "description": "proposed 待确认 · confirmed 已退岗 · dismissed 已驳回",
            },
            "source": {"type": "string", "enum": list(rules.EXIT_SOURCES)},
            "event_on": DATE,
            "effective_on": {**DATE, "description": "自此日起不在岗、停止发放"},
            "evidence": {"type": "string", "nullable": True},
            "note": {"type": "string", "nullable": True},
            "placement": {"type": "string", "enum": list(rules.PLACEMENTS)},
            "placement_note": {"type": "string", "nullable": True},
            "wants_work": {"type": "boolean"},
            "proposed_on": DATE,
            "proposed_by": {"type": "string"},
            "confirmed_on": nullable(DATE),
            "late": {"type": "boolean", "description": "超过县定报告时限才确认"},
            "report_limit_days": {"type": "integer", "nullable": True},
            "dismissed_on": nullable(DATE),
            "dismiss_reason": {"type": "string", "nullable": True},
        },
        required=(
            "id",
            "contract_id",
            "contract_code",
            "person",
            "post",
            "reason",
            "status",
            "event_on",
            "effective_on",
            "placement",
            "wants_work",
            "late",
        ),
    ),
)
EXIT_BODY = obj(
    {
        "contract_id": {"type": "integer"},
        "reason": {
            "type": "string",
            "enum": list(rules.EXIT_REASONS),
            "description": "；".join(f"{k} {v}" for k, v in rules.EXIT_REASONS.items()),
        },
        "event_on": {**DATE, "description": "事由发生日期（死亡、新工作开始、类别终止次日、期满次日）"},
        "effective_on": {**DATE, "description": "退岗生效日期：自此日起停止发放，最晚为合同期满次日"},
        "placement": {"type": "string", "enum": list(rules.PLACEMENTS), "default": "none"},
        "placement_note": {"type": "string"},
        "wants_work": {"type": "boolean", "default": True},
        "note": {"type": "string"},
        "confirm": {
            "type": "boolean",
            "default": True,
            "description": "有确认权限（乡镇、县）时直接确认；false 或无权限时为待确认的建议",
        },
    },
    required=("contract_id", "reason", "event_on", "effective_on"),
)
CONFIRM_BODY = obj(
    {
        "effective_on": DATE,
        "placement": {"type": "string", "enum": list(rules.PLACEMENTS)},
        "placement_note": {"type": "string"},
        "wants_work": {"type": "boolean"},
        "note": {"type": "string"},
    }
)
DISMISS_BODY = obj({"reason": {"type": "string"}}, required=("reason",))
PLACEMENT_BODY = obj(
    {
        "placement": {"type": "string", "enum": list(rules.PLACEMENTS)},
        "placement_note": {"type": "string"},
        "wants_work": {"type": "boolean"},
    },
    required=("placement",),
)
COLOUR = schema(
    "PersonColour",
    obj(
        {
            "person_id": {"type": "integer"},
            "name": {"type": "string"},
            "id_number": {"type": "string"},
            "village": {"type": "string"},
            "colour": {"type": "string", "enum": list(rules.COLOURS)},
            "colour_label": {"type": "string"},
            "household_colour": {"type": "string", "enum": list(rules.COLOURS), "nullable": True},
            "reason": {"type": "string"},
            "since": DATE,
            "exit_id": {"type": "integer", "nullable": True},
        },
        required=("person_id", "name", "colour", "reason", "since"),
    ),
)
SERVICE = schema(
    "FollowupService",
    obj(
        {
            "id": {"type": "integer"},
            "person_id": {"type": "integer"},
            "exit_id": {"type": "integer", "nullable": True},
            "kind": {"type": "string", "enum": list(rules.SERVICE_KINDS)},
            "kind_label": {"type": "string"},
            "given_on": DATE,
            "given_by": {"type": "string"},
            "note": {"type": "string", "nullable": True},
        },
        required=("id", "person_id", "kind", "given_on", "given_by"),
    ),
)
SERVICE_BODY = obj(
    {
        "kind": {
            "type": "string",
            "enum": list(rules.SERVICE_KINDS),
            "description": "job_info 就业岗位信息 · training 培训信息 · guidance 职业指导",
        },
        "given_on": DATE,
        "given_by": {"type": "string"},
        "note": {"type": "string"},
    },
    required=("kind", "given_on", "given_by"),
)
SCHEDULE = obj(
    {
        "year_first": DATE,
        "year_last": DATE,
        "months": {"type": "integer"},
        "due": {"type": "object", "additionalProperties": {"type": "integer"}},
        "given": {"type": "object", "additionalProperties": {"type": "integer"}},
        "behind": {"type": "boolean"},
    }
)
FOLLOWUP = schema(
    "Followup",
    obj(
        {
            "person_id": {"type": "integer"},
            "colour": {"allOf": [COLOUR], "nullable": True},
            "schedule": nullable(SCHEDULE),
            "services": array(SERVICE),
        },
        required=("person_id", "colour", "schedule", "services"),
    ),
)
RENEWAL_ROW = schema(
    "YearEndRow",
    obj(
        {
            "contract_id": {"type": "integer"},
            "contract_code": {"type": "string"},
            "person": {"type": "string"},
            "post": {"type": "string"},
            "end_on": DATE,
            "annual_grade": nullable(obj({"year": {"type": "string"}, "grade": {"type": "string"}})),
            "eligibility_failures": array({"type": "string"}),
            "outcome": {
                "type": "string",
                "enum": ["renew", "exit", "decide"],
                "description": "renew 可批量续签 · exit 可批量期满退岗 · decide 须逐一处理",
            },
            "why": {"type": "string"},
        },
        required=("contract_id", "outcome", "why"),
    ),
)
DECIDE_BODY = obj(
    {
        "decisions": array(
            obj(
                {"contract_id": {"type": "integer"}, "action": {"type": "string", "enum": ["renew", "exit"]}},
                required=("contract_id", "action"),
            )
        )
    },
    required=("decisions",),
)
WORKLIST = schema(
    "Worklist",
    obj(
        {
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "proposed": array(EXIT),
            "late": array(EXIT),
            "renewals": array(
                obj(
                    {
                        "contract_id": {"type": "integer"},
                        "contract_code": {"type": "string"},
                        "person": {"type": "string"},
                        "end_on": DATE,
                        "annual_grade": {"type": "string", "nullable": True},
                    }
                )
            ),
            "vacancies": array(
                obj(
                    {
                        "post_id": {"type": "integer"},
                        "title": {"type": "string"},
                        "vacant_since": nullable(DATE),
                        "days_vacant": {"type": "integer", "nullable": True},
                    }
                )
            ),
            "colours": array(COLOUR),
        },
        required=("counts", "proposed", "late", "renewals", "vacancies", "colours"),
    ),
)


def _id(person, actor) -> str:
    return person.id_number if can(actor, "view_full_id_number", person) else mask_id_number(person.id_number)


def exit_json(ex: ContractExit, actor) -> dict:
    c = ex.contract
    return {
        "id": ex.id,
        "contract_id": c.id,
        "contract_code": c.code,
        "contract_status": c.status,
        "contract_status_label": CONTRACT_STATE_LABELS.get(c.status, c.status),
        "exit_on": c.exit_on.isoformat() if c.exit_on else None,
        "person": {"id": ex.person.id, "name": ex.person.name, "id_number": _id(ex.person, actor)},
        "post": {"id": c.post.id, "title": c.post.title, "village": c.post.village.name},
        "reason": ex.reason,
        "reason_label": rules.reason_label(ex.reason),
        "status": ex.status,
        "source": ex.source,
        "event_on": ex.event_on.isoformat(),
        "effective_on": ex.effective_on.isoformat(),
        "evidence": ex.evidence,
        "note": ex.note,
        "placement": ex.placement,
        "placement_note": ex.placement_note,
        "wants_work": ex.wants_work,
        "proposed_on": ex.proposed_on.isoformat(),
        "proposed_by": ex.proposed_by_label,
        "confirmed_on": ex.confirmed_on.isoformat() if ex.confirmed_on else None,
        "late": ex.late,
        "report_limit_days": ex.report_limit_days,
        "dismissed_on": ex.dismissed_on.isoformat() if ex.dismissed_on else None,
        "dismiss_reason": ex.dismiss_reason,
    }


def colour_json(pc: PersonColour, actor, household: str | None = None) -> dict:
    p = pc.person
    return {
        "person_id": p.id,
        "name": p.name,
        "id_number": _id(p, actor),
        "village": p.village.name,
        "colour": pc.colour,
        "colour_label": rules.COLOUR_LABELS[pc.colour],
        "household_colour": household,
        "reason": pc.reason,
        "since": pc.since.isoformat(),
        "exit_id": pc.exit_id,
    }


def service_json(s: FollowupService) -> dict:
    return {
        "id": s.id,
        "person_id": s.person_id,
        "exit_id": s.exit_id,
        "kind": s.kind,
        "kind_label": rules.SERVICE_KINDS[s.kind],
        "given_on": s.given_on.isoformat(),
        "given_by": s.given_by,
        "note": s.note,
    }


def _choice(data: dict, name: str, choices, default=None):
    value = data.get(name, default)
    if value is None:
        return None
    if value not in choices:
        raise BadInput(f"字段 {name} 的值“{value}”无效，可选：{'、'.join(choices)}")
    return value


def _bool(data: dict, name: str, default=None):
    value = data.get(name, default)
    if value is not None and not isinstance(value, bool):
        raise BadInput(f"字段 {name} 须为 true 或 false")
    return value


def _opt_text(data: dict, name: str):
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise BadInput(f"字段 {name} 须为字符串")
    return value


# ---- exits ----


@bp.get("/exits")
@document(
    "退岗记录列表",
    tags=TAGS,
    response=EXIT,
    paginated=True,
    description="管辖范围内岗位的退岗记录（含系统巡检提出的建议），新的在前；late=1 只看迟报（纪检监察）。",
    query={
        "q": {"type": "string"},
        "township_id": {"type": "integer"},
        "village_id": {"type": "integer"},
        "status": {"type": "string", "enum": list(rules.EXIT_STATES)},
        "reason": {"type": "string", "enum": list(rules.EXIT_REASONS)},
        "late": {"type": "integer", "enum": [0, 1]},
        "person_id": {"type": "integer"},
    },
)
@token_required
def list_exits():
    require(g.actor, "view_exit")
    f = service.ExitFilter(
        q=request_text("q"),
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
        status=choice_arg("status", rules.EXIT_STATES),
        reason=choice_arg("reason", tuple(rules.EXIT_REASONS)),
        late=flag_arg("late"),
        person_id=int_arg("person_id", minimum=1),
    )
    return paginated(service.exit_query(g.actor, f), lambda e: exit_json(e, g.actor))


@bp.get("/exits/<int:exit_id>")
@document("退岗记录详情", tags=TAGS, response=EXIT, errors=(404,))
@token_required
def get_exit(exit_id: int):
    return jsonify(exit_json(service.load_exit(db.session, g.actor, exit_id), g.actor))


@bp.post("/exits")
@document(
    "办理退岗 / 提出退岗建议",
    tags=TAGS,
    status=201,
    response=EXIT,
    body=EXIT_BODY,
    errors={
        409: "该合同已有退岗记录或已续签",
        422: "日期不符合规则（生效日期须晚于合同起始日、最晚为期满次日）",
    },
    description="乡镇、县级直接确认（confirm 默认 true）："
    "合同登记最后计发日（生效日期前一天），生效后合同为已退岗、"
    "岗位显示空缺；超过县定报告时限（默认5天）确认的记为迟报。村级只能提出建议。",
)
@token_required
def create_exit():
    require(g.actor, "propose_exit")
    data = json_body()
    contract_id = data.get("contract_id")
    if not isinstance(contract_id, int) or isinstance(contract_id, bool):
        raise BadInput("缺少字段 contract_id（整数）")
    reason = _choice(data, "reason", tuple(rules.EXIT_REASONS))
    if reason is None:
        raise BadInput("缺少字段 reason（退岗原因）")
    kw = dict(
        note=_opt_text(data, "note"),
        placement=_choice(data, "placement", rules.PLACEMENTS, "none"),
        placement_note=_opt_text(data, "placement_note"),
        wants_work=_bool(data, "wants_work", True),
    )
    event, effective = (
        body_date(data, "event_on", "事由发生日期"),
        body_date(data, "effective_on", "退岗生效日期"),
    )
    today = clock.today()
    if _bool(data, "confirm", True):
        ex = service.record_exit(db.session, g.actor, contract_id, reason, event, effective, today, **kw)
    else:
        ex = service.propose_exit(db.session, g.actor, contract_id, reason, event, effective, today, **kw)
    return jsonify(exit_json(ex, g.actor)), 201


@bp.post("/exits/<int:exit_id>/confirm")
@document(
    "确认退岗",
    tags=TAGS,
    response=EXIT,
    body=CONFIRM_BODY,
    errors={409: "合同已续签", 422: "不是待确认状态或日期不符合规则"},
    description="乡镇经办人确认待确认的退岗（可更正生效日期与安置）；确认日期即报告日期，据此判断是否迟报。",
)
@token_required
def confirm_exit(exit_id: int):
    require(g.actor, "confirm_exit")
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    ex = service.confirm_exit(
        db.session,
        g.actor,
        exit_id,
        clock.today(),
        effective_on=body_date(data, "effective_on", "退岗生效日期", required=False),
        placement=_choice(data, "placement", rules.PLACEMENTS),
        placement_note=_opt_text(data, "placement_note"),
        wants_work=_bool(data, "wants_work"),
        note=_opt_text(data, "note"),
    )
    return jsonify(exit_json(ex, g.actor))


@bp.post("/exits/<int:exit_id>/dismiss")
@document(
    "驳回退岗建议",
    tags=TAGS,
    response=EXIT,
    body=DISMISS_BODY,
    errors={422: "不是待确认状态"},
    description="驳回理由必填；每日巡检不会就同一原因、同一事由日期再次提出。",
)
@token_required
def dismiss_exit(exit_id: int):
    require(g.actor, "confirm_exit")
    reason = body_text(json_body(), "reason", "驳回理由")
    ex = service.dismiss_exit(db.session, g.actor, exit_id, reason, clock.today())
    return jsonify(exit_json(ex, g.actor))


@bp.post("/exits/<int:exit_id>/placement")
@document(
    "登记后续安置",
    tags=TAGS,
    response=EXIT,
    body=PLACEMENT_BODY,
    errors={422: "已驳回的建议"},
    description="转岗、就业或暂无安置，以及是否有就业意愿；四色预警在下次每日巡检时更新。",
)
@token_required
def exit_placement(exit_id: int):
    require(g.actor, "confirm_exit")
    data = json_body()
    ex = service.set_placement(
        db.session,
        g.actor,
        exit_id,
        _choice(data, "placement", rules.PLACEMENTS),
        _opt_text(data, "placement_note"),
        _bool(data, "wants_work", True),
        clock.today(),
    )
    return jsonify(exit_json(ex, g.actor))


@bp.get("/exits/<int:exit_id>/notice.pdf")
@document(
    "退岗通知书PDF",
    tags=TAGS,
    response=None,
    description=(
        "返回 application/pdf：退岗通知书（人员、岗位、原因、生效日期、最后计发日、后续安置、311服务）。"
    ),
)
@token_required
def exit_notice(exit_id: int):
    ex = service.load_exit(db.session, g.actor, exit_id)
    return send_file(
        io.BytesIO(exit_notice_pdf(ex, ex.contract.post.township.name)),
        mimetype="application/pdf",
        download_name=exit_notice_filename(ex),
    )
