"""发放 screens: prepare, preview, four-eyes approval, bank files, results, retries, corrections,
printed documents (汇总表 total = bank file total = sum of payments), arrears, dashboard cards."""

import csv
import hashlib
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from pwposts.domain.people import mask_id_number
from pwposts.models.pay import Payment, PayrollRun
from tests.payroll_support import township_setup


def _text(r):
    return r.get_data(as_text=True)


def _prepare(c, county):
    return c.post("/pay/runs/prepare", data={"township": county.townships[0].id, "month": "2026-10"})


@pytest.fixture
def setup(session, county):
    return township_setup(session, county)


def _run(session):
    session.expire_all()
    return session.scalars(select(PayrollRun)).one()


def test_prepare_shows_the_preview_with_computation_and_unpaid_holders(login_as, county, setup, session):
    c = login_as("town")
    page = _text(c.get("/pay/runs"))
    assert "生成发放清册" in page
    r = _prepare(c, county)
    assert r.status_code == 302
    run = _run(session)
    assert r.headers["Location"].endswith(f"/pay/runs/{run.id}")
    page = _text(c.get(r.headers["Location"]))
    assert "600 ÷ 20 × 15 = 450.00 + 绩效（合格）40.00 = 490.00" in page
    assert "取较小者 300.00" in page
    assert "刘桂兰" in page and "考勤待审核" in page
    assert "790.00 元" in page and "资金额度核对" in page
    # the preparer is told to find a second person, and gets no approve button
    assert "您是本清册的造册人" in page and "审批通过" not in page
    listing = _text(c.get("/pay/runs?status=preview"))
    assert f"第{run.id}号" in listing and "待审批" in listing


def test_preparer_cannot_approve_own_run(login_as, county, setup, session):
    c = login_as("town")
    _prepare(c, county)
    run = _run(session)
    r = c.post(f"/pay/runs/{run.id}/approve", follow_redirects=True)
    assert "造册人不能审批自己的清册" in _text(r)
    assert _run(session).status == "preview"


def test_village_clerk_cannot_approve(login_as, county, setup, session):
    _prepare(login_as("town"), county)
    run = _run(session)
    c = login_as("village")
    r = c.post(f"/pay/runs/{run.id}/approve")
    assert r.status_code in (403, 404)
    assert _run(session).status == "preview"
    assert c.get(f"/pay/runs/{run.id}").status_code in (403, 404)


def test_inspector_sees_but_cannot_change(login_as, county, setup, session):
    _prepare(login_as("town"), county)
    run = _run(session)
    c = login_as("inspector")
    page = _text(c.get(f"/pay/runs/{run.id}"))
    assert "审批通过" not in page and "作废" not in page
    assert c.post(f"/pay/runs/{run.id}/approve").status_code == 403
    assert c.post(f"/pay/runs/{run.id}/void", data={"reason": "检查"}).status_code == 403
    assert (
        c.post("/pay/runs/prepare", data={"township": county.townships[0].id, "month": "2026-10"}).status_code
        == 403
    )
    assert _run(session).status == "preview"


def test_holder_cannot_open_payroll(login_as, county):
    assert login_as("holder").get("/pay/runs").status_code == 403


def test_second_person_approves_with_confirmation(login_as, county, setup, session):
    _prepare(login_as("town"), county)
    run = _run(session)
    c = login_as("town2")
    page = _text(c.get(f"/pay/runs/{run.id}"))
    assert "审批通过" in page and "data-confirm" in page
    r = c.post(f"/pay/runs/{run.id}/approve", follow_redirects=True)
    assert "清册已审批" in _text(r)
    assert _run(session).status == "approved"


def _approved(login_as, county, session):
    _prepare(login_as("town"), county)
    run = _run(session)
    login_as("town2").post(f"/pay/runs/{run.id}/approve")
    assert _run(session).status == "approved"
    return _run(session)


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "".join(p.extract_text() for p in reader.pages)


