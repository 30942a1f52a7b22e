"""Full ID numbers only where needed (issue 10 item 1); the policy is in docs/security.md."""

from __future__ import annotations

import io
import re
from datetime import date

from pypdf import PdfReader

from pwposts.domain.people import mask_id_number
from pwposts.services import contracts as svc
from tests.attendance_support import build_holders
from tests.contracts_support import hired, insure


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def test_inspector_sees_neither_the_birth_date_nor_the_number(login_as, county):
    wang = county.persons["wang"]
    c = login_as("inspector")
    for url in ("/people/", f"/people/{wang.id}"):
        page = c.get(url).get_data(as_text=True)
        assert mask_id_number(wang.id_number) in page
        assert wang.id_number not in page
        assert "1970-05-06" not in page, url  # the birth date is the eight masked digits
    # a clerk who may see the whole number still sees the birth date on the person's page
    page = login_as("town").get(f"/people/{wang.id}").get_data(as_text=True)
    assert wang.id_number in page and "1970-05-06" in page


def test_inspector_api_person_has_no_birth_date(client, county):
    from tests.conftest import api_token

    wang = county.persons["wang"]
    r = client.get(f"/api/v1/persons/{wang.id}", headers=api_token(client, "inspector"))
    body = r.get_json()
    assert body["id_number"] == mask_id_number(wang.id_number) and body["birth_date"] is None
    r = client.get(f"/api/v1/persons/{wang.id}", headers=api_token(client, "town"))
    assert r.get_json()["birth_date"] == "1970-05-06"


def test_attendance_sheet_and_pay_pages_mask_the_number(login_as, session, county):
    build_holders(session, county)
    session.commit()
    wang = county.persons["wang"]
    c = login_as("village")
    page = c.get(f"/pay/attendance/{county.villages[0].id}/2026-10").get_data(as_text=True)
    assert "王秀英" in page and wang.id_number not in page and mask_id_number(wang.id_number) in page


def test_application_and_contract_pages_mask_the_number_and_the_pdf_depends_on_the_reader(
    login_as, session, county
):
    app_row = hired(session, county)
    session.commit()
    wang = county.persons["wang"]
    town = login_as("town")
    page = town.get(f"/hiring/applications/{app_row.id}").get_data(as_text=True)
    assert "王秀英" in page and wang.id_number not in page
    contract = svc.sign_contract(
        session,
        county.users["town"],
        app_row.id,
        "劳务协议",
        date(2026, 3, 1),
        date(2027, 2, 28),
        date(2026, 11, 25),
    )
    insure(session, contract)
    session.commit()
    page = town.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "王秀英" in page and wang.id_number not in page
    # the signing copy carries the whole number; the inspector's copy does not
    assert wang.id_number in _pdf_text(town.get(f"/contracts/{contract.id}/pdf").data)
    text = _pdf_text(login_as("inspector").get(f"/contracts/{contract.id}/pdf").data)
    assert "王秀英" in text and wang.id_number not in text and mask_id_number(wang.id_number) in text
    # the inspector's masked copy is never stored over the signing copy: the clerk still gets the whole number
    assert wang.id_number in _pdf_text(login_as("town").get(f"/contracts/{contract.id}/pdf").data)


def test_id_search_is_not_a_wildcard_oracle(login_as, county):
    wang = county.persons["wang"]
    pattern = wang.id_number[:6] + "_" * 8 + wang.id_number[-4:]
    c = login_as("town")
    assert "王秀英" not in c.get("/people/", query_string={"q": pattern}).get_data(as_text=True)
    assert "王秀英" not in c.get("/people/", query_string={"q": "5227%"}).get_data(as_text=True)
    assert "王秀英" in c.get("/people/", query_string={"q": wang.id_number}).get_data(as_text=True)
    # the inspector is shown only the last four: searching by hidden digits finds nothing
    c = login_as("inspector")
    assert "王秀英" not in c.get("/people/", query_string={"q": wang.id_number}).get_data(as_text=True)
    assert "王秀英" not in c.get("/people/", query_string={"q": wang.id_number[6:14]}).get_data(as_text=True)
    assert "王秀英" in c.get("/people/", query_string={"q": wang.id_number[-4:]}).get_data(as_text=True)


def test_exports_of_personal_data_are_audited(login_as, session, county):
    from pwposts.models.audit import AuditEntry

    c = login_as("town")
    assert c.get("/people/roster/export?village=%d" % county.villages[0].id).status_code == 200
    assert c.get("/contracts/export").status_code == 200
    entries = session.query(AuditEntry).filter_by(action="export_data").order_by(AuditEntry.id).all()
    assert [e.object_type for e in entries] == ["roster", "contracts"]
    assert entries[0].actor_label and "导出花名册" in entries[0].summary
