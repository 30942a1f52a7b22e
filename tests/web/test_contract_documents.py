"""A contract's PDF is stored once with its SHA-256 and served from storage until the contract changes;
a township's contracts print as one PDF."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader
from sqlalchemy import select

from pwposts.documents import pdf as pdf_module
from pwposts.models.documents import ContractDocument
from tests.contracts_support import hired, insure
from tests.web.test_contracts_web import pdf_text, signed


def test_signed_contract_pdf_is_stored_once_and_rendered_again_only_after_a_change(
    login_as, session, county, monkeypatch
):
    c = signed(session, county, hired(session, county))
    client = login_as("town")
    renders = []
    real = pdf_module.html_to_pdf
    monkeypatch.setattr(
        "pwposts.services.contract_documents.html_to_pdf", lambda html: renders.append(1) or real(html)
    )

    first = client.get(f"/contracts/{c.id}/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    stored = session.scalar(select(ContractDocument).where(ContractDocument.contract_id == c.id))
    assert stored.pdf_sha256 == hashlib.sha256(first.data).hexdigest() == first.headers["X-Content-SHA256"]
    assert stored.size == len(first.data)

    again = client.get(f"/contracts/{c.id}/pdf?download=1")
    assert again.data == first.data and len(renders) == 1  # served from storage

    insure(session, c)  # the contract now prints its insurance policy: rendered again
    session.commit()
    third = client.get(f"/contracts/{c.id}/pdf")
    assert len(renders) == 2 and "中国人寿" in pdf_text(third.data)
    session.expire_all()
    assert (
        session.scalar(select(ContractDocument.pdf_sha256).where(ContractDocument.contract_id == c.id))
        == hashlib.sha256(third.data).hexdigest()
    )


def test_api_contract_pdf_uses_the_stored_document(client, session, county):
    from tests.conftest import api_token

    c = signed(session, county, hired(session, county))
    headers = api_token(client, "town")
    a = client.get(f"/api/v1/contracts/{c.id}/pdf", headers=headers)
    b = client.get(f"/api/v1/contracts/{c.id}/pdf", headers=headers)
    assert a.status_code == b.status_code == 200 and a.data == b.data
    assert a.headers["X-Content-SHA256"] == hashlib.sha256(a.data).hexdigest()


def test_township_contracts_print_as_one_pdf(login_as, session, county):
    first = signed(session, county, hired(session, county))
    second = signed(session, county, hired(session, county, "zhao", village=1))
    client = login_as("town")
    town = county.townships[0].id
    page = client.get(f"/contracts/?township={town}")
    assert "批量打印 PDF" in page.get_data(as_text=True)
    r = client.get(f"/contracts/batch.pdf?township={town}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    single = client.get(f"/contracts/{first.id}/pdf")
    pages = len(PdfReader(io.BytesIO(r.data)).pages)
    assert pages == 2 * len(PdfReader(io.BytesIO(single.data)).pages)
    text = pdf_text(r.data)
    assert first.code in text and second.code in text

    # the township's clerk, who has no township to choose, prints their own township's contracts
    assert "批量打印 PDF" in client.get("/contracts/").get_data(as_text=True)
    own = client.get("/contracts/batch.pdf")
    assert own.mimetype == "application/pdf" and len(PdfReader(io.BytesIO(own.data)).pages) == pages
    # the county with no township chosen, or another township's clerk: a plain refusal, never another
    # township's contracts
    county_wide = login_as("admin")
    assert "批量打印 PDF" not in county_wide.get("/contracts/").get_data(as_text=True)
    assert "请在筛选中选择乡镇" in county_wide.get("/contracts/batch.pdf", follow_redirects=True).get_data(
        as_text=True
    )
    other = login_as("otherTown").get(f"/contracts/batch.pdf?township={town}", follow_redirects=True)
    assert other.mimetype != "application/pdf"


def test_one_font_configuration_for_the_process(app):
    assert pdf_module.font_config() is pdf_module.font_config()


def test_contract_pdf_downloads_are_audited_with_whether_numbers_were_whole(
    login_as, client, session, county
):
    from pwposts.models.audit import AuditEntry
    from tests.conftest import api_token

    c = signed(session, county, hired(session, county))
    login_as("town").get(f"/contracts/{c.id}/pdf")
    login_as("inspector").get(f"/contracts/{c.id}/pdf")
    client.get(f"/api/v1/contracts/{c.id}/pdf", headers=api_token(client, "town"))
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "export_data", AuditEntry.object_type == "contract_pdf")
    ).all()
    assert [('"full_numbers":true' in r.after_json, r.object_id) for r in rows] == [
        (True, str(c.id)),
        (False, str(c.id)),
        (True, str(c.id)),
    ]
