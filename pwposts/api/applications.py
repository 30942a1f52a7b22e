"""API v1: applications, hires and objections (split from api/hiring.py)."""

from __future__ import annotations

from flask import g, jsonify

from .. import clock
from ..domain import hiring as rules
from ..extensions import db
from ..services import hiring as service
from ..services.permissions import require
from .hiring import (
    APPLICATION,
    DATE,
    OBJECTION,
    _body,
    _date,
    _int,
    _text,
    application_json,
    objection_json,
)
from .openapi import document, obj
from .v1 import bp, choice_arg, int_arg, paginated, token_required

# ---- applications ----


@bp.get("/applications")
@document(
    "报名列表",
    tags=["招聘"],
    response=APPLICATION,
    paginated=True,
    description="管辖范围内的报名，按优先顺序；每条含资格审查的全部不符合原因。",
    query={
        "notice_id": {"type": "integer"},
        "status": {"type": "string", "enum": list(rules.APPLICATION_STATES)},
    },
)
@token_required
def list_applications():
    require(g.actor, "view_post")
    q = service.application_query(
        g.actor, int_arg("notice_id", minimum=1), choice_arg("status", rules.APPLICATION_STATES)
    )
    actor = g.actor
    return paginated(q, lambda a: application_json(a, actor))


@bp.post("/applications")
@document(
    "录入报名",
    tags=["招聘"],
    status=201,
    response=APPLICATION,
    errors={404: "公告或人员不存在或不在管辖范围内", 409: "已报名", 422: "公告已结束或不在报名期内"},
    description=(
        "录入即运行资格审查：不符合条件的报名也会保存（status=ineligible），failures 列出每一条原因。"
    ),
    body=obj(
        {
            "notice_id": {"type": "integer"},
            "person_id": {"type": "integer"},
            "note": {"type": "string", "nullable": True},
        },
        required=("notice_id", "person_id"),
    ),
)
@token_required
def create_application():
    require(g.actor, "enter_application")
    data = _body()
    a = service.enter_application(
        db.session,
        g.actor,
        _int(data, "notice_id"),
        _int(data, "person_id"),
        clock.today(),
        note=_text(data, "note", required=False),
    )
    return jsonify(application_json(a, g.actor, [])), 201


@bp.get("/applications/<int:application_id>")
@document("报名详情", tags=["招聘"], response=APPLICATION)
@token_required
def get_application(application_id: int):
    return jsonify(application_json(service.load_application(db.session, g.actor, application_id), g.actor))


@bp.post("/applications/<int:application_id>/recheck")
@document(
    "复核报名资格",
    tags=["招聘"],
    response=APPLICATION,
    errors={422: "该状态无需复核"},
    description="按今天的登记信息重新审查资格（记入审计）。",
)
@token_required
def recheck_application(application_id: int):
    require(g.actor, "enter_application")
    a = service.recheck_application(db.session, g.actor, application_id, clock.today())
    return jsonify(application_json(a, g.actor))


@bp.post("/applications/<int:application_id>/hire")
@document(
    "聘用",
    tags=["招聘"],
    response=APPLICATION,
    errors={422: "公示期未满、异议未处理、岗位已满员或聘用日已不符合条件（message 说明原因）"},
    description="公示期满、异议处理完毕、岗位有空缺且聘用日仍符合条件时，将公示人员标记为已聘用，之后签订协议。",
)
@token_required
def hire(application_id: int):
    require(g.actor, "hire")
    a = service.hire(db.session, g.actor, application_id, clock.today())
    return jsonify(application_json(a, g.actor))


# ---- objections ----


@bp.post("/applications/<int:application_id>/objections")
@document(
    "记录公示异议",
    tags=["招聘"],
    status=201,
    response=OBJECTION,
    errors={422: "该人员不在公示中，或收到日期不在公示期内"},
    body=obj(
        {
            "content": {"type": "string"},
            "objector_name": {"type": "string", "nullable": True},
            "objector_contact": {"type": "string", "nullable": True},
            "received_on": {**DATE, "description": "默认今天"},
        },
        required=("content",),
    ),
)
@token_required
def create_objection(application_id: int):
    require(g.actor, "record_objection")
    data = _body()
    today = clock.today()
    o = service.record_objection(
        db.session,
        g.actor,
        application_id,
        content=_text(data, "content"),
        objector_name=_text(data, "objector_name", required=False),
        objector_contact=_text(data, "objector_contact", required=False),
        received_on=_date(data, "received_on", default=today),
        today=today,
    )
    return jsonify(objection_json(o)), 201


@bp.post("/objections/<int:objection_id>/resolve")
@document(
    "处理公示异议",
    tags=["招聘"],
    response=OBJECTION,
    errors={409: "异议已处理"},
    description="upheld（异议成立）：取消该人员拟聘资格并记录理由；rejected（不成立）：保留拟聘，理由存档。",
    body=obj(
        {
            "decision": {"type": "string", "enum": ["upheld", "rejected"]},
            "resolution": {"type": "string", "description": "调查核实情况及处理理由"},
        },
        required=("decision", "resolution"),
    ),
)
@token_required
def resolve_objection(objection_id: int):
    require(g.actor, "resolve_objection")
    data = _body()
    o = service.resolve_objection(
        db.session, g.actor, objection_id, _text(data, "decision"), _text(data, "resolution"), clock.today()
    )
    return jsonify(objection_json(o))
