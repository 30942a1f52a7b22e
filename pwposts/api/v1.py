"""/api/v1 — the JSON API. Conventions every resource module follows:

* Paths live under /api/v1/; a resource module registers its routes on `bp` and is imported at
  the bottom of this file. Every route carries @document(...) (api/openapi.py) or the OpenAPI
  test fails; GET /api/v1/openapi.json serves the document without a token.
* Auth: POST /api/v1/auth/token {"username", "password"} → 201 {"token", "token_type",
  "expires_at"}; send `Authorization: Bearer <token>`. Tokens expire after API_TOKEN_HOURS,
  DELETE /api/v1/auth/token revokes the one sent. 5 failed logins for one (username, address) → 429 with
  Retry-After (doubling with each further failure); a password reset or deactivation revokes all tokens.
* Permission: handlers take the actor from g.actor (set by @token_required) and decide only
  with services.permissions — require(actor, action) for the role *before* reading the body,
  get_scoped()/load_* for one object, scope_*() for lists. No role names in handlers.
* Errors are always {"error": {"code": "<stable english code>", "message": "<中文>"}} with
  400 bad input · 401 no/invalid token · 403 role may not · 404 absent or out of scope ·
  405 wrong method · 409 conflict · 422 rule refused · 429 rate limited · 503 database busy
  ("系统繁忙，请稍后重试", Retry-After; nothing was written — pwposts/concurrency.py). Raise DomainError
  (or NotFound / Forbidden / Conflict / BadInput); the app's handler turns it into JSON and
  rolls back. Handlers never commit: the request's one commit point
  (pwposts/web/commit_point.py) commits a 2xx answer and rolls back any error.
* Lists: `return paginated(query, serializer)` — query params page (default 1) and per_page
  (default 50, at most 200) → {"items", "page", "per_page", "total", "pages"}. The busiest lists answer
  the same from plain rows: `paginated_rows(key, build, rows, serialize)` (api/list_rows.py), their select
  built once per key — the list, permissions.scope_key(actor) and the filter's values.
* Dates are "YYYY-MM-DD", timestamps ISO-8601 UTC with "Z", money integer 分 in *_fen fields.
  身份证号 and account numbers are masked unless can(actor, "view_full_id_number", person).
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Callable, NamedTuple

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import Select
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import clock
from ..domain.errors import DomainError
from ..domain.inputs import MAX_ID, parse_id
from ..extensions import db
from ..logs import log_refusal
from ..pagination import (
    cached_count,
    cached_select,
    count_cache_key,
    known_count,
    page_statements,
    remember_count,
)
from ..services import accounts
from ..web.commit_point import commit_anyway
from . import error_response
from .openapi import build_document, document, obj, schema

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200


@bp.record_once
def _json_keeps_chinese(state) -> None:
    """Answer with readable Chinese instead of \\u escapes (Flask 3 ignores the JSON_AS_ASCII key)."""
    state.app.json.ensure_ascii = bool(state.app.config.get("JSON_AS_ASCII", False))


class BadInput(DomainError):
    """The request itself is malformed (a parameter or body field): 400."""

    status = 400

    def __init__(self, message: str, code: str = "bad_request"):
        super().__init__(code, message)


@bp.errorhandler(HTTPException)
def http_error(err: HTTPException):
    """Werkzeug errors raised inside an API view (abort(), malformed JSON, 500) answer in JSON too."""
    db.session.rollback()
    if isinstance(err, InternalServerError):
        return error_response(500, "internal_error", "服务器内部错误，请稍后重试；如持续出现请联系县级管理员")
    messages = {
        400: "请求格式有误",
        403: "您的角色无权进行此操作",
        404: "对象不存在或您无权查看",
        405: "该路径不支持此请求方法",
        413: "上传的文件过大（上限20MB）",
        415: "请求体须为JSON",
    }
    code = (err.name or "error").lower().replace(" ", "_")
    return error_response(err.code or 500, code, messages.get(err.code, err.description or "请求失败"))


class AnsweredActor(NamedTuple):
    """g.actor once the handler has answered: who it was, for the request log."""

    id: int
    username: str


def token_required(fn):
    """Resolve `Authorization: Bearer <token>` to g.actor, or answer 401."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error_response(401, "unauthenticated", "缺少访问令牌：请先调用 POST /api/v1/auth/token")
        user = accounts.user_for_token(db.session, header[7:].strip(), clock.now())
        if user is None:
            return error_response(401, "token_invalid", "访问令牌无效、已过期或已撤销，请重新获取")
        g.actor = user
        g.token = header[7:].strip()
        response = fn(*args, **kwargs)
        # Answered: what the request log reads after the commit point (which expires every object, so
        # reading the user's name there would open a second transaction just to reload it) is kept now.
        g.actor = AnsweredActor(user.id, user.username)
        return response

    return wrapper


