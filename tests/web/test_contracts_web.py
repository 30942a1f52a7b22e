"""Contract pages: signing (the one-year rule through the form), insurance, activation, renewal,
voiding, the list with search/filters/export, the PDF, who sees what, dashboard cards."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from pwposts.models.contracts import Contract
from pwposts.services import audit
from pwposts.services import contracts as svc
from tests.contracts_support import grade, hired, insure

TODAY = date(2026, 11, 25)


def page_text(r) -> str:
    return r.get_data(as_text=True)


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture
def app_row(session, county):
    return hired(session, county)


def signed(session, county, app_row, start=date(2026, 3, 1), end=date(2027, 2, 28)) -> Contract:
    c = svc.sign_contract(session, county.users["town"], app_row.id, "劳务协议", start, end, TODAY)
    session.commit()
    return c


def post_sign(client, application_id, start, end, kind="劳务协议"):
    return client.post(
        f"/contracts/new?application_id={application_id}",
        data={"kind": kind, "start_on": start, "end_on": end, "signed_on": "2026-11-25"},
    )


# ---- signing through the form ----


def test_sign_form_accepts_one_year(login_as, session, app_row):
    client = login_as("town")
    r = client.get(f"/contracts/new?application_id={app_row.id}")
    assert r.status_code == 200 and "王秀英" in page_text(r) and "600.00 元" in page_text(r)
    r = post_sign(client, app_row.id, "2026-03-01", "2027-02-28")
    assert r.status_code == 302
    c = session.scalar(select(Contract))
    assert r.headers["Location"].endswith(f"/contracts/{c.id}")
    assert (c.start_on, c.end_on, c.status) == (date(2026, 3, 1), date(2027, 2, 28), "draft")


def test_sign_form_refuses_over_one_year_naming_both_dates(login_as, session, app_row):
    client = login_as("town")
    r = post_sign(client, app_row.id, "2026-03-01", "2027-03-01")
    assert r.status_code == 422
    html = page_text(r)
    assert "每次签订的合同期限不得超过1年：2026-03-01 至 2027-03-01 超出，截止日期最晚为 2027-02-28" in html
    assert "按此起始日期，截止日期最晚为 2027-02-28" in html  # help text next to the start date
    assert session.scalar(select(Contract.id)) is None


def test_sign_form_refuses_impossible_date(login_as, session, app_row):
    r = post_sign(login_as("town"), app_row.id, "2027-02-29", "2027-12-31")
    assert r.status_code == 422 and "不是真实存在的日期" in page_text(r)


def test_sign_form_roles(login_as, app_row):
    assert login_as("otherTown").get(f"/contracts/new?application_id={app_row.id}").status_code == 404
    assert login_as("inspector").get(f"/contracts/new?application_id={app_row.id}").status_code == 403
    assert login_as("village").get(f"/contracts/new?application_id={app_row.id}").status_code == 403
    assert login_as("holder").get(f"/contracts/new?application_id={app_row.id}").status_code == 403


# ---- detail, insurance, activation ----


def test_insurance_then_activation_through_the_pages(login_as, session, county, app_row):
    c = signed(session, county, app_row)
    client = login_as("town")
    html = page_text(client.get(f"/contracts/{c.id}"))
    assert ">录入保险</button>" in html and "data-confirm" in html and "作废此合同" in html
    # activation refused without insurance
    r = client.post(f"/contracts/{c.id}/activate", follow_redirects=True)
    assert "合同生效前须录入覆盖合同期限的意外伤害保险" in page_text(r)
    assert session.get(Contract, c.id).status == "draft"
    # a policy not covering the period is refused with both periods named
    r = client.post(
        f"/contracts/{c.id}/insurance",
        data={"insurer": "中国人寿", "policy_no": "PL9", "start_on": "2026-03-01", "end_on": "2027-01-31"},
        follow_redirects=True,
    )
    assert "保险期间 2026-03-01 至 2027-01-31 未覆盖合同期限 2026-03-01 至 2027-02-28" in page_text(r)
    r = client.post(
        f"/contracts/{c.id}/insurance",
        data={"insurer": "中国人寿", "policy_no": "PL9", "start_on": "2026-03-01", "end_on": "2027-02-28"},
        follow_redirects=True,
    )
    assert "已录入意外伤害保险" in page_text(r) and "PL9" in page_text(r)
    r = client.post(f"/contracts/{c.id}/activate", follow_redirects=True)
    assert f"合同 {c.code} 已生效" in page_text(r)
    session.expire_all()
    assert session.get(Contract, c.id).status == "active"
    html = page_text(client.get(f"/contracts/{c.id}"))
    for summary in ("签订劳务协议", "录入意外伤害保险", "生效"):  # history from the audit trail
        assert summary in html
    assert audit.verify_chain(session).ok


def test_inspector_reads_but_sees_no_buttons_and_cannot_post(login_as, session, county, app_row):
    c = signed(session, county, app_row)
    client = login_as("inspector")
    r = client.get(f"/contracts/{c.id}")
    assert r.status_code == 200
    html = page_text(r)
    assert ">录入保险</button>" not in html and "确认生效" not in html and "作废此合同" not in html
    assert client.post(f"/contracts/{c.id}/activate").status_code == 403
    assert client.post(f"/contracts/{c.id}/void", data={"reason": "x"}).status_code == 403
    assert client.post(f"/contracts/{c.id}/insurance", data={}).status_code == 403
    assert login_as("otherTown").get(f"/contracts/{c.id}").status_code == 404


def test_void_draft(login_as, session, county, app_row):
    c = signed(session, county, app_row)
    r = login_as("town").post(
        f"/contracts/{c.id}/void", data={"reason": "起始日期填错"}, follow_redirects=True
    )
    assert "已作废" in page_text(r)
    session.expire_all()
    assert session.get(Contract, c.id).status == "void"


# ---- renewal ----


def test_renewal_refused_without_grade_then_accepted(login_as, session, county, app_row):
    c = signed(session, county, app_row, date(2026, 1, 1), date(2026, 12, 31))
    insure(session, c)
    svc.activate_contract(session, county.users["town"], c, TODAY)
    session.commit()
    client = login_as("town")
    r = client.get(f"/contracts/{c.id}/renew")
    assert (
        r.status_code == 200 and 'value="2027-01-01"' in page_text(r) and "尚无年度考核结果" in page_text(r)
    )
    data = {"kind": "劳务协议", "start_on": "2027-01-01", "end_on": "2027-12-31", "signed_on": "2026-11-25"}
    r = client.post(f"/contracts/{c.id}/renew", data=data)
    assert r.status_code == 422 and "尚无年度考核结果" in page_text(r)
    grade(session, c, "2026", "合格")
    session.commit()
    r = client.post(f"/contracts/{c.id}/renew", data=data)
    assert r.status_code == 302
    new = session.scalar(select(Contract).where(Contract.previous_contract_id == c.id))
    assert new.status == "draft" and new.start_on == date(2027, 1, 1)


# ---- list, export, PDF ----


def test_list_search_filters_and_export(login_as, session, county, app_row):
    c = signed(session, county, app_row)
    zhao = svc.sign_contract(
        session,
        county.users["otherTown"],
        hired(session, county, "zhao", village=2).id,
        "劳动合同",
        date(2026, 1, 1),
        date(2026, 12, 10),
        TODAY,
    )
    insure(session, zhao)
    svc.activate_contract(session, county.users["otherTown"], zhao, TODAY)
    session.commit()
    client = login_as("admin")
    html = page_text(client.get("/contracts/"))
    assert c.code in html and zhao.code in html
    assert county.persons["wang"].id_number not in html  # masked in lists
    html = page_text(client.get("/contracts/?q=王秀英"))
    assert c.code in html and zhao.code not in html
    html = page_text(client.get("/contracts/?expiring=1"))
    assert zhao.code in html and c.code not in html
    html = page_text(client.get("/contracts/?status=draft"))
    assert c.code in html and zhao.code not in html
    assert zhao.code not in page_text(login_as("town").get("/contracts/"))
    r = login_as("admin").get("/contracts/export?status=draft")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "合同编号", "姓名", "身份证号")
    assert len(rows) == 2 and rows[1][1] == c.code and rows[1][3] == county.persons["wang"].id_number
    ws = load_workbook(io.BytesIO(login_as("inspector").get("/contracts/export").data)).active
    assert all("*" in row[3] for row in list(ws.iter_rows(values_only=True))[1:])  # inspectors get masked IDs


def test_pdf_has_name_dates_and_allowance_in_chinese(login_as, session, county, app_row):
    c = signed(session, county, app_row)
    insure(session, c)
    session.commit()
    r = login_as("town").get(f"/contracts/{c.id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for expected in (
        "乡村公益性岗位劳务协议",
        "东坪镇人民政府",
        "王秀英",
        county.persons["wang"].id_number,
        "2026年3月1日",
        "2027年2月28日",
        "600.00元",
        "陆佰元整",
        "中国人寿",
        "一年一签",
        "有序退岗",
    ):
        assert expected in text, expected


def test_holder_sees_own_contract_only(login_as, session, county, app_row):
    c = signed(session, county, app_row)
    other = svc.sign_contract(
        session,
        county.users["otherTown"],
        hired(session, county, "zhao", village=2).id,
        "劳务协议",
        date(2026, 3, 1),
        date(2027, 2, 28),
        TODAY,
    )
    session.commit()
    client = login_as("holder")
    r = client.get(f"/contracts/{c.id}")
    assert r.status_code == 200 and "王秀英" in page_text(r)
    assert ">录入保险</button>" not in page_text(r) and "办理记录" not in page_text(r)
    assert client.get(f"/contracts/{c.id}/pdf").status_code == 200
    assert client.get(f"/contracts/{other.id}").status_code == 404
    assert client.get(f"/contracts/{other.id}/pdf").status_code == 404
    assert client.get("/contracts/").status_code == 403


def test_dashboard_cards(login_as, session, county, app_row):
    signed(session, county, app_row)
    html = page_text(login_as("town").get("/"))
    assert "待录入保险的合同" in html and "30天内到期未续签" in html
    assert "待录入保险的合同" not in page_text(login_as("inspector").get("/"))
