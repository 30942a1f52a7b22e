"""/api/v1 for keeping persons by hand, records from other departments, and what they mean for eligibility:
create/edit a person, household, categories with dates, death with its source, relations, cadres; department
imports (multipart .xlsx/.csv); a person's standing and full record; HR's list of holders affected."""

from __future__ import annotations

from datetime import date

from flask import Response, g, jsonify, request
from sqlalchemy import select

from .. import clock
from ..documents.parity_xlsx import XLSX_MIMETYPE
from ..documents.tables import write_template
from ..domain.errors import DomainError, NotFound
from ..domain.people import ACCOUNT_KINDS, CADRE_OFFICES, CATEGORIES, RELATION_KINDS, WORK_CAPACITIES
from ..extensions import db
from ..models.people import Cadre, Person
from ..models.registry import IMPORT_KIND_LABELS, IMPORT_KINDS
from ..services import department_records as records
from ..services import people as people_service
from ..services import person_admin as svc
from ..services.permissions import get_scoped, require
from ..services.person_standing import affected_holders, person_record, standing_of
from ..services.posts import actor_county
from .county import UPLOAD, body, field, upload
from .openapi import array, document, nullable, obj, ref, schema
from .people import person_detail_json, person_json
from .v1 import BadInput, bp, paginated, token_required

DATE = {"type": "string", "format": "date"}
RECORD_KINDS = tuple(k for k in IMPORT_KINDS if k != "regions")
FIELDS = {
    "name": {"type": "string"},
    "phone": {"type": "string", "nullable": True},
    "group_name": {"type": "string", "nullable": True},
    "work_capacity": {"type": "string", "enum": list(WORK_CAPACITIES)},
    "cannot_leave_home": {"type": "boolean", "description": "无法离乡"},
    "account_kind": {"type": "string", "enum": list(ACCOUNT_KINDS), "nullable": True},
    "account_no": {"type": "string", "nullable": True},
    "account_name": {"type": "string", "nullable": True},
}
STANDING = schema(
    "Standing",
    obj(
        {
            "code": {
                "type": "string",
                "enum": ["dead", "category_ended", "employed_elsewhere", "external_post"],
            },
            "since": DATE,
            "message": {"type": "string"},
            "source": {"type": "string", "description": "依据的记录或导入文件"},
        },
        required=("code", "since", "message", "source"),
    ),
)
IMPORT_RESULT = schema(
    "RecordImportResult",
    obj(
        {
            "kind": {"type": "string", "enum": list(RECORD_KINDS)},
            "batch_id": nullable({"type": "integer"}),
            "rows": {"type": "integer"},
            "added": {"type": "integer"},
            "changed": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "same_file": {"type": "boolean"},
        },
        required=("kind", "batch_id", "rows", "added", "changed", "unchanged", "same_file"),
    ),
)
BATCH = schema(
    "ImportBatch",
    obj(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(IMPORT_KINDS)},
            "kind_label": {"type": "string"},
            "source_department": {"type": "string"},
            "file_name": {"type": "string"},
            "file_hash": {"type": "string"},
            "imported_on": DATE,
            "importer": {"type": "string"},
            "rows": {"type": "integer"},
            "added": {"type": "integer"},
            "changed": {"type": "integer"},
        },
        required=("id", "kind", "source_department", "file_name", "file_hash", "imported_on", "importer"),
    ),
)
AFFECTED = schema(
    "AffectedHolder",
    obj(
        {
            "contract_id": {"type": "integer"},
            "contract_code": {"type": "string"},
            "person": ref("Person"),
            "standings": array(ref("Standing")),
        },
        required=("contract_id", "contract_code", "person", "standings"),
    ),
)


def _scoped(person_id: int, action: str) -> Person:
    """The person the request acts on, loaded and checked first (404 out of scope), before its body."""
    return get_scoped(db.session, g.actor, Person, person_id, action, "人员")


def _detail(person_id: int):
    today = clock.today()
    return person_detail_json(
        people_service.load_person(db.session, g.actor, person_id, today), g.actor, today
    )


