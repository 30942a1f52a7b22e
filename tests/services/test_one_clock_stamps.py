"""One clock for the stamps too: a row's created_at / entered_at / at … and person.updated_at are the `now`
its caller bound (services/clock_binding.py), never the machine's clock — through the ORM and the Core
updates of the roster and department-record imports alike."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from pwposts.models.people import Person
from pwposts.services.clock_binding import bind_now
from tests.builders import add_person, make_id_number
from tests.services.test_roster import person_row, run

LATER = datetime(2031, 5, 6, 7, 8, 9)  # years from any real clock the suite runs under
LATEST = datetime(2031, 6, 1, 0, 0, 0)


def test_new_and_changed_rows_take_the_bound_now(session, county):
    bind_now(session, LATER)
    p = add_person(session, county.villages[0], "时钟甲", date(1980, 1, 2), "M")
    session.flush()
    assert (p.created_at, p.updated_at) == (LATER, LATER)
    bind_now(session, LATEST)
    p.phone = "13900001234"
    session.flush()
    assert (p.created_at, p.updated_at) == (LATER, LATEST)  # onupdate: the bound now as well
    q = add_person(
        session, county.villages[0], "时钟丙", date(1981, 1, 2), "F", created_at=datetime(2031, 1, 1)
    )
    session.flush()
    assert (q.created_at, q.updated_at) == (datetime(2031, 1, 1), LATEST)  # a stamp the caller set stays
    session.rollback()


def test_a_roster_import_that_changes_persons_stamps_them_with_the_bound_now(session, county):
    admin = county.users["admin"]
    number = make_id_number(date(1982, 7, 8), "F")
    run(session, admin, [person_row("时钟乙", number)])
    bind_now(session, LATER)
    run(session, admin, [person_row("时钟乙", number, phone="13900005678")])  # a Core UPDATE of person
    p = session.scalar(select(Person).where(Person.id_number == number))
    session.refresh(p)
    assert p.phone == "13900005678" and p.updated_at == LATER
