"""The contracts and payroll-run lists shown as projected rows (web/row_pages.py) list exactly what the
ORM queries behind the export and the API list, in the same order, page after page, for every scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pwposts import demo
from pwposts.extensions import db
from pwposts.models.accounts import User
from pwposts.services import contracts as contract_service
from pwposts.services import pay as pay_service
from pwposts.web.row_pages import paginate_rows


@pytest.fixture
def demo_county(session, today):
    demo.generate_county(session, seed=3, persons=demo.MIN_PERSONS, today=today)
    session.commit()


def _pages(ids, rows, per_page, **kwargs):
    seen, n = [], 1
    while True:
        page = paginate_rows(ids, rows, page=n, per_page=per_page, **kwargs)
        if not page.items:
            return seen, page.total
        seen += page.items
        n += 1


@pytest.mark.parametrize("username", ["admin", "township1", "village1"])
def test_contract_rows_are_the_contract_list(app, demo_county, today, username):
    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        first = db.session.scalars(
            contract_service.contract_query(actor, contract_service.ContractFilter(), today)
        ).first()
        filters = [
            contract_service.ContractFilter(),
            contract_service.ContractFilter(expiring=True),
            contract_service.ContractFilter(status="draft"),
            contract_service.ContractFilter(q=first.person.name[:1]),
            contract_service.ContractFilter(q=first.code[-3:]),
            contract_service.ContractFilter(village_id=first.post.village_id),
            contract_service.ContractFilter(township_id=first.post.township_id, status="active"),
        ]
        for f in filters:
            expected = db.session.scalars(contract_service.contract_query(actor, f, today)).unique().all()
            rows, total = _pages(
                contract_service.contract_ids(actor, f, today),
                lambda page, f=f: contract_service.contract_list_rows(db.session, page, f),
                per_page=7,
            )
            assert [r.id for r in rows] == [c.id for c in expected], f
            assert total == len(expected)
            for r, c in zip(rows, expected, strict=True):
                assert (r.code, r.name, r.id_number, r.title) == (
                    c.code,
                    c.person.name,
                    c.person.id_number,
                    c.post.title,
                )
                assert (r.village, r.township) == (c.post.village.name, c.post.township.name)
                assert (r.status, r.end_on, r.allowance_fen, r.insured) == (
                    c.status,
                    c.end_on,
                    c.allowance_fen,
                    bool(c.policies),
                )


def test_the_contract_ids_join_the_person_only_to_search(app, demo_county, today):
    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.username == "admin"))
        plain = str(contract_service.contract_ids(actor, contract_service.ContractFilter(), today))
        searched = str(contract_service.contract_ids(actor, contract_service.ContractFilter(q="王"), today))
        assert "person" not in plain and "JOIN post" not in plain
        assert "JOIN person" in searched


@pytest.mark.parametrize("username", ["admin", "township1", "village1", "holder1"])
def test_the_awaiting_count_counts_the_awaiting_list(app, demo_county, username):
    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        listed = db.session.scalars(contract_service.awaiting_signing(actor)).unique().all()
        assert contract_service.awaiting_signing_count(db.session, actor) == len(listed)


@pytest.mark.parametrize("username", ["admin", "township1"])
def test_run_rows_are_the_run_list(app, demo_county, username):
    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        for kw in ({}, {"status": "approved"}):
            expected = db.session.scalars(pay_service.run_query(actor, **kw)).unique().all()
            assert expected
            rows, total = _pages(
                pay_service.run_ids(actor, **kw), lambda page: pay_service.run_list_rows(db.session, page), 4
            )
            assert [r.id for r in rows] == [run.id for run in expected] and total == len(expected)
            users = {u.id: u.display_name for u in db.session.scalars(select(User))}
            for r, run in zip(rows, expected, strict=True):
                assert (r.township, r.status, r.total_fen) == (run.township.name, run.status, run.total_fen)
                assert r.preparer == users[run.prepared_by_id]
                assert r.approver == users.get(run.approved_by_id)


@pytest.mark.parametrize("username", ["admin", "township1"])
def test_rows_from_a_statement_built_once_are_the_same_pages(app, demo_county, today, username):
    """paginate_rows(…, statement=…): the rows' statement built once per ids select and run with the page's
    bounds as parameters lists what rows(page) lists, with the same totals (read with the ids or counted)."""
    from pwposts import pagination

    with app.test_request_context():
        actor = db.session.scalar(select(User).where(User.username == username))
        for f in (contract_service.ContractFilter(), contract_service.ContractFilter(expiring=True)):
            ids = contract_service.contract_ids(actor, f, today)
            for cached_from in (1, 10_000):  # every total cached (counted) / none (read with the ids)
                pagination.forget_counts()
                pagination.COUNT_CACHE_FROM, saved = cached_from, pagination.COUNT_CACHE_FROM
                try:
                    built = _pages(
                        ids, None, 5, statement=lambda p, f=f: contract_service.contract_list_statement(p, f)
                    )
                finally:
                    pagination.COUNT_CACHE_FROM = saved
                ran = _pages(ids, lambda p, f=f: contract_service.contract_list_rows(db.session, p, f), 5)
                assert [tuple(r) for r in built[0]] == [tuple(r) for r in ran[0]] and built[1] == ran[1]
                assert (built[0] or f.expiring) and all(len(r) == 13 for r in built[0])


def test_a_county_wide_list_still_keeps_to_its_county(app, demo_county, today):
    """The county-wide contract list walks contracts and checks each one's post (services/contracts/
    listing.py; a township's finds its contracts by post): a contract on a post of another county's
    village is not listed, and every contract of the county is."""
    from pwposts.models.contracts import Contract
    from pwposts.models.people import Region
    from pwposts.models.posts import Post

    with app.test_request_context():
        s = db.session
        other_county = Region(code="522798000000", name="绿水县", level="county")
        other_township = Region(code="522798100000", name="绿水镇", level="township", parent=other_county)
        other_village = Region(code="522798100001", name="绿水村", level="village", parent=other_township)
        s.add_all([other_county, other_township, other_village])
        s.flush()
        actor = s.scalar(select(User).where(User.username == "admin"))
        township = s.scalar(select(User).where(User.username == "township1"))
        f = contract_service.ContractFilter()
        assert "EXISTS" in str(contract_service.contract_ids(actor, f, today))
        assert "EXISTS" not in str(contract_service.contract_ids(township, f, today))
        prefix = actor.region.code[:6]
        with_contracts = s.scalars(
            select(Post)
            .join(Contract, Contract.post_id == Post.id)
            .join(Region, Region.id == Post.village_id)
            .where(Region.code.startswith(prefix))
            .group_by(Post.id)
            .order_by(func.count(Contract.id), Post.id)
        ).all()
        assert len(with_contracts) >= 2, "the demo county's scope needs two posts with contracts"
        moved = with_contracts[0]
        moved.village_id, moved.township_id = other_village.id, other_township.id
        s.commit()

        expected = s.scalars(
            select(Contract.id)
            .join(Post, Post.id == Contract.post_id)
            .join(Region, Region.id == Post.village_id)
            .where(Region.code.startswith(prefix))
            .order_by(Contract.id.desc())
        ).all()
        assert expected and moved.id not in {s.get(Contract, cid).post_id for cid in expected}
        rows, total = _pages(
            contract_service.contract_ids(actor, f, today),
            lambda page: contract_service.contract_list_rows(db.session, page, f),
            per_page=7,
        )
        assert [r.id for r in rows] == expected
        assert total == len(expected)
