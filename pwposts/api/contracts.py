"""/api/v1 contracts: list, read, sign for a hired application, insurance, activate, renew, void, PDF.

A holder may read their own contracts (and their PDFs); anyone else's answers 404.
"""

from __future__ import annotations

import io

from flask import g, jsonify, request, send_file

from .. import clock
from ..documents.contracts_pdf import contract_filename, contract_html
from ..documents.pdf import html_to_pdf
from ..domain.contracts import (
    CONTRACT_KINDS,
    CONTRACT_STATE_LABELS,
    CONTRACT_STATES,
    EXPIRING_DAYS,
    first_terms,
)
from ..domain.errors import DomainError
from ..domain.formats import parse_date
from ..domain.people import mask_id_number
from ..extensions import db
from ..models.contracts import Contract, InsurancePolicy
from ..services import contracts as service
from ..services.contract_documents import stored_contract_pdf
from ..services.exports import record_export
from ..services.permissions import can, get_scoped, require
from .openapi import array, document, nullable, obj, ref, schema
from .people import region_ref, request_text
from .v1 import (
    BadInput,
    bp,
    choice_arg,
    flag_arg,
    int_arg,
    iso_utc,
    json_id,
    paginated,
    token_required,
)

DATE = {"type": "string", "format": "date"}
FEN = {"type": "integer", "description": "金额，单位：分"}
TAGS = ["合同"]

POLICY = schema(
    "InsurancePolicy",
    obj(
        {
            "id": {"type": "integer"},
            "insurer": {"type": "string", "description": "承保机构"},
            "policy_no": {"type": "string", "description": "保单号"},
            "start_on": DATE,
            "end_on": DATE,
            "covers_contract": {"type": "boolean", "description": "保险期间是否覆盖合同全期"},
            "recorded_at": {"type": "string", "format": "date-time"},
        },
        required=("id", "insurer", "policy_no", "start_on", "end_on", "covers_contract", "recorded_at"),
    ),
)
CONTRACT = schema(
    "Contract",
    obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string", "description": "合同编号，如 HT2026-000001"},
            "kind": {"type": "string", "enum": list(CONTRACT_KINDS)},
            "status": {
                "type": "string",
                "enum": list(CONTRACT_STATES),
                "description": (
                    "draft 待生效（未录入保险/未确认）· active 履行中 · ended "
                    "已结束（到期或已续签）· terminated 已退岗 · void 已作废"
                ),
            },
            "status_label": {"type": "string"},
            "person": obj(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "id_number": {"type": "string", "description": "身份证号；无权查看全号者得到脱敏值"},
                    "id_number_masked": {"type": "boolean"},
                },
                required=("id", "name", "id_number", "id_number_masked"),
            ),
            "post": obj(
                {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "village": ref("RegionRef"),
                    "township": ref("RegionRef"),
                },
                required=("id", "code", "title", "village", "township"),
            ),
            "application_id": {"type": "integer", "nullable": True},
            "previous_contract_id": {
                "type": "integer",
                "nullable": True,
                "description": "续签时所接续的原合同",
            },
            "start_on": DATE,
            "end_on": DATE,
            "allowance_fen": FEN,
            "required_days": {"type": "integer"},
            "full_time": {"type": "boolean"},
            "perf_excellent_fen": FEN,
            "perf_pass_fen": FEN,
            "signed_on": DATE,
            "activated_at": {"type": "string", "format": "date-time", "nullable": True},
            "exit_on": nullable(DATE),
            "end_reason": {"type": "string", "nullable": True},
            "insured": {"type": "boolean", "description": "已录入覆盖合同全期的意外伤害保险"},
        },
        required=(
            "id",
            "code",
            "kind",
            "status",
            "status_label",
            "person",
            "post",
            "application_id",
            "previous_contract_id",
            "start_on",
            "end_on",
            "allowance_fen",
            "required_days",
            "full_time",
            "perf_excellent_fen",
            "perf_pass_fen",
            "signed_on",
            "activated_at",
            "exit_on",
            "end_reason",
            "insured",
        ),
    ),
)
CONTRACT_DETAIL = schema(
    "ContractDetail",
    {
        "allOf": [
            CONTRACT,
            obj(
                {
                    "duties": {"type": "string"},
                    "work_place": {"type": "string"},
                    "hours": {"type": "string"},
                    "policies": array(POLICY),
                    "renewal_id": {"type": "integer", "nullable": True, "description": "续签后的新合同"},
                    "annual_grade": nullable(
                        obj(
                            {"year": {"type": "string"}, "grade": {"type": "string"}},
                            required=("year", "grade"),
                        )
                    ),
                },
                required=("duties", "work_place", "hours", "policies", "renewal_id", "annual_grade"),
            ),
        ]
    },
)
TERMS = {
    "kind": {"type": "string", "enum": list(CONTRACT_KINDS), "default": CONTRACT_KINDS[0]},
    "start_on": DATE,
    "end_on": {
        **DATE,
        "description": "最晚为起始日期一周年的前一天（一年一签），如 2026-03-01 起最晚 2027-02-28",
    },
    "signed_on": {**DATE, "description": "签订日期，默认今天"},
}
SIGN_BODY = obj(
    {"application_id": {"type": "integer", "description": "已聘用（hired）的报名"}, **TERMS},
    required=("application_id", "start_on", "end_on"),
)
RENEW_BODY = obj(dict(TERMS), required=("start_on", "end_on"))
INSURANCE_BODY = obj(
    {"insurer": {"type": "string"}, "policy_no": {"type": "string"}, "start_on": DATE, "end_on": DATE},
    required=("insurer", "policy_no", "start_on", "end_on"),
)
VOID_BODY = obj({"reason": {"type": "string"}}, required=("reason",))
RULES_422 = (
    "业务规则拒绝（如起始日期早于聘用日期、超过一年、未录保险、年度考核未合格、人员已有合同、超出岗位定员）"
)


