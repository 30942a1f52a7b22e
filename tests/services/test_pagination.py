"""db.paginate() (pwposts/pagination.py): the page by ids first, the total over ids,
the audit count capped."""

from __future__ import annotations

from sqlalchemy import select

from pwposts.extensions import db
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Person
from pwposts.pagination import paginate_capped
from pwposts.services import audit


def test_pages_follow_the_order_and_the_total_counts_the_filter(app, county):
    stmt = select(Person).order_by(Person.name.desc(), Person.id)
    everyone = db.session.scalars(stmt).all()
    assert len(everyone) >= 3
    seen = []
    for n in range(1, len(everyone) + 1):
        page = db.paginate(stmt, page=n, per_page=1, error_out=False)
        assert page.total == len(everyone) and not page.total_capped
        seen += page.items
    assert seen == everyone
    one_village = db.paginate(stmt.where(Person.village_id == everyone[0].village_id), page=1, per_page=2)
    assert one_village.total == sum(p.village_id == everyone[0].village_id for p in everyone)
    assert db.paginate(stmt, page=99, per_page=10, error_out=False).items == []


def test_the_audit_count_stops_at_its_cap(app, county):
    for i in range(15):
        audit.record(db.session, None, "test_entry", "test", i)
    db.session.commit()
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    total = len(db.session.scalars(stmt).all())
    capped = paginate_capped(db, stmt, page=1, per_page=1, cap=5)
    assert capped.total_capped and capped.total == 10 < total  # at least 10 pages ahead are counted
    assert capped.items[0].id == max(e.id for e in db.session.scalars(stmt))
    whole = paginate_capped(db, stmt, page=1, per_page=1, cap=total)
    assert not whole.total_capped and whole.total == total
