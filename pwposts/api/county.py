"""/api/v1 for starting a real county: first-run setup, the 区划代码 import, post categories, standards,
funds, and the working-day calendar (national calendar + the county's own days)."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..domain import national_calendar
from ..domain.errors import DomainError, NotFound
from ..domain.inputs import MAX_ID
from ..domain.people import CATEGORIES
from ..extensions import db
from ..models.policy import Fund, Holiday, PostCategory, Standard
from ..services import county_setup
from ..services import policy_admin as svc
from ..services.permissions import require
from ..services.posts import actor_county
from .openapi import array, document, nullable, obj, schema
from .v1 import BadInput, bp, int_arg, token_required

DATE = {"type": "string", "format": "date"}
FEN = {"type": "integer", "description": "金额，单位分"}
UPLOAD = (
    "上传 multipart/form-data，字段 file 为 .xlsx 或 .csv 文件。全部行无误才写入，"
    "否则 422 并在 error.details 中逐条列出 行/列/值/原因。"
)


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("请求体须为JSON对象")
    return data


def field(data: dict, name: str, kind, label: str, *, required: bool = True):
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadInput(f"缺少字段 {name}（{label}）")
        return None
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise BadInput(f"字段 {name}（{label}）须为整数，收到 {value!r}")
    limit = 2**63 - 1 if name.endswith("_fen") else MAX_ID  # money is BIGINT; ids, days, years INTEGER
    if kind is int and abs(value) > limit:  # beyond its column: PostgreSQL would answer a 500
        raise BadInput(f"字段 {name}（{label}）超出有效范围（最大{limit}），收到 {value}")
    if kind is str and not isinstance(value, str):
        raise BadInput(f"字段 {name}（{label}）须为字符串")
    if kind is bool and not isinstance(value, bool):
        raise BadInput(f"字段 {name}（{label}）须为 true 或 false")
    if kind is date:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise BadInput(f"字段 {name}（{label}）须为日期 YYYY-MM-DD，收到“{value}”") from None
    return value


def upload() -> tuple[bytes, str]:
    f = request.files.get("file")
    if f is None or not f.filename:
        raise BadInput("请以 multipart/form-data 上传文件，字段名 file（.xlsx 或 .csv）")
    return f.read(), f.filename


# ---------------------------------------------------------------- setup and regions

SETUP_RESULT = schema(
    "SetupResult",
    obj(
        {
            "county": obj(
                {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}
            ),
            "admin": obj({"id": {"type": "integer"}, "username": {"type": "string"}}),
        },
        required=("county", "admin"),
    ),
)
REGION_IMPORT = schema(
    "RegionImportResult",
    obj(
        {
            "added_townships": {"type": "integer"},
            "added_villages": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "name_differs": array({"type": "string"}),
            "same_file": {"type": "boolean", "description": "该文件此前已导入，未作任何更改"},
        },
        required=("added_townships", "added_villages", "unchanged", "name_differs", "same_file"),
    ),
)


@bp.post("/setup")
@document(
    "初始化本县（首次运行）",
    tags=["初始化"],
    auth=False,
    status=201,
    response=SETUP_RESULT,
    body=obj(
        {
            "county_code": {"type": "string", "description": "6位或12位县级区划代码"},
            "county_name": {"type": "string"},
            "admin_username": {"type": "string"},
            "admin_name": {"type": "string"},
            "admin_password": {"type": "string", "format": "password"},
        },
        required=("county_code", "county_name", "admin_username", "admin_name", "admin_password"),
    ),
    errors={422: "已初始化过，或代码、名称、密码不合规"},
    description="系统中尚无县时，建立本县及第一位县级管理员；已有县时拒绝。",
)
def setup():
    existing = county_setup.the_county(db.session)
    if existing is not None:
        raise DomainError("county_exists", f"本系统已初始化为{existing.name}：不能再次初始化")
    data = body()
    county, user = county_setup.init_county(
        db.session,
        code=field(data, "county_code", str, "县级区划代码"),
        name=field(data, "county_name", str, "县名称"),
        admin_username=field(data, "admin_username", str, "管理员登录名"),
        admin_password=field(data, "admin_password", str, "管理员密码"),
        admin_name=field(data, "admin_name", str, "管理员姓名"),
        today=clock.today(),
    )
    return jsonify(
        {
            "county": {"id": county.id, "code": county.code, "name": county.name},
            "admin": {"id": user.id, "username": user.username},
        }
    ), 201


@bp.post("/regions/import")
@document(
    "导入统计用区划代码",
    tags=["区划"],
    response=REGION_IMPORT,
    errors=(400, 422),
    description="县级管理员导入本县乡镇与村（12位代码、名称；级别与上级由代码推出）。再次导入只新增系统中没有的代码；"
    "同一文件再次导入不作任何更改，也不写审计记录。" + UPLOAD,
)
@token_required
def import_regions():
    require(g.actor, "manage_regions")
    data, name = upload()
    result = county_setup.import_regions(db.session, g.actor, data, name, clock.today())
    return jsonify(
        {
            **result.as_dict(),
            "added_townships": len(result.added_townships),
            "added_villages": len(result.added_villages),
        }
    )


# ---------------------------------------------------------------- categories, standards, funds

CATEGORY = schema(
    "PostCategory",
    obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": list(svc.POST_TYPES)},
            "description": nullable({"type": "string"}),
        },
        required=("id", "code", "name", "kind"),
    ),
)
STANDARD = schema(
    "Standard",
    obj(
        {
            "id": {"type": "integer"},
            "category_id": {"type": "integer"},
            "category": {"type": "string"},
            "effective_from": DATE,
            "effective_to": nullable(DATE),
            "monthly_allowance_fen": FEN,
            "required_days": {"type": "integer"},
            "required_hours": nullable({"type": "integer"}),
            "full_time": {"type": "boolean"},
            "perf_excellent_fen": FEN,
            "perf_pass_fen": FEN,
            "perf_fail_fen": FEN,
        },
        required=("id", "category_id", "effective_from", "monthly_allowance_fen", "required_days"),
    ),
)
FUND = schema(
    "Fund",
    obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "year": {"type": "integer"},
            "allocation_fen": FEN,
            "document_no": nullable({"type": "string", "description": "文号"}),
            "categories": array({"type": "string", "enum": list(CATEGORIES)}),
            "restricts_categories": {"type": "boolean"},
        },
        required=("id", "name", "year", "allocation_fen", "categories"),
    ),
)
CATEGORY_BODY = obj(
    {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(svc.POST_TYPES)},
        "description": {"type": "string", "nullable": True},
    },
    required=("name",),
)
FUND_BODY = obj(
    {
        "name": {"type": "string"},
        "year": {"type": "integer"},
        "allocation_fen": FEN,
        "document_no": {"type": "string", "nullable": True},
        "categories": array({"type": "string", "enum": list(CATEGORIES)}),
    },
    required=("allocation_fen",),
)


def category_json(c: PostCategory) -> dict:
    return {"id": c.id, "code": c.code, "name": c.name, "kind": c.kind, "description": c.description}


def standard_json(s: Standard) -> dict:
    return {
        "id": s.id,
        "category_id": s.category_id,
        "category": s.category.name,
        "effective_from": s.effective_from.isoformat(),
        "effective_to": s.effective_to.isoformat() if s.effective_to else None,
        "monthly_allowance_fen": s.monthly_allowance_fen,
        "required_days": s.required_days,
        "required_hours": s.required_hours,
        "full_time": s.full_time,
        "perf_excellent_fen": s.perf_excellent_fen,
        "perf_pass_fen": s.perf_pass_fen,
        "perf_fail_fen": s.perf_fail_fen,
    }


def fund_json(f: Fund) -> dict:
    return {
        "id": f.id,
        "name": f.name,
        "year": f.year,
        "allocation_fen": f.allocation_fen,
        "document_no": f.document_no,
        "categories": f.allowed_categories,
        "restricts_categories": f.restricts_categories,
    }


def _county():
    county = actor_county(db.session, g.actor)
    if county is None:
        raise NotFound("县")
    return county


@bp.get("/post-categories")
@document("岗位类别", tags=["政策设置"], response=array(CATEGORY))
@token_required
def list_categories():
    require(g.actor, "view_policy")
    return jsonify(
        [category_json(c) for c in db.session.scalars(select(PostCategory).order_by(PostCategory.code))]
    )


@bp.post("/post-categories")
@document(
    "新增岗位类别", tags=["政策设置"], status=201, response=CATEGORY, body=CATEGORY_BODY, errors=(400, 422)
)
@token_required
def create_category():
    require(g.actor, "manage_policy")
    data = body()
    c = svc.create_category(
        db.session,
        g.actor,
        code=field(data, "code", str, "类别代码"),
        name=field(data, "name", str, "类别名称"),
        kind=data.get("kind") or "普通",
        description=field(data, "description", str, "说明", required=False),
    )
    return jsonify(category_json(c)), 201


@bp.put("/post-categories/<int:category_id>")
@document("修改岗位类别", tags=["政策设置"], response=CATEGORY, body=CATEGORY_BODY, errors=(400, 404, 422))
@token_required
def update_category(category_id: int):
    require(g.actor, "manage_policy")
    data = body()
    c = svc.update_category(
        db.session,
        g.actor,
        category_id,
        name=field(data, "name", str, "类别名称"),
        kind=data.get("kind") or "普通",
        description=field(data, "description", str, "说明", required=False),
    )
    return jsonify(category_json(c))


@bp.delete("/post-categories/<int:category_id>")
@document(
    "删除岗位类别",
    tags=["政策设置"],
    status=204,
    errors={404: "", 422: "有补贴标准或岗位使用它（说明中列出）"},
)
@token_required
def delete_category(category_id: int):
    require(g.actor, "manage_policy")
    svc.delete_category(db.session, g.actor, category_id)
    return "", 204


@bp.get("/standards")
@document("县定补贴标准", tags=["政策设置"], response=array(STANDARD), description="按类别、生效日期倒序。")
@token_required
def list_standards():
    require(g.actor, "view_policy")
    rows = db.session.scalars(
        select(Standard)
        .where(Standard.county_id == _county().id)
        .options(selectinload(Standard.category))
        .order_by(Standard.category_id, Standard.effective_from.desc())
    )
    return jsonify([standard_json(s) for s in rows])


@bp.post("/standards")
@document(
    "新增补贴标准",
    tags=["政策设置"],
    status=201,
    response=STANDARD,
    errors=(400, 404, 422),
    body=obj(
        {
            "category_id": {"type": "integer"},
            "effective_from": DATE,
            "monthly_allowance_fen": FEN,
            "required_days": {"type": "integer"},
            "required_hours": {"type": "integer", "nullable": True},
            "full_time": {"type": "boolean"},
            "perf_excellent_fen": FEN,
            "perf_pass_fen": FEN,
            "perf_fail_fen": FEN,
        },
        required=("category_id", "effective_from", "monthly_allowance_fen", "required_days"),
    ),
    description="新标准自生效日期起执行，原标准执行至前一天；不得始于已发放的月份。",
)
@token_required
def add_standard():
    require(g.actor, "manage_policy")
    data = body()
    s = svc.add_standard(
        db.session,
        g.actor,
        category_id=field(data, "category_id", int, "岗位类别"),
        effective_from=field(data, "effective_from", date, "生效日期"),
        monthly_allowance_fen=field(data, "monthly_allowance_fen", int, "月补贴（分）"),
        required_days=field(data, "required_days", int, "规定出勤天数"),
        required_hours=field(data, "required_hours", int, "规定工时", required=False),
        full_time=bool(field(data, "full_time", bool, "全日制", required=False)),
        perf_excellent_fen=field(data, "perf_excellent_fen", int, "绩效（优秀）", required=False) or 0,
        perf_pass_fen=field(data, "perf_pass_fen", int, "绩效（合格）", required=False) or 0,
        perf_fail_fen=field(data, "perf_fail_fen", int, "绩效（不合格）", required=False) or 0,
        today=clock.today(),
    )
    return jsonify(standard_json(s)), 201


@bp.delete("/standards/<int:standard_id>")
@document(
    "删除补贴标准", tags=["政策设置"], status=204, errors={404: "", 422: "有岗位按它设立，或不是最新标准"}
)
@token_required
def delete_standard(standard_id: int):
    require(g.actor, "manage_policy")
    svc.delete_standard(db.session, g.actor, standard_id)
    return "", 204


@bp.get("/funds")
@document("资金来源", tags=["政策设置"], response=array(FUND), query={"year": {"type": "integer"}})
@token_required
def list_funds():
    require(g.actor, "view_policy")
    q = select(Fund).where(Fund.county_id == _county().id).options(selectinload(Fund.allowed))
    year = int_arg("year")
    if year:
        q = q.where(Fund.year == year)
    return jsonify([fund_json(f) for f in db.session.scalars(q.order_by(Fund.year.desc(), Fund.name))])


@bp.post("/funds")
@document(
    "新增资金来源",
    tags=["政策设置"],
    status=201,
    response=FUND,
    body=FUND_BODY,
    errors=(400, 422),
    description="一个年度的资金：拨款（分）、文号、可支付的人员类别（空为不限）。",
)
@token_required
def create_fund():
    require(g.actor, "manage_policy")
    data = body()
    cats = data.get("categories") or []
    if not isinstance(cats, list):
        raise BadInput("字段 categories 须为人员类别的数组")
    f = svc.create_fund(
        db.session,
        g.actor,
        name=field(data, "name", str, "资金名称"),
        year=field(data, "year", int, "年度"),
        allocation_fen=field(data, "allocation_fen", int, "年度拨款（分）"),
        document_no=field(data, "document_no", str, "文号", required=False),
        categories=cats,
    )
    return jsonify(fund_json(f)), 201


@bp.put("/funds/<int:fund_id>")
@document(
    "修改资金来源",
    tags=["政策设置"],
    response=FUND,
    body=FUND_BODY,
    errors={400: "", 404: "", 422: "拨款低于已发放金额等"},
)
@token_required
def update_fund(fund_id: int):
    require(g.actor, "manage_policy")
    data = body()
    cats = data.get("categories") or []
    if not isinstance(cats, list):
        raise BadInput("字段 categories 须为人员类别的数组")
    f = svc.update_fund(
        db.session,
        g.actor,
        fund_id,
        allocation_fen=field(data, "allocation_fen", int, "年度拨款（分）"),
        document_no=field(data, "document_no", str, "文号", required=False),
        categories=cats,
    )
    return jsonify(fund_json(f))


@bp.delete("/funds/<int:fund_id>")
@document("删除资金来源", tags=["政策设置"], status=204, errors={404: "", 422: "有岗位或发放使用它"})
@token_required
def delete_fund(fund_id: int):
    require(g.actor, "manage_policy")
    svc.delete_fund(db.session, g.actor, fund_id)
    return "", 204


# ---------------------------------------------------------------- calendar

CALENDAR = schema(
    "WorkingCalendar",
    obj(
        {
            "year": {"type": "integer"},
            "national_covered": {
                "type": "boolean",
                "description": "内置国家节假日安排是否包含本年；否则须由本县登记",
            },
            "national": array(
                obj({"day": DATE, "is_workday": {"type": "boolean"}, "name": {"type": "string"}})
            ),
            "county": array(
                obj({"day": DATE, "is_workday": {"type": "boolean"}, "name": {"type": "string"}})
            ),
        },
        required=("year", "national_covered", "national", "county"),
    ),
)


@bp.get("/calendar")
@document(
    "工作日日历",
    tags=["政策设置"],
    response=CALENDAR,
    query={"year": {"type": "integer"}},
    description="国家法定节假日与调休（内置 chinesecalendar）以及本县登记的日期（优先）。",
)
@token_required
def calendar():
    require(g.actor, "view_policy")
    year = int_arg("year", clock.today().year)
    if not 1900 <= year <= 2200:
        raise BadInput(f"参数 year 须在1900至2200之间，收到{year}")
    county = _county()
    national = national_calendar.national_days(date(year, 1, 1), date(year, 12, 31))
    own = db.session.scalars(
        select(Holiday)
        .where(
            Holiday.county_id == county.id, Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31)
        )
        .order_by(Holiday.day)
    )
    return jsonify(
        {
            "year": year,
            "national_covered": national_calendar.covers(year),
            "national": [
                {"day": d.isoformat(), "is_workday": w, "name": n} for d, (w, n) in sorted(national.items())
            ],
            "county": [{"day": h.day.isoformat(), "is_workday": h.is_workday, "name": h.name} for h in own],
        }
    )
