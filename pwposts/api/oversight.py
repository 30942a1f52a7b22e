"""/api/v1 纪检监察: flags (list, detail with evidence), scan, dispose, notes, rectification, case reports.
Inspectors work; the county admin reads and may scan; township and village staff have no access."""

from __future__ import annotations

import io
import json

from flask import g, jsonify, request, send_file

from .. import clock
from ..documents.pdf import render_pdf
from ..domain.formats import parse_date, parse_month
from ..domain.rules import DISMISS_REASONS, FLAG_STATES, RECTIFICATION_KINDS, SEVERITIES
from ..domain.rules.catalog import RULE_IDS, RULES
from ..extensions import db
from ..models.oversight import Flag
from ..services.oversight import reports, run_scan, workflow
from ..services.permissions import require
from .openapi import array, document, obj, schema
from .v1 import BadInput, bp, choice_arg, int_arg, iso_utc, paginated, token_required

MONTH = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "月份 YYYY-MM"}

FLAG = schema(
    "Flag",
    obj(
        {
            "id": {"type": "integer"},
            "rule_id": {"type": "string", "enum": list(RULE_IDS)},
            "rule_title": {"type": "string"},
            "rule_version": {"type": "integer"},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "status": {
                "type": "string",
                "enum": list(FLAG_STATES),
                "description": "open 待处置 · confirmed 已确认 · dismissed 已排除",
            },
            "title": {"type": "string"},
            "subject_key": {"type": "string"},
            "person_id": {"type": "integer", "nullable": True},
            "township": {"type": "string", "nullable": True},
            "period_from": {"type": "string", "nullable": True},
            "period_to": {"type": "string", "nullable": True},
            "money_fen": {"type": "integer", "description": "涉及金额（分）"},
            "evidence_hash": {"type": "string"},
            "first_seen_on": {"type": "string", "format": "date"},
            "last_seen_on": {"type": "string", "format": "date"},
            "previous_flag_id": {
                "type": "integer",
                "nullable": True,
                "description": "证据变化前已处置的线索",
            },
        },
        required=("id", "rule_id", "severity", "status", "title", "money_fen"),
    ),
)
FLAG_DETAIL = schema(
    "FlagDetail",
    obj(
        {
            "flag": FLAG,
            "evidence": {
                "type": "object",
                "description": "证据：persons、links、facts、payments、contracts、refs 等",
            },
            "disposition": {"type": "object", "nullable": True},
            "audit_entries": array(
                obj({"id": {"type": "integer"}, "action": {"type": "string"}, "summary": {"type": "string"}})
            ),
        },
        required=("flag", "evidence"),
    ),
)
SCAN = schema(
    "ScanResult",
    obj({k: {"type": "integer"} for k in ("found", "new", "reraised", "updated", "unchanged", "suppressed")}),
)


def _flag(f: Flag) -> dict:
    return {
        "id": f.id,
        "rule_id": f.rule_id,
        "rule_title": RULES[f.rule_id].title if f.rule_id in RULES else f.rule_id,
        "rule_version": f.rule_version,
        "severity": f.severity,
        "status": f.status,
        "title": f.title,
        "subject_key": f.subject_key,
        "person_id": f.person_id,
        "township": f.township.name if f.township else None,
        "period_from": f.period_from,
        "period_to": f.period_to,
        "money_fen": f.money_fen,
        "evidence_hash": f.evidence_hash,
        "first_seen_on": f.first_seen_on.isoformat(),
        "last_seen_on": f.last_seen_on.isoformat(),
        "previous_flag_id": f.previous_flag_id,
    }


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    return data


