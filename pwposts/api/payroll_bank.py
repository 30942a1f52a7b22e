"""API v1: bank files and results, retries, corrections and arrears (split from api/payroll.py)."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from .. import clock
from ..documents import bank_files
from ..domain.errors import DomainError, NotFound
from ..domain.formats import month_heading, parse_month
from ..domain.inputs import MAX_ID
from ..extensions import db
from ..models.pay import Payment
from ..services import pay as service
from ..services.exports import record_export
from ..services.permissions import can, require
from .openapi import array, document, obj
from .payroll import (
    ARREARS,
    BANK_FILE,
    BANK_RESULT,
    DATE,
    MONTH,
    PAYMENT,
    _body,
    payment_json,
)
from .v1 import (
    BadInput,
    bp,
    choice_arg,
    flag_arg,
    int_arg,
    token_required,
)


@bp.get("/payroll-runs/<int:run_id>/bank-file")
@document(
    "银行代发文件",
    tags=["发放"],
    response=BANK_FILE,
    errors={422: "清册尚未审批"},
    description="待发放明细（默认最新批次）。format=json（默认）返回JSON；format=csv 或 xlsx 返回文件"
    "（CSV为带BOM的UTF-8）。",
    query={
        "batch": {"type": "integer", "description": "批次，默认最新的待发放批次"},
        "format": {"type": "string", "enum": ["json", "csv", "xlsx"]},
    },
)
@token_required
def bank_file(run_id: int):
    fmt = choice_arg("format", ("json", "csv", "xlsx")) or "json"
    run = service.load_run(db.session, g.actor, run_id, "record_bank_result")
    batch, rows = service.bank_file_rows(db.session, run, int_arg("batch", minimum=1))
    record_export(
        db.session,
        g.actor,
        "bank_file",
        len(rows),
        full_numbers=True,
        object_id=run.id,
        filters={"batch": batch, "format": fmt},
    )
    if fmt == "json":
        return jsonify(
            {
                "batch": batch,
                "total_fen": sum(r.amount_fen for r in rows),
                "rows": [
                    {
                        "account_no": r.account_no,
                        "account_name": r.account_name,
                        "amount_fen": r.amount_fen,
                        "reference": r.reference,
                    }
                    for r in rows
                ],
            }
        )
    from urllib.parse import quote

    name = f"{run.township.name}{month_heading(run.month)}代发文件-第{run.id}号-第{batch or 0}批.{fmt}"
    body = bank_files.payment_csv(rows) if fmt == "csv" else bank_files.payment_xlsx(rows, name)
    resp = Response(body, mimetype=bank_files.CSV_MIMETYPE if fmt == "csv" else bank_files.XLSX_MIMETYPE)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@bp.post("/payroll-runs/<int:run_id>/bank-results")
@document(
    "导入银行发放结果",
    tags=["发放"],
    response=BANK_RESULT,
    errors={422: "有错误的行（整批不导入，details 列出每一行的问题）"},
    description="每条：业务参考号 reference、状态 status（成功/失败）、失败原因 reason、日期 date。"
    "任何一条有误则全部不导入。也可用 multipart/form-data 上传结果文件（字段 file，.xlsx/.csv）。",
    body=obj(
        {
            "results": array(
                obj(
                    {
                        "reference": {"type": "string"},
                        "status": {"type": "string", "enum": ["成功", "失败"]},
                        "reason": {"type": "string"},
                        "date": DATE,
                    },
                    required=("reference", "status"),
                )
            )
        },
        required=("results",),
    ),
)
@token_required
def bank_results(run_id: int):
    require(g.actor, "record_bank_result")
    today = clock.today()
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        result = service.import_bank_results(
            db.session, g.actor, run_id, upload.filename, upload.read(), today
        )
    else:
        data = _body()
        rows = data.get("results")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BadInput("results 须为对象数组")
        result = service.import_bank_result_rows(db.session, g.actor, run_id, rows, today)
    return jsonify(
        {
            "paid": result.paid,
            "failed": result.failed,
            "paid_fen": result.paid_fen,
            "failed_fen": result.failed_fen,
        }
    )


@bp.post("/payroll-runs/<int:run_id>/retry")
@document(
    "失败明细重新发放",
    tags=["发放"],
    response=obj({"moved": {"type": "integer"}}, required=("moved",)),
    errors={422: "没有失败的明细，或账户仍有问题"},
    description="把发放失败的明细转入下一批次（金额不变，账户按人员当前登记的账户）。",
)
@token_required
def retry_failed(run_id: int):
    require(g.actor, "record_bank_result")
    n = service.retry_failed(db.session, g.actor, run_id, clock.today())
    return jsonify({"moved": n})


@bp.post("/payments/<int:payment_id>/corrections")
@document(
    "补发或扣回",
    tags=["发放"],
    status=201,
    response=PAYMENT,
    errors={422: "原因缺失、金额无效、扣回超过净额、资金额度不足、清册未审批"},
    description="对已审批清册中的一条月度明细登记补发或扣回：新增一条明细（扣回为负数），原明细不变。",
    body=obj(
        {
            "kind": {"type": "string", "enum": ["补发", "扣回"]},
            "amount_fen": {"type": "integer", "minimum": 1},
            "reason": {"type": "string"},
        },
        required=("kind", "amount_fen", "reason"),
    ),
)
@token_required
def correct_payment(payment_id: int):
    require(g.actor, "correct_payment")
    data = _body()
    amount = data.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool) or abs(amount) > MAX_ID:
        raise BadInput(f"amount_fen 须为整数（分，最大{MAX_ID}），收到 {amount!r:.40}")
    line = service.correct_payment(
        db.session,
        g.actor,
        payment_id,
        str(data.get("kind") or ""),
        amount,
        str(data.get("reason") or ""),
        clock.today(),
    )
    line = db.session.get(Payment, line.id)
    if line is None:
        raise NotFound("发放明细")
    return jsonify(payment_json(line, can(g.actor, "view_full_id_number", line.run))), 201


@bp.get("/arrears")
@document(
    "发放拖欠",
    tags=["发放"],
    response=ARREARS,
    description="最近12个已结束月份中，月末或审批后超过县定天数未发放、或实发人数少于花名册的乡镇·月份。",
    query={
        "township_id": {"type": "integer"},
        "month": MONTH,
        "all": {"type": "integer", "enum": [0, 1], "description": "1 = 含无拖欠的乡镇·月份"},
    },
)
@token_required
def list_arrears():
    require(g.actor, "view_arrears")
    month = request.args.get("month", "").strip()
    if month:
        try:
            month = parse_month(month)
        except DomainError:
            raise BadInput(f"参数 month 须为 YYYY-MM，收到“{month}”") from None
    limit, rows = service.arrears(
        db.session,
        g.actor,
        clock.today(),
        township_id=int_arg("township_id", minimum=1),
        month=month or None,
        flagged_only=not flag_arg("all"),
    )
    return jsonify(
        {
            "arrears_days": limit,
            "items": [
                {
                    "township": {"id": r.township_id, "name": r.township},
                    "month": r.month,
                    "roster": r.roster,
                    "lines": r.lines,
                    "paid": r.paid,
                    "unpaid_lines": r.unpaid_lines,
                    "unpaid_fen": r.unpaid_fen,
                    "run_id": r.run_id,
                    "run_status": r.run_status,
                    "approved_on": r.approved_on.isoformat() if r.approved_on else None,
                    "reasons": r.reasons,
                }
                for r in rows
            ],
        }
    )
