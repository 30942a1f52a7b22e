"""/api/v1 按需设岗: posts and their transitions, the wage-parity report, county settings."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

from flask import g, jsonify, request

from .. import clock
from ..domain import posts as rules
from ..domain import settings as spec
from ..domain.inputs import MAX_ID
from ..extensions import db
from ..models.posts import Post
from ..services import posts as service
from ..services.permissions import require, scope_key
from . import list_rows
from .openapi import array, document, nullable, obj, ref, schema
from .v1 import BadInput, bp, choice_arg, int_arg, iso_utc, paginated_rows, token_required

DATE = {"type": "string", "format": "date"}
FEN = {"type": "integer", "description": "金额，单位分"}
PCT = {"type": "string", "description": '偏离百分比，保留两位小数，如 "20.00"、"-5.00"'}
NAMED = obj({"id": {"type": "integer"}, "name": {"type": "string"}}, required=("id", "name"))

POST = schema(
    "Post",
    obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string", "description": "岗位编号"},
            "title": {"type": "string"},
            "township": ref("RegionRef"),
            "village": ref("RegionRef"),
            "category": NAMED,
            "fund": obj(
                {"id": {"type": "integer"}, "name": {"type": "string"}, "year": {"type": "integer"}},
                required=("id", "name", "year"),
            ),
            "headcount": {"type": "integer", "minimum": 1},
            "allowance_fen": FEN,
            "required_days": {"type": "integer", "minimum": 1, "maximum": 31},
            "full_time": {"type": "boolean"},
            "status": {
                "type": "string",
                "enum": list(rules.POST_STATES),
                "description": "；".join(f"{k}={v}" for k, v in rules.POST_STATE_LABELS.items()),
            },
            "deviation_status": {"type": "string", "enum": list(rules.DEVIATION_STATES)},
            "deviation_reason": {"type": "string", "nullable": True},
        },
        required=(
            "id",
            "code",
            "title",
            "township",
            "village",
            "category",
            "fund",
            "headcount",
            "allowance_fen",
            "required_days",
            "full_time",
            "status",
            "deviation_status",
            "deviation_reason",
        ),
    ),
)
POST_DETAIL = schema(
    "PostDetail",
    {
        "allOf": [
            POST,
            obj(
                {
                    "duties": {"type": "string"},
                    "work_place": {"type": "string"},
                    "hours": {"type": "string"},
                    "need_text": {"type": "string", "description": "书面设岗需求"},
                    "eligible_pool": {
                        "type": "integer",
                        "nullable": True,
                        "description": "无法离乡的符合条件人数",
                    },
                    "decision_reason": {"type": "string", "nullable": True},
                    "active_holders": {"type": "integer"},
                    "standard": nullable(
                        obj(
                            {
                                "id": {"type": "integer"},
                                "monthly_allowance_fen": FEN,
                                "required_days": {"type": "integer"},
                                "effective_from": DATE,
                                "effective_to": nullable(DATE),
                            },
                            required=(
                                "id",
                                "monthly_allowance_fen",
                                "required_days",
                                "effective_from",
                                "effective_to",
                            ),
                        )
                    ),
                    "parity": nullable(
                        obj(
                            {
                                "allowance_pct": PCT,
                                "days_pct": PCT,
                                "exceeds": {"type": "boolean"},
                                "tolerance_pct": {
                                    "type": "integer",
                                    "description": "今天执行的县定容差（%）",
                                },
                            },
                            required=("allowance_pct", "days_pct", "exceeds", "tolerance_pct"),
                        )
                    ),
                    "created_at": {"type": "string", "format": "date-time"},
                    "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
                    "decided_at": {"type": "string", "format": "date-time", "nullable": True},
                    "closed_on": nullable(DATE),
                    "history": array(
                        obj(
                            {
                                "at": {"type": "string", "format": "date-time"},
                                "actor": {"type": "string"},
                                "action": {"type": "string"},
                                "summary": {"type": "string"},
                            },
                            required=("at", "actor", "action", "summary"),
                        )
                    ),
                },
                required=(
                    "duties",
                    "work_place",
                    "hours",
                    "need_text",
                    "eligible_pool",
                    "decision_reason",
                    "active_holders",
                    "standard",
                    "parity",
                    "created_at",
                    "submitted_at",
                    "decided_at",
                    "closed_on",
                    "history",
                ),
            ),
        ]
    },
)
STATS = {
    "count": {"type": "integer"},
    "min_fen": nullable(FEN),
    "median_fen": nullable(FEN),
    "max_fen": nullable(FEN),
}
PARITY_REPORT = schema(
    "ParityReport",
    obj(
        {
            "date": DATE,
            "tolerance_pct": {"type": "integer"},
            "categories": array(
                obj(
                    {
                        "category": NAMED,
                        "standard_fen": nullable(FEN),
                        "standard_days": {"type": "integer", "nullable": True},
                        **STATS,
                        "deviating": {"type": "integer", "description": "偏离岗位数"},
                        "townships": array(
                            obj(
                                {"township": NAMED, **STATS},
                                required=("township", "count", "min_fen", "median_fen", "max_fen"),
                            )
                        ),
                    },
                    required=(
                        "category",
                        "standard_fen",
                        "standard_days",
                        "count",
                        "min_fen",
                        "median_fen",
                        "max_fen",
                        "deviating",
                        "townships",
                    ),
                )
            ),
            "deviating_posts": array(
                obj(
                    {
                        "post_id": {"type": "integer"},
                        "code": {"type": "string"},
                        "title": {"type": "string"},
                        "category": {"type": "string"},
                        "township": {"type": "string"},
                        "village": {"type": "string"},
                        "status": {"type": "string", "enum": list(rules.POST_STATES)},
                        "allowance_fen": FEN,
                        "standard_fen": nullable(FEN),
                        "allowance_pct": {**PCT, "nullable": True},
                        "required_days": {"type": "integer"},
                        "standard_days": {"type": "integer", "nullable": True},
                        "days_pct": {**PCT, "nullable": True},
                        "exceeds": {"type": "boolean"},
                        "deviation_reason": {"type": "string", "nullable": True},
                        "deviation_status": {"type": "string", "enum": list(rules.DEVIATION_STATES)},
                    },
                    required=(
                        "post_id",
                        "code",
                        "title",
                        "category",
                        "township",
                        "village",
                        "status",
                        "allowance_fen",
                        "standard_fen",
                        "allowance_pct",
                        "required_days",
                        "standard_days",
                        "days_pct",
                        "exceeds",
                        "deviation_reason",
                        "deviation_status",
                    ),
                )
            ),
        },
        required=("date", "tolerance_pct", "categories", "deviating_posts"),
    ),
)
SETTING = schema(
    "CountySetting",
    obj(
        {
            "key": {"type": "string", "enum": list(spec.SETTING_KEYS)},
            "label": {"type": "string"},
            "kind": {"type": "string", "enum": ["int", "optional_int", "choice", "categories"]},
            "value": {"type": "string", "description": "今天执行的值（空串表示不设）"},
            "default": {"type": "string"},
            "help": {"type": "string"},
            "history": array(
                obj(
                    {
                        "value": {"type": "string"},
                        "effective_from": DATE,
                        "note": {"type": "string", "nullable": True},
                    },
                    required=("value", "effective_from", "note"),
                )
            ),
        },
        required=("key", "label", "kind", "value", "default", "help", "history"),
    ),
)

POST_BODY = obj(
    {
        "title": {"type": "string", "maxLength": 100},
        "village_id": {"type": "integer"},
        "category_id": {"type": "integer"},
        "fund_id": {"type": "integer", "description": "本县本年度的资金来源"},
        "headcount": {"type": "integer", "minimum": 1},
        "duties": {"type": "string"},
        "work_place": {"type": "string"},
        "hours": {"type": "string"},
        "need_text": {"type": "string", "minLength": rules.NEED_MIN_CHARS},
        "eligible_pool": {"type": "integer", "minimum": 0, "nullable": True},
        "allowance_fen": {**FEN, "nullable": True, "description": "月补贴（分）；省略则取县定标准"},
        "required_days": {"type": "integer", "nullable": True, "description": "省略则取县定标准"},
        "deviation_reason": {"type": "string", "nullable": True},
    },
    required=(
        "title",
        "village_id",
        "category_id",
        "fund_id",
        "headcount",
        "duties",
        "work_place",
        "hours",
        "need_text",
    ),
)


# ---- serializers ----


def _region(r) -> dict:
    return {"id": r.id, "code": r.code, "name": r.name, "level": r.level}


def _pct(p) -> str | None:
    return None if p is None else str(p)


def post_json(p: Post) -> dict:
    return {
        "id": p.id,
        "code": p.code,
        "title": p.title,
        "township": _region(p.township),
        "village": _region(p.village),
        "category": {"id": p.category.id, "name": p.category.name},
        "fund": {"id": p.fund.id, "name": p.fund.name, "year": p.fund.year},
        "headcount": p.headcount,
        "allowance_fen": p.allowance_fen,
        "required_days": p.required_days,
        "full_time": p.full_time,
        "status": p.status,
        "deviation_status": p.deviation_status,
        "deviation_reason": p.deviation_reason,
    }


def post_detail_json(p: Post, today: date) -> dict:
    parity = service.parity_of(db.session, p, today)
    s = p.standard
    return {
        **post_json(p),
        "duties": p.duties,
        "work_place": p.work_place,
        "hours": p.hours,
        "need_text": p.need_text,
        "eligible_pool": p.eligible_pool,
        "decision_reason": p.decision_reason,
        "active_holders": service.active_holders(db.session, p.id),
        "standard": {
            "id": s.id,
            "monthly_allowance_fen": s.monthly_allowance_fen,
            "required_days": s.required_days,
            "effective_from": s.effective_from.isoformat(),
            "effective_to": s.effective_to.isoformat() if s.effective_to else None,
        }
        if s
        else None,
        "parity": {
            "allowance_pct": _pct(parity[0]),
            "days_pct": _pct(parity[1]),
            "exceeds": parity[2],
            "tolerance_pct": parity[3],
        }
        if parity
        else None,
        "created_at": iso_utc(p.created_at),
        "submitted_at": iso_utc(p.submitted_at),
        "decided_at": iso_utc(p.decided_at),
        "closed_on": p.closed_on.isoformat() if p.closed_on else None,
        "history": [
            {"at": iso_utc(e.at), "actor": e.actor_label, "action": e.action, "summary": e.summary}
            for e in service.post_history(db.session, p)
        ],
    }


# ---- body parsing ----


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    return data


def _int(data: dict, name: str, label: str, required: bool = True) -> int | None:
    raw = data.get(name)
    if raw is None:
        if required:
            raise BadInput(f"缺少字段 {name}（{label}）")
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadInput(f"字段 {name}（{label}）须为整数，收到 {raw!r}")
    if abs(raw) > MAX_ID:
        raise BadInput(f"字段 {name}（{label}）超出有效范围（最大{MAX_ID}），收到 {raw}")
    return raw


def _text(data: dict, name: str, label: str, required: bool = True) -> str | None:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise BadInput(f"缺少字段 {name}（{label}）")
        return None
    if not isinstance(raw, str):
        raise BadInput(f"字段 {name}（{label}）须为字符串")
    return raw


def _bool(data: dict, name: str) -> bool:
    raw = data.get(name, False)
    if not isinstance(raw, bool):
        raise BadInput(f"字段 {name} 须为 true 或 false")
    return raw


def _post(post_id: int, action: str) -> Post:
    return service.load_post(db.session, g.actor, post_id, action)


# ---- posts ----


@bp.get("/posts")
@document(
    "岗位列表",
    tags=["岗位"],
    response=POST,
    paginated=True,
    description="管辖范围内的岗位，新建在前；筛选条件与网页岗位列表相同。",
    query={
        "q": {"type": "string", "description": "岗位名称或编号（模糊匹配）"},
        "township_id": {"type": "integer"},
        "village_id": {"type": "integer"},
        "category_id": {"type": "integer"},
        "status": {"type": "string", "enum": list(rules.POST_STATES)},
        "deviation": {
            "type": "string",
            "enum": ["any", *rules.DEVIATION_STATES],
            "description": "any = 任一偏离状态（非 none）",
        },
    },
)
@token_required
def list_posts():
    actor = g.actor
    require(actor, "view_post")
    q = request.args.get("q", "").strip()
    if len(q) > 100:
        raise BadInput("参数 q 过长（最多100个字符）")
    f = service.PostFilter(
        q=q,
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
        category_id=int_arg("category_id", minimum=1),
        status=choice_arg("status", rules.POST_STATES),
        deviation=choice_arg("deviation", ("any",) + rules.DEVIATION_STATES),
    )
    return paginated_rows(
        ("api/posts", scope_key(actor), astuple(f)),
        lambda: service.post_query(actor, f),
        list_rows.POST_ROWS,
        list_rows.post_items,
    )


@bp.post("/posts")
@document(
    "拟设岗位",
    tags=["岗位"],
    status=201,
    response=POST_DETAIL,
    body=POST_BODY,
    errors={
        404: "村、岗位类别或资金来源不存在或不在管辖范围内",
        422: "缺少书面需求、无县定标准、资金年度不符等",
    },
    description="乡镇经办人（或县级管理员）为村拟设岗位，保存为草稿；补贴和出勤天数省略时取当日执行的县定标准。",
)
@token_required
def create_post():
    require(g.actor, "propose_post")
    data = _body()
    today = clock.today()
    inp = service.PostInput(
        title=_text(data, "title", "岗位名称"),
        village_id=_int(data, "village_id", "村"),
        category_id=_int(data, "category_id", "岗位类别"),
        fund_id=_int(data, "fund_id", "资金来源"),
        headcount=_int(data, "headcount", "岗位人数"),
        duties=_text(data, "duties", "岗位职责"),
        work_place=_text(data, "work_place", "工作地点"),
        hours=_text(data, "hours", "工作时间"),
        need_text=_text(data, "need_text", "设岗需求"),
        eligible_pool=_int(data, "eligible_pool", "无法离乡的符合条件人数", required=False),
        allowance_fen=_int(data, "allowance_fen", "月补贴（分）", required=False),
        required_days=_int(data, "required_days", "规定出勤天数", required=False),
        deviation_reason=_text(data, "deviation_reason", "偏离理由", required=False),
    )
    if len(inp.title) > 100:
        raise BadInput("字段 title（岗位名称）最多100个字")
    post = service.propose_post(db.session, g.actor, inp, today)
    return jsonify(post_detail_json(post, today)), 201


@bp.get("/posts/<int:post_id>")
@document(
    "岗位详情",
    tags=["岗位"],
    response=POST_DETAIL,
    description="含书面需求、县定标准及偏离百分比、在岗人数和办理记录（来自审计记录）。",
)
@token_required
def get_post(post_id: int):
    return jsonify(post_detail_json(_post(post_id, "view_post"), clock.today()))


@bp.post("/posts/<int:post_id>/submit")
@document(
    "提交县级审批",
    tags=["岗位"],
    response=POST_DETAIL,
    body=obj(
        {
            "deviation_reason": {
                "type": "string",
                "nullable": True,
                "description": "补贴或天数偏离县定标准超出容差时必填",
            }
        }
    ),
    errors={409: "状态不允许", 422: "偏离县定标准超出容差而无书面理由，或状态不允许提交"},
    description="草稿 → 待县级审批。偏离超出县定容差（默认±10%）须附书面理由，偏离状态变为 pending。",
)
@token_required
def submit_post(post_id: int):
    require(g.actor, "propose_post")
    data = _body()
    post = _post(post_id, "propose_post")
    today = clock.today()
    service.submit_post(
        db.session, g.actor, post, today, _text(data, "deviation_reason", "偏离理由", required=False)
    )
    return jsonify(post_detail_json(post, today))


@bp.post("/posts/<int:post_id>/approve")
@document(
    "县级批准岗位",
    tags=["岗位"],
    response=POST_DETAIL,
    body=obj(
        {
            "approve_deviation": {
                "type": "boolean",
                "default": False,
                "description": "偏离待审批的岗位须为 true，表示同时批准偏离理由",
            },
            "note": {"type": "string", "nullable": True, "description": "审批意见"},
        }
    ),
    errors={422: "状态不允许，或偏离理由未明确批准"},
    description="待县级审批 → 已批准；只有批准的岗位可以招聘。",
)
@token_required
def approve_post(post_id: int):
    require(g.actor, "approve_post")
    data = _body()
    post = _post(post_id, "approve_post")
    today = clock.today()
    service.approve_post(
        db.session,
        g.actor,
        post,
        today,
        approve_deviation=_bool(data, "approve_deviation"),
        note=_text(data, "note", "审批意见", required=False),
    )
    return jsonify(post_detail_json(post, today))


@bp.post("/posts/<int:post_id>/reject")
@document(
    "县级退回岗位",
    tags=["岗位"],
    response=POST_DETAIL,
    body=obj({"reason": {"type": "string", "description": "退回理由"}}, required=("reason",)),
    errors={422: "状态不允许或缺少理由"},
    description="待县级审批 → 已退回（偏离理由一并不予批准）；乡镇可转为草稿修改后重新提交。",
)
@token_required
def reject_post(post_id: int):
    require(g.actor, "approve_post")
    data = _body()
    post = _post(post_id, "approve_post")
    today = clock.today()
    service.reject_post(db.session, g.actor, post, _text(data, "reason", "退回理由"), today)
    return jsonify(post_detail_json(post, today))


@bp.post("/posts/<int:post_id>/revise")
@document(
    "退回的岗位转为草稿",
    tags=["岗位"],
    response=POST_DETAIL,
    errors={422: "只有已退回的岗位可以转为草稿"},
    description="已退回 → 草稿，修改后可重新提交；偏离状态重置为 none。",
)
@token_required
def revise_post(post_id: int):
    require(g.actor, "propose_post")
    post = _post(post_id, "propose_post")
    today = clock.today()
    service.revise_post(db.session, g.actor, post, today)
    return jsonify(post_detail_json(post, today))


@bp.post("/posts/<int:post_id>/close")
@document(
    "撤销岗位",
    tags=["岗位"],
    response=POST_DETAIL,
    body=obj({"reason": {"type": "string", "description": "撤销理由"}}, required=("reason",)),
    errors={409: "岗位尚有在岗人员", 422: "状态不允许或缺少理由"},
    description="撤销不再需要的岗位；尚有在岗人员的岗位须先办理退岗。",
)
@token_required
def close_post(post_id: int):
    require(g.actor, "close_post")
    data = _body()
    post = _post(post_id, "close_post")
    today = clock.today()
    service.close_post(db.session, g.actor, post, _text(data, "reason", "撤销理由"), today)
    return jsonify(post_detail_json(post, today))