def _fields(data: dict) -> dict:
    out = {}
    for k in FIELDS:
        if k in data:
            v = data[k]
            if k == "cannot_leave_home":
                if not isinstance(v, bool):
                    raise BadInput("字段 cannot_leave_home 须为 true 或 false")
            elif v is not None and not isinstance(v, str):
                raise BadInput(f"字段 {k} 须为字符串")
            out[k] = v if v is not None else ""
    return out


def standing_json(s) -> dict:
    return {"code": s.code, "since": s.since.isoformat(), "message": s.message, "source": s.source}


@bp.post("/persons")
@document(
    "新增人员",
    tags=["人员"],
    status=201,
    response=ref("PersonDetail"),
    errors=(400, 404, 422),
    body=obj(
        {
            "village_id": {"type": "integer"},
            "id_number": {"type": "string"},
            "household_code": {"type": "string", "nullable": True},
            "categories": array(
                obj(
                    {"category": {"type": "string", "enum": list(CATEGORIES)}, "start_on": DATE},
                    required=("category", "start_on"),
                )
            ),
            **FIELDS,
        },
        required=("village_id", "id_number", "name"),
    ),
    description="与花名册导入同样校验（身份证号校验位，出生日期与性别由号码得出；电话、账号格式）。村、乡镇经办人限本辖区。",
)
@token_required
def create_person():
    require(g.actor, "edit_person")
    data = body()
    cats = data.get("categories") or []
    if not isinstance(cats, list) or not all(isinstance(c, dict) for c in cats):
        raise BadInput('字段 categories 须为 [{"category", "start_on"}] 数组')
    p = svc.create_person(
        db.session,
        g.actor,
        village_id=field(data, "village_id", int, "所在村"),
        id_number=field(data, "id_number", str, "身份证号"),
        household_code=field(data, "household_code", str, "户编号", required=False),
        categories=[
            (field(c, "category", str, "人员类别"), field(c, "start_on", date, "开始日期")) for c in cats
        ],
        today=clock.today(),
        **_fields(data),
    )
    return jsonify(_detail(p.id)), 201


@bp.patch("/persons/<int:person_id>")
@document(
    "修改人员",
    tags=["人员"],
    response=ref("PersonDetail"),
    body=obj(FIELDS),
    errors=(400, 404, 422),
    description="只改请求体中给出的字段；身份证号不可修改（出生日期、性别由其得出）。",
)
@token_required
def update_person(person_id: int):
    _scoped(person_id, "edit_person")
    svc.update_person(db.session, g.actor, person_id, **_fields(body()))
    return jsonify(_detail(person_id))


@bp.post("/persons/<int:person_id>/household")
@document(
    "迁户或分户",
    tags=["人员"],
    response=ref("PersonDetail"),
    errors=(400, 404, 422),
    body=obj(
        {"household_code": {"type": "string", "description": "已有户编号为迁入；新编号为分户"}},
        required=("household_code",),
    ),
)
@token_required
def move_household(person_id: int):
    _scoped(person_id, "edit_person")
    svc.move_household(
        db.session, g.actor, person_id, field(body(), "household_code", str, "户编号"), clock.today()
    )
    return jsonify(_detail(person_id))


@bp.post("/persons/<int:person_id>/categories")
@document(
    "登记人员类别",
    tags=["人员"],
    status=201,
    response=ref("PersonDetail"),
    errors=(400, 404, 422),
    body=obj(
        {
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "start_on": DATE,
            "end_on": nullable(DATE),
        },
        required=("category", "start_on"),
    ),
)
@token_required
def add_category(person_id: int):
    _scoped(person_id, "edit_person")
    data = body()
    svc.add_category(
        db.session,
        g.actor,
        person_id,
        field(data, "category", str, "人员类别"),
        field(data, "start_on", date, "开始日期"),
        field(data, "end_on", date, "结束日期", required=False),
    )
    return jsonify(_detail(person_id)), 201


