"""API v1: the exit worklist, renewals due, the four colours and 311 follow-up (split from api/exits.py)."""

from __future__ import annotations

from flask import g, jsonify

from .. import clock
from ..domain import exits as rules
from ..domain.inputs import MAX_ID
from ..extensions import db
from ..models.people import Person
from ..services import exits as service
from ..services import worklist as work
from ..services.permissions import get_scoped, require
from .contracts import body_date, body_text, json_body
from .exits import (
    COLOUR,
    DATE,
    DECIDE_BODY,
    FOLLOWUP,
    RENEWAL_ROW,
    SCHEDULE,
    SERVICE,
    SERVICE_BODY,
    TAGS,
    WORKLIST,
    _choice,
    _opt_text,
    colour_json,
    exit_json,
    service_json,
)
from .openapi import array, document, obj
from .people import request_text
from .v1 import BadInput, bp, choice_arg, int_arg, paginated, token_required

# ---- worklist and year end ----


@bp.get("/worklist")
@document(
    "退岗工作清单",
    tags=TAGS,
    response=WORKLIST,
    description="待确认的退岗（含依据）、近90天迟报、30天内到期待续签、有岗无人满一个月、红色和橙色预警人员。",
)
@token_required
def get_worklist():
    actor = g.actor
    w = work.worklist(db.session, actor, clock.today())
    return jsonify(
        {
            "counts": w.counts(),
            "proposed": [exit_json(e, actor) for e in w.proposed],
            "late": [exit_json(e, actor) for e in w.late],
            "renewals": [
                {
                    "contract_id": c.id,
                    "contract_code": c.code,
                    "person": c.person.name,
                    "end_on": c.end_on.isoformat(),
                    "annual_grade": f"{gr[0]} {gr[1]}" if gr else None,
                }
                for c, gr in w.renewals
            ],
            "vacancies": [
                {
                    "post_id": v.post.id,
                    "title": v.post.title,
                    "vacant_since": v.vacant_since.isoformat() if v.vacant_since else None,
                    "days_vacant": v.days_vacant,
                }
                for v in w.vacancies
            ],
            "colours": [colour_json(pc, actor) for pc in w.colours],
        }
    )


@bp.get("/renewals")
@document(
    "年终续签清单",
    tags=TAGS,
    response=array(RENEWAL_ROW),
    query={"township_id": {"type": "integer", "description": "乡镇ID；县级用户必填"}},
    description="两个月内到期、尚未续签或退岗的履行中合同，附年度考核、资格复核结果和建议处理方式。",
)
@token_required
def list_renewals():
    township_id = int_arg("township_id", minimum=1)
    if township_id is None and g.actor.region is not None and g.actor.region.level == "county":
        raise BadInput("县级用户请指定 township_id：每份合同都要复核资格，按乡镇逐个查询")
    rows = work.year_end_rows(db.session, g.actor, clock.today(), township_id)
    return jsonify(
        [
            {
                "contract_id": r.contract.id,
                "contract_code": r.contract.code,
                "person": r.contract.person.name,
                "post": r.contract.post.title,
                "end_on": r.contract.end_on.isoformat(),
                "annual_grade": {"year": r.grade[0], "grade": r.grade[1]} if r.grade else None,
                "eligibility_failures": r.failures,
                "outcome": r.outcome,
                "why": r.why,
            }
            for r in rows
        ]
    )


@bp.post("/renewals/decide")
@document(
    "批量续签或期满退岗",
    tags=TAGS,
    body=DECIDE_BODY,
    response=obj(
        {
            "renewed": array({"type": "integer"}),
            "exited": array({"type": "integer"}),
            "errors": array({"type": "string"}),
        }
    ),
    description="每项独立办理：renew 为原合同期满次日起不超过一年的新签订（待生效），exit 为期满退岗；"
    "被规则拒绝的项目（如年度考核不合格不予续签）在 errors 中说明原因，其余照常办理。",
)
@token_required
def decide_renewals():
    require(g.actor, "renew_contract")
    data = json_body()
    items = data.get("decisions")
    if not isinstance(items, list) or not items:
        raise BadInput("缺少字段 decisions（数组）")
    decisions = []
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("contract_id"), int)
            or abs(item["contract_id"]) > MAX_ID  # an id no row can have would overflow the database (a 500)
            or item.get("action") not in ("renew", "exit")
        ):
            raise BadInput('decisions 的每项须为 {"contract_id": 整数, "action": "renew" 或 "exit"}')
        decisions.append((item["contract_id"], item["action"]))
    result = work.year_end_apply(db.session, g.actor, decisions, clock.today())
    return jsonify(
        {
            "renewed": [c.id for c in result.renewed],
            "exited": [e.id for e in result.exited],
            "errors": result.errors,
        }
    )