@bp.get("/flags")
@document(
    "线索列表",
    tags=["纪检监察"],
    response=FLAG,
    paginated=True,
    description="按规则、乡镇、风险、状态、期间筛选的线索。纪检监察人员与县级管理员可查看。",
    query={
        "rule": {"type": "string", "enum": list(RULE_IDS)},
        "township_id": {"type": "integer"},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "status": {"type": "string", "enum": list(FLAG_STATES)},
        "from": MONTH,
        "to": MONTH,
    },
)
@token_required
def list_flags():
    require(g.actor, "view_flags")
    stmt = workflow.flag_query(
        g.actor,
        rule=choice_arg("rule", RULE_IDS) or None,
        township_id=int_arg("township_id"),
        severity=choice_arg("severity", SEVERITIES) or None,
        status=choice_arg("status", FLAG_STATES) or None,
        month_from=parse_month(request.args["from"], "起始月份") if request.args.get("from") else None,
        month_to=parse_month(request.args["to"], "截止月份") if request.args.get("to") else None,
    )
    return paginated(stmt.order_by(Flag.id.desc()), _flag)


@bp.get("/flags/<int:flag_id>")
@document(
    "线索详情与证据",
    tags=["纪检监察"],
    response=FLAG_DETAIL,
    errors=(404,),
    description="线索、其证据（人员、关系、合同、发放、考勤）、处置结果与相关审计记录。",
)
@token_required
def get_flag(flag_id: int):
    v = reports.flag_view(db.session, g.actor, flag_id)
    d = v.flag.disposition
    return jsonify(
        {
            "flag": _flag(v.flag),
            "evidence": v.evidence,
            "disposition": None
            if d is None
            else {
                "outcome": d.outcome,
                "reason_code": d.reason_code,
                "reason_text": d.reason_text,
                "decided_on": d.decided_on.isoformat(),
                "decided_at": iso_utc(d.decided_at),
                "rectifications": [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "description": r.description,
                        "amount_fen": r.amount_fen,
                        "status": r.status,
                        "done_on": r.done_on.isoformat() if r.done_on else None,
                    }
                    for r in d.rectifications
                ],
            },
            "audit_entries": [
                {
                    "id": e.id,
                    "at": iso_utc(e.at),
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "summary": e.summary,
                }
                for e in v.audit_entries
            ],
        }
    )


@bp.post("/flags/scan")
@document(
    "运行线索扫描",
    tags=["纪检监察"],
    response=SCAN,
    errors=(422,),
    description="按规则扫描全部记录；已有待处置线索不重复；已处置线索证据未变不再提出，证据变化后作为新线索并链接原处置。",
    body=obj(
        {
            "rules": array({"type": "string", "enum": list(RULE_IDS)}),
            "region": {"type": "string"},
            "from": MONTH,
            "to": MONTH,
        }
    ),
)
@token_required
def scan_flags():
    require(g.actor, "run_scan")
    body = request.get_json(silent=True) or {}
    result = run_scan(
        db.session,
        clock.today(),
        actor=g.actor,
        rules=body.get("rules") or None,
        region_code=body.get("region") or None,
        month_from=parse_month(body["from"], "起始月份") if body.get("from") else None,
        month_to=parse_month(body["to"], "截止月份") if body.get("to") else None,
    )
    return jsonify(
        {k: getattr(result, k) for k in ("found", "new", "reraised", "updated", "unchanged", "suppressed")}
    )


