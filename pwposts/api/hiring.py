"""/api/v1 以岗聘任: notices, applications with eligibility results, 公示, objections, hiring."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request
from sqlalchemy import select

from .. import clock
from ..domain import hiring as rules
from ..domain.errors import DomainError
from ..domain.formats import parse_date
from ..domain.inputs import MAX_ID
from ..domain.national_calendar import calendar_note
from ..domain.people import mask_id_number
from ..extensions import db
from ..models.hiring import Application, Notice, Objection, Publicity
from ..services import hiring as service
from ..services.permissions import can, require
from .openapi import array, document, obj, ref, schema
from .v1 import BadInput, bp, choice_arg, int_arg, iso_utc, paginated, token_required

DATE = {"type": "string", "format": "date"}
FAILURE = schema(
    "EligibilityFailure",
    obj(
        {
            "code": {
                "type": "string",
                "enum": list(rules.FAILURE_CODES),
                "description": "稳定的规则代码："
                + "；".join(f"{k}={v}" for k, v in rules.FAILURE_CODES.items()),
            },
            "message": {
                "type": "string",
                "description": "中文原因，如“申请人年龄15岁，未满16周岁，不得聘用”",
            },
        },
        required=("code", "message"),
    ),
)
NOTICE = schema(
    "Notice",
    obj(
        {
            "id": {"type": "integer"},
            "post": obj(
                {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "village": ref("RegionRef"),
                    "headcount": {"type": "integer"},
                },
                required=("id", "code", "title", "village", "headcount"),
            ),
            "title": {"type": "string"},
            "conditions": {"type": "string"},
            "places": {"type": "integer", "minimum": 1},
            "start_on": DATE,
            "end_on": DATE,
            "contact": {"type": "string", "description": "咨询及异议受理方式（公开）"},
            "status": {
                "type": "string",
                "enum": ["open", "closed"],
                "description": "公告是否已结束（closed = 已手工结束或聘用后结束）；当前阶段见 state",
            },
            "state": {
                "type": "string",
                "enum": list(rules.NOTICE_STATES),
                "description": "按日期与结果推算的状态："
                + "；".join(f"{k}={v}" for k, v in rules.NOTICE_STATE_LABELS.items()),
            },
            "state_label": {"type": "string"},
            "published_at": {"type": "string", "format": "date-time"},
        },
        required=(
            "id",
            "post",
            "title",
            "conditions",
            "places",
            "start_on",
            "end_on",
            "contact",
            "status",
            "state",
            "state_label",
            "published_at",
        ),
    ),
)
PUBLICITY = schema(
    "Publicity",
    obj(
        {
            "id": {"type": "integer"},
            "notice_id": {"type": "integer"},
            "start_on": {**DATE, "description": "公示期第一天（发布日的下一个工作日）"},
            "end_on": {**DATE, "description": "公示期最后一天；次日起方可聘用"},
            "working_days": {"type": "integer"},
            "where_to_object": {"type": "string"},
            "calendar_note": {
                "type": "string",
                "description": "公示期所在年份不在内置国家节假日安排中时的提示（按本县日历计算）；否则为空串",
            },
            "status": {"type": "string", "enum": list(rules.PUBLICITY_STATES)},
            "application_ids": array({"type": "integer"}),
        },
        required=(
            "id",
            "notice_id",
            "start_on",
            "end_on",
            "working_days",
            "where_to_object",
            "status",
            "application_ids",
        ),
    ),
)
OBJECTION = schema(
    "Objection",
    obj(
        {
            "id": {"type": "integer"},
            "application_id": {"type": "integer"},
            "publicity_id": {"type": "integer"},
            "objector_name": {"type": "string", "nullable": True},
            "objector_contact": {"type": "string", "nullable": True},
            "content": {"type": "string"},
            "received_on": DATE,
            "status": {"type": "string", "enum": list(rules.OBJECTION_STATES)},
            "resolution": {"type": "string", "nullable": True},
            "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
        },
        required=(
            "id",
            "application_id",
            "publicity_id",
            "objector_name",
            "objector_contact",
            "content",
            "received_on",
            "status",
            "resolution",
            "resolved_at",
        ),
    ),
)
APPLICATION = schema(
    "Application",
    obj(
        {
            "id": {"type": "integer"},
            "notice_id": {"type": "integer"},
            "person": obj(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "id_number": {"type": "string", "description": "无权查看全号者得到脱敏值"},
                    "village": ref("RegionRef"),
                    "work_capacity": {"type": "string"},
                    "cannot_leave_home": {"type": "boolean"},
                },
                required=("id", "name", "id_number", "village", "work_capacity", "cannot_leave_home"),
            ),
            "status": {"type": "string", "enum": list(rules.APPLICATION_STATES)},
            "status_label": {"type": "string"},
            "eligible": {"type": "boolean", "description": "最近一次资格审查是否全部通过"},
            "failures": array(FAILURE),
            "checked_on": {**DATE, "description": "最近一次资格审查的日期"},
            "hired_on": {**DATE, "nullable": True, "description": "聘用日期；合同起始日期不得早于此日"},
            "priority": {
                "type": "integer",
                "description": "优先顺序，小者在前（弱劳力、半劳力、全劳力；同类中无法离乡者优先）",
            },
            "priority_label": {"type": "string"},
            "publicity_id": {"type": "integer", "nullable": True},
            "note": {"type": "string", "nullable": True},
            "entered_at": {"type": "string", "format": "date-time"},
            "objections": array(OBJECTION),
        },
        required=(
            "id",
            "notice_id",
            "person",
            "status",
            "status_label",
            "eligible",
            "failures",
            "checked_on",
            "hired_on",
            "priority",
            "priority_label",
            "publicity_id",
            "note",
            "entered_at",
            "objections",
        ),
    ),
)
NOTICE_DETAIL = schema(
    "NoticeDetail",
    {
        "allOf": [
            NOTICE,
            obj(
                {
                    "places_left": {"type": "integer"},
                    "active_holders": {"type": "integer"},
                    "pending_hires": {"type": "integer", "description": "已聘用但协议尚未生效的人数"},
                    "publicities": array(PUBLICITY),
                    "applications": array(APPLICATION),
                },
                required=("places_left", "active_holders", "pending_hires", "publicities", "applications"),
            ),
        ]
    },
)


# ---- serializers ----


def _region(r) -> dict:
    return {"id": r.id, "code": r.code, "name": r.name, "level": r.level}


def notice_json(n: Notice, state: str | None = None) -> dict:
    p = n.post
    if state is None:
        state = service.notice_state_of(db.session, n, clock.today())
    return {
        "id": n.id,
        "post": {
            "id": p.id,
            "code": p.code,
            "title": p.title,
            "village": _region(p.village),
            "headcount": p.headcount,
        },
        "title": n.title,
        "conditions": n.conditions,
        "places": n.places,
        "start_on": n.start_on.isoformat(),
        "end_on": n.end_on.isoformat(),
        "contact": n.contact,
        "status": n.status,
        "state": state,
        "state_label": rules.NOTICE_STATE_LABELS[state],
        "published_at": iso_utc(n.published_at),
    }


def publicity_json(p: Publicity, app_ids: list[int] | None = None) -> dict:
    if app_ids is None:
        app_ids = list(
            db.session.scalars(
                select(Application.id)
                .where(Application.publicity_id == p.id)
                .order_by(Application.priority, Application.id)
            )
        )
    return {
        "id": p.id,
        "notice_id": p.notice_id,
        "start_on": p.start_on.isoformat(),
        "end_on": p.end_on.isoformat(),
        "working_days": p.working_days,
        "where_to_object": p.where_to_object,
        "status": p.status,
        "calendar_note": calendar_note(p.start_on, p.end_on),
        "application_ids": app_ids,
    }


def objection_json(o: Objection) -> dict:
    return {
        "id": o.id,
        "application_id": o.application_id,
        "publicity_id": o.publicity_id,
        "objector_name": o.objector_name,
        "objector_contact": o.objector_contact,
        "content": o.content,
        "received_on": o.received_on.isoformat(),
        "status": o.status,
        "resolution": o.resolution,
        "resolved_at": iso_utc(o.resolved_at),
    }


def application_json(a: Application, actor, objections: list[Objection] | None = None) -> dict:
    p = a.person
    failures = service.failures_of(a)
    if objections is None:
        objections = service.objections_of(db.session, a.id)
    return {
        "id": a.id,
        "notice_id": a.notice_id,
        "person": {
            "id": p.id,
            "name": p.name,
            "id_number": p.id_number if can(actor, "view_full_id_number", p) else mask_id_number(p.id_number),
            "village": _region(p.village),
            "work_capacity": p.work_capacity,
            "cannot_leave_home": p.cannot_leave_home,
        },
        "status": a.status,
        "status_label": rules.APPLICATION_STATE_LABELS[a.status],
        "eligible": not failures,
        "failures": failures,
        "checked_on": a.checked_on.isoformat(),
        "hired_on": a.hire_date.isoformat() if a.hire_date else None,
        "priority": a.priority,
        "priority_label": rules.priority_label(a.priority),
        "publicity_id": a.publicity_id,
        "note": a.note,
        "entered_at": iso_utc(a.entered_at),
        "objections": [objection_json(o) for o in objections],
    }


# ---- request bodies ----


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    return data


def _int(data: dict, name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadInput(f"缺少字段 {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"字段 {name} 须为整数")
    if abs(value) > MAX_ID:
        raise BadInput(f"字段 {name} 超出有效范围（最大{MAX_ID}），收到 {value}")
    return value


def _text(data: dict, name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadInput(f"缺少字段 {name}")
        return None
    if not isinstance(value, str):
        raise BadInput(f"字段 {name} 须为字符串")
    return value


def _date(data: dict, name: str, *, default: date | None = None) -> date:
    raw = data.get(name)
    if raw is None and default is not None:
        return default
    if not isinstance(raw, str):
        raise BadInput(f"字段 {name} 须为日期字符串 YYYY-MM-DD")
    try:
        return parse_date(raw, name)
    except DomainError as err:
        raise BadInput(err.message) from None


# ---- notices ----


@bp.get("/notices")
@document(
    "招聘公告列表",
    tags=["招聘"],
    response=NOTICE,
    paginated=True,
    description="管辖范围内的招聘公告，报名中的在前。",
    query={
        "q": {"type": "string", "description": "公告标题、岗位名称或编号"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "post_id": {"type": "integer"},
        "township_id": {"type": "integer"},
        "village_id": {"type": "integer"},
        "stage": {
            "type": "string",
            "enum": ["publicity", "objections"],
            "description": "publicity = 有公示进行中；objections = 有待处理异议",
        },
        "state": {
            "type": "string",
            "enum": list(rules.NOTICE_STATES),
            "description": "按日期与结果推算的状态",
        },
    },
)
@token_required
def list_notices():
    require(g.actor, "view_post")
    f = service.NoticeFilter(
        q=request.args.get("q", "")[:100],
        status=choice_arg("status", ("open", "closed")),
        post_id=int_arg("post_id", minimum=1),
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
        stage=choice_arg("stage", ("publicity", "objections")),
        state=choice_arg("state", rules.NOTICE_STATES),
    )
    today = clock.today()
    states: dict[int, str] = {}
    return paginated(
        service.notice_query(g.actor, f, today),
        lambda n: notice_json(n, states.get(n.id)),
        prefetch=lambda notices: states.update(service.notice_states(db.session, notices, today)),
    )


@bp.post("/notices")
@document(
    "发布招聘公告",
    tags=["招聘"],
    status=201,
    response=NOTICE,
    errors={
        404: "岗位不存在或不在管辖范围内",
        409: "该岗位已有报名中的公告",
        422: "岗位未批准、名额超过空缺或日期有误",
    },
    description="为经县级批准的岗位发布招聘公告，岗位随之进入招聘状态。",
    body=obj(
        {
            "post_id": {"type": "integer"},
            "title": {"type": "string"},
            "conditions": {"type": "string"},
            "places": {"type": "integer", "minimum": 1},
            "start_on": DATE,
            "end_on": DATE,
            "contact": {"type": "string"},
        },
        required=("post_id", "title", "conditions", "places", "start_on", "end_on", "contact"),
    ),
)
@token_required
def create_notice():
    require(g.actor, "open_recruitment")
    data = _body()
    n = service.publish_notice(
        db.session,
        g.actor,
        _int(data, "post_id"),
        title=_text(data, "title"),
        conditions=_text(data, "conditions"),
        places=_int(data, "places"),
        start_on=_date(data, "start_on"),
        end_on=_date(data, "end_on"),
        contact=_text(data, "contact"),
        today=clock.today(),
    )
    return jsonify(notice_json(n)), 201


@bp.get("/notices/<int:notice_id>")
@document(
    "招聘公告详情",
    tags=["招聘"],
    response=NOTICE_DETAIL,
    description="含名额、公示和全部报名及其资格审查结果。",
)
@token_required
def get_notice(notice_id: int):
    view = service.load_notice(db.session, g.actor, notice_id)
    out = notice_json(view.notice)
    out.update(
        {
            "places_left": view.places_left,
            "active_holders": view.active,
            "pending_hires": view.pending_hires,
            "publicities": [publicity_json(p) for p in view.publicities],
            "applications": [
                application_json(a, g.actor, view.objections.get(a.id, [])) for a in view.applications
            ],
        }
    )
    return jsonify(out)


@bp.post("/notices/<int:notice_id>/close")
@document(
    "结束招聘公告",
    tags=["招聘"],
    response=NOTICE,
    errors={409: "公告已结束"},
    description="结束后不能再报名；未聘用的报名人员记为未入选，进行中的公示随之结束。",
)
@token_required
def close_notice(notice_id: int):
    require(g.actor, "open_recruitment")
    n = service.close_notice(db.session, g.actor, notice_id, clock.today())
    return jsonify(notice_json(n))


@bp.post("/notices/<int:notice_id>/publicity")
@document(
    "公示拟聘名单",
    tags=["招聘"],
    status=201,
    response=PUBLICITY,
    errors={409: "已有公示正在进行", 422: "名单为空、超过名额或有人不符合条件"},
    description="公示期按县定工作日数计算（默认5个），发布当日不计，周末与县节假日顺延、调休上班日计入。"
    "不传 application_ids 时按优先顺序取剩余名额内的符合条件人员。",
    body=obj(
        {
            "application_ids": {**array({"type": "integer"}), "nullable": True},
            "where_to_object": {
                "type": "string",
                "nullable": True,
                "description": "异议受理方式，默认取公告的联系方式",
            },
        }
    ),
)
@token_required
def publish_shortlist(notice_id: int):
    require(g.actor, "publish_shortlist")
    data = _body()
    ids = data.get("application_ids")
    if ids is not None and (
        not isinstance(ids, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids)
    ):
        raise BadInput("字段 application_ids 须为整数数组")
    pub = service.publish_shortlist(
        db.session,
        g.actor,
        notice_id,
        ids,
        clock.today(),
        where_to_object=_text(data, "where_to_object", required=False),
    )
    return jsonify(publicity_json(pub)), 201


@bp.get("/publicities/<int:publicity_id>")
@document("公示详情", tags=["招聘"], response=PUBLICITY)
@token_required
def get_publicity(publicity_id: int):
    return jsonify(publicity_json(service.load_publicity(db.session, g.actor, publicity_id)))


@bp.post("/publicities/<int:publicity_id>/end")
@document(
    "结束公示",
    tags=["招聘"],
    response=PUBLICITY,
    errors={409: "公示已结束", 422: "公示期未满"},
    description="公示期满后结束公示；未列入名单的符合条件人员记为未入选。聘用时也会自动结束期满的公示。",
)
@token_required
def end_publicity(publicity_id: int):
    require(g.actor, "publish_shortlist")
    pub = service.end_publicity(db.session, g.actor, publicity_id, clock.today())
    return jsonify(publicity_json(pub))