# ---- serializers ----


def policy_json(p: InsurancePolicy, c: Contract) -> dict:
    return {
        "id": p.id,
        "insurer": p.insurer,
        "policy_no": p.policy_no,
        "start_on": p.start_on.isoformat(),
        "end_on": p.end_on.isoformat(),
        "covers_contract": p.start_on <= c.start_on and p.end_on >= c.end_on,
        "recorded_at": iso_utc(p.recorded_at),
    }


def contract_json(c: Contract, actor) -> dict:
    person = c.person
    full = can(actor, "view_full_id_number", person) or person.id == getattr(actor, "person_id", None)
    return {
        "id": c.id,
        "code": c.code,
        "kind": c.kind,
        "status": c.status,
        "status_label": CONTRACT_STATE_LABELS.get(c.status, c.status),
        "person": {
            "id": person.id,
            "name": person.name,
            "id_number": person.id_number if full else mask_id_number(person.id_number),
            "id_number_masked": not full,
        },
        "post": {
            "id": c.post.id,
            "code": c.post.code,
            "title": c.post.title,
            "village": region_ref(c.post.village),
            "township": region_ref(c.post.township),
        },
        "application_id": c.application_id,
        "previous_contract_id": c.previous_contract_id,
        "start_on": c.start_on.isoformat(),
        "end_on": c.end_on.isoformat(),
        "allowance_fen": c.allowance_fen,
        "required_days": c.required_days,
        "full_time": c.full_time,
        "perf_excellent_fen": c.perf_excellent_fen,
        "perf_pass_fen": c.perf_pass_fen,
        "signed_on": c.signed_on.isoformat(),
        "activated_at": iso_utc(c.activated_at),
        "exit_on": c.exit_on.isoformat() if c.exit_on else None,
        "end_reason": c.end_reason,
        "insured": service.covering_policy(c) is not None,
    }


