"""按需设岗 pages: the post list (search, filters, export), proposing and revising a post, the county's
approval, the 有岗无人 worklist and the wage-parity report."""

from __future__ import annotations

from dataclasses import astuple

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .. import clock
from ..documents.parity_xlsx import XLSX_MIMETYPE, parity_workbook
from ..documents.posts_xlsx import posts_workbook
from ..domain import posts as rules
from ..domain.errors import DomainError
from ..domain.formats import parse_yuan, yuan
from ..extensions import db
from ..models.policy import PostCategory
from ..pagination import cached_rows, cached_select
from ..services import posts as service
from ..services.permissions import require, scope_key
from . import use_case
from .dashboard import Card, card
from .forms import ChineseForm
from .people import int_arg, region_choices

bp = Blueprint("posts", __name__, url_prefix="/posts")

EXPORT_LIMIT = 50_000


# ---- forms ----


class PostForm(ChineseForm):
    title = StringField(
        "岗位名称",
        validators=[DataRequired("请填写岗位名称"), Length(max=100, message="岗位名称最多100个字")],
    )
    village_id = SelectField("所在村", coerce=int, validators=[DataRequired("请选择村")])
    category_id = SelectField("岗位类别", coerce=int, validators=[DataRequired("请选择岗位类别")])
    fund_id = SelectField("资金来源", coerce=int, validators=[DataRequired("请选择本年度的资金来源")])
    headcount = IntegerField(
        "岗位人数",
        default=1,
        validators=[
            InputRequired("请填写岗位人数"),
            NumberRange(min=1, max=500, message="岗位人数须在1至500之间"),
        ],
    )
    duties = TextAreaField("岗位职责", validators=[DataRequired("请填写岗位职责"), Length(max=2000)])
    work_place = StringField("工作地点", validators=[DataRequired("请填写工作地点"), Length(max=200)])
    hours = StringField(
        "工作时间", validators=[DataRequired("请填写工作时间，如 每周一至周五 8:00-11:00"), Length(max=200)]
    )
    need_text = TextAreaField(
        "设岗需求",
        description="做什么工作、为何现在需要、有多少无法离乡的符合条件人员（不少于10个字）",
        validators=[
            DataRequired("须书面说明设岗需求"),
            Length(
                min=rules.NEED_MIN_CHARS,
                max=4000,
                message=f"设岗需求须在{rules.NEED_MIN_CHARS}至4000个字之间",
            ),
        ],
    )
    eligible_pool = IntegerField(
        "无法离乡的符合条件人数",
        validators=[Optional(), NumberRange(min=0, max=100000, message="人数不得为负数")],
    )
    allowance = StringField(
        "月补贴（元）", description="留空则按县定标准", validators=[Optional(), Length(max=20)]
    )
    required_days = IntegerField(
        "规定出勤天数（天/月）",
        description="留空则按县定标准",
        validators=[Optional(), NumberRange(min=1, max=31, message="规定出勤天数须在1至31之间")],
    )
    deviation_reason = TextAreaField(
        "偏离标准的理由",
        description="补贴或天数偏离县定标准超出容差时必填，须经县级批准",
        validators=[Optional(), Length(max=2000)],
    )

    def fill_choices(self, choices: dict) -> None:
        self.village_id.choices = [(0, "— 请选择 —")] + [
            (v.id, f"{v.parent.name} {v.name}") for v in choices["villages"]
        ]
        self.category_id.choices = [(0, "— 请选择 —")] + [
            (c.id, f"{c.name}（{c.kind}）") for c in choices["categories"]
        ]
        self.fund_id.choices = [(0, "— 请选择 —")] + [
            (f.id, f"{f.name}（{f.year}年）") for f in choices["funds"]
        ]

    def to_input(self) -> service.PostInput:
        allowance = None
        if (self.allowance.data or "").strip():
            try:
                allowance = parse_yuan(self.allowance.data, "月补贴")
            except DomainError as err:
                self.allowance.errors = [err.message]
                raise
        return service.PostInput(
            title=self.title.data,
            village_id=self.village_id.data,
            category_id=self.category_id.data,
            fund_id=self.fund_id.data,
            headcount=self.headcount.data,
            duties=self.duties.data,
            work_place=self.work_place.data,
            hours=self.hours.data,
            need_text=self.need_text.data,
            eligible_pool=self.eligible_pool.data,
            allowance_fen=allowance,
            required_days=self.required_days.data,
            deviation_reason=self.deviation_reason.data,
        )


class SubmitForm(ChineseForm):
    deviation_reason = TextAreaField("偏离标准的理由", validators=[Optional(), Length(max=2000)])


class ApproveForm(ChineseForm):
    approve_deviation = BooleanField("同时批准偏离县定标准的理由")
    note = TextAreaField("审批意见", validators=[Optional(), Length(max=1000)])


class ReasonForm(ChineseForm):
    reason = TextAreaField(
        "理由",
        validators=[DataRequired("请写明理由"), Length(min=2, max=1000, message="理由须在2至1000个字之间")],
    )


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return "表单填写有误"


# ---- the list ----


