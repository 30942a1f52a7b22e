"""The inspector's workspace over HTTP: who sees and who disposes, the flag page, case reports."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from pwposts.models.audit import AuditEntry
from pwposts.models.oversight import Flag
from pwposts.services.oversight import run_scan
from tests.builders import add_person
from tests.oversight_support import pay
from tests.payroll_support import make_contract, make_fund, make_post


@pytest.fixture
def flag(session, county, today):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    p = add_person(session, county.villages[0], "何艳", date(1975, 1, 1), "F", death_date=date(2026, 9, 13))
    c = make_contract(session, p, post)
    pay(session, c, "2026-09", 42000)
    pay(session, c, "2026-10", 42000)
    run_scan(session, today)
    session.commit()
    return session.scalars(select(Flag).where(Flag.rule_id == "PAID_AFTER_DEATH")).one()


def test_inspector_lists_reads_and_disposes(login_as, flag, session):
    c = login_as("inspector")
    page = c.get("/oversight/?rule=PAID_AFTER_DEATH&status=open").get_data(as_text=True)
    assert "何艳" in page and "死亡后仍发放补贴" in page and "东坪镇" in page
    page = c.get(f"/oversight/flags/{flag.id}").get_data(as_text=True)
    assert "<svg" in page and "何艳" in page and "420.00 元" in page and "2026-10" in page
    r = c.post(
        f"/oversight/flags/{flag.id}/dispose",
        data={"outcome": "dismissed", "reason_code": "data_error", "reason_text": "死亡日期有误，户籍核实中"},
    )
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Flag, flag.id).status == "dismissed"
    home = c.get("/").get_data(as_text=True)  # dashboard with the charts
    assert "近12个月发放金额" in home and "各乡镇在岗人数" in home and "<svg" in home


def test_county_admin_reads_but_cannot_dispose_and_township_staff_see_nothing(login_as, flag, session):
    c = login_as("admin")
    assert c.get(f"/oversight/flags/{flag.id}").status_code == 200
    r = c.post(
        f"/oversight/flags/{flag.id}/dispose",
        data={"outcome": "dismissed", "reason_code": "other", "reason_text": "x"},
    )
    assert r.status_code == 403
    for user in ("town", "village"):
        c = login_as(user)
        assert c.get("/oversight/").status_code == 403
        assert c.get(f"/oversight/flags/{flag.id}").status_code in (403, 404)
        assert c.post(
            f"/oversight/flags/{flag.id}/dispose",
            data={"outcome": "dismissed", "reason_code": "other", "reason_text": "x"},
        ).status_code in (403, 404)
    session.expire_all()
    assert session.get(Flag, flag.id).status == "open"


def test_inspector_cannot_edit_a_person_or_approve_a_payroll(login_as, county):
    c = login_as("inspector")
    wang = county.persons["wang"]
    assert c.post(f"/people/{wang.id}/edit", data={"name": "改名"}).status_code in (403, 404, 405)
    assert c.post("/pay/runs/1/approve").status_code in (403, 404)


def test_case_report_pdf_names_rule_persons_and_amounts(login_as, flag, session, county):
    c = login_as("inspector")
    r = c.get(f"/oversight/flags/{flag.id}/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    assert "死亡后仍发放补贴" in text and "何艳" in text and "420.00" in text
    r = c.get(f"/oversight/townships/{county.townships[0].id}/report.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    assert "东坪镇" in text and "何艳" in text
    session.expire_all()
    assert (
        session.scalar(select(AuditEntry).where(AuditEntry.action == "download_case_report").limit(1))
        is not None
    )


def test_person_history_for_inspectors(login_as, flag, session):
    c = login_as("inspector")
    page = c.get(f"/oversight/persons/{flag.person_id}").get_data(as_text=True)
    assert "完整履历" in page and "死亡后仍发放补贴" in page and "2026-10" in page
    assert "完整履历" in c.get(f"/people/{flag.person_id}").get_data(as_text=True)
    assert login_as("town").get(f"/oversight/persons/{flag.person_id}").status_code == 403