@bp.post("/persons/<int:person_id>/categories/end")
@document(
    "结束人员类别",
    tags=["人员"],
    response=ref("PersonDetail"),
    errors=(400, 404, 422),
    body=obj(
        {
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "end_on": {**DATE, "description": "持有该类别的最后一天"},
            "reason": {"type": "string"},
        },
        required=("category", "end_on"),
    ),
    description="结束该人员当前持有的该类别；自次日起不再持有（不再是该类别的安置对象）。",
)
@token_required
def end_category(person_id: int):
    _scoped(person_id, "edit_person")
    data = body()
    category, end_on = field(data, "category", str, "人员类别"), field(data, "end_on", date, "结束日期")
    p = svc.load_for_edit(db.session, g.actor, person_id)
    open_spans = [
        c for c in p.categories if c.category == category and (c.end_on is None or c.end_on > end_on)
    ]
    if not open_spans:
        raise DomainError("category_not_held", f"{p.name}没有可结束的“{category}”类别")
    svc.end_category(
        db.session, g.actor, open_spans[-1].id, end_on, field(data, "reason", str, "原因", required=False)
    )
    return jsonify(_detail(person_id))


@bp.post("/persons/<int:person_id>/death")
@document(
    "登记死亡",
    tags=["人员"],
    response=ref("PersonDetail"),
    errors=(400, 404, 422),
    body=obj(
        {"death_date": DATE, "source": {"type": "string", "description": "信息来源，如 民政局死亡证明"}},
        required=("death_date", "source"),
    ),
)
@token_required
def record_death(person_id: int):
    _scoped(person_id, "record_death")
    data = body()
    svc.record_death(
        db.session,
        g.actor,
        person_id,
        field(data, "death_date", date, "死亡日期"),
        field(data, "source", str, "信息来源"),
        clock.today(),
    )
    return jsonify(_detail(person_id))


@bp.post("/persons/<int:person_id>/relations")
@document(
    "登记亲属关系",
    tags=["人员"],
    status=201,
    response=ref("PersonDetail"),
    errors=(400, 404, 409, 422),
    body=obj(
        {
            "relative_id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(RELATION_KINDS), "description": "亲属是本人的什么人"},
        },
        required=("relative_id", "kind"),
    ),
    description="只登记一次，双向可读：登记 B 是 A 的父母，则 A 的详情显示父母 B，B 的详情显示子女 A。",
)
@token_required
def add_relation(person_id: int):
    _scoped(person_id, "edit_person")
    data = body()
    svc.add_relation(
        db.session,
        g.actor,
        person_id,
        field(data, "relative_id", int, "亲属"),
        field(data, "kind", str, "关系"),
    )
    return jsonify(_detail(person_id)), 201


@bp.delete("/relations/<int:relation_id>")
@document("删除亲属关系", tags=["人员"], status=204, errors=(404,))
@token_required
def delete_relation(relation_id: int):
    require(g.actor, "edit_person")
    svc.delete_relation(db.session, g.actor, relation_id)
    return "", 204


@bp.post("/persons/<int:person_id>/cadres")
@document(
    "登记村干部任职",
    tags=["人员"],
    status=201,
    response=ref("PersonDetail"),
    errors=(400, 404, 422),
    body=obj(
        {
            "office": {"type": "string", "enum": list(CADRE_OFFICES)},
            "term_start": DATE,
            "term_end": nullable(DATE),
            "village_id": {"type": "integer", "description": "默认本人所在村"},
        },
        required=("office", "term_start"),
    ),
)
@token_required
def add_cadre(person_id: int):
    _scoped(person_id, "manage_cadres")
    data = body()
    svc.add_cadre(
        db.session,
        g.actor,
        person_id,
        field(data, "office", str, "职务"),
        field(data, "term_start", date, "任期开始"),
        field(data, "term_end", date, "任期结束", required=False),
        village_id=field(data, "village_id", int, "村", required=False),
    )
    return jsonify(_detail(person_id)), 201


@bp.post("/cadres/<int:cadre_id>/end")
@document(
    "村干部离任",
    tags=["人员"],
    response=obj({"id": {"type": "integer"}, "term_end": DATE}),
    body=obj({"term_end": DATE}, required=("term_end",)),
    errors=(400, 404, 422),
)
@token_required
def end_cadre(cadre_id: int):
    require(g.actor, "manage_cadres")
    cadre = db.session.get(Cadre, cadre_id)
    if cadre is None:
        raise NotFound("村干部任职")
    require(g.actor, "manage_cadres", cadre, what="村干部任职")  # the term, scoped, before the body
    c = svc.end_cadre(db.session, g.actor, cadre_id, field(body(), "term_end", date, "离任日期"))
    return jsonify({"id": c.id, "term_end": c.term_end.isoformat()})