@bp.post("/flags/<int:flag_id>/disposition")
@document(
    "处置线索",
    tags=["纪检监察"],
    status=201,
    response=FLAG,
    errors=(404, 409, 422),
    description="仅纪检监察人员。确认须给整改事项（rectification_kind、rectification_text）；排除须给理由代码与书面理由。",
    body=obj(
        {
            "outcome": {"type": "string", "enum": ["confirmed", "dismissed"]},
            "reason_code": {"type": "string", "enum": list(DISMISS_REASONS)},
            "reason_text": {"type": "string"},
            "rectification_kind": {"type": "string", "enum": list(RECTIFICATION_KINDS)},
            "rectification_text": {"type": "string"},
            "amount_fen": {"type": "integer"},
            "due_on": {"type": "string", "format": "date"},
        },
        required=("outcome",),
    ),
)
@token_required
def dispose(flag_id: int):
    require(g.actor, "dispose_flag")
    b = _body()
    amount = b.get("amount_fen")
    if amount is not None and not isinstance(amount, int):
        raise BadInput("amount_fen 须为整数（分）")
    workflow.dispose_flag(
        db.session,
        g.actor,
        flag_id,
        str(b.get("outcome", "")),
        clock.today(),
        reason_code=b.get("reason_code"),
        reason_text=str(b.get("reason_text") or ""),
        rectification_kind=b.get("rectification_kind"),
        rectification_text=str(b.get("rectification_text") or ""),
        amount_fen=amount,
        due_on=parse_date(b["due_on"], "整改期限") if b.get("due_on") else None,
    )
    flag = db.session.get(Flag, flag_id)
    out = _flag(flag)
    return jsonify(out), 201


@bp.post("/flags/<int:flag_id>/notes")
@document(
    "添加线索备注",
    tags=["纪检监察"],
    status=201,
    response=obj({"id": {"type": "integer"}}),
    errors=(404, 422),
    body=obj({"body": {"type": "string"}}, required=("body",)),
)
@token_required
def note(flag_id: int):
    require(g.actor, "work_flag")
    n = workflow.add_note(db.session, g.actor, flag_id, _body().get("body"), clock.today())
    out = {"id": n.id}
    return jsonify(out), 201


@bp.post("/rectifications/<int:item_id>/done")
@document(
    "整改事项完成",
    tags=["纪检监察"],
    response=obj({"id": {"type": "integer"}, "status": {"type": "string"}}),
    errors=(404, 409, 422),
    body=obj({"note": {"type": "string"}}, required=("note",)),
)
@token_required
def rectification_done(item_id: int):
    require(g.actor, "dispose_flag")
    r = workflow.complete_rectification(db.session, g.actor, item_id, _body().get("note"), clock.today())
    out = {"id": r.id, "status": r.status}
    return jsonify(out)


@bp.get("/flags/<int:flag_id>/report.pdf")
@document(
    "线索核查报告（PDF）",
    tags=["纪检监察"],
    response={"type": "string", "format": "binary"},
    errors=(404,),
    description="一条线索的核查报告：规则、人员、证据与金额；下载记入审计。",
)
@token_required
def flag_report(flag_id: int):
    v = reports.flag_view(db.session, g.actor, flag_id)
    data = render_pdf(
        "pdf/case_report.html",
        flags=[(v.flag, v.evidence)],
        title="线索核查报告",
        scope=f"第{v.flag.id}号线索",
        today=clock.today(),
        rules=RULES,
    )
    reports.record_report_download(
        db.session,
        g.actor,
        "oversight_flag",
        v.flag.id,
        f"（接口）下载线索第{v.flag.id}号核查报告",
        clock.today(),
    )
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"case-{flag_id}.pdf")


@bp.get("/townships/<int:township_id>/case-report.pdf")
@document(
    "乡镇线索核查报告（PDF）",
    tags=["纪检监察"],
    response={"type": "string", "format": "binary"},
    errors=(404,),
    description="一个乡镇全部线索的核查报告；下载记入审计。",
)
@token_required
def township_report(township_id: int):
    town, flags = reports.township_flags(db.session, g.actor, township_id)
    data = render_pdf(
        "pdf/case_report.html",
        flags=[(f, json.loads(f.evidence_json)) for f in flags],
        title=f"{town.name}线索核查报告",
        scope=town.full_name,
        today=clock.today(),
        rules=RULES,
    )
    reports.record_report_download(
        db.session,
        g.actor,
        "region",
        town.id,
        f"（接口）下载{town.name}线索核查报告（{len(flags)}项）",
        clock.today(),
    )
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"cases-{town.code}.pdf")