# ---- colours and 311 ----


@bp.get("/colours")
@document(
    "四色预警人员",
    tags=TAGS,
    response=COLOUR,
    paginated=True,
    query={
        "colour": {"type": "string", "enum": list(rules.COLOURS)},
        "township_id": {"type": "integer"},
        "village_id": {"type": "integer"},
        "q": {"type": "string"},
    },
    description="退岗人员的颜色（每日巡检计算）与家庭颜色，最严重的在前。",
)
@token_required
def list_colours():
    require(g.actor, "view_exit")
    f = service.ColourFilter(
        colour=choice_arg("colour", rules.COLOURS),
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
        q=request_text("q"),
    )
    return paginated(
        service.colour_query(g.actor, f),
        lambda pc: colour_json(
            pc,
            g.actor,
            service.household_colours(db.session, {pc.person.household_id}).get(pc.person.household_id),
        ),
    )


@bp.get("/colours/summary")
@document(
    "四色预警各乡镇统计",
    tags=TAGS,
    response=array(
        obj(
            {
                "township_id": {"type": "integer"},
                "township": {"type": "string"},
                **{c: {"type": "integer"} for c in rules.COLOURS},
            }
        )
    ),
    description="管辖范围内各乡镇红、橙、黄、绿人数。",
)
@token_required
def colour_summary():
    require(g.actor, "view_exit")
    return jsonify(service.colour_counts(db.session, g.actor))


@bp.get("/followup/behind")
@document(
    "311服务落后人员",
    tags=TAGS,
    response=array(
        obj(
            {
                "person_id": {"type": "integer"},
                "name": {"type": "string"},
                "exit_id": {"type": "integer"},
                "effective_on": DATE,
                "schedule": SCHEDULE,
            }
        )
    ),
    description="有就业意愿、未就业未上岗的退岗人员中，本服务年度311服务少于应提供次数的（最多500人）。",
)
@token_required
def list_behind():
    require(g.actor, "view_exit")
    return jsonify(
        [
            {
                "person_id": ex.person_id,
                "name": ex.person.name,
                "exit_id": ex.id,
                "effective_on": ex.effective_on.isoformat(),
                "schedule": _schedule_json(s),
            }
            for ex, s in service.behind_schedule(db.session, g.actor, clock.today())
        ]
    )


def _schedule_json(sched) -> dict:
    return {
        "year_first": sched.year_first.isoformat(),
        "year_last": sched.year_last.isoformat(),
        "months": sched.months,
        "due": sched.due,
        "given": sched.given,
        "behind": sched.behind,
    }


@bp.get("/persons/<int:person_id>/followup")
@document(
    "退岗后服务（311）与预警",
    tags=TAGS,
    response=FOLLOWUP,
    errors=(404,),
    description="本服务年度311进度（应提供与已提供）、服务记录和当前颜色。",
)
@token_required
def get_followup(person_id: int):
    person = get_scoped(db.session, g.actor, Person, person_id, "view_exit", "人员")
    today = clock.today()
    ex = service.latest_exit(db.session, person.id, today)
    sched = service.schedule_for(db.session, ex, today) if ex is not None else None
    pc = service.colour_of_person(db.session, person.id)
    return jsonify(
        {
            "person_id": person.id,
            "colour": colour_json(pc, g.actor) if pc else None,
            "schedule": _schedule_json(sched) if sched else None,
            "services": [service_json(s) for s in service.services_of(db.session, person.id)],
        }
    )


@bp.post("/persons/<int:person_id>/followup")
@document(
    "登记311服务",
    tags=TAGS,
    status=201,
    response=SERVICE,
    body=SERVICE_BODY,
    errors={422: "人员没有已确认的退岗记录，或日期不符合规则"},
    description="就业岗位信息、培训信息或职业指导，记录日期、提供人和内容。",
)
@token_required
def post_followup(person_id: int):
    require(g.actor, "record_followup")
    get_scoped(db.session, g.actor, Person, person_id, "record_followup", "人员")  # before the body
    data = json_body()
    kind = _choice(data, "kind", tuple(rules.SERVICE_KINDS))
    if kind is None:
        raise BadInput("缺少字段 kind（服务类型）")
    s = service.record_service(
        db.session,
        g.actor,
        person_id,
        kind,
        body_date(data, "given_on", "服务日期"),
        body_text(data, "given_by", "服务提供人"),
        _opt_text(data, "note"),
        clock.today(),
    )
    return jsonify(service_json(s)), 201
