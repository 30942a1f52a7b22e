"""补充清册 on the screens: the approved run offers it, four eyes, bank file and PDFs; the approval
confirmation names who is left 未计发; the holder sees the month as paid and can object to an unpaid month."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from pwposts.models.pay import PaymentObjection, PayrollRun
from pwposts.services.accounts import create_user
from tests.builders import PASSWORD
from tests.payroll_support import township_setup


def _text(r):
    return r.get_data(as_text=True)


@pytest.fixture
def setup(session, county):
    data = township_setup(session, county)
    create_user(
        session,
        "测试",
        username="wife",
        password=PASSWORD,
        display_name="刘桂兰",
        role="holder",
        region=None,
        person=county.persons["chief_wife"],
    )
    session.commit()
    return data


def _runs(session):
    session.expire_all()
    return session.scalars(select(PayrollRun).order_by(PayrollRun.id)).all()


def test_supplementary_run_on_the_screens(login_as, county, setup, session):
    c = login_as("town")
    c.post("/pay/runs/prepare", data={"township": county.townships[0].id, "month": "2026-10"})
    regular = _runs(session)[0]
    c = login_as("town2")
    page = _text(c.get(f"/pay/runs/{regular.id}"))
    # the approval confirmation names who is left out and why
    assert "本乡镇该月仍有1人未计发：考勤待审核1人" in page
    c.post(f"/pay/runs/{regular.id}/approve")
    assert _runs(session)[0].status == "approved"
    page = _text(c.get(f"/pay/runs/{regular.id}"))
    assert "生成补充清册" not in page  # nobody to add yet: 刘桂兰's attendance is still a draft
    # the township approves her attendance after the run
    r = c.post(
        "/pay/attendance/approve",
        data={"region_id": county.townships[0].id, "month": "2026-10"},
        follow_redirects=True,
    )
    assert "已审核2026年10月考勤1条" in _text(r)
    page = _text(c.get(f"/pay/runs/{regular.id}"))
    assert "生成补充清册" in page and "1人的考勤在本清册审批后才审核" in page
    r = c.post(f"/pay/runs/{regular.id}/supplementary")
    assert r.status_code == 302
    regular, supp = _runs(session)
    assert r.headers["Location"].endswith(f"/pay/runs/{supp.id}")
    assert (supp.kind, supp.status, supp.total_fen, supp.prepared_by_id) == (
        "supplementary",
        "preview",
        36000,
        county.users["town2"].id,
    )
    page = _text(c.get(f"/pay/runs/{supp.id}"))
    assert "补贴发放补充清册" in page and "刘桂兰" in page and "360.00 元" in page
    assert "您是本清册的造册人" in page  # four eyes: the preparer gets no approve button
    r = c.post(f"/pay/runs/{supp.id}/approve", follow_redirects=True)
    assert "造册人不能审批自己的清册" in _text(r) and _runs(session)[1].status == "preview"
    # the regular run's page now points at the pending supplementary run instead of offering another
    page = _text(c.get(f"/pay/runs/{regular.id}"))
    assert f"查看待审批的第{supp.id}号补充清册" in page
    c = login_as("town")
    page = _text(c.get(f"/pay/runs/{supp.id}"))
    assert "本乡镇该月覆盖的人员均已计发，无人未计发" in page
    c.post(f"/pay/runs/{supp.id}/approve")
    assert _runs(session)[1].status == "approved"
    listing = _text(c.get("/pay/runs"))
    assert "补充清册" in listing
    xlsx = c.get(f"/pay/runs/{supp.id}/bank.xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert any("刘桂兰" in str(cell.value) for row in ws.iter_rows() for cell in row)
    csv_file = c.get(f"/pay/runs/{supp.id}/bank.csv")
    assert (
        csv_file.status_code == 200
        and csv_file.data.startswith(b"\xef\xbb\xbf")
        and "刘桂兰" in csv_file.data.decode()
    )
    for doc in ("summary", "notice"):
        pdf = c.get(f"/pay/runs/{supp.id}/{doc}.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "（补充）" in text and "刘桂兰" in text
    # the holder sees October as waiting for the bank, then paid
    h = login_as("wife")
    home = _text(h.get("/me/"))
    assert "每月发放情况" in home and "清册已审批，待银行发放" in home
    c = login_as("town")
    rows = list(load_workbook(io.BytesIO(c.get(f"/pay/runs/{supp.id}/bank.xlsx").data)).active.values)
    ref = next(v for row in rows for v in row if isinstance(v, str) and v.startswith("PW"))
    result = io.BytesIO("业务参考号,状态,日期\n{},成功,2026-11-24\n".format(ref).encode("utf-8-sig"))
    r = c.post(
        f"/pay/runs/{supp.id}/bank-results",
        data={"file": (result, "result.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "成功1笔" in _text(r)
    h = login_as("wife")
    home = _text(h.get("/me/"))
    assert "已到账（2026-11-24）" in home


def test_a_second_regular_run_for_an_approved_month_points_to_the_supplementary_run(
    login_as, county, setup, session
):
    c = login_as("town")
    c.post("/pay/runs/prepare", data={"township": county.townships[0].id, "month": "2026-10"})
    regular = _runs(session)[0]
    login_as("town2").post(f"/pay/runs/{regular.id}/approve")
    r = login_as("town").post(
        "/pay/runs/prepare",
        data={"township": county.townships[0].id, "month": "2026-10"},
        follow_redirects=True,
    )
    assert "请生成补充清册" in _text(r)
    r = c.post(f"/pay/runs/{regular.id}/supplementary", follow_redirects=True)
    assert "没有可补充计发的人员" in _text(r) and "考勤待审核1人" in _text(r)
    assert len(_runs(session)) == 1


def test_holder_objects_to_a_month_never_paid_and_staff_answer(login_as, county, setup, session):
    h = login_as("wife")
    home = _text(h.get("/me/"))
    assert "未发放" in home and "考勤待乡镇审核，审核后方可计发" in home
    contract = setup["wife"]
    page = _text(h.get(f"/me/months/{contract.id}/2026-10"))
    assert "2026年10月 发放情况" in page and "提交申诉" in page
    r = h.post(
        f"/me/months/{contract.id}/2026-10",
        data={"content": "十月出勤12天，一直没有收到补贴"},
        follow_redirects=True,
    )
    assert "申诉已提交" in _text(r) and "处理中" in _text(r)
    r = h.post(
        f"/me/months/{contract.id}/2026-10", data={"content": "再问一次十月补贴的事情"}, follow_redirects=True
    )
    assert "已有一件申诉正在处理" in _text(r)
    assert h.get(f"/me/months/{setup['wang'].id}/2026-10").status_code == 404  # not her contract
    assert h.get(f"/me/months/{contract.id}/2030-01").status_code == 404
    assert 400 <= h.get(f"/me/months/{contract.id}/9999-99").status_code < 500
    obj = session.scalar(select(PaymentObjection))
    c = login_as("town")
    page = _text(c.get("/objections/"))
    assert "十月出勤12天" in page and "未发放" in page
    r = c.post(
        f"/objections/{obj.id}/answer", data={"answer": "已核实考勤，列入补充清册发放"}, follow_redirects=True
    )
    assert "已答复" in _text(r)
    h = login_as("wife")
    assert "已核实考勤，列入补充清册发放" in _text(h.get(f"/me/months/{contract.id}/2026-10"))
    assert "已核实考勤，列入补充清册发放" in _text(h.get("/me/"))
