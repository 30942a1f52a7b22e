"""/api/v1 for the holder's own records and 申诉, and the staff side of 申诉."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from .. import clock
from ..domain.errors import DomainError, NotFound
from ..domain.formats import parse_month
from ..domain.people import mask_id_number
from ..extensions import db
from ..models.pay import Payment, PaymentObjection, PayrollRun
from ..services import portal
from ..services.permissions import can, require
from .openapi import array, document, nullable, obj, schema
from .v1 import BadInput, bp, choice_arg, paginated, token_required

DATE = {"type": "string", "format": "date"}
STAMP = {"type": "string", "format": "date-time"}
PAYMENT = schema(
    "Payment",
    obj(
        {
            "id": {"type": "integer"},
            "month": {"type": "string", "description": "YYYY-MM"},
            "kind": {"type": "string", "enum": ["regular", "补发", "扣回"]},
            "amount_fen": {"type": "integer"},
            "base_fen": {"type": "integer"},
            "performance_fen": {"type": "integer"},
            "cap_fen": {"type": "integer"},
            "standard_fen": {"type": "integer"},
            "required_days": {"type": "integer"},
            "attended_days": {"type": "integer"},
            "covered_days": {"type": "integer"},
            "month_days": {"type": "integer"},
            "grade": {"type": "string", "nullable": True},
            "calc_text": {"type": "string", "description": "计算过程，如 600 ÷ 20 × 15 = 450.00"},
            "status": {"type": "string", "enum": ["pending", "paid", "failed"]},
            "paid_on": nullable(DATE),
            "failure_reason": {"type": "string", "nullable": True},
            "reason": {"type": "string", "nullable": True, "description": "补发/扣回的理由"},
            "original_payment_id": {"type": "integer", "nullable": True},
            "account": {"type": "string", "description": "收款账号（仅后4位）"},
            "person": obj(
                {"id": {"type": "integer"}, "name": {"type": "string"}, "id_number": {"type": "string"}}
            ),
        },
        required=("id", "month", "kind", "amount_fen", "calc_text", "status"),
    ),
)
OBJECTION = schema(
    "PaymentObjection",
    obj(
        {
            "id": {"type": "integer"},
            "payment_id": {"type": "integer", "nullable": True, "description": "对未发放月份的申诉为空"},
            "contract_id": {"type": "integer"},
            "month": {"type": "string"},
            "content": {"type": "string"},
            "raised_at": STAMP,
            "status": {"type": "string", "enum": ["open", "answered"]},
            "answer": {"type": "string", "nullable": True},
            "answered_at": nullable(STAMP),
        },
        required=("id", "payment_id", "contract_id", "month", "content", "status"),
    ),
)
CONTRACT_MONTH = schema(
    "ContractMonth",
    obj(
        {
            "contract_id": {"type": "integer"},
            "contract_code": {"type": "string"},
            "post_title": {"type": "string"},
            "month": {"type": "string", "description": "YYYY-MM"},
            "state": {
                "type": "string",
                "enum": ["paid", "waiting", "not_paid"],
                "description": "paid 已发放 · waiting 待发放 · not_paid 未发放",
            },
            "label": {"type": "string", "description": "已发放 / 待发放 / 未发放"},
            "reason": {"type": "string", "description": "原因，如“考勤待乡镇审核，审核后方可计发”"},
            "amount_fen": {"type": "integer", "nullable": True},
            "payment_id": {"type": "integer", "nullable": True},
            "objectable": {
                "type": "boolean",
                "description": "可对该月提出未发放申诉（无发放明细且月份已结束）",
            },
        },
        required=("contract_id", "month", "state", "label", "reason", "objectable"),
    ),
)


def _payment_json(p: Payment) -> dict:
    return {
        "id": p.id,
        "month": p.month,
        "kind": p.kind,
        "amount_fen": p.amount_fen,
        "base_fen": p.base_fen,
        "performance_fen": p.performance_fen,
        "cap_fen": p.cap_fen,
        "standard_fen": p.standard_fen,
        "required_days": p.required_days,
        "attended_days": p.attended_days,
        "covered_days": p.covered_days,
        "month_days": p.month_days,
        "grade": p.grade,
        "calc_text": p.calc_text,
        "status": p.status,
        "paid_on": p.paid_on.isoformat() if p.paid_on else None,
        "failure_reason": p.failure_reason,
        "reason": p.reason,
        "original_payment_id": p.original_payment_id,
        "account": "****" + (p.account_no or "")[-4:],
        "person": {"id": p.person.id, "name": p.person.name, "id_number": mask_id_number(p.person.id_number)},
    }


def _objection_json(o: PaymentObjection) -> dict:
    return {
        "id": o.id,
        "payment_id": o.payment_id,
        "contract_id": o.contract_id,
        "month": o.month,
        "content": o.content,
        "raised_at": o.raised_at.isoformat() + "Z",
        "status": o.status,
        "answer": o.answer,
        "answered_at": o.answered_at.isoformat() + "Z" if o.answered_at else None,
    }


def _text(field: str) -> str:
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get(field), str):
        raise BadInput(f"请求体须为JSON，含文本字段 {field}")
    return data[field]


def _visible_payment(payment_id: int) -> Payment:
    """A holder sees only their own payments; staff and inspectors those of posts in their scope.
    A payment of a run still in preview is not yet a payment for the holder."""
    p = db.session.get(Payment, payment_id)
    if p is None:
        raise NotFound("发放记录")
    if can(g.actor, "view_own_records"):
        run = db.session.get(PayrollRun, p.run_id) if p.run_id else None
        if p.person_id != g.actor.person_id or (run is not None and run.status != "approved"):
            raise NotFound("发放记录")
        return p
    require(g.actor, "view_payroll", p.contract.post, what="发放记录")
    return p


@bp.get("/me/payments")
@document(
    "我的发放记录",
    tags=["岗位人员"],
    response=PAYMENT,
    paginated=True,
    description="岗位人员本人每一笔已审批的发放（含补发、扣回），带计算过程与银行状态。",
)
@token_required
def my_payments():
    require(g.actor, "view_own_records")
    q = (
        select(Payment)
        .outerjoin(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(
            Payment.person_id == g.actor.person_id,
            (Payment.run_id.is_(None)) | (PayrollRun.status == "approved"),
        )
        .order_by(Payment.month.desc(), Payment.id)
    )
    return paginated(q, _payment_json)


@bp.get("/payments/<int:payment_id>")
@document(
    "发放明细",
    tags=["岗位人员", "发放"],
    response=PAYMENT,
    errors=(404,),
    description="岗位人员只能查看本人的发放；工作人员与纪检监察查看管辖范围内的发放。",
)
@token_required
def get_payment(payment_id: int):
    return jsonify(_payment_json(_visible_payment(payment_id)))


@bp.post("/payments/<int:payment_id>/objections")
@document(
    "对一笔发放提出申诉",
    tags=["岗位人员"],
    status=201,
    response=OBJECTION,
    errors=(404, 422),
    body=obj({"content": {"type": "string", "description": "申诉理由，5至1000字"}}, required=("content",)),
)
@token_required
def raise_objection(payment_id: int):
    require(g.actor, "raise_payment_objection")
    p = _visible_payment(payment_id)
    o = portal.raise_objection(db.session, g.actor, p.id, _text("content"), clock.today())
    return jsonify(_objection_json(o)), 201


@bp.get("/me/months")
@document(
    "我的每月发放情况",
    tags=["岗位人员"],
    response=array(CONTRACT_MONTH),
    description="本人每份合同期内的每个月（至本月为止，最近的在前）：已发放、待发放或未发放，及原因。",
)
@token_required
def my_months():
    rows = portal.holder_months(db.session, g.actor, clock.today())
    return jsonify(
        [
            {
                "contract_id": m.contract_id,
                "contract_code": m.contract_code,
                "post_title": m.post_title,
                "month": m.month,
                "state": m.state,
                "label": m.label,
                "reason": m.reason,
                "amount_fen": m.amount_fen,
                "payment_id": m.payment_id,
                "objectable": m.objectable,
            }
            for m in rows
        ]
    )


@bp.post("/me/months/<int:contract_id>/<month>/objections")
@document(
    "对未发放的月份提出申诉",
    tags=["岗位人员"],
    status=201,
    response=OBJECTION,
    errors=(400, 404, 422),
    description="该月没有本人可见的发放明细（未发放或待发放）时，按合同和月份提出申诉；已有发放明细的月份请对该笔发放申诉。",
    body=obj({"content": {"type": "string", "description": "申诉理由，5至1000字"}}, required=("content",)),
)
@token_required
def raise_month_objection(contract_id: int, month: str):
    require(g.actor, "raise_payment_objection")
    try:
        month = parse_month(month)
    except DomainError:
        raise BadInput(f"月份须为 YYYY-MM，收到“{month}”") from None
    o = portal.raise_month_objection(db.session, g.actor, contract_id, month, _text("content"), clock.today())
    return jsonify(_objection_json(o)), 201


@bp.get("/me/objections")
@document("我的申诉", tags=["岗位人员"], response=array(OBJECTION), description="本人提出的申诉及乡镇答复。")
@token_required
def my_objections():
    require(g.actor, "view_own_records")
    rows = db.session.scalars(
        select(PaymentObjection)
        .where(PaymentObjection.person_id == g.actor.person_id)
        .order_by(PaymentObjection.raised_at.desc())
    ).all()
    return jsonify([_objection_json(o) for o in rows])


@bp.get("/payment-objections")
@document(
    "发放申诉列表",
    tags=["发放"],
    response=OBJECTION,
    paginated=True,
    query={"status": {"type": "string", "enum": ["open", "answered"], "description": "默认全部"}},
    description="管辖范围内岗位人员提出的申诉。",
)
@token_required
def list_objections():
    require(g.actor, "view_payroll")
    return paginated(
        portal.objection_query(g.actor, choice_arg("status", ("open", "answered"))), _objection_json
    )


@bp.post("/payment-objections/<int:objection_id>/answer")
@document(
    "答复申诉",
    tags=["发放"],
    response=OBJECTION,
    errors=(404, 422),
    body=obj({"answer": {"type": "string", "description": "核查情况与结论，至少5字"}}, required=("answer",)),
)
@token_required
def answer_objection(objection_id: int):
    require(g.actor, "answer_payment_objection")
    o = portal.answer_objection(db.session, g.actor, objection_id, _text("answer"), clock.today())
    return jsonify(_objection_json(o))


ATTENDANCE = schema(
    "MyAttendance",
    obj(
        {
            "month": {"type": "string"},
            "contract_id": {"type": "integer"},
            "days_worked": {"type": "integer"},
            "hours_worked": {"type": "integer", "nullable": True},
            "leave_days": {"type": "integer"},
            "absent_days": {"type": "integer"},
            "grade": {"type": "string", "nullable": True, "description": "月度考核，未考核为空"},
            "status": {"type": "string", "enum": ["draft", "approved", "locked"]},
        },
        required=("month", "contract_id", "days_worked", "status"),
    ),
)


@bp.get("/me/attendance")
@document(
    "我的出勤",
    tags=["岗位人员"],
    response=array(ATTENDANCE),
    description="岗位人员本人每月的出勤、请假、缺勤与月度考核等次，最近的月份在前。",
)
@token_required
def my_attendance():
    view = portal.holder_overview(db.session, g.actor, clock.today())
    return jsonify(
        [
            {
                "month": a.month,
                "contract_id": a.contract_id,
                "days_worked": a.days_worked,
                "hours_worked": a.hours_worked,
                "leave_days": a.leave_days,
                "absent_days": a.absent_days,
                "grade": view.grades.get((a.contract_id, a.month)),
                "status": a.status,
            }
            for a in view.attendance
        ]
    )
