"""/api/v1 payroll: runs (prepare, list, detail with lines, approve, void), bank files and results,
retries, corrections (补发/扣回) and arrears (拖欠). Money in 分; the rules live in services.pay."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from .. import clock
from ..domain.errors import DomainError
from ..domain.formats import parse_month
from ..domain.pay import PAYMENT_KINDS, PAYMENT_STATES, RUN_KINDS, RUN_STATES
from ..domain.people import mask_id_number
from ..extensions import db
from ..models.pay import Payment
from ..services import pay as service
from ..services.permissions import can, require, scope_key
from . import list_rows
from .openapi import array, document, nullable, obj, schema
from .people import mask_account
from .v1 import (
    BadInput,
    bp,
    choice_arg,
    int_arg,
    iso_utc,
    json_id,
    paginated_rows,
    token_required,
)

MONTH = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "月份 YYYY-MM"}
DATE = {"type": "string", "format": "date"}

RUN = schema(
    "PayrollRun",
    obj(
        {
            "id": {"type": "integer"},
            "township": obj({"id": {"type": "integer"}, "name": {"type": "string"}}, required=("id", "name")),
            "month": MONTH,
            "kind": {
                "type": "string",
                "enum": list(RUN_KINDS),
                "description": "regular 月度清册 · supplementary 补充清册（月度清册审批后考勤才审核的人员）",
            },
            "status": {
                "type": "string",
                "enum": list(RUN_STATES),
                "description": "preview 待审批 · approved 已审批 · void 已作废",
            },
            "total_fen": {"type": "integer", "description": "合计（分）"},
            "line_count": {"type": "integer"},
            "unpaid_count": {"type": "integer", "description": "覆盖该月但无已审核考勤、未计发的人数"},
            "prepared_by": {"type": "string"},
            "prepared_at": {"type": "string", "format": "date-time"},
            "approved_by": {"type": "string", "nullable": True},
            "approved_at": {"type": "string", "format": "date-time", "nullable": True},
        },
        required=(
            "id",
            "township",
            "month",
            "kind",
            "status",
            "total_fen",
            "line_count",
            "unpaid_count",
            "prepared_by",
            "prepared_at",
            "approved_by",
            "approved_at",
        ),
    ),
)
PAYMENT = schema(
    "PaymentLine",
    obj(
        {
            "id": {"type": "integer"},
            "run_id": {"type": "integer", "nullable": True},
            "contract_id": {"type": "integer"},
            "person": obj(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "id_number": {"type": "string", "description": "无权查看全号者得到脱敏值"},
                },
                required=("id", "name", "id_number"),
            ),
            "month": MONTH,
            "kind": {
                "type": "string",
                "enum": list(PAYMENT_KINDS),
                "description": "regular 月度发放 · 补发 · 扣回（负数）",
            },
            "standard_fen": {"type": "integer"},
            "required_days": {"type": "integer"},
            "attended_days": {"type": "integer"},
            "covered_days": {"type": "integer", "description": "c：合同覆盖当月的天数"},
            "month_days": {"type": "integer", "description": "d：当月天数"},
            "cap_fen": {"type": "integer"},
            "base_fen": {"type": "integer"},
            "grade": {"type": "string", "nullable": True},
            "performance_fen": {"type": "integer"},
            "amount_fen": {"type": "integer"},
            "calc_text": {"type": "string", "description": "计算过程，如 600 ÷ 20 × 15 = 450.00"},
            "account_no": {"type": "string", "nullable": True, "description": "无权查看全号者只得到后4位"},
            "status": {"type": "string", "enum": list(PAYMENT_STATES)},
            "bank_batch": {"type": "integer"},
            "bank_ref": {"type": "string", "nullable": True},
            "failure_reason": {"type": "string", "nullable": True},
            "paid_on": nullable(DATE),
            "reason": {"type": "string", "nullable": True},
            "original_payment_id": {"type": "integer", "nullable": True},
        },
        required=(
            "id",
            "run_id",
            "contract_id",
            "person",
            "month",
            "kind",
            "amount_fen",
            "calc_text",
            "status",
            "bank_batch",
        ),
    ),
)
LEFT_UNPAID = schema(
    "LeftUnpaid",
    obj(
        {
            "count": {
                "type": "integer",
                "description": "本乡镇该月仍未计发的人数（预览中含账户有问题的人数）",
            },
            "by_reason": array(
                obj(
                    {"reason": {"type": "string"}, "count": {"type": "integer"}}, required=("reason", "count")
                )
            ),
            "summary": {
                "type": "string",
                "description": "如“本乡镇该月仍有3人未计发：考勤待审核2人、无考勤记录1人”",
            },
            "supplementary_possible": {
                "type": "integer",
                "description": "考勤在已审批清册之后才审核、可列入补充清册的人数",
            },
        },
        required=("count", "by_reason", "summary", "supplementary_possible"),
    ),
)
RUN_DETAIL = schema(
    "PayrollRunDetail",
    {
        "allOf": [
            RUN,
            obj(
                {
                    "months": array(MONTH),
                    "lines": array(PAYMENT),
                    "unpaid": array(
                        obj(
                            {
                                "contract_id": {"type": "integer"},
                                "person_id": {"type": "integer"},
                                "name": {"type": "string"},
                                "month": MONTH,
                                "reason": {"type": "string"},
                            },
                            required=("contract_id", "person_id", "name", "month", "reason"),
                        )
                    ),
                    "funds": array(
                        obj(
                            {
                                "fund_id": {"type": "integer"},
                                "name": {"type": "string"},
                                "year": {"type": "integer"},
                                "allocation_fen": {"type": "integer"},
                                "used_fen": {"type": "integer"},
                                "run_fen": {"type": "integer"},
                                "after_fen": {"type": "integer"},
                                "exceeded": {"type": "boolean"},
                            },
                            required=(
                                "fund_id",
                                "name",
                                "year",
                                "allocation_fen",
                                "used_fen",
                                "run_fen",
                                "after_fen",
                                "exceeded",
                            ),
                        )
                    ),
                    "account_problems": array(
                        obj(
                            {
                                "payment_id": {"type": "integer"},
                                "name": {"type": "string"},
                                "reason": {"type": "string"},
                            },
                            required=("payment_id", "name", "reason"),
                        )
                    ),
                    "stale": array(
                        {"type": "string", "description": "造册后输入有变动的人员姓名（须重新生成）"}
                    ),
                    "left_unpaid": LEFT_UNPAID,
                    "related_runs": array(
                        obj(
                            {
                                "id": {"type": "integer"},
                                "kind": {"type": "string", "enum": list(RUN_KINDS)},
                                "status": {"type": "string", "enum": list(RUN_STATES)},
                            },
                            required=("id", "kind", "status"),
                        )
                    ),
                },
                required=(
                    "months",
                    "lines",
                    "unpaid",
                    "funds",
                    "account_problems",
                    "stale",
                    "left_unpaid",
                    "related_runs",
                ),
            ),
        ]
    },
)
APPROVED = schema(
    "PayrollRunApproved", {"allOf": [RUN, obj({"left_unpaid": LEFT_UNPAID}, required=("left_unpaid",))]}
)
BANK_FILE = schema(
    "BankFile",
    obj(
        {
            "batch": {"type": "integer", "nullable": True},
            "total_fen": {"type": "integer"},
            "rows": array(
                obj(
                    {
                        "account_no": {"type": "string"},
                        "account_name": {"type": "string"},
                        "amount_fen": {"type": "integer"},
                        "reference": {"type": "string"},
                    },
                    required=("account_no", "account_name", "amount_fen", "reference"),
                )
            ),
        },
        required=("batch", "total_fen", "rows"),
    ),
)
BANK_RESULT = schema(
    "BankResultImport",
    obj(
        {
            "paid": {"type": "integer"},
            "failed": {"type": "integer"},
            "paid_fen": {"type": "integer"},
            "failed_fen": {"type": "integer"},
        },
        required=("paid", "failed", "paid_fen", "failed_fen"),
    ),
)
ARREARS = schema(
    "Arrears",
    obj(
        {
            "arrears_days": {"type": "integer", "description": "县级设置：拖欠认定天数"},
            "items": array(
                obj(
                    {
                        "township": obj(
                            {"id": {"type": "integer"}, "name": {"type": "string"}}, required=("id", "name")
                        ),
                        "month": MONTH,
                        "roster": {"type": "integer", "description": "覆盖该月的合同数"},
                        "lines": {"type": "integer"},
                        "paid": {"type": "integer"},
                        "unpaid_lines": {"type": "integer"},
                        "unpaid_fen": {"type": "integer"},
                        "run_id": {"type": "integer", "nullable": True},
                        "run_status": {"type": "string", "nullable": True},
                        "approved_on": nullable(DATE),
                        "reasons": array({"type": "string"}),
                    },
                    required=(
                        "township",
                        "month",
                        "roster",
                        "lines",
                        "paid",
                        "unpaid_lines",
                        "unpaid_fen",
                        "run_id",
                        "run_status",
                        "approved_on",
                        "reasons",
                    ),
                )
            ),
        },
        required=("arrears_days", "items"),
    ),
)


def _users(ids):
    from ..models.accounts import User

    ids = {i for i in ids if i}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def run_json(run, users=None) -> dict:
    users = users if users is not None else _users({run.prepared_by_id, run.approved_by_id})
    prep, appr = users.get(run.prepared_by_id), users.get(run.approved_by_id)
    return {
        "id": run.id,
        "township": {"id": run.township.id, "name": run.township.name},
        "month": run.month,
        "kind": run.kind,
        "status": run.status,
        "total_fen": run.total_fen,
        "line_count": run.line_count,
        "unpaid_count": run.unpaid_count,
        "prepared_by": prep.label if prep else "",
        "prepared_at": iso_utc(run.prepared_at),
        "approved_by": appr.label if appr else None,
        "approved_at": iso_utc(run.approved_at),
    }


def payment_json(p: Payment, full: bool) -> dict:
    return {
        "id": p.id,
        "run_id": p.run_id,
        "contract_id": p.contract_id,
        "person": {
            "id": p.person.id,
            "name": p.person.name,
            "id_number": p.person.id_number if full else mask_id_number(p.person.id_number),
        },
        "month": p.month,
        "kind": p.kind,
        "standard_fen": p.standard_fen,
        "required_days": p.required_days,
        "attended_days": p.attended_days,
        "covered_days": p.covered_days,
        "month_days": p.month_days,
        "cap_fen": p.cap_fen,
        "base_fen": p.base_fen,
        "grade": p.grade,
        "performance_fen": p.performance_fen,
        "amount_fen": p.amount_fen,
        "calc_text": p.calc_text,
        "account_no": (p.account_no if full else mask_account(p.account_no)) if p.account_no else None,
        "status": p.status,
        "bank_batch": p.bank_batch,
        "bank_ref": p.bank_ref,
        "failure_reason": p.failure_reason,
        "paid_on": p.paid_on.isoformat() if p.paid_on else None,
        "reason": p.reason,
        "original_payment_id": p.original_payment_id,
    }


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    return data


def _detail(run_id: int):
    today = clock.today()
    v = service.run_view(db.session, g.actor, run_id, today)
    full = can(g.actor, "view_full_id_number", v.run)
    lines = db.session.scalars(service.line_query(v.run.id)).unique().all()
    return {
        **run_json(v.run),
        "months": v.months,
        "lines": [payment_json(p, full) for p in lines],
        "unpaid": [
            {
                "contract_id": u.contract_id,
                "person_id": u.person_id,
                "name": u.name,
                "month": u.month,
                "reason": u.reason,
            }
            for u in v.unpaid
        ],
        "funds": [
            {
                "fund_id": f.fund_id,
                "name": f.name,
                "year": f.year,
                "allocation_fen": f.allocation_fen,
                "used_fen": f.used_fen,
                "run_fen": f.run_fen,
                "after_fen": f.after_fen,
                "exceeded": f.exceeded,
            }
            for f in v.funds
        ],
        "account_problems": [
            {"payment_id": b.payment_id, "name": b.name, "reason": b.reason} for b in v.blockers
        ],
        "stale": v.stale,
        "left_unpaid": _left_json(v),
        "related_runs": [{"id": r.id, "kind": r.kind, "status": r.status} for r in v.related],
    }


def _left_json(v) -> dict:
    counts: dict[str, int] = {}
    for u in v.unpaid:
        counts[u.cause] = counts.get(u.cause, 0) + 1
    if v.run.status == "preview" and v.blockers:
        counts["账户有问题"] = len(v.blockers)
    return {
        "count": v.left_count,
        "by_reason": [{"reason": r, "count": n} for r, n in counts.items()],
        "summary": v.left_summary,
        "supplementary_possible": len(v.late),
    }


@bp.post("/payroll-runs")
@document(
    "生成发放清册（预览）",
    tags=["发放"],
    status=201,
    response=RUN_DETAIL,
    errors={409: "该乡镇该月的清册已审批，或正由他人同时生成", 422: "月份未结束、按季度发放须选季度末月等"},
    description="按县定公式为乡镇所有覆盖该月的合同计算补贴；只计入已审核考勤。已有待审批清册时重新生成并替换明细。"
    "kind=supplementary 生成补充清册：仅在该月月度清册已审批后，计发考勤已审核但未列入任何清册的人员。",
    body=obj(
        {
            "township_id": {"type": "integer"},
            "month": MONTH,
            "kind": {"type": "string", "enum": list(RUN_KINDS), "description": "默认 regular"},
        },
        required=("township_id", "month"),
    ),
)
@token_required
def prepare_run():
    require(g.actor, "prepare_payroll")
    data = _body()
    if not isinstance(data.get("month"), str):
        raise BadInput("须提供 township_id（整数）和 month（YYYY-MM）")
    kind = data.get("kind", "regular")
    if kind not in RUN_KINDS:
        raise BadInput(f"kind 只能为 regular 或 supplementary，收到“{kind}”")
    run = service.prepare_run(
        db.session, g.actor, json_id(data, "township_id"), data["month"], clock.today(), kind
    )
    return jsonify(_detail(run.id)), 201


@bp.get("/payroll-runs")
@document(
    "发放清册列表",
    tags=["发放"],
    response=RUN,
    paginated=True,
    description="管辖范围内的发放清册，按月份倒序。",
    query={
        "township_id": {"type": "integer", "description": "乡镇ID"},
        "month": MONTH,
        "status": {"type": "string", "enum": list(RUN_STATES)},
    },
)
@token_required
def list_runs():
    actor = g.actor
    require(actor, "view_payroll")
    month = request.args.get("month", "").strip()
    if month:
        try:
            month = parse_month(month)
        except DomainError:
            raise BadInput(f"参数 month 须为 YYYY-MM，收到“{month}”") from None
    township_id = int_arg("township_id", minimum=1)
    status = choice_arg("status", RUN_STATES) or None
    month = month or None
    return paginated_rows(
        ("api/payroll-runs", scope_key(actor), township_id, month, status),
        lambda: service.run_query(actor, township_id=township_id, month=month, status=status),
        list_rows.RUN_ROWS,
        list_rows.run_items,
    )


@bp.get("/payroll-runs/<int:run_id>")
@document(
    "发放清册详情",
    tags=["发放"],
    response=RUN_DETAIL,
    description="含全部明细（计算过程 calc_text）、未计发人员、资金额度核对、账户问题。",
)
@token_required
def get_run(run_id: int):
    return jsonify(_detail(run_id))


@bp.post("/payroll-runs/<int:run_id>/supplementary")
@document(
    "生成补充清册（预览）",
    tags=["发放"],
    status=201,
    response=RUN_DETAIL,
    errors={
        409: "该乡镇该月已有待审批的清册，或正由他人同时生成",
        422: "该月月度清册尚未审批；没有可补充计发的人员",
    },
    description="为第 run_id 号清册所在的乡镇·月份生成补充清册：月度清册审批后考勤才审核的人员按同一规则计发"
    "（同样双人审批、资金核对、银行文件与PDF）；已有发放明细的人员不会重复计发。",
)
@token_required
def prepare_supplementary(run_id: int):
    require(g.actor, "prepare_payroll")
    run = service.load_run(db.session, g.actor, run_id, "prepare_payroll")
    supp = service.prepare_run(
        db.session, g.actor, run.township_id, run.month, clock.today(), "supplementary"
    )
    return jsonify(_detail(supp.id)), 201


@bp.post("/payroll-runs/<int:run_id>/approve")
@document(
    "审批发放清册",
    tags=["发放"],
    response=APPROVED,
    errors={409: "清册已被审批或作废", 422: "造册人不能审批本人清册；资金额度不足；账户问题；清册已过时"},
    description="须由造册人以外的乡镇经办人或县级管理员审批；审批后相应考勤锁定。并发审批只有一个成功。"
    "left_unpaid 说明审批后本乡镇该月仍未计发的人数及原因。",
)
@token_required
def approve_run(run_id: int):
    require(g.actor, "approve_payroll")
    run = service.approve_run(db.session, g.actor, run_id, clock.today())
    v = service.run_view(db.session, g.actor, run.id, clock.today())
    return jsonify({**run_json(v.run), "left_unpaid": _left_json(v)})


@bp.post("/payroll-runs/<int:run_id>/void")
@document(
    "作废待审批的清册",
    tags=["发放"],
    response=RUN,
    errors={409: "只有待审批的清册可以作废"},
    body=obj({"reason": {"type": "string"}}, required=("reason",)),
)
@token_required
def void_run(run_id: int):
    require(g.actor, "prepare_payroll")
    data = _body()
    run = service.void_run(db.session, g.actor, run_id, str(data.get("reason") or ""), clock.today())
    return jsonify(run_json(run))