def _filter() -> service.PostFilter:
    a = request.args
    return service.PostFilter(
        q=a.get("q", "")[:100],
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        category_id=int_arg("category"),
        status=a.get("status", "") if a.get("status") in rules.POST_STATES else "",
        deviation=a.get("deviation", "") if a.get("deviation") in rules.DEVIATION_STATES + ("any",) else "",
    )


_CATEGORIES = select(PostCategory.__table__.c.id, PostCategory.__table__.c.name).order_by(
    PostCategory.__table__.c.code
)


def _categories():
    """(id, name) of the post categories, for the filter (a Core statement built once; its rows kept
    until this process writes, or COUNT_CACHE_SECONDS for another worker's change: pagination.cached_rows)."""
    return cached_rows(db.session, _CATEGORIES)


@bp.route("/")
@login_required
def index():
    require(current_user, "view_post")
    f = _filter()
    page = db.paginate(
        cached_select(
            ("posts", scope_key(current_user), astuple(f)), lambda: service.post_filter_query(current_user, f)
        ),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
        error_out=False,
        rows=lambda ids: service.post_list_rows(db.session, ids),
    )
    townships, villages = region_choices(current_user)
    return render_template(
        "posts/index.html",
        page=page,
        f=f,
        townships=townships,
        villages=villages,
        categories=_categories(),
        states=rules.POST_STATE_LABELS,
        deviations=rules.DEVIATION_LABELS,
    )


@bp.route("/export.xlsx")
@login_required
def export():
    require(current_user, "view_post")
    posts = db.session.scalars(service.post_query(current_user, _filter()).limit(EXPORT_LIMIT)).unique().all()
    today = clock.today()
    data = posts_workbook(
        [service.post_row(p) for p in posts], heading=f"岗位清单（导出日期 {today.isoformat()}）"
    )
    return _xlsx(data, f"岗位清单-{today.isoformat()}.xlsx")


def _xlsx(data: bytes, filename: str) -> Response:
    from urllib.parse import quote

    resp = Response(data, mimetype=XLSX_MIMETYPE)
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=posts.xlsx; filename*=UTF-8''{quote(filename)}"
    )
    return resp


# ---- proposing and editing ----


def _form_context(form, today):
    county = service.actor_county(db.session, current_user)
    standards = service.standards_today(db.session, county.id, today) if county else {}
    return {"form": form, "standards": standards, "today": today}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "propose_post")
    today = clock.today()
    form = PostForm()
    form.fill_choices(service.form_choices(db.session, current_user, today))
    if request.method == "GET" and int_arg("village"):
        form.village_id.data = int_arg("village")
    if form.validate_on_submit():
        with use_case() as uc:
            post = service.propose_post(db.session, current_user, form.to_input(), today)
        if uc.ok:
            flash(f"已保存岗位草稿 {post.code}；核对后请提交县级审批", "success")
            return redirect(url_for("posts.detail", post_id=post.id))
    elif request.method == "POST":
        flash(_first_error(form), "error")
    return render_template("posts/form.html", title="拟设岗位", post=None, **_form_context(form, today))


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    post = service.load_post(db.session, current_user, post_id, "propose_post")
    today = clock.today()
    form = PostForm(obj=post) if request.method == "GET" else PostForm()
    form.fill_choices(service.form_choices(db.session, current_user, today))
    if request.method == "GET":
        form.allowance.data = yuan(post.allowance_fen, unit=False).replace(",", "")
    if form.validate_on_submit():
        with use_case("已保存修改") as uc:
            service.update_draft(db.session, current_user, post, form.to_input(), today)
        if uc.ok:
            return redirect(url_for("posts.detail", post_id=post.id))
    elif request.method == "POST":
        flash(_first_error(form), "error")
    return render_template(
        "posts/form.html", title=f"修改岗位 {post.code}", post=post, **_form_context(form, today)
    )


# ---- one post and its transitions ----


@bp.route("/<int:post_id>")
@login_required
def detail(post_id: int):
    post = service.load_post(db.session, current_user, post_id)
    today = clock.today()
    parity = service.parity_of(db.session, post, today)
    county = service.actor_county(db.session, current_user) or post.village
    current_std = service.standard_in_force(
        db.session, post.standard.county_id if post.standard else county.id, post.category_id, today
    )
    return render_template(
        "posts/detail.html",
        post=post,
        parity=parity,
        current_std=current_std,
        history=service.post_history(db.session, post),
        active=service.active_holders(db.session, post.id),
        today=today,
        states=rules.POST_STATE_LABELS,
        deviations=rules.DEVIATION_LABELS,
        submit_form=SubmitForm(),
        approve_form=ApproveForm(),
        reason_form=ReasonForm(),
    )


def _back(post_id: int):
    return redirect(url_for("posts.detail", post_id=post_id))


@bp.route("/<int:post_id>/submit", methods=["POST"])
@login_required
def submit(post_id: int):
    post = service.load_post(db.session, current_user, post_id, "propose_post")
    form = SubmitForm()
    if not form.validate():
        flash(_first_error(form), "error")
    else:
        with use_case("已提交县级审批"):
            service.submit_post(db.session, current_user, post, clock.today(), form.deviation_reason.data)
    return _back(post_id)


