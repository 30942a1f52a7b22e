"""花名册 export (the import layout, with the post and contract columns) and the template's example row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..documents.roster_xlsx import POST_KEYS
from ..domain.errors import DomainError
from ..domain.people import CATEGORIES, mask_id_number
from ..models.contracts import Contract
from ..models.people import Person, Region
from ..models.policy import Fund
from ..models.posts import Post
from .people import PersonFilter, person_query
from .permissions import can, require, scope_prefix

EXPORT_LIMIT = 100_000

# ---------------------------------------------------------------- export


def export_count(session: Session, actor, f: PersonFilter, today: date) -> int:
    q = person_query(actor, f, today).order_by(None)
    return session.scalar(select(func.count()).select_from(q.subquery())) or 0


def export_rows(
    session: Session, actor, f: PersonFilter, today: date, *, limit: int = EXPORT_LIMIT
) -> Iterator[list]:
    """The roster rows of the actor's scope under the people-list filter, in the import layout.

    Raises DomainError before yielding anything when more than `limit` persons match.
    ID and account numbers are masked for roles without view_full_id_number.
    """
    require(actor, "export_roster")
    total = export_count(session, actor, f, today)
    if total > limit:
        raise DomainError(
            "export_too_large",
            f"符合条件的人员有{total:,}人，超过单次导出上限{limit:,}人，请按乡镇或村筛选后分批导出",
        )
    return _rows(session, actor, f, today)


def _rows(session: Session, actor, f: PersonFilter, today: date) -> Iterator[list]:
    full = can(actor, "view_full_id_number")
    county = actor.region.code[:6]
    ambiguous = set(
        session.scalars(
            select(Region.name)
            .where(Region.level == "village", Region.code.like(county + "%"))
            .group_by(Region.name)
            .having(func.count() > 1)
        )
    )
    blanks = [""] * len(POST_KEYS)
    posts = _post_columns(session, person_query(actor, f, today))
    q = person_query(actor, f, today).execution_options(yield_per=1000)
    for n, p in enumerate(session.scalars(q), start=1):
        v = p.village
        place = (v.parent.name + v.name if v.name in ambiguous and v.parent else v.name) + (
            p.group_name or ""
        )
        cats = "、".join(_current(p, today))
        account = p.account_no or ""
        if account and not full:
            account = "****" + account[-4:]
        yield [
            n,
            p.name,
            p.id_number if full else mask_id_number(p.id_number),
            p.household.code if p.household else "",
            cats,
            p.work_capacity,
            place,
            p.phone or "",
            account,
            p.account_name or "",
            *posts.get(p.id, blanks),
            p.account_kind or "",
        ]


def employer_of(village_name: str) -> str:
    """使用单位 of a village post: the village's committee (村民委员会, or 居民委员会 for a 社区)."""
    return village_name + ("居民委员会" if village_name.endswith("社区") else "村民委员会")


def _exit_text(exit_on: date | None, reason: str | None) -> str:
    return " ".join(x for x in (exit_on.isoformat() if exit_on else "", (reason or "").strip()) if x)


def _post_columns(session: Session, persons) -> dict[int, list]:
    """The 岗位名称 … 退岗日期及原因 columns (DOMAIN.md §4) per person id, two queries for the whole export:
    a current holder's active contract (with its early exit when one is recorded), else — for a former
    holder — the post and exit of the last contract that ended."""
    ids = select(persons.order_by(None).subquery().c.id)
    village = Region.__table__.alias("post_village")
    cols = (
        Contract.person_id,
        Contract.status,
        Post.title,
        village.c.name,
        Fund.name,
        Contract.full_time,
        Contract.allowance_fen,
        Contract.required_days,
        Contract.start_on,
        Contract.end_on,
        Contract.exit_on,
        Contract.end_reason,
    )
    base = (
        select(*cols)
        .join(Post, Post.id == Contract.post_id)
        .join(village, village.c.id == Post.village_id)
        .join(Fund, Fund.id == Post.fund_id)
        .where(Contract.person_id.in_(ids))
    )

    def columns(r, exit_text: str) -> list:
        return [
            r.title,
            employer_of(r.name),
            r.name_1,
            "全日制" if r.full_time else "非全日制",
            Decimal(r.allowance_fen) / 100,
            r.required_days,
            f"{r.start_on}至{r.end_on}",
            exit_text,
        ]

    out: dict[int, list] = {}
    for r in session.execute(base.where(Contract.status == "active")):
        out[r.person_id] = columns(r, _exit_text(r.exit_on, r.end_reason) if r.exit_on else "")
    last_ended = (
        select(func.max(Contract.id))
        .where(Contract.person_id.in_(ids), Contract.status.in_(("ended", "terminated")))
        .group_by(Contract.person_id)
    )
    for r in session.execute(base.where(Contract.id.in_(last_ended))):
        if r.person_id in out:
            continue
        reason = r.end_reason or ("协议到期" if r.status == "ended" else "")
        out[r.person_id] = columns(r, _exit_text(r.exit_on or r.end_on, reason))
    return out


def _current(p: Person, today: date) -> list[str]:
    held = {
        c.category for c in p.categories if c.start_on <= today and (c.end_on is None or c.end_on >= today)
    }
    return sorted(held, key=CATEGORIES.index)


# ---------------------------------------------------------------- template

EXAMPLE_ID_NUMBER = "11010519491231002X"  # the worked example of GB 11643 — valid, and nobody's


def template_example(session: Session, actor) -> list:
    """The template's example row (序号 “示例”, skipped on import), in a village the actor may import into."""
    prefix = scope_prefix(actor) or "-"
    village = session.scalars(
        select(Region)
        .where(Region.level == "village", Region.code.like(prefix + "%"))
        .order_by(Region.code)
        .limit(1)
    ).first()
    name = village.name if village else "东坪一村"
    household = (village.code if village else "522701100201") + "0001"
    return [
        "示例（导入时跳过）",
        "张三",
        EXAMPLE_ID_NUMBER,
        household,
        "脱贫人口、持证残疾人",
        "半劳力",
        f"{name}3组",
        "13812345678",
        "6217000000000000000",
        "张三",
        "保洁",
        f"{name}村民委员会",
        "衔接推进乡村振兴补助资金",
        "非全日制",
        600,
        20,
        "2026-01-01至2026-12-31",
        "",
        "社保卡",
    ]
