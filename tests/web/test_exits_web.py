"""有序退岗 pages: record and confirm an exit, the notice PDF, the worklist, year end, colours, 311."""

from datetime import date
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from pwposts.models.exits import ContractExit
from pwposts.services.sweep import run_sweep
from tests.exits_support import annual, holders


def test_township_records_an_exit_and_the_notice_pdf_names_holder_post_reason_and_date(
    session, county, login_as
):
    h = holders(session, county)
    client = login_as("town")
    r = client.get(f"/contracts/{h['li'].id}")
    assert "办理退岗" in r.get_data(as_text=True)
    r = client.get(f"/exits/new?contract_id={h['li'].id}")
    assert r.status_code == 200
    r = client.post(
        f"/exits/new?contract_id={h['li'].id}",
        data={
            "reason": "employed",
            "event_on": "2026-11-20",
            "effective_on": "2026-11-21",
            "placement": "就业",
            "placement_note": "县城物流公司",
            "wants_work": "y",
            "note": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    ex = session.scalars(select(ContractExit)).one()
    assert ex.status == "confirmed" and not ex.late
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已就业" in page and "2026-11-21" in page
    assert "已退岗" in client.get(f"/contracts/{h['li'].id}").get_data(as_text=True)
    pdf = client.get(f"/exits/{ex.id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = (
        "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.data)).pages)
        .replace(" ", "")
        .replace("\n", "")
    )
    assert "退岗通知书" in text and "李建国" in text and "保洁员" in text and "已就业" in text
    assert "2026年11月21日" in text


def test_bad_dates_are_refused_in_chinese_with_422(session, county, login_as):
    h = holders(session, county)
    client = login_as("town")
    r = client.post(
        f"/exits/new?contract_id={h['li'].id}",
        data={
            "reason": "own_request",
            "event_on": "2026-11-20",
            "effective_on": "2027-03-01",
            "placement": "none",
        },
    )
    assert r.status_code == 422 and "最晚为期满次日" in r.get_data(as_text=True)


def test_village_proposes_and_township_confirms_late(session, county, login_as):
    h = holders(session, county)
    client = login_as("village")
    r = client.post(
        f"/exits/new?contract_id={h['wang'].id}",
        data={
            "reason": "unable",
            "event_on": "2026-11-01",
            "effective_on": "2026-11-02",
            "placement": "none",
        },
    )
    assert r.status_code == 302
    ex = session.scalars(select(ContractExit)).one()
    assert ex.status == "proposed"
    assert (
        client.post(
            f"/exits/{ex.id}/confirm", data={"effective_on": "2026-11-02", "placement": "none"}
        ).status_code
        == 403
    )
    client = login_as("town")
    assert "确认或驳回" in client.get("/exits/worklist").get_data(as_text=True)
    r = client.post(f"/exits/{ex.id}/confirm", data={"effective_on": "2026-11-02", "placement": "none"})
    assert r.status_code == 302
    session.expire_all()
    ex = session.get(ContractExit, ex.id)
    assert ex.status == "confirmed" and ex.late
    inspector = login_as("inspector")
    page = inspector.get("/exits/?late=1").get_data(as_text=True)
    assert "王秀英" in page and "迟报" in page


def test_failed_grade_cannot_be_renewed_on_the_web_and_says_why(session, county, login_as):
    h = holders(session, county)
    annual(session, h["wang"], "2026", "不合格")
    session.commit()
    client = login_as("town")
    r = client.post(
        f"/contracts/{h['wang'].id}/renew",
        data={
            "kind": "劳务协议",
            "start_on": "2027-01-01",
            "end_on": "2027-12-31",
            "signed_on": "2026-11-25",
        },
    )
    assert (
        r.status_code == 422
        and "不合格" in r.get_data(as_text=True)
        and "不予续签" in r.get_data(as_text=True)
    )


def test_year_end_bulk_renews_the_clear_ones_and_exits_the_failed(session, county, login_as):
    h = holders(session, county)
    for c in (h["wang"], h["li"]):
        c.end_on = date(2026, 12, 31)
    annual(session, h["wang"], "2026", "不合格")
    annual(session, h["li"], "2026", "合格")
    session.commit()
    client = login_as("town")
    page = client.get("/exits/year-end").get_data(as_text=True)
    assert "期满退岗" in page and "续签" in page
    r = client.post("/exits/year-end", data={f"do_{h['wang'].id}": "exit", f"do_{h['li'].id}": "renew"})
    assert r.status_code == 302
    session.expire_all()
    exits = session.scalars(select(ContractExit)).all()
    assert [(e.contract_id, e.reason, e.effective_on) for e in exits] == [
        (h["wang"].id, "assessment_failed", date(2027, 1, 1))
    ]
    from pwposts.models.contracts import Contract

    renewal = session.scalars(select(Contract).where(Contract.previous_contract_id == h["li"].id)).one()
    assert (renewal.start_on, renewal.end_on, renewal.status) == (
        date(2027, 1, 1),
        date(2027, 12, 31),
        "draft",
    )


def test_colours_and_311_pages(session, county, login_as):
    h = holders(session, county)
    from pwposts.services import exits as svc

    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 9, 3),
    )
    run_sweep(session, date(2026, 11, 25))
    session.commit()
    client = login_as("town")
    page = client.get("/exits/colours?colour=red").get_data(as_text=True)
    assert "李建国" in page and "红色" in page
    assert "李建国" in client.get("/exits/worklist").get_data(as_text=True)
    li = county.persons["li"]
    r = client.post(
        f"/exits/followup/{li.id}",
        data={
            "kind": "job_info",
            "given_on": "2026-11-24",
            "given_by": "东坪镇人社所",
            "note": "推荐县城物流公司岗位",
        },
    )
    assert r.status_code == 302
    page = client.get(f"/exits/followup/{li.id}").get_data(as_text=True)
    assert "推荐县城物流公司岗位" in page
    assert "红色预警人员" in client.get("/").get_data(as_text=True)


