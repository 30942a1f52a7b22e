"""The OpenAPI 3.0 document of /api/v1, built from what each route declares next to itself.

A route documents itself with one decorator, in any position among its decorators:

    @bp.get("/persons/<int:person_id>")
    @document("人员详情", tags=["人员"], response=ref("PersonDetail"), errors=(404,))
    @token_required
    def get_person(person_id): ...

Paths and methods come from the app's url_map, path parameters from the rule's converters;
the decorator adds the summary, query parameters, request body and response schema. A served
route without @document is left out of the document, and tests/api/test_openapi.py fails on it.
Named schemas are declared once with `schema("Name", {...})` and used with `ref("Name")`.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Callable

from flask import Flask

API_PREFIX = "/api/v1"
_ATTR = "__openapi__"
_RULE_ARG = re.compile(r"<(?:(?P<conv>[^:<>()]+)(?:\([^)]*\))?:)?(?P<name>[^<>:]+)>")
_CONVERTER_TYPES = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "string": {"type": "string"},
    "default": {"type": "string"},
    "path": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
}

# Named component schemas, filled by the resource modules through schema().
SCHEMAS: dict[str, dict] = {}

ERROR_STATUS = {
    400: "请求参数有误",
    401: "缺少访问令牌，或令牌无效、已过期、已撤销",
    403: "当前角色无权进行此操作",
    404: "对象不存在或不在您的管辖范围内",
    405: "该路径不支持此请求方法",
    409: "与现有数据冲突",
    422: "业务规则拒绝了此操作",
    429: "登录失败次数过多，请稍后再试",
}


def schema(name: str, body: dict) -> dict:
    """Register a named component schema and return a $ref to it."""
    if name in SCHEMAS and SCHEMAS[name] != body:
        raise ValueError(f"OpenAPI schema {name!r} declared twice with different bodies")
    SCHEMAS[name] = body
    return ref(name)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: tuple | list = (), **extra) -> dict:
    """An object schema; `required` lists the properties always present."""
    out = {"type": "object", "properties": properties, **extra}
    if required:
        out["required"] = list(required)
    return out


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def nullable(s: dict) -> dict:
    if "$ref" in s:
        return {"allOf": [s], "nullable": True}
    return {**s, "nullable": True}


def page_of(item: dict) -> dict:
    """The schema of a paginated list response (see v1.paginated)."""
    return {"allOf": [ref("Page"), obj({"items": array(item)}, required=("items",))]}


# Shared schemas every API response may use.
schema(
    "Error",
    obj(
        {
            "error": obj(
                {
                    "code": {
                        "type": "string",
                        "description": "稳定的英文错误码，如 not_found、forbidden、token_invalid",
                    },
                    "message": {"type": "string", "description": "中文说明，可直接展示给用户"},
                    "details": array({"type": "string"}),
                },
                required=("code", "message"),
            ),
        },
        required=("error",),
    ),
)
schema(
    "Page",
    obj(
        {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 0},
        },
        required=("page", "per_page", "total", "pages"),
    ),
)

PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "页码，从1开始",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": "每页条数，最多200",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
]


def document(
    summary: str,
    *,
    description: str = "",
    tags: list[str] | tuple = (),
    query: dict | None = None,
    body: dict | None = None,
    response: dict | None = None,
    status: int = 200,
    paginated: bool = False,
    auth: bool = True,
    errors: tuple[int, ...] | dict[int, str] = (),
    methods: tuple[str, ...] | None = None,
) -> Callable:
    """Declare how a route appears in the OpenAPI document.

    summary/description  Chinese text for readers of the API
    query                {name: schema} of query parameters; a schema may carry "description"
                         and "required"
    body                 JSON request-body schema (the body is then required)
    response             schema of the success body (None for an empty body, e.g. 204)
    status               the success status code
    paginated            the route is a list answered by v1.paginated(): adds page/per_page and
                         wraps `response` (the item schema) in the page envelope
    auth                 a bearer token is needed (adds 401 and 403 to the responses)
    errors               further error statuses the route may answer with, or {status: 中文说明}
                         to say what that status means for this route
    methods              only for a view serving several methods: which of them this declaration
                         documents (stack one @document per method)
    """
    op = {
        "summary": summary,
        "description": description,
        "tags": list(tags),
        "query": query or {},
        "body": body,
        "response": response,
        "status": status,
        "paginated": paginated,
        "auth": auth,
        "errors": dict(errors) if isinstance(errors, dict) else {code: "" for code in errors},
    }

    def decorate(fn):
        declared = getattr(fn, _ATTR, None)
        if declared is None:
            declared = {}
            setattr(fn, _ATTR, declared)
        for method in methods or ("*",):
            declared[method.upper()] = op
        return fn

    return decorate


def openapi_path(rule: str) -> str:
    """'/api/v1/persons/<int:person_id>' → '/api/v1/persons/{person_id}'."""
    return _RULE_ARG.sub(lambda m: "{" + m.group("name") + "}", rule)


def _path_parameters(rule: str) -> list[dict]:
    params = []
    for m in _RULE_ARG.finditer(rule):
        conv = m.group("conv") or "default"
        params.append(
            {
                "name": m.group("name"),
                "in": "path",
                "required": True,
                "schema": dict(_CONVERTER_TYPES.get(conv, {"type": "string"})),
            }
        )
    return params


def _query_parameters(query: dict) -> list[dict]:
    params = []
    for name, s in query.items():
        s = dict(s)
        description = s.pop("description", "")
        required = bool(s.pop("required", False))
        p = {"name": name, "in": "query", "required": required, "schema": s}
        if description:
            p["description"] = description
        params.append(p)
    return params


def _error_response(status: int, description: str = "") -> dict:
    return {
        "description": description or ERROR_STATUS.get(status, "错误"),
        "content": {"application/json": {"schema": ref("Error")}},
    }


def _operation(rule, method: str, op: dict, endpoint: str) -> dict:
    out: dict = {"operationId": f"{endpoint.rsplit('.', 1)[-1]}_{method.lower()}", "summary": op["summary"]}
    if op["description"]:
        out["description"] = op["description"]
    if op["tags"]:
        out["tags"] = op["tags"]
    params = _path_parameters(rule.rule) + _query_parameters(op["query"])
    if op["paginated"]:
        params += deepcopy(PAGE_PARAMETERS)
    if params:
        out["parameters"] = params
    if op["body"] is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": op["body"]}}}
    success = {"description": "成功"}
    if op["response"] is not None:
        body = page_of(op["response"]) if op["paginated"] else op["response"]
        success["content"] = {"application/json": {"schema": body}}
    responses = {str(op["status"]): success}
    statuses = dict(op["errors"])
    defaults = set()
    if op["auth"]:
        defaults |= {401, 403}
    if op["paginated"] or op["query"] or op["body"] is not None:
        defaults.add(400)
    if rule.arguments:
        defaults.add(404)
    for code in defaults:
        statuses.setdefault(code, "")
    for code in sorted(statuses):
        responses[str(code)] = _error_response(code, statuses[code])
    out["responses"] = responses
    out["security"] = [{"bearerAuth": []}] if op["auth"] else []
    return out


def build_document(app: Flask) -> dict:
    """The OpenAPI 3.0 document of every documented route under /api/v1."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/")):
            continue
        declared = getattr(app.view_functions.get(rule.endpoint), _ATTR, None) or {}
        served = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in served:
            op = declared.get(method) or declared.get("*")
            if op is not None:
                paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(
                    rule, method, op, rule.endpoint
                )
        # A declaration for a method the rule does not serve is listed too, so the route
        # comparison in the tests points at the mistake instead of hiding it.
        for method, op in declared.items():
            if method != "*" and method not in served:
                paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(
                    rule, method, op, rule.endpoint
                )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "乡村公益性岗位管理系统 API",
            "version": "1",
            "description": (
                "以 POST /api/v1/auth/token 获取访问令牌，之后在请求头中携带 "
                '`Authorization: Bearer <令牌>`。错误统一为 {"error": {"code", "message"}}；'
                "列表分页参数 page、per_page（最多200）。"
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "POST /api/v1/auth/token 签发的访问令牌",
                }
            },
            "schemas": deepcopy(SCHEMAS),
        },
    }
