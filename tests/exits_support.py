"""Rows the exit tests need: a township post with holders, built directly (see payroll_support)."""

from __future__ import annotations

from datetime import date

from pwposts.models.contracts import Assessment
from pwposts.models.people import EmploymentRecord
from tests.payroll_support import make_contract, make_fund, make_post


def holders(session, county, *, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    """东坪一村 post (600 元 / 20 days, 5 places) with wang and li active for 2026; committed."""
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    wang = make_contract(session, county.persons["wang"], post, start=start, end=end)
    li = make_contract(session, county.persons["li"], post, start=start, end=end)
    session.commit()
    return {"fund": fund, "post": post, "wang": wang, "li": li}


def annual(session, contract, year: str, value: str) -> Assessment:
    a = Assessment(contract_id=contract.id, kind="annual", period=year, grade=value)
    session.add(a)
    session.flush()
    return a


def employ(session, person, start: date, employer="县城物流公司", end=None) -> EmploymentRecord:
    r = EmploymentRecord(
        id_number=person.id_number,
        employer=employer,
        full_time=True,
        start_on=start,
        end_on=end,
        source="社保参保记录导入",
    )
    session.add(r)
    session.flush()
    return r
