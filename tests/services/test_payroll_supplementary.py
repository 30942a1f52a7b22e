"""No month is lost: a supplementary run (补充清册) pays the holders whose attendance was approved after
the month's run was approved; the holder sees every month as paid / waiting / not paid; 申诉 about a month
that was never paid."""

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pwposts.domain.errors import Conflict, DomainError, NotFound
from pwposts.models.audit import AuditEntry
from pwposts.models.pay import AttendanceRecord, Payment, PaymentObjection, PayrollRun
from pwposts.services import attendance as attendance_svc
from pwposts.services import pay as svc
from pwposts.services import portal
from pwposts.services.accounts import create_user
from tests.builders import PASSWORD
from tests.payroll_support import township_setup

TODAY = date(2026, 11, 25)


def _approved_regular(session, county):
    """東坪镇 October: 王秀英 and 李建国 paid in the approved
    regular run, 刘桂兰 left out (attendance draft)."""
    data = township_setup(session, county)
    run = svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    return data, session.get(PayrollRun, run.id)


def _approve_late_attendance(session, county):
    attendance_svc.approve_month(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()


def _supplementary(session, county, user="town"):
    run = svc.prepare_run(
        session, county.users[user], county.townships[0].id, "2026-10", TODAY, "supplementary"
    )
    session.commit()
    return run


def _names(session, run_id):
    return sorted(p.person.name for p in session.scalars(select(Payment).where(Payment.run_id == run_id)))


def test_regular_run_approval_names_who_is_left_and_why(session, county):
    township_setup(session, county)
    run = svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    view = svc.run_view(session, county.users["town2"], run.id, TODAY)
    assert view.left_count == 1
    assert view.left_summary == "本乡镇该月仍有1人未计发：考勤待审核1人"
    assert view.late == [] and view.related == []


def test_supplementary_run_pays_holders_whose_attendance_was_approved_after_the_run(session, county):
    data, regular = _approved_regular(session, county)
    with pytest.raises(Conflict) as err:  # a second regular run stays refused, and says what to do instead
        svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    assert "补充清册" in err.value.message
    session.rollback()
    _approve_late_attendance(session, county)
    view = svc.run_view(session, county.users["town"], regular.id, TODAY)
    assert [u.name for u in view.late] == ["刘桂兰"]
    assert view.left_summary == "本乡镇该月仍有1人未计发：考勤在清册审批后才审核1人"

    supp = _supplementary(session, county)
    assert (supp.kind, supp.status, supp.line_count, supp.unpaid_count) == ("supplementary", "preview", 1, 0)
    assert _names(session, supp.id) == ["刘桂兰"]  # the two already paid are not in it
    line = session.scalar(select(Payment).where(Payment.run_id == supp.id))
    assert line.kind == "regular" and line.amount_fen == 36000  # 600 ÷ 20 × 12, no grade: no component
    assert line.calc_text.startswith("600 ÷ 20 × 12 = 360.00")
    assert supp.total_fen == 36000

    with pytest.raises(DomainError) as err:  # four eyes, as for any run
        svc.approve_run(session, county.users["town"], supp.id, TODAY)
    assert err.value.code == "four_eyes_required"
    session.rollback()
    svc.approve_run(session, county.users["town2"], supp.id, TODAY)
    session.commit()
    assert session.get(PayrollRun, supp.id).status == "approved"
    assert (
        session.scalar(select(AttendanceRecord.status).where(AttendanceRecord.contract_id == data["wife"].id))
        == "locked"
    )
    batch, rows = svc.bank_file_rows(session, session.get(PayrollRun, supp.id))
    assert batch == 1 and [r.amount_fen for r in rows] == [36000]
    # the regular run no longer offers anyone; the month is whole
    view = svc.run_view(session, county.users["town"], regular.id, TODAY)
    assert view.late == [] and view.unpaid == [] and [r.id for r in view.related] == [supp.id]
    checks = svc.fund_checks(session, regular)
    assert checks[0].used_fen == 36000  # the supplementary run counts against the fund
    summaries = session.scalars(select(AuditEntry.summary).where(AuditEntry.object_id == str(supp.id))).all()
    assert any(s.startswith("生成补充清册：东坪镇2026年10月，1人") for s in summaries)
    assert any(s.startswith("审批补充清册：东坪镇2026年10月") for s in summaries)
    # nobody left: another supplementary run has nothing to pay
    with pytest.raises(DomainError) as err:
        _supplementary(session, county)
    assert err.value.code == "supplementary_nobody"
    session.rollback()
    # no double payment: one regular line per contract-month across all runs
    assert (
        session.scalar(
            select(func.count(Payment.id)).where(
                Payment.contract_id == data["wife"].id, Payment.month == "2026-10"
            )
        )
        == 1
    )


def test_supplementary_run_needs_an_approved_regular_run(session, county):
    township_setup(session, county)
    svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    with pytest.raises(DomainError) as err:
        _supplementary(session, county)
    assert err.value.code == "supplementary_needs_approved_run"
    session.rollback()


def test_one_supplementary_preview_at_a_time(session, county):
    data, regular = _approved_regular(session, county)
    _approve_late_attendance(session, county)
    first = _supplementary(session, county)
    again = _supplementary(session, county, user="town2")  # preparing again replaces the preview's lines
    assert again.id == first.id and again.prepared_by_id == county.users["town2"].id
    assert session.scalar(select(func.count(PayrollRun.id)).where(PayrollRun.status == "preview")) == 1
    assert _names(session, first.id) == ["刘桂兰"]
    # the database itself refuses a second preview for the township-month
    session.add(
        PayrollRun(
            township_id=county.townships[0].id,
            month="2026-10",
            kind="supplementary",
            status="preview",
            prepared_by_id=county.users["town"].id,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # … and a second regular run
    session.add(
        PayrollRun(
            township_id=county.townships[0].id,
            month="2026-10",
            kind="regular",
            status="preview",
            prepared_by_id=county.users["town"].id,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # a voided supplementary preview may be followed by a new one
    svc.void_run(session, county.users["town"], first.id, "重新核对", TODAY)
    session.commit()
    assert _supplementary(session, county).id != first.id


def test_supplementary_preview_goes_stale_when_more_attendance_is_approved(session, county):
    data, regular = _approved_regular(session, county)
    _approve_late_attendance(session, county)
    supp = _supplementary(session, county)
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == data["wife"].id))
    rec.days_worked = 14
    session.commit()
    with pytest.raises(DomainError) as err:
        svc.approve_run(session, county.users["town2"], supp.id, TODAY)
    assert err.value.code == "payroll_stale"
    session.rollback()


# ---------------------------------------------------------------- the holder's months and 申诉


@pytest.fixture
def wife_user(session, county):
    user = create_user(
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
    return user


def _october(session, person_id):
    return next(m for m in portal.contract_months(session, person_id, TODAY) if m.month == "2026-10")


def test_holder_months_follow_the_month_from_not_paid_to_paid(session, county, wife_user):
    data, regular = _approved_regular(session, county)
    wife = county.persons["chief_wife"].id
    months = portal.holder_months(session, wife_user, TODAY)
    assert [m.month for m in months] == [f"2026-{n:02d}" for n in range(11, 0, -1)]  # Jan–Nov, newest first
    assert (months[0].state, months[0].reason) == ("waiting", portal.NOT_OVER)
    assert months[2].state == "not_paid" and months[2].reason.startswith("无考勤记录")  # September
    m = _october(session, wife)
    assert (m.state, m.label, m.reason) == ("not_paid", "未发放", "考勤待乡镇审核，审核后方可计发")
    _approve_late_attendance(session, county)
    m = _october(session, wife)
    assert (m.state, m.reason) == ("waiting", "考勤在该月清册审批后才审核，待乡镇生成补充清册")
    supp = _supplementary(session, county)
    assert _october(session, wife).reason == "已列入发放清册，待乡镇审批"
    svc.approve_run(session, county.users["town2"], supp.id, TODAY)
    session.commit()
    m = _october(session, wife)
    assert (m.state, m.reason, m.amount_fen) == ("waiting", "清册已审批，待银行发放", 36000)
    batch, rows = svc.bank_file_rows(session, session.get(PayrollRun, supp.id))
    svc.import_bank_result_rows(
        session,
        county.users["town"],
        supp.id,
        [{"reference": rows[0].reference, "status": "成功", "date": "2026-11-24"}],
        TODAY,
    )
    session.commit()
    m = _october(session, wife)
    assert (m.state, m.label, m.reason, m.amount_fen) == ("paid", "已发放", "已到账（2026-11-24）", 36000)
    assert m.payment_id is not None and not m.objectable


def test_objection_about_a_month_never_paid_is_raised_and_answered(session, county, wife_user):
    data, regular = _approved_regular(session, county)
    contract = data["wife"]
    o = portal.raise_month_objection(
        session, wife_user, contract.id, "2026-10", "十月出勤12天，至今未发放补贴", TODAY
    )
    session.commit()
    assert (o.payment_id, o.contract_id, o.month, o.status) == (None, contract.id, "2026-10", "open")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "raise_payment_objection"))
    assert entry.summary.startswith("对2026-10未发放提出申诉") and "考勤待乡镇审核" in entry.summary
    with pytest.raises(DomainError) as err:  # one open objection per month
        portal.raise_month_objection(
            session, wife_user, contract.id, "2026-10", "再次申诉：仍未发放补贴", TODAY
        )
    assert err.value.code == "objection_open"
    session.rollback()
    with pytest.raises(DomainError) as err:  # the month has not ended
        portal.raise_month_objection(
            session, wife_user, contract.id, "2026-11", "十一月的补贴还没有发", TODAY
        )
    assert err.value.code == "objection_month_not_over"
    session.rollback()
    with pytest.raises(DomainError):  # outside the contract
        portal.raise_month_objection(
            session, wife_user, contract.id, "2025-12", "去年十二月的补贴没有发", TODAY
        )
    session.rollback()
    with pytest.raises(NotFound):  # another person's contract
        portal.raise_month_objection(
            session, wife_user, data["wang"].id, "2026-10", "这个月的补贴没有发", TODAY
        )
    session.rollback()
    with pytest.raises(DomainError) as err:  # a month with a payment: object to the payment
        wang_user = county.users["holder"]
        portal.raise_month_objection(
            session, wang_user, data["wang"].id, "2026-10", "这个月的补贴发少了", TODAY
        )
    assert err.value.code == "objection_has_payment"
    session.rollback()
    # staff see it in their list and answer it as any objection
    listed = session.scalars(portal.objection_query(county.users["town"], "open")).unique().all()
    assert [x.id for x in listed] == [o.id]
    assert session.scalars(portal.objection_query(county.users["otherTown"], "open")).unique().all() == []
    portal.answer_objection(
        session, county.users["town"], o.id, "经核查考勤已补审，将列入补充清册发放", TODAY
    )
    session.commit()
    o = session.get(PaymentObjection, o.id)
    assert o.status == "answered" and o.answered_by_id == county.users["town"].id
    assert (
        session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "answer_payment_objection"))
        == "答复刘桂兰对2026-10未发放的申诉"
    )