def test_county_year_end_goes_one_township_at_a_time(session, county, login_as):
    h = holders(session, county)
    client = login_as("admin")
    assert "请先选择乡镇" in client.get("/exits/year-end").get_data(as_text=True)
    page = client.get(f"/exits/year-end?township={county.townships[0].id}").get_data(as_text=True)
    assert h["wang"].code in page


def test_inspector_exports_late_exits(session, county, login_as):
    from openpyxl import load_workbook

    h = holders(session, county)
    from pwposts.services import exits as svc

    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 11, 1),
        date(2026, 11, 2),
        date(2026, 11, 25),
    )
    session.commit()
    client = login_as("inspector")
    r = client.get("/exits/export?late=1")
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert (
        rows[1][0] == "序号" and rows[2][1] == "李建国" and rows[2][12] == "是" and "********" in rows[2][2]
    )


def test_holder_downloads_own_exit_notice_only(session, county, login_as):
    h = holders(session, county)
    from pwposts.services import exits as svc

    svc.record_exit(
        session,
        county.users["town"],
        h["wang"].id,
        "own_request",
        date(2026, 11, 20),
        date(2026, 11, 21),
        date(2026, 11, 22),
    )
    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 11, 20),
        date(2026, 11, 21),
        date(2026, 11, 22),
    )
    session.commit()
    client = login_as("holder")
    assert "退岗通知书" in client.get("/me/").get_data(as_text=True)
    assert client.get(f"/exits/mine/{h['wang'].id}/notice.pdf").mimetype == "application/pdf"
    assert client.get(f"/exits/mine/{h['li'].id}/notice.pdf").status_code == 404
    assert client.get("/exits/worklist").status_code == 403


def test_behind_schedule_list_and_api(session, county, login_as, client):
    h = holders(session, county)
    from pwposts.services import exits as svc

    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "unable",
        date(2026, 7, 31),
        date(2026, 8, 1),
        date(2026, 8, 1),
    )
    svc.record_exit(
        session,
        county.users["town"],
        h["wang"].id,
        "death",
        date(2026, 7, 31),
        date(2026, 8, 1),
        date(2026, 8, 1),
    )
    session.commit()
    c = login_as("town")
    page = c.get("/exits/behind").get_data(as_text=True)
    assert "李建国" in page and "王秀英" not in page and "就业岗位信息0/1" in page
    from tests.conftest import api_token

    c.post("/logout")
    rows = client.get("/api/v1/followup/behind", headers=api_token(client, "inspector")).get_json()
    assert [r["name"] for r in rows] == ["李建国"] and rows[0]["schedule"]["due"]["job_info"] == 1


