"""按需设岗 and policy pages: propose → submit (parity) → approve over HTTP, the parity report page and
.xlsx, the role × route matrix for changes, county settings and the holiday calendar."""

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from pwposts.models.audit import AuditEntry
from pwposts.models.policy import CountySetting, Holiday
from pwposts.models.posts import Post
from pwposts.services import audit
from pwposts.services import posts as service
from tests.post_builders import NEED, TODAY, add_policy, approved_post, post_input


@pytest.fixture
def policy(session, county):
    p = add_policy(session, county)
    session.commit()
    return p


def form_data(county, policy, **over):
    data = {
        "title": "村庄保洁员",
        "village_id": county.villages[0].id,
        "category_id": policy.cleaning.id,
        "fund_id": policy.fund.id,
        "headcount": "1",
        "duties": "负责主干道清扫",
        "work_place": "东坪一村",
        "hours": "每日7:00-9:00",
        "need_text": NEED,
        "eligible_pool": "3",
        "allowance": "",
        "required_days": "",
        "deviation_reason": "",
    }
    data.update(over)
    return data


def audit_count(session):
    return session.scalar(select(func.count(AuditEntry.id)))


def test_propose_submit_approve_over_http_with_parity(login_as, session, county, policy):
    c = login_as("town")
    r = c.post("/posts/new", data=form_data(county, policy, allowance="720"))
    assert r.status_code == 302
    post = session.scalars(select(Post)).one()
    assert post.allowance_fen == 72000 and post.status == "draft"
    page = c.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "+20.00%" in page and "超出容差" in page and "600.00 元" in page
    # no reason: refused, with both amounts and the tolerance
    page = c.post(f"/posts/{post.id}/submit", data={}, follow_redirects=True).get_data(as_text=True)
    assert "720.00元" in page and "600.00元" in page and "±10%" in page
    session.expire_all()
    assert session.get(Post, post.id).status == "draft"
    reason = "山区村落分散，保洁路段是平原村的两倍"
    c.post(f"/posts/{post.id}/submit", data={"deviation_reason": reason})
    session.expire_all()
    post = session.get(Post, post.id)
    assert (post.status, post.deviation_status, post.deviation_reason) == ("submitted", "pending", reason)

    # on the parity report, page and xlsx, with its reason
    page = c.get("/posts/parity").get_data(as_text=True)
    assert reason in page and post.code in page and "偏离待审批" in page
    r = c.get("/posts/parity.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    cells = [v for row in wb["偏离明细"].iter_rows(values_only=True) for v in row]
    assert reason in cells and post.code in cells and "偏离待审批" in cells
    summary = list(wb["分类别汇总"].iter_rows(values_only=True))
    assert any(row[0] == "保洁" and row[3] == 1 for row in summary)

    a = login_as("admin")
    page = a.post(f"/posts/{post.id}/approve", data={}, follow_redirects=True).get_data(as_text=True)
    assert "同时明确批准该偏离理由" in page
    a.post(f"/posts/{post.id}/approve", data={"approve_deviation": "y", "note": "同意"})
    session.expire_all()
    post = session.get(Post, post.id)
    assert (post.status, post.deviation_status) == ("approved", "approved")
    page = a.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "批准岗位" in page and "提交县级审批" in page  # the history from the audit trail
    assert audit.verify_chain(session).ok


def test_reject_and_revise_over_http(login_as, session, county, policy):
    c = login_as("town")
    c.post("/posts/new", data=form_data(county, policy))
    post = session.scalars(select(Post)).one()
    c.post(f"/posts/{post.id}/submit")
    a = login_as("admin")
    page = a.post(f"/posts/{post.id}/reject", data={"reason": ""}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "退回须写明理由" in page
    a.post(f"/posts/{post.id}/reject", data={"reason": "需求中未说明服务人口"})
    c = login_as("town")
    page = c.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "需求中未说明服务人口" in page and "转为草稿修改" in page
    r = c.post(f"/posts/{post.id}/revise")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/posts/{post.id}/edit")
    r = c.post(f"/posts/{post.id}/edit", data=form_data(county, policy, headcount="2"))
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Post, post.id).headcount == 2


def test_form_is_in_chinese_and_villages_are_limited_to_scope(login_as, county, policy):
    c = login_as("town")
    page = c.get("/posts/new").get_data(as_text=True)
    assert "东坪一村" in page and "西岭一村" not in page and "设岗需求" in page
    page = c.post("/posts/new", data=form_data(county, policy, headcount="abc")).get_data(as_text=True)
    assert "不是有效的整数" in page
    page = c.post("/posts/new", data=form_data(county, policy, village_id=county.villages[2].id)).get_data(
        as_text=True
    )
    assert "不是有效的选择" in page
    page = c.post("/posts/new", data=form_data(county, policy, need_text="要保洁")).get_data(as_text=True)
    assert "设岗需求须在10至4000个字之间" in page


def test_village_clerk_cannot_propose_or_approve(login_as, session, county, policy):
    post = service.propose_post(session, county.users["town"], post_input(county, policy), TODAY)
    service.submit_post(session, county.users["town"], post, TODAY)
    session.commit()
    v = login_as("village")
    assert v.get("/posts/").status_code == 200
    assert v.get(f"/posts/{post.id}").status_code == 200
    assert v.get("/posts/new").status_code == 403
    assert v.post("/posts/new", data=form_data(county, policy)).status_code == 403
    assert v.post(f"/posts/{post.id}/approve", data={"approve_deviation": "y"}).status_code == 403
    assert v.post(f"/posts/{post.id}/reject", data={"reason": "不同意"}).status_code == 403
    session.expire_all()
    assert session.get(Post, post.id).status == "submitted"


def test_inspector_gets_403_on_every_change(login_as, session, county, policy):
    draft = service.propose_post(session, county.users["town"], post_input(county, policy), TODAY)
    submitted = service.propose_post(session, county.users["town"], post_input(county, policy), TODAY)
    service.submit_post(session, county.users["town"], submitted, TODAY)
    session.commit()
    c = login_as("inspector")
    before = audit_count(session)
    for path, data in [
        ("/posts/new", form_data(county, policy)),
        (f"/posts/{draft.id}/edit", form_data(county, policy)),
        (f"/posts/{draft.id}/submit", {}),
        (f"/posts/{submitted.id}/approve", {"approve_deviation": "y"}),
        (f"/posts/{submitted.id}/reject", {"reason": "不同意设岗"}),
        (f"/posts/{draft.id}/revise", {}),
        (f"/posts/{draft.id}/close", {"reason": "不需要"}),
        ("/policy/settings/parity_tolerance_pct", {"value": "20", "effective_from": "2026-12-01"}),
        ("/policy/holidays", {"day": "2027-01-01", "name": "元旦"}),
        ("/policy/holidays/import", {"file": (io.BytesIO(b"x"), "h.xlsx")}),
    ]:
        assert c.post(path, data=data).status_code == 403, path
    assert c.get("/posts/new").status_code == 403
    assert c.get(f"/posts/{draft.id}/edit").status_code == 403
    assert audit_count(session) == before
    # but reads work, without change buttons
    page = c.get(f"/posts/{submitted.id}").get_data(as_text=True)
    assert "县级审批" in page and "批准岗位" not in page and "撤销岗位" not in page
    for path in (
        "/posts/",
        "/posts/vacant",
        "/posts/parity",
        "/posts/parity.xlsx",
        "/posts/export.xlsx",
        "/policy/",
        "/policy/standards",
        "/policy/holidays",
    ):
        assert c.get(path).status_code == 200, path
    assert 'action="/policy/settings/' not in c.get("/policy/").get_data(as_text=True)


def test_other_township_cannot_see_or_change(login_as, session, county, policy):
    post = service.propose_post(session, county.users["town"], post_input(county, policy), TODAY)
    session.commit()
    c = login_as("otherTown")
    assert c.get(f"/posts/{post.id}").status_code == 404
    assert c.post(f"/posts/{post.id}/submit").status_code == 404
    assert post.code not in c.get("/posts/").get_data(as_text=True)


def test_list_filters_export_vacant_and_dashboard(login_as, session, county, policy):
    approved_post(session, county, policy, title="保洁甲")
    approved_post(session, county, policy, title="护林乙", category=policy.forest)
    service.propose_post(session, county.users["town"], post_input(county, policy, title="草稿丙"), TODAY)
    sub = service.propose_post(
        session, county.users["town"], post_input(county, policy, title="待批丁"), TODAY
    )
    service.submit_post(session, county.users["town"], sub, TODAY)
    session.commit()
    c = login_as("admin")
    page = c.get("/posts/?q=护林").get_data(as_text=True)
    assert "护林乙" in page and "保洁甲" not in page
    page = c.get(f"/posts/?status=draft&category={policy.cleaning.id}").get_data(as_text=True)
    assert "草稿丙" in page and "保洁甲" not in page
    wb = load_workbook(io.BytesIO(c.get("/posts/export.xlsx?status=approved").data))
    titles = [row[1] for row in wb.active.iter_rows(min_row=3, values_only=True)]
    assert sorted(titles) == ["保洁甲", "护林乙"]
    page = c.get("/posts/vacant").get_data(as_text=True)
    assert "保洁甲" in page and "护林乙" in page and "草稿丙" not in page
    page = c.get("/").get_data(as_text=True)
    assert "待审批岗位" in page and "有岗无人" in page
    t = login_as("town")
    page = t.get("/").get_data(as_text=True)
    assert "待提交的岗位草稿" in page and "有岗无人" in page


def test_settings_page_and_change_from_effective_date(login_as, session, county):
    c = login_as("town")
    page = c.get("/policy/").get_data(as_text=True)
    assert "同类岗位补贴偏离容差" in page and "公示期" in page and 'action="/policy/settings/' not in page
    assert (
        c.post(
            "/policy/settings/parity_tolerance_pct", data={"value": "20", "effective_from": "2026-12-01"}
        ).status_code
        == 403
    )
    a = login_as("admin")
    page = a.post(
        "/policy/settings/parity_tolerance_pct",
        data={"value": "20", "effective_from": "2026-11-01"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "不得追溯" in page
    page = a.post(
        "/policy/settings/parity_tolerance_pct",
        data={"value": "500", "effective_from": "2026-12-01"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "须在0至100之间" in page
    a.post(
        "/policy/settings/parity_tolerance_pct",
        data={"value": "20", "effective_from": "2026-12-01", "note": "县人社局通知"},
    )
    row = session.scalars(select(CountySetting)).one()
    assert (row.value, row.effective_from, row.note) == ("20", date(2026, 12, 1), "县人社局通知")
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "change_setting")).one()
    page = a.get("/policy/").get_data(as_text=True)
    assert "待生效" in page and "县人社局通知" in page


def test_standards_page_lists_policy(login_as, county, policy):
    page = login_as("village").get("/policy/standards").get_data(as_text=True)
    assert "保洁" in page and "600.00 元" in page and "光伏收益" in page and "脱贫人口" in page


def _holiday_xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["日期", "名称", "是否调休上班"])
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_holiday_add_and_import(login_as, session, county):
    a = login_as("admin")
    r = a.post("/policy/holidays", data={"day": "2027-01-01", "name": "元旦"})
    assert r.status_code == 302
    bad = _holiday_xlsx(
        [
            (date(2027, 2, 7), "春节调休上班", "是"),
            ("2027-02-30", "春节", "否"),
            (date(2027, 2, 9), "春节", "也许"),
        ]
    )
    page = a.post(
        "/policy/holidays/import",
        data={"file": (bad, "h.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "未执行" in page and "第3行" in page and "第4行" in page
    assert session.scalar(select(func.count(Holiday.id))) == 1
    good = _holiday_xlsx([(date(2027, 2, 7), "春节调休上班", "是"), ("2027-02-08", "春节", "")])
    page = a.post(
        "/policy/holidays/import",
        data={"file": (good, "h.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "新增2天" in page
    page = a.get("/policy/holidays?year=2027").get_data(as_text=True)
    assert "春节调休上班" in page and "元旦" in page
    assert a.get("/policy/holidays/template.xlsx").status_code == 200
    assert audit.verify_chain(session).ok
