"""Web UI: blueprints by lifecycle stage, shared filters, error pages, the commit point."""

from __future__ import annotations

import re

from flask import Flask, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape

from .. import clock
from ..domain import formats
from ..domain.audit_labels import action_label, change_rows, object_label
from ..domain.errors import DomainError
from ..domain.people import SEX_LABELS, age_on, mask_id_number, mask_numbers_in_text
from ..domain.roles import ROLE_LABELS
from ..extensions import db, login_manager
from ..logs import log_refusal
from ..services.permissions import can
from .commit_point import flash_error, use_case  # noqa: F401  (the views' refusal → flash)


def register_web(app: Flask) -> None:
    from . import (
        audit,
        auth,
        contracts,
        dashboard,
        exits,
        hiring,
        holder,
        oversight,
        pay,
        people,
        policy,
        posts,
        public,
        roster,
        users,
    )

    login_manager.user_loader(auth.load_session_user)  # session version, idle and absolute lifetimes

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"

    from . import county, person_admin, policy_admin, records

    for bp in (
        county.bp,
        policy_admin.bp,
        person_admin.bp,
        records.bp,
        auth.bp,
        dashboard.bp,
        people.bp,
        audit.bp,
        roster.bp,
        users.bp,
        holder.bp,
        holder.staff_bp,
        holder.public_bp,
        contracts.bp,
        hiring.bp,
        public.bp,
        posts.bp,
        policy.bp,
        pay.bp,
        exits.bp,
        oversight.bp,
    ):
        app.register_blueprint(bp)

    @app.route("/favicon.ico")
    def favicon():
        """Browsers ask every site for /favicon.ico: the app's own icon (static/favicon.svg), not a 404."""
        return app.send_static_file("favicon.svg")

    app.add_template_filter(formats.yuan, "yuan")
    app.add_template_filter(formats.ymd, "ymd")
    app.add_template_filter(formats.beijing, "beijing")
    app.add_template_filter(formats.month_heading, "month_heading")
    app.add_template_filter(mask_id_number, "mask_id")
    app.add_template_filter(mask_numbers_in_text, "mask_numbers")
    app.add_template_filter(lambda born: age_on(born, clock.today()), "age")
    app.add_template_filter(lambda s: SEX_LABELS.get(s, s), "sex")
    app.add_template_filter(lambda r: ROLE_LABELS.get(r, r), "role_label")
    app.add_template_filter(action_label, "audit_action")
    app.add_template_filter(object_label, "audit_object")
    app.add_template_global(change_rows, "audit_change_rows")
    from .region_cache import region_options

    app.add_template_global(region_options, "region_options")
    app.add_template_global(url_pattern, "url_pattern")
    app.add_template_global(cached_url_for, "url_for")
    app.add_template_global(page_url_pattern, "page_url_pattern")

    @app.context_processor
    def inject():
        # The user behind the current_user proxy, resolved once per render: a list page asks can() once
        # per row, and every attribute read through the proxy runs flask-login's lookup again.
        user = []

        def can_in_template(action, obj=None):
            if not user:
                user.append(current_user._get_current_object())
            return can(user[0], action, obj)

        return {
            "can": can_in_template,
            "ROLE_LABELS": ROLE_LABELS,
            "nav_items": nav_items,
            "nav_html": nav_html,
            "current_app": app,
            "oversight_charts": oversight.dashboard_chart,
        }

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        db.session.rollback()
        log_refusal(err.code, err.message)
        if request.path.startswith("/api/"):
            from ..api import error_response

            return error_response(err.status, err.code, err.message, err.details)
        return render_template("error.html", code=err.status, message=err.message), err.status

    for code, message in (
        (403, "您无权访问此页面"),
        (404, "页面不存在或您无权查看"),
        (405, "不支持此操作方式"),
        (413, "上传的文件过大（上限20MB）"),
    ):
        app.register_error_handler(code, _error_page(code, message))

    @app.errorhandler(500)
    def server_error(err):
        """An unexpected failure: roll back, log it, and answer
        in Chinese (JSON on the API), never a stack."""
        db.session.rollback()
        app.logger.error(
            "500 on %s %s: %r", request.method, request.path, getattr(err, "original_exception", err)
        )
        if request.path.startswith("/api/"):
            from ..api import error_response

            return error_response(500, "internal_error", SERVER_ERROR)
        try:
            return render_template("error.html", code=500, message=SERVER_ERROR), 500
        except Exception:  # the page itself failed (e.g. the database is gone): plain text, still Chinese
            return (
                f"<!doctype html><meta charset=utf-8><title>出错了</title><h1>500</h1><p>{SERVER_ERROR}</p>",
                500,
            )

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        if request.path.startswith("/api/"):
            from ..api import error_response

            return error_response(400, "csrf", "缺少或无效的CSRF令牌")
        return render_template(
            "error.html", code=400, message="页面已过期或表单令牌无效，请刷新页面后重试"
        ), 400


SERVER_ERROR = "服务器内部错误，请稍后重试；如持续出现请联系县级管理员"

