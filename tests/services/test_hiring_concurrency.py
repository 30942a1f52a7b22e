"""Two clerks hiring for the last place at the same moment, and two signing the same hire: one wins.

PostgreSQL only (PWPOSTS_TEST_DATABASE_URL): SQLite serialises every writer, so these races cannot
happen there.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pwposts.domain.errors import DomainError
from pwposts.extensions import db
from pwposts.models.contracts import Contract
from pwposts.models.hiring import Application
from pwposts.services import contracts as contract_svc
from pwposts.services import hiring as svc
from tests.hiring_support import ENTRY_DAY, NOTICE_DAY, NOTICE_FIELDS, make_post
from tests.services.test_payroll_concurrency import _race

TODAY = date(2026, 11, 25)
HIRE_DAY = date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises all writers, so two transactions can never race there"
        )


@pytest.fixture
def two_shortlisted_one_place(session, county):
    post = make_post(session, county, headcount=1)
    town = county.users["town"]
    notice = svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **{**NOTICE_FIELDS, "places": 1})
    a = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    b = svc.enter_application(session, town, notice.id, county.persons["li"].id, ENTRY_DAY)
    session.flush()
    # one place, but both were put on 公示 (e.g. a reserve candidate): both are hireable after the period
    svc.publish_shortlist(session, town, notice.id, [a.id], TODAY)
    b.status, b.publicity_id = "shortlisted", a.publicity_id
    session.commit()
    return a.id, b.id


def test_two_clerks_hiring_the_last_place_at_once_hire_one(session, county, two_shortlisted_one_place):
    a_id, b_id = two_shortlisted_one_place
    ids = {"town": a_id, "town2": b_id}
    results = _race(["town", "town2"], lambda s, actor: svc.hire(s, actor, ids[actor.username], HIRE_DAY))
    outcomes = [o for _, o in results]
    assert sum(isinstance(o, Application) for o in outcomes) == 1, outcomes
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1 and refused[0].code == "headcount_full"
    session.expire_all()
    assert session.scalar(select(func.count(Application.id)).where(Application.status == "hired")) == 1


def test_two_clerks_signing_the_same_hire_make_one_contract(session, county, two_shortlisted_one_place):
    a_id, _ = two_shortlisted_one_place
    svc.hire(session, county.users["town"], a_id, HIRE_DAY)
    session.commit()
    results = _race(
        ["town", "town2"],
        lambda s, actor: contract_svc.sign_contract(
            s, actor, a_id, "劳务协议", date(2026, 12, 5), date(2027, 12, 4), HIRE_DAY
        ),
    )
    outcomes = [o for _, o in results]
    assert sum(isinstance(o, Contract) for o in outcomes) == 1, outcomes
    session.expire_all()
    assert session.scalar(select(func.count(Contract.id)).where(Contract.application_id == a_id)) == 1