def test_legacy_terminated_contract_gets_its_exit_record(session, county, login_as):
    h = holders(session, county)
    c = h["li"]
    c.status, c.exit_on, c.end_reason = "terminated", date(2026, 6, 30), "本人申请退岗：外出务工"
    session.commit()
    client = login_as("town")
    assert "补登退岗记录" in client.get(f"/contracts/{c.id}").get_data(as_text=True)
    form = client.get(f"/exits/new?contract_id={c.id}").get_data(as_text=True)
    assert 'value="2026-07-01"' in form
    r = client.post(
        f"/exits/new?contract_id={c.id}",
        data={
            "reason": "own_request",
            "event_on": "2026-06-30",
            "effective_on": "2026-07-01",
            "placement": "就业",
            "placement_note": "外出务工",
        },
    )
    assert r.status_code == 302
    session.expire_all()
    assert (c.status, c.exit_on, c.end_reason) == ("terminated", date(2026, 6, 30), "本人申请退岗：外出务工")
    bad = client.post(
        f"/exits/new?contract_id={h['wang'].id}",
        data={
            "reason": "own_request",
            "event_on": "2026-06-30",
            "effective_on": "2026-07-01",
            "placement": "none",
        },
    )
    assert bad.status_code == 302  # an active contract: an ordinary exit


def test_a_townships_exit_notices_print_as_one_pdf_audited_and_scoped(session, county, login_as):
    """批量打印退岗通知书: the confirmed exits the list's filters show, one notice each, one PDF; no township
    chosen → a plain refusal; another township's clerk never gets them; the download is in the trail."""
    from pwposts.models.audit import AuditEntry
    from pwposts.services import exits as svc
    from tests.web.test_contracts_web import pdf_text

    h = holders(session, county)
    for key in ("wang", "li"):
        svc.record_exit(
            session,
            county.users["town"],
            h[key].id,
            "own_request",
            date(2026, 11, 20),
            date(2026, 11, 21),
            date(2026, 11, 22),
        )
    session.commit()
    exits = session.scalars(select(ContractExit).order_by(ContractExit.id)).all()
    town = county.townships[0].id
    client = login_as("town")
    assert "批量打印退岗通知书" in client.get(f"/exits/?township={town}").get_data(as_text=True)
    assert "批量打印退岗通知书" in client.get("/exits/").get_data(as_text=True)  # their own township
    single = client.get(f"/exits/{exits[0].id}/notice.pdf")
    r = client.get(f"/exits/notices.pdf?township={town}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pages = len(PdfReader(BytesIO(r.data)).pages)
    assert pages == 2 * len(PdfReader(BytesIO(single.data)).pages)
    text = pdf_text(r.data)
    assert "王秀英" in text and "李建国" in text and all(f"TG-{e.id:06d}" in text for e in exits)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (
        entry.action == "export_data" and entry.object_type == "exit_notices_pdf" and "2 行" in entry.summary
    )

    own = client.get("/exits/notices.pdf")
    assert own.mimetype == "application/pdf" and len(PdfReader(BytesIO(own.data)).pages) == pages
    county_wide = login_as("admin")
    assert "批量打印退岗通知书" not in county_wide.get("/exits/").get_data(as_text=True)
    refused = county_wide.get("/exits/notices.pdf", follow_redirects=True)
    assert refused.mimetype != "application/pdf" and "请在筛选中选择乡镇" in refused.get_data(as_text=True)
    nothing = county_wide.get(f"/exits/notices.pdf?township={town}&q=不存在的人", follow_redirects=True)
    assert nothing.mimetype != "application/pdf" and "没有符合筛选条件" in nothing.get_data(as_text=True)
    other = login_as("otherTown").get(f"/exits/notices.pdf?township={town}", follow_redirects=True)
    assert other.mimetype != "application/pdf"


def test_the_exits_export_is_in_the_trail(session, county, login_as):
    from pwposts.models.audit import AuditEntry

    holders(session, county)
    r = login_as("town").get("/exits/export")
    assert r.status_code == 200
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "export_data" and entry.object_type == "exits"
