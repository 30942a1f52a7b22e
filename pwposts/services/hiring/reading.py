"""Reading: notice and application lists and views, the dashboard's and the public page's queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ...domain import hiring as rules
from ...domain.errors import NotFound
from ...models.hiring import Application, Notice, Objection, Publicity
from ...models.people import Person, Region
from ...models.posts import Post
from ..permissions import get_scoped, require, scope_regions
from .eligibility import _load_application, occupied
from .publicity import taken_places

# =====================================================================================
# Reading
# =====================================================================================


@dataclass
class NoticeFilter:
    q: str = ""
    status: str = ""
    township_id: int | None = None
    village_id: int | None = None
    stage: str = ""  # "publicity": with an open 公示; "objections": with open objections
    post_id: int | None = None
    state: str = ""  # one of rules.NOTICE_STATES, derived from the dates and outcome (needs today)


def notice_state_expr(today: date):
    """rules.notice_state as SQL (a CASE over the notice's dates, its 公示 and hires), for filtering lists;
    tests check it agrees with the domain function."""
    publicity_open = exists().where(Publicity.notice_id == Notice.id, Publicity.status == "open")
    hired = exists().where(Application.notice_id == Notice.id, Application.status == "hired")
    return case(
        (and_(publicity_open, Notice.status != "closed"), "publicity"),
        (hired, "hired"),
        (Notice.status == "closed", "ended"),
        (Notice.start_on > today, "upcoming"),
        (Notice.end_on >= today, "open"),
        else_="registration_closed",
    )


def notice_states(session: Session, notices, today: date) -> dict[int, str]:
    """{notice id: state} for these notices, from their facts (two queries) and rules.notice_state."""
    ids = [n.id for n in notices]
    if not ids:
        return {}
    running = set(
        session.scalars(
            select(Publicity.notice_id).where(Publicity.notice_id.in_(ids), Publicity.status == "open")
        )
    )
    hired = dict(
        session.execute(
            select(Application.notice_id, func.count(Application.id))
            .where(Application.notice_id.in_(ids), Application.status == "hired")
            .group_by(Application.notice_id)
        ).all()
    )
    return {
        n.id: rules.notice_state(
            n.start_on,
            n.end_on,
            today,
            closed=n.status == "closed",
            publicity_open=n.id in running,
            hired=hired.get(n.id, 0),
        )
        for n in notices
    }


def notice_state_of(session: Session, notice: Notice, today: date) -> str:
    return notice_states(session, [notice], today)[notice.id]


def notice_query(actor, f: NoticeFilter, today: date | None = None) -> Select:
    q = scope_regions(actor, select(Notice).join(Post, Post.id == Notice.post_id), Post.village_id)
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(or_(Notice.title.like(like), Post.title.like(like), Post.code.like(like)))
    if f.status in ("open", "closed"):
        q = q.where(Notice.status == f.status)
    if f.post_id:
        q = q.where(Notice.post_id == f.post_id)
    if f.state in rules.NOTICE_STATES and today is not None:
        q = q.where(notice_state_expr(today) == f.state)
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    if f.stage == "publicity":
        q = q.where(Notice.id.in_(select(Publicity.notice_id).where(Publicity.status == "open")))
    elif f.stage == "objections":
        q = q.where(
            Notice.id.in_(
                select(Publicity.notice_id)
                .join(Objection, Objection.publicity_id == Publicity.id)
                .where(Objection.status == "open")
            )
        )
    return q.options(joinedload(Notice.post).joinedload(Post.village).joinedload(Region.parent)).order_by(
        Notice.status.desc(), Notice.start_on.desc(), Notice.id.desc()
    )


@dataclass
class NoticeView:
    notice: Notice
    applications: list[Application]
    publicities: list[Publicity]
    objections: dict[int, list[Objection]] = field(default_factory=dict)  # by application id
    active: int = 0
    pending_hires: int = 0
    places_left: int = 0

    @property
    def current_publicity(self) -> Publicity | None:
        return next((p for p in self.publicities if p.status == "open"), None)


def application_query(actor, notice_id: int | None = None, status: str = "") -> Select:
    q = scope_regions(
        actor,
        select(Application)
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    )
    if notice_id:
        q = q.where(Application.notice_id == notice_id)
    if status:
        q = q.where(Application.status == status)
    return q.options(
        joinedload(Application.person).joinedload(Person.village), joinedload(Application.publicity)
    ).order_by(Application.priority, Application.entered_at, Application.id)


def load_notice(session: Session, actor, notice_id: int) -> NoticeView:
    notice = get_scoped(session, actor, Notice, notice_id, "view_post", "招聘公告")
    apps = session.scalars(
        select(Application)
        .where(Application.notice_id == notice.id)
        .options(
            joinedload(Application.person).joinedload(Person.village), selectinload(Application.publicity)
        )
    ).all()
    order = {
        "hired": 0,
        "shortlisted": 1,
        "eligible": 2,
        "removed": 3,
        "not_selected": 4,
        "ineligible": 5,
        "withdrawn": 6,
    }
    apps = sorted(apps, key=lambda a: (order.get(a.status, 9), a.priority, a.entered_at, a.id))
    pubs = session.scalars(
        select(Publicity).where(Publicity.notice_id == notice.id).order_by(Publicity.id)
    ).all()
    objs: dict[int, list[Objection]] = {}
    if apps:
        for o in session.scalars(
            select(Objection).where(Objection.application_id.in_([a.id for a in apps])).order_by(Objection.id)
        ):
            objs.setdefault(o.application_id, []).append(o)
    active, pending = occupied(session, notice.post_id)
    return NoticeView(
        notice,
        list(apps),
        list(pubs),
        objs,
        active,
        pending,
        notice.places - taken_places(session, notice.id),
    )


def load_application(session: Session, actor, application_id: int) -> Application:
    return _load_application(session, actor, application_id, "view_post")


def objections_of(session: Session, application_id: int) -> list[Objection]:
    return session.scalars(
        select(Objection).where(Objection.application_id == application_id).order_by(Objection.id)
    ).all()


def load_publicity(session: Session, actor, publicity_id: int) -> Publicity:
    pub = session.get(Publicity, publicity_id)
    if pub is None:
        raise NotFound("公示")
    require(actor, "view_post", pub.notice, what="公示")
    return pub


def person_candidates(session: Session, actor, notice: Notice, q: str, limit: int = 20) -> list[Person]:
    """Persons in the actor's scope matching a name or ID number, for the entry form."""
    from ..permissions import id_number_search, scope_persons

    text = (q or "").strip()
    if not text:
        return []
    stmt = scope_persons(actor, select(Person)).where(
        or_(Person.name.contains(text, autoescape=True), id_number_search(actor, Person.id_number, text))
    )
    return session.scalars(
        stmt.options(joinedload(Person.village))
        .order_by((Person.village_id != notice.post.village_id), Person.name, Person.id)
        .limit(limit)
    ).all()


# ---- for the dashboard and the public page ----


def publicities_ending(actor, today: date, days: int = 7) -> Select:
    return scope_regions(
        actor,
        select(func.count(Publicity.id))
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    ).where(
        Publicity.status == "open",
        Publicity.end_on >= today,
        Publicity.end_on <= today + timedelta(days=days),
    )


def publicities_due(actor, today: date) -> Select:
    """Open 公示 whose period is over: candidates wait to be hired."""
    return scope_regions(
        actor,
        select(func.count(Publicity.id))
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    ).where(Publicity.status == "open", Publicity.end_on < today)


def open_objections(actor) -> Select:
    return scope_regions(
        actor,
        select(func.count(Objection.id))
        .join(Publicity, Publicity.id == Objection.publicity_id)
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    ).where(Objection.status == "open")


def public_notices(session: Session, today: date, township_id: int | None = None) -> list[Notice]:
    """Notices open for applications today (public page)."""
    q = (
        select(Notice)
        .join(Post, Post.id == Notice.post_id)
        .where(Notice.status == "open", Notice.start_on <= today, Notice.end_on >= today)
    )
    if township_id:
        q = q.where(Post.township_id == township_id)
    return session.scalars(
        q.options(joinedload(Notice.post).joinedload(Post.village).joinedload(Region.parent)).order_by(
            Post.township_id, Post.village_id, Notice.id
        )
    ).all()


def public_publicities(
    session: Session, today: date, township_id: int | None = None
) -> list[tuple[Publicity, list[Application]]]:
    """公示 running today with their candidates (public page): open and not past their last day."""
    q = (
        select(Publicity)
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id)
        .where(Publicity.status == "open", Publicity.end_on >= today, Notice.status == "open")
    )
    if township_id:
        q = q.where(Post.township_id == township_id)
    pubs = session.scalars(
        q.options(
            joinedload(Publicity.notice)
            .joinedload(Notice.post)
            .joinedload(Post.village)
            .joinedload(Region.parent)
        ).order_by(Post.township_id, Post.village_id, Publicity.id)
    ).all()
    out = []
    if pubs:
        apps = session.scalars(
            select(Application)
            .where(Application.publicity_id.in_([p.id for p in pubs]), Application.status == "shortlisted")
            .options(joinedload(Application.person).joinedload(Person.village))
            .order_by(Application.priority, Application.entered_at, Application.id)
        ).all()
        by_pub: dict[int, list[Application]] = {}
        for a in apps:
            by_pub.setdefault(a.publicity_id, []).append(a)
        out = [(p, by_pub.get(p.id, [])) for p in pubs]
    return out