@bp.get("/persons/<int:person_id>/standing")
@document(
    "人员是否仍符合安置条件",
    tags=["人员"],
    response=array(STANDING),
    errors=(404,),
    description="今天起使其不符合条件的记录：死亡、安置类别全部结束、全日制就业（参保记录）、其他部门岗位在册，各附依据。",
)
@token_required
def person_standing(person_id: int):
    from ..services.permissions import get_scoped

    p = get_scoped(db.session, g.actor, Person, person_id, "view_person", "人员")
    return jsonify([standing_json(s) for s in standing_of(db.session, p, clock.today())])


@bp.get("/persons/<int:person_id>/record")
@document(
    "人员全部记录",
    tags=["人员"],
    errors=(404,),
    response=obj(
        {
            "person": ref("Person"),
            "standing": array(ref("Standing")),
            "contracts": array(
                obj(
                    {
                        "id": {"type": "integer"},
                        "code": {"type": "string"},
                        "post": {"type": "string"},
                        "start_on": DATE,
                        "end_on": DATE,
                        "status": {"type": "string"},
                    }
                )
            ),
            "applications": array(
                obj({"id": {"type": "integer"}, "notice": {"type": "string"}, "status": {"type": "string"}})
            ),
            "attendance": array(
                obj(
                    {
                        "month": {"type": "string"},
                        "days_worked": {"type": "integer"},
                        "status": {"type": "string"},
                    }
                )
            ),
            "payments": array(
                obj(
                    {
                        "month": {"type": "string"},
                        "kind": {"type": "string"},
                        "amount_fen": {"type": "integer"},
                        "status": {"type": "string"},
                    }
                )
            ),
            "imported": array(
                obj({"kind": {"type": "string"}, "text": {"type": "string"}, "source": {"type": "string"}})
            ),
            "audit": array(
                obj(
                    {
                        "at": {"type": "string"},
                        "actor": {"type": "string"},
                        "action": {"type": "string"},
                        "summary": {"type": "string"},
                    }
                )
            ),
        }
    ),
    description="为有需要的经办人员汇总系统中关于此人的一切：合同与岗位、报名、考勤、发放、导入的部门记录、审计记录。",
)
@token_required
def full_record(person_id: int):
    require(g.actor, "view_full_id_number")
    today = clock.today()
    r = person_record(db.session, g.actor, person_id, today)
    imported = [
        {
            "kind": "参保就业",
            "text": f"{e.employer} {e.start_on}~{e.end_on or ''}",
            "source": records.record_source(e),
        }
        for e in r.employment
    ]
    imported += [
        {
            "kind": "其他部门岗位",
            "text": f"{x.department}{x.post_name} {x.start_on}~{x.end_on or ''}",
            "source": x.batch.label,
        }
        for x in r.external_posts
    ]
    imported += [
        {"kind": "人员类别", "text": f"{c.category} {c.start_on}~{c.end_on or ''}", "source": c.batch.label}
        for c in r.category_rows
        if c.batch is not None
    ]
    imported += [
        {"kind": "村干部", "text": f"{c.office} {c.term_start}~{c.term_end or ''}", "source": c.batch.label}
        for c in r.cadre_terms
        if c.batch is not None
    ]
    if r.person.death_batch is not None:
        imported.append(
            {"kind": "死亡", "text": r.person.death_date.isoformat(), "source": r.person.death_batch.label}
        )
    return jsonify(
        {
            "person": person_json(r.person, g.actor, today),
            "standing": [standing_json(s) for s in r.standings],
            "contracts": [
                {
                    "id": c.id,
                    "code": c.code,
                    "post": c.post.title,
                    "start_on": c.start_on.isoformat(),
                    "end_on": c.end_on.isoformat(),
                    "status": c.status,
                }
                for c in r.contracts
            ],
            "applications": [
                {"id": a.id, "notice": a.notice.title, "status": a.status} for a in r.applications
            ],
            "attendance": [
                {"month": a.month, "days_worked": a.days_worked, "status": a.status} for a in r.attendance
            ],
            "payments": [
                {"month": p.month, "kind": p.kind, "amount_fen": p.amount_fen, "status": p.status}
                for p in r.payments
            ],
            "imported": imported,
            "audit": [
                {
                    "at": e.at.isoformat() + "Z",
                    "actor": e.actor_label or "",
                    "action": e.action,
                    "summary": e.summary,
                }
                for e in r.audit_entries
            ],
        }
    )