# ---- request parsing: every failure is a 400 with a Chinese message naming the parameter ----


def int_arg(name: str, default: int | None = None, *, minimum: int | None = None) -> int | None:
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"参数 {name} 须为整数，收到“{raw}”") from None
    if abs(value) > MAX_ID:  # no id, page or count is this large; the database could not even compare it
        raise BadInput(f"参数 {name} 超出有效范围（最大{MAX_ID}），收到“{raw[:40]}”")
    if minimum is not None and value < minimum:
        raise BadInput(f"参数 {name} 不得小于{minimum}，收到{value}")
    return value


def json_id(data: dict, name: str, *, required: bool = True) -> int | None:
    """An id field of a JSON body: a whole number 1 … MAX_ID (not true/false, not "12"), else 400."""
    raw = data.get(name)
    if raw is None and not required:
        return None
    if raw is None or isinstance(raw, (bool, str)) or not isinstance(raw, int):
        raise BadInput(f"字段 {name} 须为整数ID，收到 {'缺失' if raw is None else repr(raw)[:40]}")
    try:
        return parse_id(raw, f"字段 {name} ")
    except DomainError as err:
        raise BadInput(err.message) from None


def choice_arg(name: str, choices) -> str:
    """An optional parameter that must be one of `choices` ('' when absent)."""
    raw = request.args.get(name, "").strip()
    if raw and raw not in choices:
        raise BadInput(f"参数 {name} 的值“{raw}”无效，可选：{'、'.join(choices)}")
    return raw


def flag_arg(name: str) -> bool:
    """A switch: 1/true → True, absent/0/false → False."""
    raw = request.args.get(name, "").strip().lower()
    if raw in ("1", "true"):
        return True
    if raw in ("", "0", "false"):
        return False
    raise BadInput(f"参数 {name} 只能为 1 或 0，收到“{raw}”")


def page_args() -> tuple[int, int]:
    page = int_arg("page", 1, minimum=1)
    per_page = min(int_arg("per_page", DEFAULT_PER_PAGE, minimum=1), MAX_PER_PAGE)
    return page, per_page


def paginated(query, serializer: Callable, prefetch: Callable | None = None):
    """The one list response: {"items", "page", "per_page", "total", "pages"}.

    `query` is a select() already limited to the actor's scope and ordered; `serializer` turns
    one row into a dict. A page past the end answers with empty items, not an error. `prefetch`, if
    given, is called once with the page's rows before they are serialised (to load what every row needs
    in one query instead of one per row).
    """
    page, per_page = page_args()
    p = db.paginate(
        query, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False, count=True
    )
    if prefetch is not None:
        prefetch(p.items)
    return jsonify(
        {
            "items": [serializer(row) for row in p.items],
            "page": page,
            "per_page": per_page,
            "total": p.total,
            "pages": p.pages,
        }
    )


def paginated_rows(key: tuple, build: Callable[[], Select], rows: Select, serialize: Callable):
    """The list response of paginated() for lists that answer from the columns they show (api/list_rows.py).

    `build()` returns the scoped, filtered and ordered select() of one entity, as for paginated(). It is
    built once per `key` (pagination.cached_select), and the page's statements are derived from it once
    (pagination.page_statements: the page's bounds bound at execution): building and keying them cost
    ~1 ms a request. So `key` must name the list and hold everything build() reads — the actor's
    permissions.scope_key, the filter's values, today — and build() nothing else of the request.
    `rows` selects the columns the items need for the ids bound as "ids". The page's ids come from the
    select alone, its rows by primary key (not the list's own select with the joins: SQLite then joins and
    sorts every row the filter matches to show 50 — as db.paginate(), pwposts/pagination.py).
    `serialize(rows)` turns the rows, in page order, into the items. The total is counted over the ids as
    db.paginate() counts it (the same cached count), and not at all on the last page.
    """
    page, per_page = page_args()
    offset = (page - 1) * per_page
    pk, page_ids, count, counted = page_statements(cached_select(key, build))
    if pk is None:
        raise TypeError("paginated_rows: the list's select must select one entity with one primary key")
    bounds = {"_page_limit": per_page, "_page_offset": offset}
    count_key = count_cache_key(db.session, count)
    total_read = None
    if known_count(count_key) is None:  # not cached: the total comes with the ids (pagination.with_total)
        with_totals = db.session.execute(counted, bounds).all()
        ids = [r[0] for r in with_totals]
        if with_totals:
            total_read = with_totals[0][1]
            remember_count(count_key, total_read)
    else:
        ids = db.session.execute(page_ids, bounds).scalars().all()
    found = []
    if ids:
        by_id = {r[0]: r for r in db.session.execute(rows, {"ids": ids}).all()}
        found = [by_id[i] for i in ids if i in by_id]
    if total_read is not None:
        total = total_read
    elif ids and len(ids) < per_page:
        total = offset + len(ids)
    else:
        total = cached_count(db.session, count)
    return jsonify(
        {
            "items": serialize(found),
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": -(-total // per_page),
        }
    )