def contract_detail_json(c: Contract, actor) -> dict:
    renewal = service.renewal_of(db.session, c)
    grade = service.latest_annual_grade(db.session, c.id)
    return {
        **contract_json(c, actor),
        "duties": c.duties,
        "work_place": c.work_place,
        "hours": c.hours,
        "policies": [policy_json(p, c) for p in sorted(c.policies, key=lambda p: p.id)],
        "renewal_id": renewal.id if renewal else None,
        "annual_grade": {"year": grade[0], "grade": grade[1]} if grade else None,
    }


# ---- body parsing: malformed input is 400 ----


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    return data


def body_date(data: dict, name: str, label: str, required: bool = True):
    raw = data.get(name)
    if raw in (None, ""):
        if required:
            raise BadInput(f"缺少字段 {name}（{label}），格式如 2026-03-01")
        return None
    if not isinstance(raw, str):
        raise BadInput(f"字段 {name}（{label}）须为 YYYY-MM-DD 字符串")
    try:
        return parse_date(raw, label)
    except DomainError as err:
        raise BadInput(err.message, err.code) from None


def body_text(data: dict, name: str, label: str) -> str:
    raw = data.get(name)
    if not isinstance(raw, str) or not raw.strip():
        raise BadInput(f"缺少字段 {name}（{label}）")
    return raw


def body_terms(data: dict):
    kind = data.get("kind", CONTRACT_KINDS[0])
    if kind not in CONTRACT_KINDS:
        raise BadInput(f"字段 kind 的值“{kind}”无效，可选：{'、'.join(CONTRACT_KINDS)}")
    return (
        kind,
        body_date(data, "start_on", "起始日期"),
        body_date(data, "end_on", "截止日期"),
        body_date(data, "signed_on", "签订日期", required=False),
    )


# ---- routes ----


@bp.get("/contracts")
@document(
    "合同列表",
    tags=TAGS,
    response=CONTRACT,
    paginated=True,
    description="管辖范围内岗位的合同（按岗位所在村划分）；岗位人员只得到本人的合同。",
    query={
        "q": {"type": "string", "description": "姓名、身份证号或合同编号（模糊匹配）"},
        "township_id": {"type": "integer", "description": "岗位所在乡镇ID"},
        "village_id": {"type": "integer", "description": "岗位所在村ID"},
        "status": {"type": "string", "enum": list(CONTRACT_STATES)},
        "expiring": {
            "type": "integer",
            "enum": [0, 1],
            "description": f"1 = 仅{EXPIRING_DAYS}天内到期且未续签的履行中合同",
        },
        "person_id": {"type": "integer"},
        "post_id": {"type": "integer"},
    },
)
@token_required
def list_contracts():
    actor = g.actor
    today = clock.today()
    f = service.ContractFilter(
        q=request_text("q"),
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
        status=choice_arg("status", CONTRACT_STATES),
        expiring=flag_arg("expiring"),
        person_id=int_arg("person_id", minimum=1),
        post_id=int_arg("post_id", minimum=1),
    )
    return paginated(service.contract_query(actor, f, today), lambda c: contract_json(c, actor))


AWAITING = schema(
    "AwaitingSigning",
    obj(
        {
            "application_id": {"type": "integer"},
            "notice_id": {"type": "integer"},
            "person": obj(
                {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "id_number": {"type": "string", "description": "身份证号；无权查看全号者得到脱敏值"},
                },
                required=("id", "name", "id_number"),
            ),
            "post": obj(
                {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "village": ref("RegionRef"),
                    "township": ref("RegionRef"),
                },
                required=("id", "code", "title", "village", "township"),
            ),
            "hired_on": nullable({**DATE, "description": "聘用日期；合同起始日期不得早于此日"}),
            "suggested_start_on": nullable({**DATE, "description": "建议起始日期：聘用次日"}),
            "suggested_end_on": nullable(
                {**DATE, "description": "按建议起始日期一年一签所允许的最晚截止日期"}
            ),
        },
        required=(
            "application_id",
            "notice_id",
            "person",
            "post",
            "hired_on",
            "suggested_start_on",
            "suggested_end_on",
        ),
    ),
)


