"""The public 公示 page: open notices and running 公示 lists, no login, ID numbers masked.

Only what the public must see: names, villages, masked ID numbers (first 6 + 8 asterisks +
last 4), the post, the period and where to object. No phone, no account, no categories.
Only current items: notices open for applications today, 公示 not yet past their last day.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models.people import Region
from ..services import hiring as service

bp = Blueprint("public", __name__, url_prefix="/public")


def _township_arg() -> int | None:
    from .people import int_arg

    return int_arg("township")


def _group(notices, publicities):
    """[(township, [(village, notices, publicities)])] in region-code order."""
    towns: dict[int, dict] = {}
    for n in notices:
        v = n.post.village
        towns.setdefault(v.parent_id, {"region": v.parent, "villages": {}})["villages"].setdefault(
            v.id, {"region": v, "notices": [], "publicities": []}
        )["notices"].append(n)
    for pub, apps in publicities:
        v = pub.notice.post.village
        towns.setdefault(v.parent_id, {"region": v.parent, "villages": {}})["villages"].setdefault(
            v.id, {"region": v, "notices": [], "publicities": []}
        )["publicities"].append((pub, apps))
    out = []
    for t in sorted(towns.values(), key=lambda t: t["region"].code):
        out.append((t["region"], sorted(t["villages"].values(), key=lambda v: v["region"].code)))
    return out


@bp.route("/")
def index():
    today = clock.today()
    township_id = _township_arg()
    notices = service.public_notices(db.session, today, township_id)
    publicities = service.public_publicities(db.session, today, township_id)
    townships = db.session.scalars(
        select(Region).where(Region.level == "township").order_by(Region.code)
    ).all()
    return render_template(
        "public/index.html",
        groups=_group(notices, publicities),
        townships=townships,
        township_id=township_id,
        today=today,
        n_notices=len(notices),
        n_publicities=len(publicities),
    )


@bp.route("/notices/<int:notice_id>")
def notice(notice_id: int):
    today = clock.today()
    n = next((x for x in service.public_notices(db.session, today) if x.id == notice_id), None)
    if n is None:
        abort(404)
    return render_template("public/notice.html", n=n, post=n.post, today=today)


@bp.route("/publicity/<int:publicity_id>")
def publicity(publicity_id: int):
    today = clock.today()
    found = next(
        ((p, apps) for p, apps in service.public_publicities(db.session, today) if p.id == publicity_id), None
    )
    if found is None:
        abort(404)
    pub, apps = found
    return render_template(
        "public/publicity.html", pub=pub, apps=apps, n=pub.notice, post=pub.notice.post, today=today
    )
