"""Attendance and assessment services: all-or-nothing entry, approval, send-back, lock, Excel, grades."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from pwposts.documents import attendance_xlsx as xlsx
from pwposts.domain.attendance import AttendanceRejected
from pwposts.domain.errors import DomainError, Forbidden, NotFound
from pwposts.models.audit import AuditEntry
from pwposts.models.contracts import Assessment
from pwposts.models.pay import AttendanceDay, AttendanceRecord
from pwposts.services import assessment as assessment_service
from pwposts.services import attendance as svc
from pwposts.services.audit import verify_chain

TODAY = date(2026, 11, 25)


def u(county, name):
    return county.users[name]


def records(session):
    return session.scalar(select(func.count(AttendanceRecord.id)))


def audits(session, action):
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def v0(county):
    return county.villages[0].id


def test_holders_of_a_month_include_a_contract_that_ended_mid_month(session, county, h):
    october = [x.contract.code for x in svc.holders_for_month(session, v0(county), "2026-10")]
    assert sorted(october) == ["HT-2025-0009", "HT-2026-0001", "HT-2026-0002"]
    november = [x.contract.code for x in svc.holders_for_month(session, v0(county), "2026-11")]
    assert sorted(november) == ["HT-2026-0001", "HT-2026-0002"]
    by_code = {x.contract.code: x for x in svc.holders_for_month(session, v0(county), "2026-10")}
    assert by_code["HT-2025-0009"].covered == 20 and by_code["HT-2026-0002"].covered == 16
    assert by_code["HT-2026-0002"].term.counts_hours and not by_code["HT-2026-0001"].term.counts_hours


def test_enter_month_writes_drafts_with_dates_and_audit(session, county, h):
    c = h.contracts
    result = svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-10",
        [
            {"contract_id": c["wang"].id, "days_worked": 20, "leave_days": 1, "absent_days": 0},
            {"contract_id": c["li"].id, "dates": "16-20,22", "hours": 30},
            {"contract_id": c["sun"].id, "days_worked": "15", "absent_days": "2", "note": "10月20日退岗"},
        ],
        TODAY,
    )
    session.commit()
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    li = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == c["li"].id))
    assert li.status == "draft" and li.days_worked == 6 and li.hours_worked == 30
    assert [d.day for d in li.days] == [date(2026, 10, d) for d in (16, 17, 18, 19, 20, 22)]
    assert li.entered_by_id == u(county, "village").id and li.person_id == county.persons["li"].id
    assert audits(session, "enter_attendance") == 3
    assert verify_chain(session).ok


def test_re_entering_the_same_values_changes_nothing_and_a_change_is_audited(session, county, h):
    row = {"contract_id": h.contracts["wang"].id, "dates": "1-5,8"}
    svc.enter_month(session, u(county, "village"), v0(county), "2026-10", [row], TODAY)
    again = svc.enter_month(session, u(county, "village"), v0(county), "2026-10", [row], TODAY)
    assert again.unchanged == 1 and audits(session, "enter_attendance") == 1
    changed = svc.enter_month(
        session, u(county, "town"), v0(county), "2026-10", [{**row, "dates": "2-6,8,9"}], TODAY
    )
    session.commit()
    assert changed.updated == 1
    rec = session.scalar(select(AttendanceRecord))
    assert rec.days_worked == 7 and sorted(d.day.day for d in rec.days) == [2, 3, 4, 5, 6, 8, 9]
    assert session.scalar(select(func.count(AttendanceDay.id))) == 7
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "enter_attendance").order_by(AuditEntry.id.desc())
    ).first()
    assert '"dates":"1-5,8"' in entry.before_json and '"dates":"2-6,8,9"' in entry.after_json
    assert verify_chain(session).ok


@pytest.mark.parametrize(
    "month,dates,today,expected",
    [
        ("2027-02", "1,2,29", date(2027, 3, 5), "不是真实存在的日期"),
        ("2026-09", "1,31", TODAY, "不是真实存在的日期"),
        ("2026-10", "1,2,2", TODAY, "重复"),
    ],
)
def test_bad_dates_refuse_the_whole_batch_with_row_and_reason(
    session, county, h, month, dates, today, expected
):
    rows = [{"contract_id": h.contracts["wang"].id, "dates": dates}]
    if month == "2026-10":  # a good row first: the bad one is row 2 and still nothing is written
        rows.insert(0, {"contract_id": h.contracts["li"].id, "days_worked": 3})
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(session, u(county, "village"), v0(county), month, rows, today)
    session.rollback()
    problem = e.value.problems[0]
    assert problem.row == len(rows) and problem.field == "dates" and expected in problem.reason
    assert any(f"第{len(rows)}行" in d and expected in d for d in e.value.details)
    assert records(session) == 0


def test_a_date_outside_the_holders_contract_is_refused(session, county, h):
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-10",
            [
                {"contract_id": h.contracts["wang"].id, "days_worked": 20},
                {"contract_id": h.contracts["li"].id, "dates": "15,16"},
                {"contract_id": h.contracts["sun"].id, "dates": "20,21"},
            ],
            TODAY,
        )
    session.rollback()
    assert [(p.row, p.value) for p in e.value.problems] == [(2, "2026-10-15"), (3, "2026-10-21")]
    assert all("不在合同期内" in p.reason for p in e.value.problems)
    assert "李建国" in e.value.problems[0].reason
    assert records(session) == 0


def test_days_beyond_the_covered_days_are_refused(session, county, h):
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["li"].id, "days_worked": 17}],
            TODAY,
        )
    assert "超过本月合同覆盖天数16天" in e.value.problems[0].reason


def test_a_contract_of_another_village_or_month_is_refused(session, county, h):
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "town"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["zhao"].id, "days_worked": 5}],
            TODAY,
        )
    assert "不是东坪一村2026年10月的在岗人员合同" in e.value.problems[0].reason
    with pytest.raises(AttendanceRejected):
        svc.enter_month(
            session,
            u(county, "town"),
            v0(county),
            "2026-11",
            [{"contract_id": h.contracts["sun"].id, "days_worked": 5}],
            TODAY,
        )


def test_future_month_is_refused(session, county, h):
    with pytest.raises(DomainError) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-12",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 1}],
            TODAY,
        )
    assert e.value.code == "month_in_future"


def test_scope_and_roles(session, county, h):
    with pytest.raises(NotFound):
        svc.enter_month(
            session,
            u(county, "village"),
            county.villages[2].id,
            "2026-10",
            [{"contract_id": h.contracts["zhao"].id, "days_worked": 1}],
            TODAY,
        )
    with pytest.raises(NotFound):
        svc.enter_month(
            session,
            u(county, "otherTown"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 1}],
            TODAY,
        )
    with pytest.raises(Forbidden):
        svc.enter_month(
            session,
            u(county, "inspector"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 1}],
            TODAY,
        )


def _enter_october(session, county, h):
    svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-10",
        [
            {"contract_id": h.contracts["wang"].id, "days_worked": 20},
            {"contract_id": h.contracts["li"].id, "days_worked": 10},
        ],
        TODAY,
    )
    session.commit()


def test_village_clerk_cannot_approve(session, county, h):
    _enter_october(session, county, h)
    with pytest.raises(Forbidden):
        svc.approve_month(session, u(county, "village"), county.townships[0].id, "2026-10", TODAY)
    with pytest.raises(Forbidden):
        svc.approve_month(session, u(county, "village"), v0(county), "2026-10", TODAY)
    with pytest.raises(NotFound):
        svc.approve_month(session, u(county, "otherTown"), county.townships[0].id, "2026-10", TODAY)


def test_township_approves_and_approved_records_cannot_change_until_sent_back(session, county, h):
    _enter_october(session, county, h)
    approved = svc.approve_month(session, u(county, "town"), county.townships[0].id, "2026-10", TODAY)
    session.commit()
    assert len(approved) == 2 and all(
        r.status == "approved" and r.approved_by_id == u(county, "town").id and r.approved_at is not None
        for r in approved
    )
    assert audits(session, "approve_attendance") == 2
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 19}],
            TODAY,
        )
    session.rollback()
    assert "已审核" in e.value.problems[0].reason
    with pytest.raises(DomainError) as e:
        svc.approve_month(session, u(county, "town"), county.townships[0].id, "2026-10", TODAY)
    assert e.value.code == "nothing_to_approve"

    wang = next(r for r in approved if r.contract_id == h.contracts["wang"].id)
    with pytest.raises(Forbidden):
        svc.reopen_record(session, u(county, "village"), wang.id, "天数填错", TODAY)
    with pytest.raises(DomainError) as e:
        svc.reopen_record(session, u(county, "town"), wang.id, "", TODAY)
    assert e.value.code == "reason_required"
    svc.reopen_record(session, u(county, "town"), wang.id, "出勤天数填错，应为19天", TODAY)
    session.commit()
    assert wang.status == "draft" and wang.approved_by_id is None
    svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["wang"].id, "days_worked": 19}],
        TODAY,
    )
    session.commit()
    assert wang.days_worked == 19
    assert audits(session, "reopen_attendance") == 1
    assert verify_chain(session).ok


def test_approval_waits_for_the_end_of_the_month(session, county, h):
    svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-11",
        [{"contract_id": h.contracts["wang"].id, "days_worked": 15}],
        TODAY,
    )
    with pytest.raises(DomainError) as e:
        svc.approve_month(session, u(county, "town"), county.townships[0].id, "2026-11", TODAY)
    assert e.value.code == "month_not_ended"


def test_locked_records_cannot_change_be_sent_back_or_regraded(session, county, h):
    _enter_october(session, county, h)
    approved = svc.approve_month(session, u(county, "town"), county.townships[0].id, "2026-10", TODAY)
    for r in approved:  # what the payroll does when the month is paid
        r.status = "locked"
    session.commit()
    wang = next(r for r in approved if r.contract_id == h.contracts["wang"].id)
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "town"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 1}],
            TODAY,
        )
    session.rollback()
    assert "已发放锁定" in e.value.problems[0].reason
    with pytest.raises(DomainError) as e:
        svc.reopen_record(session, u(county, "admin"), wang.id, "想改", TODAY)
    assert e.value.code == "attendance_locked"
    with pytest.raises(DomainError) as e:
        assessment_service.set_monthly_grade(
            session, u(county, "town"), h.contracts["wang"].id, "2026-10", "合格", TODAY
        )
    assert e.value.code == "month_locked"
    session.rollback()
    assert session.get(AttendanceRecord, wang.id).days_worked == 20


def test_month_overview_counts_per_village(session, county, h):
    _enter_october(session, county, h)
    assessment_service.set_monthly_grade(
        session, u(county, "town"), h.contracts["wang"].id, "2026-10", "优秀", TODAY
    )
    rows = {s.village.name: s for s in svc.month_overview(session, u(county, "town"), "2026-10")}
    assert set(rows) == {"东坪一村", "东坪二村"}
    s = rows["东坪一村"]
    assert (s.holders, s.entered, s.missing, s.draft, s.approved, s.graded) == (3, 2, 1, 2, 0, 1)
    assert [x.village.name for x in svc.month_overview(session, u(county, "village"), "2026-10")] == [
        "东坪一村"
    ]
    assert svc.count_drafts(session, u(county, "town")) == 2
    assert svc.count_drafts(session, u(county, "otherTown")) == 0
    assert svc.count_missing(session, u(county, "town"), "2026-10") == 1


# ---------------------------------------------------------------- Excel


def _template(session, county, h, month="2026-10", today=TODAY):
    vm = svc.village_month(session, u(county, "village"), v0(county), month, today)
    rows = [
        [
            x.row,
            x.person.name,
            x.person.id_number,
            x.contract.code,
            x.contract.required_days,
            x.covered,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
        for x in vm.holders
    ]
    out = io.BytesIO()
    xlsx.write_template(
        out, title="考勤表", month=month, village_label=f"东坪一村（{county.villages[0].code}）", rows=rows
    )
    out.seek(0)
    return load_workbook(out), {x.contract.code: x for x in vm.holders}


def _sheet(wb):
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return xlsx.read_attendance(out)


def _row_of(ws, code):
    for r in range(4, ws.max_row + 1):
        if ws.cell(row=r, column=4).value == code:
            return r
    raise AssertionError(code)


def test_excel_template_round_trip_imports_all_rows(session, county, h):
    wb, by_code = _template(session, county, h)
    ws = wb["考勤表"]
    assert [c.value for c in ws[3]][:4] == ["序号", "姓名", "身份证号", "合同编号"]
    r = _row_of(ws, "HT-2026-0001")
    assert ws.cell(row=r, column=3).value == county.persons["wang"].id_number  # full number for staff
    assert ws.cell(row=r, column=6).value == 31
    ws.cell(row=r, column=7).value = 20
    ws.cell(row=r, column=8).value = 1.0
    r2 = _row_of(ws, "HT-2026-0002")
    ws.cell(row=r2, column=11).value = "16-20"
    result = svc.import_month(
        session, u(county, "village"), v0(county), "2026-10", _sheet(wb), TODAY, filename="十月.xlsx"
    )
    session.commit()
    assert (result.created, result.updated) == (2, 0)  # the untouched row (孙小红) is not entered
    li = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == h.contracts["li"].id))
    assert li.days_worked == 5
    summary = session.scalars(select(AuditEntry.summary).where(AuditEntry.action == "enter_attendance")).all()
    assert all("考勤表导入《十月.xlsx》" in s for s in summary)


@pytest.mark.parametrize(
    "month,value,today,expected",
    [
        ("2026-09", "1,31", TODAY, "不是真实存在的日期"),
        ("2027-02", "28,29", date(2027, 3, 2), "不是真实存在的日期"),
        ("2026-10", "1,1", TODAY, "重复"),
    ],
)
def test_excel_import_refuses_with_excel_row_and_column(session, county, h, month, value, today, expected):
    wb, _ = _template(session, county, h, month, today)
    ws = wb["考勤表"]
    first = _row_of(ws, "HT-2026-0001")
    ws.cell(row=first, column=11).value = value
    svc_rows = [x for x in range(4, ws.max_row + 1) if ws.cell(row=x, column=4).value == "HT-2026-0002"]
    if svc_rows:
        ws.cell(row=svc_rows[0], column=7).value = 3
    with pytest.raises(AttendanceRejected) as e:
        svc.import_month(
            session, u(county, "village"), v0(county), month, _sheet(wb), today, filename="x.xlsx"
        )
    session.rollback()
    p = e.value.problems[0]
    assert p.row == first and p.column == "出勤日期" and expected in p.reason
    assert "考勤表《x.xlsx》有" in e.value.message
    assert records(session) == 0


def test_excel_import_refuses_a_date_outside_the_contract_and_a_wrong_id(session, county, h):
    wb, _ = _template(session, county, h)
    ws = wb["考勤表"]
    r = _row_of(ws, "HT-2025-0009")
    ws.cell(row=r, column=11).value = "出勤:18-21"
    r2 = _row_of(ws, "HT-2026-0001")
    ws.cell(row=r2, column=3).value = county.persons["zhao"].id_number
    ws.cell(row=r2, column=7).value = 3
    with pytest.raises(AttendanceRejected) as e:
        svc.import_month(session, u(county, "village"), v0(county), "2026-10", _sheet(wb), TODAY)
    got = {(p.row, p.column) for p in e.value.problems}
    assert (r, "出勤日期") in got and (r2, "身份证号") in got
    assert any("不在合同期内" in p.reason and p.value == "2026-10-21" for p in e.value.problems)


def test_excel_for_another_month_is_refused(session, county, h):
    wb, _ = _template(session, county, h, "2026-10")
    ws = wb["考勤表"]
    ws.cell(row=_row_of(ws, "HT-2026-0001"), column=7).value = 3
    with pytest.raises(DomainError) as e:
        svc.import_month(session, u(county, "village"), v0(county), "2026-11", _sheet(wb), TODAY)
    assert e.value.code == "attendance_file_month"


def test_a_file_without_the_header_is_refused():
    out = io.BytesIO()
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["随便", "什么"])
    wb.save(out)
    out.seek(0)
    with pytest.raises(DomainError) as e:
        xlsx.read_attendance(out)
    assert e.value.code == "attendance_header"
    with pytest.raises(DomainError) as e:
        xlsx.read_attendance(io.BytesIO(b"not a zip"))
    assert e.value.code == "attendance_file_unreadable"


# ---------------------------------------------------------------- assessment


def test_monthly_and_annual_grades_are_audited_and_scoped(session, county, h):
    wang = h.contracts["wang"].id
    a = assessment_service.set_monthly_grade(session, u(county, "town"), wang, "2026-10", "合格", TODAY)
    assert (a.kind, a.period, a.grade) == ("monthly", "2026-10", "合格")
    assessment_service.set_monthly_grade(
        session, u(county, "town"), wang, "2026-10", "合格", TODAY
    )  # unchanged
    assessment_service.set_monthly_grade(session, u(county, "town"), wang, "2026-10", "优秀", TODAY)
    y = assessment_service.set_annual_grade(session, u(county, "admin"), wang, "2026", "合格", TODAY)
    session.commit()
    assert (y.kind, y.period) == ("annual", "2026")
    assert audits(session, "set_monthly_grade") == 2 and audits(session, "set_annual_grade") == 1
    with pytest.raises(Forbidden):
        assessment_service.set_monthly_grade(session, u(county, "village"), wang, "2026-10", "合格", TODAY)
    with pytest.raises(NotFound):
        assessment_service.set_monthly_grade(session, u(county, "otherTown"), wang, "2026-10", "合格", TODAY)
    with pytest.raises(DomainError) as e:
        assessment_service.set_monthly_grade(session, u(county, "town"), wang, "2026-02", "合格", TODAY)
    assert e.value.code == "month_outside_contract"
    with pytest.raises(DomainError) as e:
        assessment_service.set_annual_grade(session, u(county, "town"), wang, "2027", "合格", TODAY)
    assert e.value.code == "year_in_future"
    assert verify_chain(session).ok


def test_set_month_grades_is_all_or_nothing(session, county, h):
    with pytest.raises(AttendanceRejected):
        assessment_service.set_month_grades(
            session,
            u(county, "town"),
            v0(county),
            "2026-10",
            {h.contracts["wang"].id: "优秀", h.contracts["li"].id: "很好"},
            TODAY,
        )
    session.rollback()
    assert session.scalar(select(func.count(Assessment.id))) == 0
    n = assessment_service.set_month_grades(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",
        {h.contracts["wang"].id: "优秀", h.contracts["li"].id: "不合格"},
        TODAY,
    )
    assert n == 2


def test_deductions_list_failed_and_ungraded_unpaid_months(session, county, h):
    wang = h.contracts["wang"]
    for m in ("2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"):
        assessment_service.set_monthly_grade(session, u(county, "town"), wang.id, m, "合格", TODAY)
    assessment_service.set_monthly_grade(session, u(county, "town"), wang.id, "2026-09", "不合格", TODAY)
    session.commit()
    # months without attendance are not about to be paid: nothing to announce yet
    assert assessment_service.deductions_for(session, county.persons["wang"].id, TODAY) == []
    for m in ("2026-08", "2026-09", "2026-10"):
        svc.enter_month(
            session, u(county, "village"), v0(county), m, [{"contract_id": wang.id, "days_worked": 20}], TODAY
        )
    session.commit()
    found = assessment_service.deductions_for(session, county.persons["wang"].id, TODAY)
    assert [(d.month, d.grade) for d in found] == [("2026-10", None), ("2026-09", "不合格")]
    assert found[1].performance_fen == 4000 and "不合格" in found[1].reason
    assert found[0].due_on == date(2026, 11, 10) and "尚未评定" in found[0].reason
    # once October's attendance is locked (paid), it is no longer announced
    session.scalar(select(AttendanceRecord).where(AttendanceRecord.month == "2026-10")).status = "locked"
    session.commit()
    assert [
        d.month for d in assessment_service.deductions_for(session, county.persons["wang"].id, TODAY)
    ] == ["2026-09"]


def test_late_assessments_are_past_the_due_day(session, county, h):
    late = assessment_service.late_assessments(session, u(county, "town"), TODAY)
    october = [x for x in late if x.month == "2026-10"]
    assert [(x.village.name, x.missing) for x in october] == [("东坪一村", 3)]
    assessment_service.set_month_grades(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",
        {h.contracts["wang"].id: "合格", h.contracts["li"].id: "合格", h.contracts["sun"].id: "合格"},
        TODAY,
    )
    assert not [
        x
        for x in assessment_service.late_assessments(session, u(county, "town"), TODAY)
        if x.month == "2026-10"
    ]
    # November's grades are due on 2026-12-10: not late yet
    assert not [x for x in late if x.month == "2026-11"]
    assert {
        x.village.name for x in assessment_service.late_assessments(session, u(county, "otherTown"), TODAY)
    } == {"西岭一村"}


def test_an_attendance_import_writes_its_entries_in_one_pass_and_the_chain_verifies(session, county, h):
    """One flush for the sheet, its enter_attendance entries chained by audit.record_many; verify passes."""
    from pwposts.services.audit import verify_chain

    wb, _ = _template(session, county, h)
    ws = wb["考勤表"]
    ws.cell(row=_row_of(ws, "HT-2026-0001"), column=7).value = 20
    ws.cell(row=_row_of(ws, "HT-2026-0002"), column=11).value = "16-20"
    result = svc.import_month(
        session, u(county, "village"), v0(county), "2026-10", _sheet(wb), TODAY, filename="十月.xlsx"
    )
    session.commit()
    assert result.created == 2
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()[::-1]
    assert [e.action for e in entries] == ["enter_attendance"] * 2
    assert {e.object_id for e in entries} == {str(r.id) for r in result.records}
    assert entries[1].prev_hash == entries[0].entry_hash
    assert verify_chain(session).ok