def test_summary_total_equals_bank_file_total_equals_sum_of_payments(login_as, county, setup, session):
    run = _approved(login_as, county, session)
    c = login_as("town")
    payments_sum = session.scalar(select(func.sum(Payment.amount_fen)).where(Payment.run_id == run.id))
    assert payments_sum == run.total_fen == 79000

    r = c.get(f"/pay/runs/{run.id}/bank.csv")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    csv_total = sum(round(float(row["金额（元）"]) * 100) for row in rows)
    assert {row["户名"] for row in rows} == {"王秀英", "李建国"}

    r = c.get(f"/pay/runs/{run.id}/bank.xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    xlsx_total = sum(round(float(row[3]) * 100) for row in ws.iter_rows(min_row=2, values_only=True))

    r = c.get(f"/pay/runs/{run.id}/summary.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = _pdf_text(r.data)
    compact = text.replace(" ", "")
    assert "出勤天数和拟拨付岗位补贴金额汇总表" in compact
    for label in (
        "填报单位",
        "填报时间",
        "开发主管部门",
        "序号",
        "身份证号码",
        "规定出勤天数",
        "本月累计出勤天数",
        "补贴金额",
        "协议起止时间",
        "合计",
        "填报人",
        "联系电话",
        "审核人签字",
    ):
        assert label in compact, label
    assert county.persons["wang"].id_number in compact  # the signed summary carries full numbers for HR
    assert "合计（2人）790.00" in compact
    assert csv_total == xlsx_total == payments_sum == 79000


def test_summary_masks_id_numbers_for_an_inspector(login_as, county, setup, session):
    run = _approved(login_as, county, session)
    text = _pdf_text(login_as("inspector").get(f"/pay/runs/{run.id}/summary.pdf").data).replace(" ", "")
    assert county.persons["wang"].id_number not in text
    assert mask_id_number(county.persons["wang"].id_number) in text


def test_public_notice_masks_ids_and_says_where_to_object(login_as, county, setup, session):
    run = _approved(login_as, county, session)
    r = login_as("town").get(f"/pay/runs/{run.id}/notice.pdf")
    text = _pdf_text(r.data).replace(" ", "")
    assert "补贴发放公示表" in text
    assert county.persons["wang"].id_number not in text
    assert mask_id_number(county.persons["wang"].id_number) in text
    assert "保洁员" in text and "异议" in text and "490.00" in text


def test_bank_file_refused_for_a_preview(login_as, county, setup, session):
    c = login_as("town")
    _prepare(c, county)
    run = _run(session)
    r = c.get(f"/pay/runs/{run.id}/bank.csv")
    assert r.status_code == 422 and "尚未审批" in _text(r)


def test_bank_results_upload_then_retry_failed(login_as, county, setup, session):
    run = _approved(login_as, county, session)
    c = login_as("town")
    rows = list(csv.DictReader(io.StringIO(c.get(f"/pay/runs/{run.id}/bank.csv").data.decode("utf-8-sig"))))
    refs = {row["户名"]: row["业务参考号"] for row in rows}
    body = (
        "业务参考号,状态,失败原因,日期\r\n"
        f"{refs['王秀英']},成功,,2026-11-20\r\n{refs['李建国']},失败,户名不符,2026-11-20\r\n"
    ).encode()
    r = c.post(
        f"/pay/runs/{run.id}/bank-results",
        data={"file": (io.BytesIO(body), "结果.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "成功1笔，失败1笔" in _text(r)
    assert "户名不符" in _text(r) and "失败的1笔重新发放" in _text(r)
    r = c.post(f"/pay/runs/{run.id}/retry", follow_redirects=True)
    assert "转入新批次" in _text(r)
    session.expire_all()
    li = session.scalar(select(Payment).where(Payment.person_id == county.persons["li"].id))
    assert (li.status, li.bank_batch, li.amount_fen) == ("pending", 2, 30000)


def test_bad_bank_result_file_is_refused_whole(login_as, county, setup, session):
    run = _approved(login_as, county, session)
    c = login_as("town")
    body = "业务参考号,状态\r\nPW99999-1,成功\r\n".encode()
    r = c.post(
        f"/pay/runs/{run.id}/bank-results",
        data={"file": (io.BytesIO(body), "r.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "整份文件未导入" in _text(r) and "第2行" in _text(r)


def test_correction_form_adds_a_new_line(login_as, county, setup, session):
    _approved(login_as, county, session)
    c = login_as("town")
    wang = session.scalar(select(Payment).where(Payment.person_id == county.persons["wang"].id))
    page = _text(c.get(f"/pay/payments/{wang.id}/correct"))
    assert "不会改动" in page and "data-confirm" in page
    r = c.post(
        f"/pay/payments/{wang.id}/correct",
        data={"kind": "补发", "amount": "50", "reason": "漏记出勤补发"},
        follow_redirects=True,
    )
    assert "已登记补发" in _text(r)
    session.expire_all()
    lines = session.scalars(
        select(Payment).where(Payment.person_id == county.persons["wang"].id).order_by(Payment.id)
    ).all()
    assert [(p.kind, p.amount_fen) for p in lines] == [("regular", 49000), ("补发", 5000)]
    r = c.post(
        f"/pay/payments/{wang.id}/correct",
        data={"kind": "扣回", "amount": "9999", "reason": "测试扣回过多"},
        follow_redirects=True,
    )
    assert "超过该笔已发放净额" in _text(r)
    assert login_as("village").get(f"/pay/payments/{wang.id}/correct").status_code in (403, 404)


def test_void_from_the_page(login_as, county, setup, session):
    c = login_as("town")
    _prepare(c, county)
    run = _run(session)
    r = c.post(f"/pay/runs/{run.id}/void", data={"reason": "考勤录错"}, follow_redirects=True)
    assert "已作废" in _text(r)
    assert _run(session).status == "void"


def test_arrears_page_for_hr_and_inspectors_only(login_as, county, setup, session):
    run = _approved(login_as, county, session)
    run.approved_on = date(2026, 10, 1)
    session.commit()
    page = _text(login_as("inspector").get("/pay/arrears"))
    assert "东坪镇" in page and "仍有2人未发放成功" in page and "月末已过56天仍未审批发放" in page
    assert login_as("admin").get("/pay/arrears").status_code == 200
    assert login_as("village").get("/pay/arrears").status_code == 403
    assert login_as("holder").get("/pay/arrears").status_code == 403


def test_dashboard_cards(login_as, county, setup, session):
    _prepare(login_as("town"), county)
    page = _text(login_as("town2").get("/"))
    assert "待审批发放清册" in page and "其中1份可由您审批" in page
    assert "发放拖欠" in _text(login_as("inspector").get("/"))


def test_run_sheets_are_stored_per_variant_and_rendered_again_only_after_a_change(
    login_as, session, county, setup, monkeypatch
):
    """汇总表 (full ID numbers for HR, masked for the inspector) and 公示表: each rendered once and served
    from storage while its HTML is unchanged; a changed printed value renders it again."""
    from pwposts.documents import pdf as pdf_module
    from pwposts.models.accounts import User
    from pwposts.models.documents import RunDocument

    run = _approved(login_as, county, session)
    renders = []
    real = pdf_module.html_to_pdf
    monkeypatch.setattr(
        "pwposts.services.contract_documents.html_to_pdf", lambda html: renders.append(1) or real(html)
    )
    full = login_as("town").get(f"/pay/runs/{run.id}/summary.pdf")
    notice = login_as("town").get(f"/pay/runs/{run.id}/notice.pdf")
    masked = login_as("inspector").get(f"/pay/runs/{run.id}/summary.pdf")
    assert full.status_code == masked.status_code == notice.status_code == 200 and len(renders) == 3
    assert county.persons["wang"].id_number in _pdf_text(full.data).replace(" ", "")
    assert county.persons["wang"].id_number not in _pdf_text(masked.data).replace(" ", "")
    stored = {d.variant: d for d in session.scalars(select(RunDocument).where(RunDocument.run_id == run.id))}
    assert set(stored) == {"summary_full", "summary_masked", "notice"}
    assert stored["summary_full"].pdf_sha256 == hashlib.sha256(full.data).hexdigest()

    assert login_as("inspector").get(f"/pay/runs/{run.id}/summary.pdf").data == masked.data
    town = login_as("town")
    assert town.get(f"/pay/runs/{run.id}/summary.pdf").data == full.data  # served from storage
    assert town.get(f"/pay/runs/{run.id}/notice.pdf").data == notice.data
    assert len(renders) == 3

    preparer = session.get(User, run.prepared_by_id)
    preparer.phone = "13900001111"  # printed as 联系电话 on the 汇总表 and 公示表
    session.commit()
    again = town.get(f"/pay/runs/{run.id}/summary.pdf")
    assert len(renders) == 4 and "13900001111" in _pdf_text(again.data)
    assert "13900001111" in _pdf_text(town.get(f"/pay/runs/{run.id}/notice.pdf").data)  # 异议受理 phone
    assert len(renders) == 5
    assert "13900001111" in _pdf_text(login_as("inspector").get(f"/pay/runs/{run.id}/summary.pdf").data)
    assert len(renders) == 6  # the inspector's copy names the phone too