def iso_utc(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


# ---- auth, me, the document ----

TOKEN = schema(
    "Token",
    obj(
        {
            "token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": {"type": "string", "format": "date-time"},
        },
        required=("token", "token_type", "expires_at"),
    ),
)
REGION_REF = schema(
    "RegionRef",
    obj(
        {
            "id": {"type": "integer"},
            "code": {"type": "string", "description": "12位统计用区划代码"},
            "name": {"type": "string"},
            "level": {"type": "string", "enum": ["county", "township", "village"]},
        },
        required=("id", "code", "name", "level"),
    ),
)
ME = schema(
    "Me",
    obj(
        {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "role": {"type": "string"},
            "region": {"allOf": [REGION_REF], "nullable": True},
            "person_id": {"type": "integer", "nullable": True},
        },
        required=("id", "username", "display_name", "role", "region", "person_id"),
    ),
)


@bp.post("/auth/token")
@document(
    "获取访问令牌",
    tags=["认证"],
    auth=False,
    status=201,
    response=TOKEN,
    errors={
        401: "用户名或密码错误，或账号已停用",
        403: "须先在网页上修改初始密码",
        429: "登录失败次数过多，请稍后再试",
    },
    description="用户名与密码换取访问令牌；同一用户名在同一地址连续失败5次后暂停登录（再失败则等待加倍）。",
    body=obj(
        {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}},
        required=("username", "password"),
    ),
)
def issue_token():
    data = request.get_json(silent=True)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("username"), str)
        or not isinstance(data.get("password"), str)
    ):
        raise BadInput("请求体须为JSON，含 username 与 password")
    try:
        user = accounts.authenticate(
            db.session, data["username"], data["password"], request.remote_addr or "-", clock.now()
        )
    except DomainError as err:
        commit_anyway()  # keep the recorded attempt
        if err.code != "login_rate_limited":
            log_refusal(err.code, err.message)
            return error_response(err.status, err.code, err.message, err.details)
        resp, status = error_response(429, err.code, err.message)
        resp.headers["Retry-After"] = str(getattr(err, "retry_after", int(accounts.WINDOW.total_seconds())))
        return resp, status
    if user is None:
        commit_anyway()  # the failed attempt counts toward the limit
        return error_response(401, "login_failed", accounts.LOGIN_FAILED)
    if user.must_change_password:
        commit_anyway()
        return error_response(
            403,
            "password_change_required",
            "该账号须先在网页上修改管理员设置的初始密码，之后才能获取访问令牌",
        )
    token, row = accounts.issue_token(db.session, user, clock.now(), current_app.config["API_TOKEN_HOURS"])
    return jsonify({"token": token, "token_type": "Bearer", "expires_at": iso_utc(row.expires_at)}), 201


@bp.delete("/auth/token")
@document(
    "撤销当前访问令牌",
    tags=["认证"],
    status=204,
    description="撤销本次请求所携带的令牌，之后该令牌不能再用。",
)
@token_required
def revoke_token():
    accounts.revoke_token(db.session, g.actor, g.token, clock.now())
    return "", 204


@bp.get("/me")
@document("当前用户", tags=["认证"], response=ME)
@token_required
def me():
    u = g.actor
    return jsonify(
        {
            "id": u.id,
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role,
            "region": {
                "id": u.region.id,
                "code": u.region.code,
                "name": u.region.name,
                "level": u.region.level,
            }
            if u.region
            else None,
            "person_id": u.person_id,
        }
    )


@bp.get("/openapi.json")
@document(
    "OpenAPI 文档",
    tags=["文档"],
    auth=False,
    response={"type": "object"},
    description="本 API 的 OpenAPI 3.0 描述，无需令牌。",
)
def openapi_json():
    return jsonify(build_document(current_app))


# Resource modules: importing them registers their routes on `bp`.
from . import (  # noqa: E402
    applications,  # noqa: E402,F401
    attendance,  # noqa: E402,F401
    contracts,  # noqa: E402,F401
    county,  # noqa: E402,F401
    exit_worklist,  # noqa: E402,F401
    exits,  # noqa: E402,F401
    hiring,  # noqa: E402,F401
    oversight,  # noqa: E402,F401
    payroll,  # noqa: E402,F401
    payroll_bank,  # noqa: E402,F401
    people,  # noqa: E402,F401
    person_admin,  # noqa: E402,F401
    portal,  # noqa: E402,F401
    post_policy,  # noqa: E402,F401
    posts,  # noqa: E402,F401
)