# ---------------------------------------------------------------- department records


@bp.post("/records/<kind>/import")
@document(
    "导入其他部门的数据",
    tags=["部门数据"],
    response=IMPORT_RESULT,
    errors=(400, 404, 422),
    description="kind：deaths（死亡，民政/公安）、employment（参保就业，人社）、external_posts（其他部门公益性岗位花名册）、"
    "cadres（村干部名单）、categories（防返贫监测对象名单）。按身份证号匹配本县已登记人员，从不只按姓名；"
    "身份证号不在登记中或日期格式不对则整份文件不导入。表单字段 department 为来源部门。"
    "同一文件再次导入 same_file=true，不作任何更改也不写审计。" + UPLOAD,
)
@token_required
def import_records(kind: str):
    require(g.actor, "import_records")
    if kind not in RECORD_KINDS:
        raise NotFound("数据类型")
    data, name = upload()
    out = records.import_records(
        db.session, g.actor, kind, data, name, request.form.get("department"), clock.today()
    )
    return jsonify(out.as_dict())


@bp.get("/records/<kind>/template")
@document(
    "部门数据导入模板（.xlsx）",
    tags=["部门数据"],
    errors=(404,),
    response={"type": "string", "format": "binary"},
)
@token_required
def record_template(kind: str):
    require(g.actor, "view_records")
    if kind not in RECORD_KINDS:
        raise NotFound("数据类型")
    resp = Response(
        write_template(records.COLUMNS[kind], records.EXAMPLES[kind], title=IMPORT_KIND_LABELS[kind]),
        mimetype=XLSX_MIMETYPE,
    )
    resp.headers["Content-Disposition"] = f"attachment; filename={kind}-template.xlsx"
    return resp


@bp.get("/import-batches")
@document(
    "导入批次",
    tags=["部门数据"],
    response=BATCH,
    paginated=True,
    query={"kind": {"type": "string", "enum": list(IMPORT_KINDS)}},
    description="每次导入的文件：类型、来源部门、文件名、SHA-256、日期、导入人、行数。",
)
@token_required
def list_batches():
    from ..models.registry import ImportBatch

    require(g.actor, "view_records")
    county = actor_county(db.session, g.actor)
    if county is None:
        raise NotFound("县")
    q = select(ImportBatch).where(ImportBatch.county_id == county.id)
    kind = request.args.get("kind", "")
    if kind:
        if kind not in IMPORT_KINDS:
            raise BadInput(f"参数 kind 的值“{kind}”无效，可选：{'、'.join(IMPORT_KINDS)}")
        q = q.where(ImportBatch.kind == kind)
    return paginated(
        q.order_by(ImportBatch.id.desc()),
        lambda b: {
            "id": b.id,
            "kind": b.kind,
            "kind_label": b.kind_label,
            "source_department": b.source_department,
            "file_name": b.file_name,
            "file_hash": b.file_hash,
            "imported_on": b.imported_on.isoformat(),
            "importer": b.importer_name,
            "rows": b.row_count,
            "added": b.added,
            "changed": b.changed,
        },
    )


@bp.get("/affected-holders")
@document(
    "在岗但不再符合条件的人员",
    tags=["部门数据"],
    response=array(AFFECTED),
    description="有效合同的持有人中，记录显示已死亡、安置类别全部结束、已全日制就业或在其他部门岗位在册者（各附依据）。",
)
@token_required
def list_affected():
    require(g.actor, "view_payroll")
    today = clock.today()
    return jsonify(
        [
            {
                "contract_id": a.contract.id,
                "contract_code": a.contract.code,
                "person": person_json(a.person, g.actor, today),
                "standings": [standing_json(s) for s in a.standings],
            }
            for a in affected_holders(db.session, g.actor, today)
        ]
    )
