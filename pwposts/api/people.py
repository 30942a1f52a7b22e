"""/api/v1 registry resources: regions and persons (read only so far)."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..domain.errors import NotFound
from ..domain.people import CATEGORIES, WORK_CAPACITIES, mask_id_number
from ..extensions import db
from ..models.people import REGION_LEVELS, Person, Region
from ..services import people as people_service
from ..services.permissions import can, require, scope_key, scope_regions
from . import list_rows
from .openapi import array, document, nullable, obj, ref, schema
from .v1 import BadInput, bp, choice_arg, flag_arg, int_arg, paginated, paginated_rows, token_required

# Regions are the registry's frame: whoever may read persons may read the regions of their scope.
VIEW_REGISTRY = "view_person"

DATE = {"type": "string", "format": "date"}
REGION = schema(
    "Region",
    obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string", "description": "12位统计用区划代码"},
            "name": {"type": "string"},
            "level": {"type": "string", "enum": list(REGION_LEVELS)},
            "parent_code": {"type": "string", "nullable": True},
        },
        required=("id", "code", "name", "level", "parent_code"),
    ),
)
REGION_DETAIL = schema(
    "RegionDetail",
    {
        "allOf": [
            REGION,
            obj(
                {
                    "full_name": {"type": "string", "description": "全称，如 青山县东坪镇东坪一村"},
                    "parent": nullable(ref("RegionRef")),
                    "children": array(ref("RegionRef")),
                },
                required=("full_name", "parent", "children"),
            ),
        ]
    },
)
PERSON = schema(
    "Person",
    obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "id_number": {
                "type": "string",
                "description": "身份证号；无权查看全号者得到脱敏值（前6位+8个*+后4位）",
            },
            "id_number_masked": {"type": "boolean"},
            "sex": {"type": "string", "enum": ["M", "F"]},
            "birth_date": {
                **nullable(DATE),
                "description": "出生日期；无权查看身份证全号者为 null（即脱敏隐去的8位）",
            },
            "village": ref("RegionRef"),
            "township": nullable(ref("RegionRef")),
            "household_code": {"type": "string", "nullable": True},
            "group_name": {"type": "string", "nullable": True},
            "work_capacity": {"type": "string", "enum": list(WORK_CAPACITIES)},
            "current_categories": array({"type": "string", "enum": list(CATEGORIES)}),
            "death_date": nullable(DATE),
        },
        required=(
            "id",
            "name",
            "id_number",
            "id_number_masked",
            "sex",
            "birth_date",
            "village",
            "township",
            "household_code",
            "work_capacity",
            "current_categories",
            "death_date",
        ),
    ),
)
PERSON_BRIEF = schema(
    "PersonBrief",
    obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "sex": {"type": "string", "enum": ["M", "F"]},
            "birth_date": nullable(DATE),
            "village": ref("RegionRef"),
        },
        required=("id", "name", "sex", "birth_date", "village"),
    ),
)
CADRE_TERM = schema(
    "CadreTerm",
    obj(
        {
            "office": {"type": "string"},
            "village": ref("RegionRef"),
            "term_start": DATE,
            "term_end": nullable(DATE),
            "current": {"type": "boolean", "description": "今天是否在任"},
        },
        required=("office", "village", "term_start", "term_end", "current"),
    ),
)
PERSON_DETAIL = schema(
    "PersonDetail",
    {
        "allOf": [
            PERSON,
            obj(
                {
                    "phone": {"type": "string", "nullable": True},
                    "cannot_leave_home": {"type": "boolean"},
                    "account": nullable(
                        obj(
                            {
                                "kind": {
                                    "type": "string",
                                    "nullable": True,
                                    "description": "银行卡 / 社保卡",
                                },
                                "number": {
                                    "type": "string",
                                    "description": "账号；无权查看全号者只得到后4位",
                                },
                                "number_masked": {"type": "boolean"},
                                "holder_name": {"type": "string", "nullable": True, "description": "开户人"},
                            },
                            required=("kind", "number", "number_masked", "holder_name"),
                        )
                    ),
                    "categories": array(
                        obj(
                            {
                                "category": {"type": "string", "enum": list(CATEGORIES)},
                                "start_on": DATE,
                                "end_on": nullable(DATE),
                                "current": {"type": "boolean"},
                            },
                            required=("category", "start_on", "end_on", "current"),
                        )
                    ),
                    "household": nullable(
                        obj(
                            {
                                "code": {"type": "string"},
                                "members": array(PERSON_BRIEF),
                            },
                            required=("code", "members"),
                        )
                    ),
                    "relations": array(
                        obj({"kind": {"type": "string"}, "person": PERSON_BRIEF}, required=("kind", "person"))
                    ),
                    "cadre_terms": array(CADRE_TERM),
                    "relatives_who_are_cadres": array(
                        obj(
                            {
                                "kind": {"type": "string", "description": "与本人的关系，同户成员为“同户”"},
                                "person": PERSON_BRIEF,
                                "term": CADRE_TERM,
                            },
                            required=("kind", "person", "term"),
                        )
                    ),
                },
                required=(
                    "phone",
                    "cannot_leave_home",
                    "account",
                    "categories",
                    "household",
                    "relations",
                    "cadre_terms",
                    "relatives_who_are_cadres",
                ),
            ),
        ]
    },
)


# ---- serializers ----


def region_ref(r: Region | None) -> dict | None:
    if r is None:
        return None
    return {"id": r.id, "code": r.code, "name": r.name, "level": r.level}


def region_json(r: Region) -> dict:
    return {**region_ref(r), "parent_code": r.parent.code if r.parent else None}


def mask_account(number: str) -> str:
    """An account number reduced to its last 4 digits."""
    return "****" + number[-4:] if len(number) > 4 else "*" * len(number)


def current(start: date, end: date | None, today: date) -> bool:
    return start <= today and (end is None or end >= today)


def person_brief(p: Person, full: bool = True) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if full else None,
        "village": region_ref(p.village),
    }


def person_json(p: Person, actor, today: date) -> dict:
    full = can(actor, "view_full_id_number", p)
    return {
        "id": p.id,
        "name": p.name,
        "id_number": p.id_number if full else mask_id_number(p.id_number),
        "id_number_masked": not full,
        # the birth date is the eight digits a masked number hides: only with the whole number
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if full else None,
        "village": region_ref(p.village),
        "township": region_ref(p.village.parent),
        "household_code": p.household.code if p.household else None,
        "group_name": p.group_name,
        "work_capacity": p.work_capacity,
        "current_categories": [c.category for c in p.categories if current(c.start_on, c.end_on, today)],
        "death_date": p.death_date.isoformat() if p.death_date else None,
    }


def cadre_json(c, today: date) -> dict:
    return {
        "office": c.office,
        "village": region_ref(c.village),
        "term_start": c.term_start.isoformat(),
        "term_end": c.term_end.isoformat() if c.term_end else None,
        "current": current(c.term_start, c.term_end, today),
    }


def person_detail_json(view: people_service.PersonView, actor, today: date) -> dict:
    p = view.person
    out = person_json(p, actor, today)
    full = not out["id_number_masked"]
    out.update(
        {
            "phone": p.phone,
            "cannot_leave_home": p.cannot_leave_home,
            "account": {
                "kind": p.account_kind,
                "number": p.account_no if full else mask_account(p.account_no),
                "number_masked": not full,
                "holder_name": p.account_name,
            }
            if p.account_no
            else None,
            "categories": [
                {
                    "category": c.category,
                    "start_on": c.start_on.isoformat(),
                    "end_on": c.end_on.isoformat() if c.end_on else None,
                    "current": current(c.start_on, c.end_on, today),
                }
                for c in p.categories
            ],
            "household": {
                "code": p.household.code,
                "members": [person_brief(m, full) for m in view.household_members],
            }
            if p.household
            else None,
            "relations": [{"kind": kind, "person": person_brief(r, full)} for kind, r in view.relations],
            "cadre_terms": [cadre_json(c, today) for c in view.cadre_terms],
            "relatives_who_are_cadres": [
                {"kind": kind, "person": person_brief(c.person, full), "term": cadre_json(c, today)}
                for kind, c in view.relatives_who_are_cadres
            ],
        }
    )
    return out


# ---- query parameters ----


def region_code_arg() -> str:
    code = request.args.get("parent_code", "").strip()
    if code and not (len(code) == 12 and code.isdigit()):
        raise BadInput(f"参数 parent_code 须为12位区划代码，收到“{code}”")
    return code


def request_text(name: str, max_len: int = 100) -> str:
    text = request.args.get(name, "").strip()
    if len(text) > max_len:
        raise BadInput(f"参数 {name} 过长（最多{max_len}个字符）")
    return text


# ---- regions ----


@bp.get("/regions")
@document(
    "区划列表",
    tags=["区划"],
    response=REGION,
    paginated=True,
    description="当前用户管辖范围内的县、乡镇、村，按区划代码排序。",
    query={
        "level": {"type": "string", "enum": list(REGION_LEVELS), "description": "层级"},
        "parent_code": {"type": "string", "pattern": r"^\d{12}$", "description": "上级区划代码"},
    },
)
@token_required
def list_regions():
    require(g.actor, VIEW_REGISTRY)
    level = choice_arg("level", REGION_LEVELS)
    parent_code = region_code_arg()
    q = scope_regions(g.actor, select(Region), Region.id).options(joinedload(Region.parent))
    if level:
        q = q.where(Region.level == level)
    if parent_code:
        q = q.where(Region.parent_id.in_(select(Region.id).where(Region.code == parent_code)))
    return paginated(q.order_by(Region.code), region_json)


@bp.get("/regions/<code>")
@document("区划详情", tags=["区划"], response=REGION_DETAIL, description="含上级与（管辖范围内的）下级区划。")
@token_required
def get_region(code: str):
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        require(g.actor, VIEW_REGISTRY)  # a role without the right hears 403 even for unknown codes
        raise NotFound("区划")
    require(g.actor, VIEW_REGISTRY, region, what="区划")
    children_q = scope_regions(g.actor, select(Region).where(Region.parent_id == region.id), Region.id)
    children = db.session.scalars(children_q.order_by(Region.code)).all()
    return jsonify(
        {
            **region_json(region),
            "full_name": region.full_name,
            "parent": region_ref(region.parent),
            "children": [region_ref(c) for c in children],
        }
    )


# ---- persons ----


@bp.get("/persons")
@document(
    "人员列表",
    tags=["人员"],
    response=PERSON,
    paginated=True,
    description="管辖范围内的人员，筛选条件与网页人员列表相同；身份证号按权限脱敏。",
    query={
        "q": {"type": "string", "description": "姓名、身份证号、电话或户编号（模糊匹配）"},
        "township_id": {"type": "integer", "description": "乡镇ID"},
        "village_id": {"type": "integer", "description": "村ID"},
        "category": {"type": "string", "enum": list(CATEGORIES), "description": "今天持有的人员类别"},
        "work_capacity": {"type": "string", "enum": list(WORK_CAPACITIES), "description": "劳动能力"},
        "eligible": {"type": "integer", "enum": [0, 1], "description": "1 = 仅今天持有帮扶类别者"},
        "cadre": {"type": "integer", "enum": [0, 1], "description": "1 = 仅今天在任的村干部"},
    },
)
@token_required
def list_persons():
    actor = g.actor
    require(actor, "view_person")
    today = clock.today()
    f = people_service.PersonFilter(
        q=request_text("q"),
        township_id=int_arg("township_id", minimum=1),
        village_id=int_arg("village_id", minimum=1),
        category=choice_arg("category", CATEGORIES),
        work_capacity=choice_arg("work_capacity", WORK_CAPACITIES),
        eligible_only=flag_arg("eligible"),
        cadres_only=flag_arg("cadre"),
    )
    return paginated_rows(
        ("api/persons", scope_key(actor), astuple(f), today),
        lambda: people_service.person_query(actor, f, today),
        list_rows.PERSON_ROWS,
        lambda rows: list_rows.person_items(rows, actor, today),
    )


@bp.get("/persons/<int:person_id>")
@document(
    "人员详情",
    tags=["人员"],
    response=PERSON_DETAIL,
    description="含户编号、类别及起止日期、家庭关系、村干部任职；岗位人员只能查看本人。",
)
@token_required
def get_person(person_id: int):
    today = clock.today()
    view = people_service.load_person(db.session, g.actor, person_id, today)
    return jsonify(person_detail_json(view, g.actor, today))
