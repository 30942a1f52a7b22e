"""The change counter per township-month (services.pay.changes): an approval skips the staleness re-check
only when nothing changed since the preview — every service that changes a run's inputs bumps it, so each
such change still makes the approval refuse the stale preview."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from pwposts.domain.errors import DomainError
from pwposts.models.pay import AttendanceRecord, PayInputChange, PayrollRun
from pwposts.services import assessment as assessment_service
from pwposts.services import attendance as attendance_service
from pwposts.services import exits as exits_service
from pwposts.services import pay as svc
from pwposts.services import person_admin
from pwposts.services.pay import changes
from pwposts.services.pay import runs as pay_runs
from tests.payroll_support import make_fund, township_setup

TODAY = date(2026, 11, 25)


def _prepare(session, county):
    run = svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    return run


def _att(session, contract):
    return session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.contract_id == contract.id, AttendanceRecord.month == "2026-10"
        )
    )


def test_an_unchanged_preview_is_approved_without_the_staleness_statement(session, county, monkeypatch):
    township_setup(session, county)
    run = _prepare(session, county)
    assert run.inputs_stamp

    def no_recheck(*a, **k):
        raise AssertionError("the staleness statement ran although nothing changed")

    monkeypatch.setattr(pay_runs, "_stale_names", no_recheck)
    svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    assert session.get(PayrollRun, run.id).status == "approved"


def test_a_change_elsewhere_does_not_make_the_preview_recheck_but_one_here_does(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    tid = county.townships[0].id
    before = changes.stamp(session, tid, ["2026-10"])
    assert before == run.inputs_stamp
    # another month of the township, another township: this preview's counters stay
    changes.bump(session, [(tid, "2026-09"), (county.townships[1].id, "2026-10")])
    session.commit()
    assert changes.stamp(session, tid, ["2026-10"]) == before
    _att(session, data["wang"]).days_worked = 14
    session.commit()
    assert changes.stamp(session, tid, ["2026-10"]) != before
    rows = session.scalars(select(PayInputChange).where(PayInputChange.township_id == tid)).all()
    assert {r.month for r in rows} >= {"2026-10", "2026-09"}


def _reopen(s, c, d):
    attendance_service.reopen_record(s, c.users["town"], _att(s, d["wang"]).id, "天数有误", TODAY)


def _approve_attendance(s, c, d):
    attendance_service.approve_month(s, c.users["town2"], c.townships[0].id, "2026-10", TODAY)


def _grade(s, c, d):
    assessment_service.set_monthly_grade(s, c.users["town"], d["li"].id, "2026-10", "优秀", TODAY)


def _account(s, c, d):
    person_admin.update_person(s, c.users["admin"], d["wang"].person_id, account_no="6230000000000000999")


def _death(s, c, d):
    person_admin.record_death(
        s, c.users["admin"], d["wang"].person_id, date(2026, 10, 20), "民政局死亡证明", TODAY
    )


def _exit(s, c, d):
    exits_service.record_exit(
        s,
        c.users["town"],
        d["wang"].id,
        "own_request",
        date(2026, 10, 20),
        date(2026, 10, 21),
        TODAY,
        placement="none",
        wants_work=True,
    )


def _year_fund(s, c, d):
    # the post's fund is of 2026; a fund of the same name for 2026 already exists, so a new name's fund
    # does not change the lines — a fund edit of the post's own fund still bumps the county
    make_fund(s, c, name="另一笔资金")
    d["fund"].document_no = "县财〔2026〕9号"


def _post_fund(s, c, d):
    d["post"].fund_id = make_fund(s, c, name="新资金").id


@pytest.mark.parametrize(
    "change, who",
    [
        (_reopen, "王秀英"),  # attendance reopened (attendance service)
        (_approve_attendance, "刘桂兰"),  # attendance approved after the preview (attendance service)
        (_grade, "李"),  # a monthly grade (assessment service)
        (_account, "王秀英"),  # the bank account (person administration)
        (_death, "王秀英"),  # a death inside the month (person administration)
        (_exit, "王秀英"),  # an exit inside the month (exits)
        (_post_fund, "王秀英"),  # the post's fund (posts)
    ],
    ids=["attendance-reopened", "attendance-approved", "grade", "account", "death", "exit", "post-fund"],
)
def test_each_service_change_bumps_the_counter_and_approval_refuses_the_stale_preview(
    session, county, change, who
):
    data = township_setup(session, county)
    run = _prepare(session, county)
    stamp = run.inputs_stamp
    change(session, county, data)
    session.commit()
    assert changes.stamp(session, run.township_id, ["2026-10"]) != stamp
    with pytest.raises(DomainError, match=who) as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "payroll_stale"
    assert session.get(PayrollRun, run.id).status == "preview"


def test_a_fund_change_bumps_every_township_of_the_county(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    other = county.townships[1].id
    before = changes.stamp(session, other, ["2026-10"])
    _year_fund(session, county, data)
    session.commit()
    assert changes.stamp(session, run.township_id, ["2026-10"]) != run.inputs_stamp
    assert changes.stamp(session, other, ["2026-10"]) != before


def test_a_preview_prepared_before_the_counter_is_always_rechecked(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    run.inputs_stamp = None
    session.commit()
    # a change the listener cannot see (a Core UPDATE): found by the full re-check
    session.execute(
        AttendanceRecord.__table__.update()
        .where(AttendanceRecord.__table__.c.id == _att(session, data["wang"]).id)
        .values(days_worked=9)
    )
    session.commit()
    with pytest.raises(DomainError) as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "payroll_stale"
