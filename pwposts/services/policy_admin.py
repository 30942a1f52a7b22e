"""Policy administration by the county admin (DOMAIN.md §1, issue 13): post categories, standards per
category with effective dates, funds with their yearly allocation, 文号 and the person categories
each may pay. Every change is audited. A standard is never overwritten: a new standard starts on a
date and closes the previous one the day before; a month already paid is never altered (a standard
may not start in or before a month with an approved payroll for the category; an allocation may not
fall below what has been paid). A deletion that something depends on is refused, naming it.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError, NotFound
from ..domain.formats import month_of, yuan
from ..domain.people import CATEGORIES
from ..models.contracts import Contract
from ..models.pay import Payment, PayrollRun
from ..models.people import Region
from ..models.policy import Fund, FundCategory, PostCategory, Standard
from ..models.posts import Post
from . import audit
from .permissions import require

POST_TYPES = ("普通", "技术技能", "专项")


def _text(value, label: str, max_len: int, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise DomainError("field_required", f"请填写{label}")
        return None
    if len(text) > max_len:
        raise DomainError("field_too_long", f"{label}过长（最多{max_len}个字）：“{text[:20]}…”")
    return text


def _county(actor) -> Region:
    require(actor, "manage_policy")
    county = actor.region
    if county is None or county.level != "county":
        raise DomainError("policy_scope", "政策只能由县级管理员设置")
    return county


# ---------------------------------------------------------------- post categories


def _category_snapshot(c: PostCategory) -> dict:
    return {"code": c.code, "name": c.name, "kind": c.kind, "description": c.description}


def create_category(
    session: Session, actor, *, code: str, name: str, kind: str = "普通", description: str | None = None
) -> PostCategory:
    _county(actor)
    code = _text(code, "类别代码", 20)
    name = _text(name, "类别名称", 50)
    if kind not in POST_TYPES:
        raise DomainError("category_kind", f"岗位类型只能为{'、'.join(POST_TYPES)}，收到“{kind}”")
    if session.scalar(
        select(PostCategory.id).where((PostCategory.code == code) | (PostCategory.name == name))
    ):
        raise DomainError("category_exists", f"岗位类别代码“{code}”或名称“{name}”已存在")
    c = PostCategory(
        code=code, name=name, kind=kind, description=_text(description, "说明", 2000, required=False)
    )
    session.add(c)
    session.flush()
    audit.record(
        session,
        actor,
        "create_post_category",
        "post_category",
        c.id,
        after=_category_snapshot(c),
        summary=f"新增岗位类别：{name}（{code}，{kind}）",
    )
    return c


def update_category(
    session: Session, actor, category_id: int, *, name: str, kind: str, description: str | None
) -> PostCategory:
    _county(actor)
    c = session.get(PostCategory, category_id)
    if c is None:
        raise NotFound("岗位类别")
    name = _text(name, "类别名称", 50)
    if kind not in POST_TYPES:
        raise DomainError("category_kind", f"岗位类型只能为{'、'.join(POST_TYPES)}，收到“{kind}”")
    if session.scalar(select(PostCategory.id).where(PostCategory.name == name, PostCategory.id != c.id)):
        raise DomainError("category_exists", f"岗位类别名称“{name}”已被使用")
    before = _category_snapshot(c)
    c.name, c.kind, c.description = name, kind, _text(description, "说明", 2000, required=False)
    after = _category_snapshot(c)
    if after != before:
        session.flush()
        audit.record(
            session,
            actor,
            "update_post_category",
            "post_category",
            c.id,
            before=before,
            after=after,
            summary=f"修改岗位类别：{before['name']} → {name}",
        )
    return c


def delete_category(session: Session, actor, category_id: int) -> None:
    _county(actor)
    c = session.get(PostCategory, category_id)
    if c is None:
        raise NotFound("岗位类别")
    n_std = session.scalar(select(func.count(Standard.id)).where(Standard.category_id == c.id))
    n_post = session.scalar(select(func.count(Post.id)).where(Post.category_id == c.id))
    if n_std or n_post:
        uses = "、".join(
            x for x in (f"{n_std}个补贴标准" if n_std else "", f"{n_post}个岗位" if n_post else "") if x
        )
        raise DomainError("category_in_use", f"岗位类别“{c.name}”不能删除：{uses}使用它")
    before = _category_snapshot(c)
    session.delete(c)
    session.flush()
    audit.record(
        session,
        actor,
        "delete_post_category",
        "post_category",
        category_id,
        before=before,
        summary=f"删除岗位类别：{before['name']}",
    )


# ---------------------------------------------------------------- standards


def _standard_snapshot(s: Standard) -> dict:
    return {
        "category": s.category.name if s.category else s.category_id,
        "effective_from": s.effective_from,
        "effective_to": s.effective_to,
        "monthly_allowance_fen": s.monthly_allowance_fen,
        "required_days": s.required_days,
        "required_hours": s.required_hours,
        "full_time": s.full_time,
        "perf_excellent_fen": s.perf_excellent_fen,
        "perf_pass_fen": s.perf_pass_fen,
        "perf_fail_fen": s.perf_fail_fen,
    }


def last_paid_month(session: Session, county: Region, category_id: int) -> str | None:
    """The latest month of an approved payroll line on a post of this category in the county."""
    return session.scalar(
        select(func.max(Payment.month))
        .join(PayrollRun, PayrollRun.id == Payment.run_id)
        .join(Contract, Contract.id == Payment.contract_id)
        .join(Post, Post.id == Contract.post_id)
        .join(Region, Region.id == Post.township_id)
        .where(
            PayrollRun.status == "approved",
            Post.category_id == category_id,
            Region.code.like(county.code[:6] + "%"),
        )
    )


def add_standard(
    session: Session,
    actor,
    *,
    category_id: int,
    effective_from: date,
    monthly_allowance_fen: int,
    required_days: int,
    full_time: bool = False,
    required_hours: int | None = None,
    perf_excellent_fen: int = 0,
    perf_pass_fen: int = 0,
    perf_fail_fen: int = 0,
    today: date,
) -> Standard:
    """A new 县定标准 for a category from `effective_from`; the one in force before it ends the day before."""
    county = _county(actor)
    category = session.get(PostCategory, category_id)
    if category is None:
        raise NotFound("岗位类别")
    if not isinstance(monthly_allowance_fen, int) or monthly_allowance_fen <= 0:
        raise DomainError("standard_allowance", f"月补贴须大于0，收到{monthly_allowance_fen}")
    if not isinstance(required_days, int) or not 1 <= required_days <= 31:
        raise DomainError("standard_days", f"规定出勤天数须在1至31之间，收到{required_days}")
    if required_hours is not None and (not isinstance(required_hours, int) or not 1 <= required_hours <= 400):
        raise DomainError("standard_hours", f"规定工时须在1至400小时之间，收到{required_hours}")
    for label, v in (("优秀", perf_excellent_fen), ("合格", perf_pass_fen), ("不合格", perf_fail_fen)):
        if not isinstance(v, int) or v < 0:
            raise DomainError("standard_performance", f"绩效（{label}）不得为负数，收到{v}")
    paid = last_paid_month(session, county, category.id)
    if paid and month_of(effective_from) <= paid:
        raise DomainError(
            "standard_paid_month",
            f"“{category.name}”已发放至{paid}：新标准须自已发放月份之后开始（如 {_month_after(paid)}），"
            f"已发放的月份不得改变",
        )
    later = session.scalar(
        select(Standard)
        .where(
            Standard.county_id == county.id,
            Standard.category_id == category.id,
            Standard.effective_from >= effective_from,
        )
        .order_by(Standard.effective_from)
        .limit(1)
    )
    if later is not None:
        raise DomainError(
            "standard_not_latest",
            f"“{category.name}”已有自{later.effective_from.isoformat()}起的标准：新标准须晚于它开始；"
            f"如该标准有误且尚未使用，请先删除它",
        )
    previous = session.scalar(
        select(Standard)
        .where(
            Standard.county_id == county.id,
            Standard.category_id == category.id,
            Standard.effective_from < effective_from,
        )
        .order_by(Standard.effective_from.desc())
        .limit(1)
    )
    if previous is not None and (previous.effective_to is None or previous.effective_to >= effective_from):
        before = _standard_snapshot(previous)
        previous.effective_to = effective_from - timedelta(days=1)
        audit.record(
            session,
            actor,
            "update_standard",
            "standard",
            previous.id,
            before=before,
            after=_standard_snapshot(previous),
            summary=f"“{category.name}”原标准执行至{previous.effective_to.isoformat()}（新标准自"
            f"{effective_from.isoformat()}起）",
        )
    s = Standard(
        county_id=county.id,
        category=category,
        effective_from=effective_from,
        monthly_allowance_fen=monthly_allowance_fen,
        required_days=required_days,
        full_time=bool(full_time),
        required_hours=required_hours,
        perf_excellent_fen=perf_excellent_fen,
        perf_pass_fen=perf_pass_fen,
        perf_fail_fen=perf_fail_fen,
    )
    session.add(s)
    session.flush()
    audit.record(
        session,
        actor,
        "add_standard",
        "standard",
        s.id,
        after=_standard_snapshot(s),
        summary=f"“{category.name}”补贴标准：每月{yuan(monthly_allowance_fen)}、出勤{required_days}天，"
        f"自{effective_from.isoformat()}起",
    )
    return s


def _month_after(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + (m == 12)}-{(m % 12) + 1:02d}-01"


def delete_standard(session: Session, actor, standard_id: int) -> None:
    """Only a standard no post uses; the one before it is in force again (open-ended)."""
    county = _county(actor)
    s = session.get(Standard, standard_id)
    if s is None or s.county_id != county.id:
        raise NotFound("补贴标准")
    posts = session.scalars(select(Post.title).where(Post.standard_id == s.id).limit(4)).all()
    if posts:
        n = session.scalar(select(func.count(Post.id)).where(Post.standard_id == s.id))
        raise DomainError(
            "standard_in_use",
            f"该补贴标准不能删除：{n}个岗位按它设立（{'、'.join(posts[:3])}{'等' if n > 3 else ''}）",
        )
    later = session.scalar(
        select(Standard.id).where(
            Standard.county_id == county.id,
            Standard.category_id == s.category_id,
            Standard.effective_from > s.effective_from,
        )
    )
    if later:
        raise DomainError("standard_not_latest", "只能删除该类别最新的补贴标准")
    before = _standard_snapshot(s)
    previous = session.scalar(
        select(Standard)
        .where(
            Standard.county_id == county.id,
            Standard.category_id == s.category_id,
            Standard.effective_from < s.effective_from,
        )
        .order_by(Standard.effective_from.desc())
        .limit(1)
    )
    if previous is not None and previous.effective_to == s.effective_from - timedelta(days=1):
        previous.effective_to = None
    session.delete(s)
    session.flush()
    audit.record(
        session,
        actor,
        "delete_standard",
        "standard",
        standard_id,
        before=before,
        summary=f"删除“{before['category']}”自{s.effective_from.isoformat()}起的补贴标准",
    )


# ---------------------------------------------------------------- funds


def _fund_snapshot(f: Fund) -> dict:
    return {
        "name": f.name,
        "year": f.year,
        "allocation_fen": f.allocation_fen,
        "document_no": f.document_no,
        "categories": sorted(f.allowed_categories, key=CATEGORIES.index),
    }


def _categories(values) -> list[str]:
    values = [v.strip() for v in (values or []) if v and v.strip()]
    bad = [v for v in values if v not in CATEGORIES]
    if bad:
        raise DomainError(
            "fund_category", f"人员类别“{'、'.join(bad)}”不是可选值，可选：{'、'.join(CATEGORIES)}"
        )
    return sorted(set(values), key=CATEGORIES.index)


def paid_from(session: Session, fund_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount_fen), 0))
            .join(PayrollRun, PayrollRun.id == Payment.run_id)
            .where(Payment.fund_id == fund_id, PayrollRun.status == "approved")
        )
        or 0
    )


def create_fund(
    session: Session,
    actor,
    *,
    name: str,
    year: int,
    allocation_fen: int,
    document_no: str | None,
    categories=(),
) -> Fund:
    """A fund for one year. `categories` empty: it may pay every eligible category; else only those."""
    county = _county(actor)
    name = _text(name, "资金名称", 100)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise DomainError("fund_year", f"年度须为2000至2100之间的整数，收到{year}")
    if not isinstance(allocation_fen, int) or allocation_fen < 0:
        raise DomainError("fund_allocation", f"年度拨款不得为负数，收到{allocation_fen}")
    if session.scalar(
        select(Fund.id).where(Fund.county_id == county.id, Fund.name == name, Fund.year == year)
    ):
        raise DomainError("fund_exists", f"{year}年的资金“{name}”已存在，请修改它的拨款")
    cats = _categories(categories)
    f = Fund(
        county_id=county.id,
        name=name,
        year=year,
        allocation_fen=allocation_fen,
        document_no=_text(document_no, "文号", 100, required=False),
        restricts_categories=bool(cats),
    )
    f.allowed = [FundCategory(category=c) for c in cats]
    session.add(f)
    session.flush()
    audit.record(
        session,
        actor,
        "create_fund",
        "fund",
        f.id,
        after=_fund_snapshot(f),
        summary=f"新增资金来源：{name}（{year}年），拨款{yuan(allocation_fen)}"
        + (f"，文号{f.document_no}" if f.document_no else ""),
    )
    return f


def update_fund(
    session: Session, actor, fund_id: int, *, allocation_fen: int, document_no: str | None, categories=()
) -> Fund:
    county = _county(actor)
    f = session.get(Fund, fund_id)
    if f is None or f.county_id != county.id:
        raise NotFound("资金来源")
    if not isinstance(allocation_fen, int) or allocation_fen < 0:
        raise DomainError("fund_allocation", f"年度拨款不得为负数，收到{allocation_fen}")
    paid = paid_from(session, f.id)
    if allocation_fen < paid:
        raise DomainError(
            "fund_below_paid",
            f"资金“{f.name}”（{f.year}年）已审批发放{yuan(paid)}：拨款不得低于此数，"
            f"收到{yuan(allocation_fen)}",
        )
    cats = _categories(categories)
    before = _fund_snapshot(f)
    f.allocation_fen = allocation_fen
    f.document_no = _text(document_no, "文号", 100, required=False)
    if cats != before["categories"]:
        f.allowed = [FundCategory(category=c) for c in cats]
        f.restricts_categories = bool(cats)
    session.flush()
    after = _fund_snapshot(f)
    if after != before:
        audit.record(
            session,
            actor,
            "update_fund",
            "fund",
            f.id,
            before=before,
            after=after,
            summary=f"修改资金来源：{f.name}（{f.year}年）",
        )
    return f


def delete_fund(session: Session, actor, fund_id: int) -> None:
    county = _county(actor)
    f = session.get(Fund, fund_id)
    if f is None or f.county_id != county.id:
        raise NotFound("资金来源")
    n_post = session.scalar(select(func.count(Post.id)).where(Post.fund_id == f.id))
    n_pay = session.scalar(select(func.count(Payment.id)).where(Payment.fund_id == f.id))
    if n_post or n_pay:
        uses = "、".join(
            x for x in (f"{n_post}个岗位" if n_post else "", f"{n_pay}笔发放" if n_pay else "") if x
        )
        raise DomainError("fund_in_use", f"资金“{f.name}”（{f.year}年）不能删除：{uses}使用它")
    before = _fund_snapshot(f)
    session.delete(f)
    session.flush()
    audit.record(
        session,
        actor,
        "delete_fund",
        "fund",
        fund_id,
        before=before,
        summary=f"删除资金来源：{before['name']}（{before['year']}年）",
    )
