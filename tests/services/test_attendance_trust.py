"""Attendance you can trust: days after death / exit / before the start refused on every entry path;
a save based on an outdated sheet version refused with who changed it and when; the person who
entered a record cannot approve it (county setting attendance_four_eyes, on by default)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pwposts.domain.attendance import AttendanceRejected
from pwposts.domain.errors import Conflict, DomainError
from pwposts.models.audit import AuditEntry
from pwposts.models.pay import AttendanceRecord
from pwposts.services import assessment as assessment_service
from pwposts.services import attendance as svc
from pwposts.services import settings as settings_service
from pwposts.services.audit import verify_chain
from pwposts.services.clock_binding import bind_now
from tests.conftest import NOW
from tests.services.test_attendance import _row_of, _sheet, _template, u, v0

TODAY = date(2026, 11, 25)


def count(session, model=AttendanceRecord):
    session.expire_all()
    return session.scalar(select(func.count(model.id)))


def died(session, county, when=date(2026, 10, 12)):
    county.persons["wang"].death_date = when
    session.commit()


# ---------------------------------------------------------------- days that cannot count


def test_days_after_death_are_refused_naming_the_person_the_day_and_the_rule(session, county, h):
    died(session, county)
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["wang"].id, "dates": "1-13"}],
            TODAY,
        )
    session.rollback()
    (p,) = e.value.problems
    assert p.value == "2026-10-13" and "王秀英" in p.reason and "死亡日期2026-10-12" in p.reason
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-10",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 20}],
            TODAY,
        )
    session.rollback()
    assert "王秀英" in e.value.problems[0].reason and "超过本月可计考勤天数12天" in e.value.problems[0].reason
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-11",
            [{"contract_id": h.contracts["wang"].id, "days_worked": 1}],
            TODAY,
        )
    session.rollback()
    assert "王秀英：该人员已于2026-10-12死亡，2026年11月不能登记考勤" in e.value.problems[0].reason
    assert count(session) == 0
    svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["wang"].id, "dates": "1-12"}],
        TODAY,
    )
    session.commit()
    assert count(session) == 1


def test_days_after_exit_and_before_start_name_their_rule(session, county, h):
    with pytest.raises(AttendanceRejected) as e:
        svc.enter_month(
            session,
            u(county, "village"),
            v0(county),
            "2026-10",
            [
                {"contract_id": h.contracts["sun"].id, "dates": "19-21"},
                {"contract_id": h.contracts["li"].id, "dates": "15,16"},
            ],
            TODAY,
        )
    session.rollback()
    by_value = {p.value: p.reason for p in e.value.problems}
    assert set(by_value) == {"2026-10-21", "2026-10-15"}
    assert "孙小红" in by_value["2026-10-21"] and "退岗日2026-10-20" in by_value["2026-10-21"]
    assert "李建国" in by_value["2026-10-15"] and "合同开始日2026-10-16" in by_value["2026-10-15"]


def test_the_excel_import_refuses_days_after_death_with_the_excel_row(session, county, h):
    died(session, county)
    wb, _ = _template(session, county, h)
    ws = wb["考勤表"]
    r = _row_of(ws, "HT-2026-0001")
    ws.cell(row=r, column=11).value = "10-14"
    with pytest.raises(AttendanceRejected) as e:
        svc.import_month(
            session, u(county, "village"), v0(county), "2026-10", _sheet(wb), TODAY, filename="x.xlsx"
        )
    session.rollback()
    assert {(p.row, p.column, p.value) for p in e.value.problems} == {
        (r, "出勤日期", "2026-10-13"),
        (r, "出勤日期", "2026-10-14"),
    }
    assert all("王秀英" in p.reason and "死亡" in p.reason for p in e.value.problems)
    assert count(session) == 0


# ---------------------------------------------------------------- the sheet's version


def test_a_save_based_on_an_outdated_version_is_refused_and_writes_nothing(session, county, h):
    wang, li = h.contracts["wang"].id, h.contracts["li"].id
    seen_by_town = svc.village_month(session, u(county, "town"), v0(county), "2026-10", TODAY).version
    seen_by_village = svc.village_month(session, u(county, "village"), v0(county), "2026-10", TODAY).version
    assert seen_by_town == seen_by_village == 0
    svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-10",
        [{"contract_id": wang, "days_worked": 20}],
        TODAY,
        version=seen_by_village,
    )
    session.commit()
    vm = svc.village_month(session, u(county, "town"), v0(county), "2026-10", TODAY)
    assert vm.version == 1 and vm.changed_by_id == u(county, "village").id and vm.changed_at == NOW
    audits = count(session, AuditEntry)

    with pytest.raises(Conflict) as e:  # the township clerk's page was read before the village clerk saved
        svc.enter_month(
            session,
            u(county, "town"),
            v0(county),
            "2026-10",
            [{"contract_id": wang, "days_worked": 18}, {"contract_id": li, "days_worked": 3}],
            TODAY,
            version=seen_by_town,
        )
    session.rollback()
    assert e.value.status == 409 and e.value.code == "attendance_sheet_stale"
    assert (
        "已被village于2026-11-25 10:00（北京时间）修改" in e.value.message
        and "未保存任何数据" in e.value.message
    )
    assert count(session) == 1 and count(session, AuditEntry) == audits
    assert session.scalar(select(AttendanceRecord.days_worked)) == 20

    svc.enter_month(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",  # read again: the save goes through
        [{"contract_id": wang, "days_worked": 18}],
        TODAY,
        version=1,
    )
    session.commit()
    assert svc.sheet_version(session, v0(county), "2026-10")[:2] == (2, u(county, "town").id)


def test_an_unchanged_save_keeps_the_version_and_no_version_skips_the_check(session, county, h):
    row = [{"contract_id": h.contracts["wang"].id, "days_worked": 20}]
    svc.enter_month(session, u(county, "village"), v0(county), "2026-10", row, TODAY, version=0)
    session.commit()
    result = svc.enter_month(session, u(county, "town"), v0(county), "2026-10", row, TODAY, version=0)
    session.commit()
    assert result.unchanged == 1 and svc.sheet_version(session, v0(county), "2026-10")[0] == 1
    svc.enter_month(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["wang"].id, "days_worked": 19}],
        TODAY,
    )
    session.commit()
    assert svc.sheet_version(session, v0(county), "2026-10")[0] == 2
    with pytest.raises(DomainError) as e:
        svc.enter_month(session, u(county, "town"), v0(county), "2026-10", row, TODAY, version="x")
    assert e.value.code == "version_invalid"


def test_an_import_and_a_grade_save_claim_the_sheet_too(session, county, h):
    wb, _ = _template(session, county, h)
    ws = wb["考勤表"]
    ws.cell(row=_row_of(ws, "HT-2026-0001"), column=7).value = 20
    svc.enter_month(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["li"].id, "days_worked": 3}],
        TODAY,
        version=0,
    )
    session.commit()
    with pytest.raises(Conflict):
        svc.import_month(session, u(county, "village"), v0(county), "2026-10", _sheet(wb), TODAY, version=0)
    session.rollback()
    assert count(session) == 1
    svc.import_month(session, u(county, "village"), v0(county), "2026-10", _sheet(wb), TODAY, version=1)
    session.commit()
    assert svc.sheet_version(session, v0(county), "2026-10")[0] == 2

    village = svc.load_village(session, u(county, "town"), v0(county), "enter_assessment")
    assert (
        assessment_service.set_month_grades(
            session, u(county, "town"), v0(county), "2026-10", {h.contracts["wang"].id: "优秀"}, TODAY
        )
        == 1
    )
    with pytest.raises(Conflict):
        svc.claim_sheet(session, u(county, "town"), village, "2026-10", 1)
    session.rollback()
    assert svc.claim_sheet(session, u(county, "town"), village, "2026-10", 2) == 3
    assert svc.claim_sheet(session, u(county, "town"), village, "2026-10", 2) == 3  # once per transaction
    session.commit()
    assert svc.sheet_version(session, v0(county), "2026-10")[0] == 3
    assert verify_chain(session).ok


# ---------------------------------------------------------------- four eyes


def test_whoever_entered_a_record_cannot_approve_it(session, county, h):
    svc.enter_month(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["wang"].id, "days_worked": 20}],
        TODAY,
    )
    svc.enter_month(
        session,
        u(county, "village"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["li"].id, "days_worked": 3}],
        TODAY,
    )
    session.commit()
    with pytest.raises(DomainError) as e:
        svc.approve_month(session, u(county, "town"), county.townships[0].id, "2026-10", TODAY)
    session.rollback()
    assert e.value.code == "attendance_four_eyes"
    assert (
        "由您（town）录入" in e.value.message
        and "王秀英" in e.value.message
        and "李建国" not in e.value.message
    )
    assert any("王秀英（合同HT-2026-0001）：由town于2026-11-25 10:00录入" == d for d in e.value.details)
    assert session.scalar(select(func.count()).where(AttendanceRecord.status == "approved")) == 0
    approved = svc.approve_month(session, u(county, "town2"), county.townships[0].id, "2026-10", TODAY)
    session.commit()
    assert len(approved) == 2


def test_four_eyes_is_a_county_setting(session, county, h):
    settings_service.change_setting(
        session,
        u(county, "admin"),
        county.county,
        "attendance_four_eyes",
        "off",
        TODAY,
        "乡镇只有一名经办人",
        TODAY,
    )
    session.commit()
    bind_now(session, NOW)
    svc.enter_month(
        session,
        u(county, "town"),
        v0(county),
        "2026-10",
        [{"contract_id": h.contracts["wang"].id, "days_worked": 20}],
        TODAY,
    )
    assert len(svc.approve_month(session, u(county, "town"), county.townships[0].id, "2026-10", TODAY)) == 1