def awaiting_json(a, actor) -> dict:
    person, post = a.person, a.notice.post
    full = can(actor, "view_full_id_number", person)
    hired_on = a.hire_date
    start, end = first_terms(hired_on) if hired_on else (None, None)
    return {
        "application_id": a.id,
        "notice_id": a.notice_id,
        "person": {
            "id": person.id,
            "name": person.name,
            "id_number": person.id_number if full else mask_id_number(person.id_number),
        },
        "post": {
            "id": post.id,
            "code": post.code,
            "title": post.title,
            "village": region_ref(post.village),
            "township": region_ref(post.township),
        },
        "hired_on": hired_on.isoformat() if hired_on else None,
        "suggested_start_on": start.isoformat() if start else None,
        "suggested_end_on": end.isoformat() if end else None,
    }


@bp.get("/contracts/awaiting")
@document(
    "已聘用待签协议",
    tags=TAGS,
    response=AWAITING,
    paginated=True,
    description="管辖范围内已聘用、尚未签订合同的报名（作废的草稿不算），聘用早的在前；"
    "每条给出建议期限：聘用次日起，按一年一签取最长。签订用 POST /contracts。",
    query={
        "q": {"type": "string", "description": "姓名、身份证号、岗位名称或编号"},
        "township_id": {"type": "integer"},
        "village_id": {"type": "integer"},
    },
)
@token_required
def awaiting_signing():
    require(g.actor, "view_contract")
    actor = g.actor
    f = service.PendingFilter(
        q=request_text("q"),
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
    )
    return paginated(service.awaiting_signing(actor, f), lambda a: awaiting_json(a, actor))


@bp.get("/contracts/<int:contract_id>")
@document(
    "合同详情",
    tags=TAGS,
    response=CONTRACT_DETAIL,
    description="含职责、地点、时间、意外伤害保险与最近年度考核；岗位人员只能查看本人的合同。",
)
@token_required
def get_contract(contract_id: int):
    c = service.load_contract(db.session, g.actor, contract_id)
    return jsonify(contract_detail_json(c, g.actor))


@bp.post("/contracts")
@document(
    "签订合同",
    tags=TAGS,
    status=201,
    response=CONTRACT_DETAIL,
    body=SIGN_BODY,
    errors={409: "人员已有重叠的合同、该报名已签订或岗位已满员", 422: RULES_422},
    description="为已聘用的报名签订合同（状态 draft）。每次签订期限不超过1年；补贴、出勤天数、绩效、职责、"
    "地点、时间按岗位写入。录入覆盖合同期的意外伤害保险并确认生效后才开始履行。",
)
@token_required
def sign():
    require(g.actor, "sign_contract")
    data = json_body()
    application_id = json_id(data, "application_id")
    kind, start, end, signed = body_terms(data)
    c = service.sign_contract(db.session, g.actor, application_id, kind, start, end, clock.today(), signed)
    return jsonify(contract_detail_json(c, g.actor)), 201


@bp.post("/contracts/<int:contract_id>/insurance")
@document(
    "录入意外伤害保险",
    tags=TAGS,
    status=201,
    response=POLICY,
    body=INSURANCE_BODY,
    errors={422: "保险期间未覆盖合同全期，或合同已不在待生效/履行中状态"},
    description="保险期间须覆盖合同全期（起始不晚于合同起始日，截止不早于合同截止日）。",
)
@token_required
def insurance(contract_id: int):
    require(g.actor, "record_insurance")
    get_scoped(db.session, g.actor, Contract, contract_id, "record_insurance", "合同")  # before the body
    data = json_body()
    insurer, policy_no = body_text(data, "insurer", "承保机构"), body_text(data, "policy_no", "保单号")
    start, end = body_date(data, "start_on", "保险起始日期"), body_date(data, "end_on", "保险截止日期")
    p = service.record_insurance(
        db.session, g.actor, contract_id, insurer, policy_no, start, end, clock.today()
    )
    return jsonify(policy_json(p, p.contract)), 201