# (label, endpoint, action): shown when the endpoint exists and can(actor, action) holds.
NAV = (
    ("工作台", "dashboard.home", "view_dashboard"),
    ("我的岗位", "holder.home", "view_own_records"),
    ("人员", "people.index", "view_person"),
    ("岗位", "posts.index", "view_post"),
    ("招聘", "hiring.index", "view_post"),
    ("合同", "contracts.index", "view_contract"),
    ("退岗", "exits.worklist", "view_exit"),
    ("考勤", "pay.attendance", "enter_attendance"),
    ("发放", "pay.runs", "view_payroll"),
    ("申诉", "objections.index", "view_payroll"),
    ("政策设置", "policy.index", "view_policy"),
    ("区划", "county.regions", "manage_regions"),
    ("部门数据", "records.index", "view_records"),
    ("线索", "oversight.index", "view_flags"),
    ("审计", "audit.index", "view_audit"),
    ("用户", "users.index", "manage_users"),
)


def nav_items():
    """The menu entries the current user may open: [{label, url, prefix}] (shared: do not mutate).

    Built once per app, role and script root — can(actor, action) without an object depends on nothing
    else — instead of 16 can() and url_for calls on every page."""
    from flask import current_app

    user = current_user._get_current_object()
    key = (
        getattr(user, "role", None),
        bool(getattr(user, "is_authenticated", False) and user.active),
        request.script_root,
    )
    cache = current_app.extensions.setdefault("pwposts_nav", {})
    items = cache.get(key)
    if items is None:
        items = cache[key] = _build_nav_items(user)
    return items


def nav_html() -> Markup:
    """The menu's links, the current section's marked active — rendered once per menu and section."""
    items = nav_items()
    path = request.path
    active = tuple(path.startswith(item["prefix"]) for item in items)
    cache = current_app.extensions.setdefault("pwposts_nav_html", {})
    key = (id(items), active)
    hit = cache.get(key)
    if hit is None or hit[0] is not items:
        html = "\n    ".join(
            f'<a href="{escape(item["url"])}" class="{"active" if on else ""}">{escape(item["label"])}</a>'
            for item, on in zip(items, active, strict=True)
        )
        if len(cache) > 1024:
            cache.clear()
        cache[key] = hit = (items, Markup(html))
    return hit[1]


def _build_nav_items(user):
    from flask import current_app, url_for

    items = []
    own_home = "holder.home" in current_app.view_functions and can(user, "view_own_records")
    for label, endpoint, action in NAV:
        if endpoint == "dashboard.home" and own_home:
            continue  # a holder's 工作台 only redirects to 我的岗位
        if endpoint in current_app.view_functions and can(user, action):
            url = url_for(endpoint)
            items.append({"label": label, "url": url, "prefix": url if url != "/" else "/\0"})
    return items


def _error_page(code: int, message: str):
    def handler(err):
        if request.path.startswith("/api/"):
            from ..api import error_response

            return error_response(
                code,
                {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}[code],
                message,
            )
        return render_template("error.html", code=code, message=message), code

    return handler


def cached_url_for(endpoint: str, **values) -> str:
    """url_for for templates, remembered per app, script root, host and arguments: a page builds the same
    ~10 URLs (menu, static files, buttons) on every request, at ~40 µs each. The app registers no
    url_defaults, so equal arguments build equal URLs."""
    from flask import current_app, has_request_context, url_for

    if not has_request_context():
        return url_for(endpoint, **values)
    try:
        key = (endpoint, request.script_root, request.host, request.scheme, *sorted(values.items()))
        cache = current_app.extensions.setdefault("pwposts_urls", {})
        url = cache.get(key)
    except TypeError:  # an unhashable argument
        return url_for(endpoint, **values)
    if url is None:
        url = url_for(endpoint, **values)
        if len(cache) > 4096:
            cache.clear()
        cache[key] = url
    return url


_URL_SENTINEL = 987654321


def url_pattern(endpoint: str, key: str) -> str:
    """url_for(endpoint, key=…) as a str.format pattern ("/people/{}"): a list page builds each row's link
    with .format(id) instead of one url_for per row (werkzeug's URL building was ~1 ms per 50 rows)."""
    url = cached_url_for(endpoint, **{key: _URL_SENTINEL})
    return url.replace("{", "{{").replace("}", "}}").replace(str(_URL_SENTINEL), "{}")


def page_url_pattern(endpoint: str) -> str:
    """This request's URL at `endpoint` (path arguments and query string kept, the first value of each
    query argument) with page={} — a str.format pattern for the pager's links, one url_for for all."""
    args = request.args.to_dict()
    args.pop("before", None)  # a page's cursor (the audit trail's) belongs to its 下一页/上一页 links only
    args.pop("after", None)
    args["page"] = _URL_SENTINEL
    url = cached_url_for(endpoint, **dict(request.view_args or {}, **args))
    url = url.replace("{", "{{").replace("}", "}}")
    return _PAGE_ARG.sub(r"\1page={}", url, count=1)


_PAGE_ARG = re.compile(rf"([?&])page={_URL_SENTINEL}(?=&|#|$)")
