"""API v1: the parity report and county settings (split from api/posts.py)."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify

from .. import clock
from ..domain import settings as spec
from ..domain.errors import DomainError, NotFound
from ..domain.formats import parse_date
from ..extensions import db
from ..services import posts as service
from ..services import settings as settings_service
from ..services.permissions import require
from .openapi import array, document, obj
from .posts import (
    DATE,
    PARITY_REPORT,
    SETTING,
    _body,
    _pct,
    _text,
)
from .v1 import BadInput, bp, int_arg, token_required

# ---- the parity report ----


@bp.get("/parity-report")
@document(
    "同类岗位补贴一致性报告",
    tags=["岗位"],
    response=PARITY_REPORT,
    query={
        "category_id": {"type": "integer", "description": "岗位类别ID"},
        "township_id": {"type": "integer", "description": "乡镇ID"},
    },
    description="按类别统计已提交和已批准岗位的月补贴（岗位数、最低、中位数、最高，及分乡镇），"
    "并列出每个偏离县定标准的岗位及其理由和审批状态。",
)
@token_required
def parity_report():
    require(g.actor, "view_post")
    today = clock.today()
    groups, tol = service.parity_report(
        db.session,
        g.actor,
        today,
        category_id=int_arg("category_id", minimum=1),
        township_id=int_arg("township_id", minimum=1),
    )
    summary, towns, deviating = service.parity_plain(groups)
    categories = []
    for s in summary:
        categories.append(
            {
                "category": {"id": s["category_id"], "name": s["category"]},
                "standard_fen": s["standard_fen"],
                "standard_days": s["standard_days"],
                "count": s["count"],
                "min_fen": s["min_fen"],
                "median_fen": s["median_fen"],
                "max_fen": s["max_fen"],
                "deviating": s["deviating"],
                "townships": [
                    {
                        "township": {"id": t["township_id"], "name": t["township"]},
                        "count": t["count"],
                        "min_fen": t["min_fen"],
                        "median_fen": t["median_fen"],
                        "max_fen": t["max_fen"],
                    }
                    for t in towns
                    if t["category"] == s["category"]
                ],
            }
        )
    keys = (
        "post_id",
        "code",
        "title",
        "category",
        "township",
        "village",
        "status",
        "allowance_fen",
        "standard_fen",
        "required_days",
        "standard_days",
        "exceeds",
        "deviation_reason",
        "deviation_status",
    )
    return jsonify(
        {
            "date": today.isoformat(),
            "tolerance_pct": tol,
            "categories": categories,
            "deviating_posts": [
                {
                    **{k: d[k] for k in keys},
                    "allowance_pct": _pct(d["allowance_pct"]),
                    "days_pct": _pct(d["days_pct"]),
                }
                for d in deviating
            ],
        }
    )


# ---- county settings ----


def _county():
    county = service.actor_county(db.session, g.actor)
    if county is None:
        raise NotFound("县")
    return county


def _settings_json(county, today: date) -> list[dict]:
    from sqlalchemy import select

    from ..models.policy import CountySetting

    current = settings_service.all_settings(db.session, county.id, today)
    rows = db.session.scalars(
        select(CountySetting)
        .where(CountySetting.county_id == county.id)
        .order_by(CountySetting.key, CountySetting.effective_from)
    ).all()
    return [
        {
            "key": s.key,
            "label": s.label,
            "kind": s.kind,
            "value": current[s.key],
            "default": s.default,
            "help": s.help,
            "history": [
                {"value": r.value, "effective_from": r.effective_from.isoformat(), "note": r.note}
                for r in rows
                if r.key == s.key
            ],
        }
        for s in spec.SPECS
    ]


@bp.get("/settings")
@document(
    "县级设置",
    tags=["政策设置"],
    response=array(SETTING),
    description="每个县级设置项今天执行的值、默认值及按生效日期的历史。",
)
@token_required
def list_settings():
    require(g.actor, "view_policy")
    return jsonify(_settings_json(_county(), clock.today()))


@bp.post("/settings")
@document(
    "设置县级设置项",
    tags=["政策设置"],
    status=201,
    response=SETTING,
    body=obj(
        {
            "key": {"type": "string", "enum": list(spec.SETTING_KEYS)},
            "value": {"type": "string", "description": "新值；可不设的项用空串"},
            "effective_from": {**DATE, "description": "生效日期，不得早于今天"},
            "note": {"type": "string", "nullable": True},
        },
        required=("key", "value", "effective_from"),
    ),
    errors={422: "值不合法或生效日期早于今天"},
    description="县级管理员设置新值，自生效日期起执行（写入审计记录）；此前的业务仍按原值。",
)
@token_required
def change_setting():
    require(g.actor, "manage_policy")
    data = _body()
    key = _text(data, "key", "设置项")
    if key not in spec.BY_KEY:
        raise BadInput(f"字段 key 的值“{key}”无效，可选：{'、'.join(spec.SETTING_KEYS)}")
    raw = data.get("value")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise BadInput("缺少字段 value（新值），须为字符串")
    eff_raw = _text(data, "effective_from", "生效日期")
    try:
        effective = parse_date(eff_raw, "生效日期")
    except DomainError as err:
        raise BadInput(err.message, err.code) from None
    county = _county()
    today = clock.today()
    settings_service.change_setting(
        db.session, g.actor, county, key, raw, effective, _text(data, "note", "说明", required=False), today
    )
    return jsonify(next(s for s in _settings_json(county, today) if s["key"] == key)), 201