@bp.route("/<int:post_id>/approve", methods=["POST"])
@login_required
def approve(post_id: int):
    post = service.load_post(db.session, current_user, post_id, "approve_post")
    form = ApproveForm()
    if not form.validate():
        flash(_first_error(form), "error")
    else:
        with use_case("已批准岗位"):
            service.approve_post(
                db.session,
                current_user,
                post,
                clock.today(),
                approve_deviation=form.approve_deviation.data,
                note=form.note.data,
            )
    return _back(post_id)


@bp.route("/<int:post_id>/reject", methods=["POST"])
@login_required
def reject(post_id: int):
    post = service.load_post(db.session, current_user, post_id, "approve_post")
    form = ReasonForm()
    if not form.validate():
        flash("退回须写明理由：" + _first_error(form), "error")
    else:
        with use_case("已退回岗位"):
            service.reject_post(db.session, current_user, post, form.reason.data, clock.today())
    return _back(post_id)


@bp.route("/<int:post_id>/revise", methods=["POST"])
@login_required
def revise(post_id: int):
    post = service.load_post(db.session, current_user, post_id, "propose_post")
    with use_case("已转为草稿，请修改后重新提交") as uc:
        service.revise_post(db.session, current_user, post, clock.today())
    if uc.ok:
        return redirect(url_for("posts.edit", post_id=post_id))
    return _back(post_id)


@bp.route("/<int:post_id>/close", methods=["POST"])
@login_required
def close(post_id: int):
    post = service.load_post(db.session, current_user, post_id, "close_post")
    form = ReasonForm()
    if not form.validate():
        flash("撤销须写明理由：" + _first_error(form), "error")
    else:
        with use_case("已撤销岗位"):
            service.close_post(db.session, current_user, post, form.reason.data, clock.today())
    return _back(post_id)


# ---- worklist and report ----


@bp.route("/vacant")
@login_required
def vacant():
    require(current_user, "view_post")
    today = clock.today()
    rows = service.vacant_posts(
        db.session, current_user, today, township_id=int_arg("township"), village_id=int_arg("village")
    )
    townships, villages = region_choices(current_user)
    return render_template(
        "posts/vacant.html",
        rows=rows,
        today=today,
        townships=townships,
        villages=villages,
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        states=rules.POST_STATE_LABELS,
    )


def _report():
    today = clock.today()
    groups, tol = service.parity_report(
        db.session, current_user, today, category_id=int_arg("category"), township_id=int_arg("township")
    )
    return today, groups, tol


@bp.route("/parity")
@login_required
def parity():
    require(current_user, "view_post")
    today, groups, tol = _report()
    townships, _ = region_choices(current_user)
    return render_template(
        "posts/parity.html",
        groups=groups,
        tolerance=tol,
        today=today,
        townships=townships,
        categories=_categories(),
        category_id=int_arg("category"),
        township_id=int_arg("township"),
        states=rules.POST_STATE_LABELS,
        deviations=rules.DEVIATION_LABELS,
    )


@bp.route("/parity.xlsx")
@login_required
def parity_export():
    require(current_user, "view_post")
    today, groups, tol = _report()
    summary, towns, deviating = service.parity_plain(groups)
    data = parity_workbook(
        heading=f"同类岗位补贴一致性报告（{today.isoformat()}）",
        tolerance_pct=tol,
        summary=summary,
        townships=towns,
        deviating=deviating,
    )
    return _xlsx(data, f"同类岗位补贴一致性报告-{today.isoformat()}.xlsx")


# ---- dashboard cards ----


@card("view_card_county_posts")
def county_cards(actor, today):
    waiting = service.count_by_status(db.session, actor, ("submitted",))
    return [
        Card(
            "待审批岗位",
            f"{waiting:,}",
            url_for("posts.index", status="submitted"),
            warn=waiting > 0,
            note="乡镇已提交、待县级审批",
        )
    ]


@card("view_card_township_posts")
def township_cards(actor, today):
    drafts = service.count_by_status(db.session, actor, ("draft",))
    rejected = service.count_by_status(db.session, actor, ("rejected",))
    return [
        Card("待提交的岗位草稿", f"{drafts:,}", url_for("posts.index", status="draft"), warn=drafts > 0),
        Card(
            "被退回待修改的岗位",
            f"{rejected:,}",
            url_for("posts.index", status="rejected"),
            warn=rejected > 0,
        ),
    ]


@card("view_card_vacancies")
def vacancy_cards(actor, today):
    rows = service.vacant_posts(db.session, actor, today)
    empty = [r for r in rows if r.active == 0]
    long_empty = sum(1 for r in empty if r.over_a_month)
    return [
        Card(
            "有岗无人",
            f"{len(empty):,}",
            url_for("posts.vacant"),
            warn=long_empty > 0,
            note=f"其中空缺满一个月 {long_empty} 个；另有 {len(rows) - len(empty)} 个岗位未满员",
        )
    ]