@bp.post("/contracts/<int:contract_id>/activate")
@document(
    "合同生效",
    tags=TAGS,
    response=CONTRACT_DETAIL,
    errors={409: "人员已有另一份履行中的合同", 422: "未录入覆盖合同期的保险、合同不是待生效状态或期限已过"},
    description="待生效 → 履行中，须已录入覆盖合同全期的意外伤害保险；可早于起始日生效（发放按日期计算）。"
    "续签合同生效时，原合同随之终止（ended）。",
)
@token_required
def activate(contract_id: int):
    require(g.actor, "activate_contract")
    c = get_scoped(db.session, g.actor, Contract, contract_id, "activate_contract", "合同")
    c = service.activate_contract(db.session, g.actor, c, clock.today())
    return jsonify(contract_detail_json(c, g.actor))


@bp.post("/contracts/<int:contract_id>/renew")
@document(
    "续签合同",
    tags=TAGS,
    status=201,
    response=CONTRACT_DETAIL,
    body=RENEW_BODY,
    errors={
        409: "该合同已有续签",
        422: "年度考核未合格或缺失、资格复核未通过、起始日期与原合同不相接或超过一年",
    },
    description="同一人同一岗位的新一次签订：须原合同最近一个年度考核为优秀或合格，资格复核仍符合条件，"
    "起始日期为原合同期满次日。新合同为待生效状态。",
)
@token_required
def renew(contract_id: int):
    require(g.actor, "renew_contract")
    get_scoped(db.session, g.actor, Contract, contract_id, "renew_contract", "合同")  # before the body
    kind, start, end, signed = body_terms(json_body())
    c = service.renew_contract(db.session, g.actor, contract_id, kind, start, end, clock.today(), signed)
    return jsonify(contract_detail_json(c, g.actor)), 201


@bp.post("/contracts/<int:contract_id>/void")
@document(
    "作废待生效合同",
    tags=TAGS,
    response=CONTRACT_DETAIL,
    body=VOID_BODY,
    errors={422: "只有待生效的合同可以作废"},
    description="作废原因必填；已生效的合同须办理退岗。",
)
@token_required
def void(contract_id: int):
    require(g.actor, "void_contract")
    c = get_scoped(db.session, g.actor, Contract, contract_id, "void_contract", "合同")
    reason = body_text(json_body(), "reason", "作废原因")
    c = service.void_draft(db.session, g.actor, c, reason, clock.today())
    return jsonify(contract_detail_json(c, g.actor))


@bp.get("/contracts/<int:contract_id>/pdf")
@document(
    "合同PDF",
    tags=TAGS,
    response=None,
    description="返回 application/pdf：可打印的劳务协议/劳动合同（含双方、岗位、期限、"
    "补贴大写、保险与退岗条款）。"
    "岗位人员可下载本人的合同。",
)
@token_required
def pdf(contract_id: int):
    c = service.load_contract(db.session, g.actor, contract_id)
    full = can(g.actor, "view_full_id_number", c.person) or c.person_id == g.actor.person_id
    html = contract_html(c, service.covering_policy(c), c.post.township.name, full_id=full)
    # a download of personal data is audited
    record_export(db.session, g.actor, "contract_pdf", 1, full_numbers=full, object_id=c.id)
    if not full:  # a masked reader's copy is rendered for them, never stored over the signing copy
        return send_file(
            io.BytesIO(html_to_pdf(html)), mimetype="application/pdf", download_name=contract_filename(c)
        )
    data, digest, _rendered = stored_contract_pdf(db.session, c, html)  # a first rendering is kept
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=contract_filename(c))
    response.headers["X-Content-SHA256"] = digest
    return response
