"""The holder's portal: own records only, the calculation spelled out, 申诉 answered, public notice masked."""

from datetime import date

import pytest

from pwposts.models.contracts import Contract
from pwposts.models.pay import AttendanceRecord, Payment, PayrollRun
from pwposts.models.policy import Fund, PostCategory
from pwposts.models.posts import Post
from pwposts.services import audit


@pytest.fixture
def paid(session, county):
    cat = PostCategory(code="cleaning", name="保洁", kind="普通")
    fund = Fund(
        county_id=county.county.id, name="衔接推进乡村振兴补助资金", year=2026, allocation_fen=10_000_000
    )
    session.add_all([cat, fund])
    session.flush()
    post = Post(
        code="P-1",
        title="村道保洁员",
        township_id=county.townships[0].id,
        village_id=county.villages[0].id,
        category_id=cat.id,
        fund_id=fund.id,
        headcount=2,
        duties="清扫村道",
        work_place="东坪一村",
        hours="每日上午",
        need_text="村道长，需要两名保洁员维护，村内有脱贫人口无法离乡",
        allowance_fen=60000,
        required_days=20,
        status="filled",
    )
    session.add(post)
    session.flush()
    out = {}
    for key, person in (("wang", county.persons["wang"]), ("zhao", county.persons["zhao"])):
        c = Contract(
            code=f"C-{key}",
            person_id=person.id,
            post_id=post.id,
            start_on=date(2026, 1, 1),
            end_on=date(2026, 12, 31),
            allowance_fen=60000,
            required_days=20,
            duties="清扫",
            work_place="村",
            hours="上午",
            status="active",
            signed_on=date(2025, 12, 20),
        )
        session.add(c)
        session.flush()
        session.add(
            AttendanceRecord(
                contract_id=c.id, person_id=person.id, month="2026-10", days_worked=15, status="locked"
            )
        )
        run = (
            PayrollRun(
                township_id=county.townships[0].id,
                month="2026-10",
                status="approved",
                prepared_by_id=county.users["town"].id,
                approved_by_id=county.users["town2"].id,
                approved_at=date(2026, 11, 3),
            )
            if key == "wang"
            else out["run"]
        )
        session.add(run)
        session.flush()
        out["run"] = run
        p = Payment(
            run_id=run.id,
            contract_id=c.id,
            person_id=person.id,
            month="2026-10",
            standard_fen=60000,
            required_days=20,
            attended_days=15,
            covered_days=31,
            month_days=31,
            cap_fen=60000,
            base_fen=45000,
            amount_fen=45000,
            calc_text="600 ÷ 20 × 15 = 450.00",
            account_no="6221000011112222",
            account_name=person.name,
            status="paid",
            paid_on=date(2026, 11, 5),
        )
        session.add(p)
        session.flush()
        out[key] = p
    session.commit()
    return out


def test_holder_sees_own_payment_with_calculation(login_as, paid):
    c = login_as("holder")
    home = c.get("/me/").get_data(as_text=True)
    assert "450.00 元" in home and "村道保洁员" in home
    detail = c.get(f"/me/payments/{paid['wang'].id}").get_data(as_text=True)
    assert "600 ÷ 20 × 15 = 450.00" in detail and "已到账" in detail


def test_holder_cannot_see_another_holders_payment(login_as, paid):
    c = login_as("holder")
    assert c.get(f"/me/payments/{paid['zhao'].id}").status_code == 404
    assert c.post(f"/me/payments/{paid['zhao'].id}", data={"content": "我要申诉这笔钱"}).status_code == 404


def test_objection_is_answered_and_the_holder_sees_the_answer(login_as, paid, session):
    c = login_as("holder")
    r = c.post(f"/me/payments/{paid['wang'].id}", data={"content": "10月20日我出勤了但没有计入"})
    assert r.status_code == 302
    again = c.post(
        f"/me/payments/{paid['wang'].id}", data={"content": "再次申诉同一笔发放"}, follow_redirects=True
    )
    assert "已有一件申诉正在处理" in again.get_data(as_text=True)
    staff = login_as("village")
    page = staff.get("/objections/").get_data(as_text=True)
    assert "10月20日我出勤了" in page
    from pwposts.models.pay import PaymentObjection

    obj = session.query(PaymentObjection).one()
    assert (
        staff.post(f"/objections/{obj.id}/answer", data={"answer": "经核查属实，下月补发"}).status_code == 403
    )
    town = login_as("town")
    town.post(f"/objections/{obj.id}/answer", data={"answer": "经核查属实，下月补发一天补贴"})
    c = login_as("holder")
    assert "经核查属实，下月补发一天补贴" in c.get(f"/me/payments/{paid['wang'].id}").get_data(as_text=True)
    assert audit.verify_chain(session).ok


def test_correction_line_shown_beside_the_original(login_as, paid, session):
    orig = paid["wang"]
    session.add(
        Payment(
            contract_id=orig.contract_id,
            person_id=orig.person_id,
            month="2026-10",
            kind="补发",
            standard_fen=60000,
            required_days=20,
            attended_days=1,
            covered_days=31,
            month_days=31,
            cap_fen=60000,
            base_fen=3000,
            amount_fen=3000,
            calc_text="600 ÷ 20 × 1 = 30.00",
            reason="10月20日出勤漏记",
            original_payment_id=orig.id,
            status="pending",
        )
    )
    session.commit()
    c = login_as("holder")
    home = c.get("/me/").get_data(as_text=True)
    assert "450.00 元" in home and "30.00 元" in home and "补发" in home


def test_public_payment_notice_masks_ids_without_login(client, paid, county):
    v = county.villages[0]
    page = client.get(f"/public/payments/{v.code}/2026-10").get_data(as_text=True)
    wang = county.persons["wang"].id_number
    assert "王秀英" in page and wang not in page and wang[:6] + "********" + wang[-4:] in page
    assert "450.00 元" in page and "900.00 元" in page  # both lines of the post's village, and the total
    other = client.get(f"/public/payments/{county.villages[2].code}/2026-10").get_data(as_text=True)
    assert "王秀英" not in other and "本月暂无已审批的发放" in other


def test_staff_cannot_open_holder_portal(login_as, paid):
    assert login_as("town").get("/me/").status_code == 403


def test_holder_is_told_of_a_deduction_before_payment(login_as, paid, session):
    from pwposts.models.contracts import Assessment

    c = session.get(Contract, paid["wang"].contract_id)
    c.perf_pass_fen = 4000
    session.add(
        AttendanceRecord(
            contract_id=c.id, person_id=c.person_id, month="2026-09", days_worked=10, status="approved"
        )
    )
    session.add(Assessment(contract_id=c.id, kind="monthly", period="2026-09", grade="不合格"))
    session.commit()
    page = login_as("holder").get("/me/").get_data(as_text=True)
    assert "发放前提示" in page and "2026年9月" in page and "考核不合格" in page
