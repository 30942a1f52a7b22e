"""有序退岗: exits (propose → confirm), the daily sweep, payroll after an exit, colours, 311 (issue 8)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from pwposts.domain.attendance import AttendanceRejected
from pwposts.domain.errors import Conflict, DomainError
from pwposts.models.audit import AuditEntry
from pwposts.models.contracts import Contract
from pwposts.models.exits import ContractExit, PersonColour
from pwposts.models.pay import Payment
from pwposts.models.people import Household
from pwposts.services import attendance as att
from pwposts.services import exits as svc
from pwposts.services import pay as payroll
from pwposts.services.posts import vacant_posts
from pwposts.services.sweep import run_sweep
from tests.exits_support import annual, employ, holders
from tests.payroll_support import attend


def _audit_count(session):
    return session.scalar(select(func.count(AuditEntry.id)))


def _snapshot(session):
    return (
        sorted((c.id, c.status, c.exit_on) for c in session.scalars(select(Contract))),
        sorted(
            (e.contract_id, e.reason, e.status, e.effective_on) for e in session.scalars(select(ContractExit))
        ),
        sorted((p.person_id, p.colour, p.reason) for p in session.scalars(select(PersonColour))),
    )


def test_death_is_proposed_by_the_sweep_pay_stops_and_a_second_run_changes_nothing(session, county):
    h = holders(session, county)
    wang = county.persons["wang"]
    wang.death_date = date(2026, 5, 10)
    session.commit()

    report = run_sweep(session, date(2026, 5, 12))
    session.commit()
    assert report.proposed == {"death": 1}
    ex = session.scalars(select(ContractExit)).one()
    assert (ex.status, ex.reason, ex.event_on, ex.effective_on, ex.source) == (
        "proposed",
        "death",
        date(2026, 5, 10),
        date(2026, 5, 11),
        "sweep",
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "propose_exit")).one()
    assert entry.actor_label == "系统：每日巡检"

    before, audits = _snapshot(session), _audit_count(session)
    again = run_sweep(session, date(2026, 5, 12))
    session.commit()
    assert again.changes == 0
    assert _snapshot(session) == before and _audit_count(session) == audits

    svc.confirm_exit(session, county.users["town"], ex.id, date(2026, 5, 13))
    session.commit()
    c = h["wang"]
    assert (c.status, c.exit_on, ex.late) == ("terminated", date(2026, 5, 10), False)
    assert "死亡" in c.end_reason

    # May: 10 of 31 days covered → cap 600 × 10 ÷ 31 = 193.55; 8 days attended → 240 by the formula, so 193.55
    attend(session, c, "2026-05", 8)
    attend(session, h["li"], "2026-05", 20)
    attend(session, h["li"], "2026-06", 20)
    session.commit()
    may = payroll.prepare_run(
        session, county.users["town"], county.townships[0].id, "2026-05", date(2026, 6, 5)
    )
    lines = {p.contract_id: p for p in session.scalars(select(Payment).where(Payment.run_id == may.id))}
    assert lines[c.id].amount_fen == 19355 and lines[c.id].covered_days == 10
    june = payroll.prepare_run(
        session, county.users["town"], county.townships[0].id, "2026-06", date(2026, 7, 5)
    )
    session.commit()
    assert c.id not in {
        p.contract_id for p in session.scalars(select(Payment).where(Payment.run_id == june.id))
    }
    assert (
        session.scalar(
            select(func.count(Payment.id)).where(Payment.contract_id == c.id, Payment.month >= "2026-06")
        )
        == 0
    )
    # paying June is refused at the source: no attendance can be entered for a month after the exit
    with pytest.raises(AttendanceRejected):
        att.enter_month(
            session,
            county.users["town"],
            county.villages[0].id,
            "2026-06",
            [{"contract_id": c.id, "days_worked": 10}],
            date(2026, 7, 5),
        )


def test_contract_past_its_end_is_ended_and_its_post_can_recruit_again(session, county):
    h = holders(session, county, start=date(2025, 11, 1), end=date(2026, 10, 31))
    post = h["post"]
    post.headcount = 2
    post.status = "filled"
    session.commit()
    run_sweep(session, date(2026, 11, 25))
    session.commit()
    for key in ("wang", "li"):
        assert h[key].status == "ended"
    exits = session.scalars(select(ContractExit)).all()
    assert {(e.reason, e.status, e.effective_on) for e in exits} == {
        ("contract_end", "confirmed", date(2026, 11, 1))
    }
    assert post.status == "recruiting"
    vac = [v for v in vacant_posts(session, county.users["town"], date(2026, 11, 25)) if v.post.id == post.id]
    assert vac and vac[0].vacancies == 2 and vac[0].vacant_since == date(2026, 11, 1)
    from pwposts.domain.contracts import CONTRACT_STATE_LABELS

    assert CONTRACT_STATE_LABELS["ended"] == "已结束"
    from pwposts.services.hiring import publish_notice

    n = publish_notice(
        session,
        county.users["town"],
        post.id,
        title="保洁员招聘",
        conditions="本村脱贫人口",
        places=2,
        start_on=date(2026, 11, 26),
        end_on=date(2026, 12, 5),
        contact="东坪镇人社所",
        today=date(2026, 11, 25),
    )
    assert n.id


def test_failed_annual_grade_cannot_be_renewed_and_is_proposed_for_exit_at_the_end(session, county):
    h = holders(session, county)
    annual(session, h["wang"], "2026", "不合格")
    session.commit()
    from pwposts.services.contracts import renew_contract

    with pytest.raises(DomainError) as err:
        renew_contract(
            session,
            county.users["town"],
            h["wang"].id,
            "劳务协议",
            date(2027, 1, 1),
            date(2027, 12, 31),
            date(2026, 11, 25),
        )
    assert "不合格" in err.value.message and "不予续签" in err.value.message
    session.rollback()
    run_sweep(session, date(2026, 11, 25))
    ex = session.scalars(select(ContractExit)).one()
    assert (ex.reason, ex.effective_on) == ("assessment_failed", date(2027, 1, 1))
    svc.confirm_exit(session, county.users["town"], ex.id, date(2026, 11, 25))
    assert (h["wang"].status, h["wang"].exit_on) == ("active", date(2026, 12, 31))  # works until the end
    run_sweep(session, date(2027, 1, 1))
    assert h["wang"].status == "terminated"


def test_employment_record_makes_a_proposal_and_a_dismissed_one_is_not_made_again(session, county):
    holders(session, county)
    employ(session, county.persons["li"], date(2026, 9, 1))
    session.commit()
    run_sweep(session, date(2026, 11, 25))
    ex = session.scalars(select(ContractExit)).one()
    assert (ex.reason, ex.event_on, ex.effective_on) == ("employed", date(2026, 9, 1), date(2026, 9, 1))
    svc.dismiss_exit(
        session, county.users["town"], ex.id, "同名不同人，参保记录身份证号录入错误", date(2026, 11, 25)
    )
    session.commit()
    report = run_sweep(session, date(2026, 11, 26))
    assert report.proposed == {}


def test_ended_category_makes_a_proposal(session, county):
    h = holders(session, county)
    li = county.persons["li"]
    li.categories[0].end_on = date(2026, 8, 31)
    session.commit()
    run_sweep(session, date(2026, 11, 25))
    ex = session.scalars(select(ContractExit)).one()
    assert (ex.contract_id, ex.reason, ex.effective_on) == (h["li"].id, "ineligible", date(2026, 9, 1))


def test_exit_recorded_after_the_limit_is_late_and_listed(session, county):
    h = holders(session, county)
    ex = svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 11, 1),
        date(2026, 11, 2),
        date(2026, 11, 25),
        placement="none",
        wants_work=True,
    )
    session.commit()
    assert ex.status == "confirmed" and ex.late and ex.report_limit_days == 5
    assert h["li"].status == "terminated" and h["li"].exit_on == date(2026, 11, 1)
    late = session.scalars(svc.exit_query(county.users["inspector"], svc.ExitFilter(late=True))).all()
    assert [e.id for e in late] == [ex.id]
    # a village clerk may only propose
    ex2 = svc.record_exit(
        session,
        county.users["village"],
        h["wang"].id,
        "unable",
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 25),
    )
    assert ex2.status == "proposed" and h["wang"].status == "active"
    with pytest.raises(Conflict):
        svc.propose_exit(
            session,
            county.users["town"],
            h["wang"].id,
            "death",
            date(2026, 11, 24),
            date(2026, 11, 25),
            date(2026, 11, 25),
        )


def test_exited_holder_without_work_in_a_jobless_household_is_red_until_a_job_is_recorded(session, county):
    h = holders(session, county)
    li = county.persons["li"]
    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 9, 30),
        date(2026, 10, 1),
        date(2026, 10, 2),
    )
    session.commit()
    run_sweep(session, date(2026, 10, 15))
    assert session.get(PersonColour, li.id).colour == "yellow"  # under 30 days
    run_sweep(session, date(2026, 11, 25))
    session.commit()
    colour = session.get(PersonColour, li.id)
    assert colour.colour == "red" and "零就业" in colour.reason and colour.since == date(2026, 11, 25)
    from pwposts.services.worklist import worklist

    w = worklist(session, county.users["town"], date(2026, 11, 25))
    assert li.id in {c.person_id for c in w.colours}
    employ(session, li, date(2026, 11, 20))
    session.commit()
    run_sweep(session, date(2026, 11, 26))
    assert session.get(PersonColour, li.id).colour == "green"


def test_orange_when_311_is_behind_and_yellow_once_services_are_recorded(session, county):
    h = holders(session, county)
    li = county.persons["li"]
    # someone in li's household works: not red
    other = h["post"]
    from tests.builders import add_person

    sister = add_person(session, county.villages[0], "李小妹", date(1990, 1, 1), "F", household=li.household)
    employ(session, sister, date(2025, 1, 1))
    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "unable",
        date(2026, 7, 31),
        date(2026, 8, 1),
        date(2026, 8, 1),
    )
    session.commit()
    run_sweep(session, date(2026, 11, 25))  # 3 whole months: due job 1, training 1, guidance 1
    assert session.get(PersonColour, li.id).colour == "orange"
    for kind in ("job_info", "training", "guidance"):
        svc.record_service(
            session,
            county.users["village"],
            li.id,
            kind,
            date(2026, 11, 20),
            "东坪镇人社所",
            None,
            date(2026, 11, 25),
        )
    run_sweep(session, date(2026, 11, 25))
    assert session.get(PersonColour, li.id).colour == "yellow"
    assert other.id


def test_death_reason_is_green_and_shortlist_prefers_red_households(session, county):
    h = holders(session, county)
    svc.record_exit(
        session,
        county.users["town"],
        h["wang"].id,
        "death",
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 9, 3),
    )
    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 9, 3),
    )
    session.commit()
    run_sweep(session, date(2026, 11, 25))
    assert session.get(PersonColour, county.persons["wang"].id).colour == "green"
    assert session.get(PersonColour, county.persons["li"].id).colour == "red"
    red = svc.red_household_person_ids(session, [county.persons["li"].id, county.persons["zhao"].id])
    assert red == {county.persons["li"].id}
    assert session.scalar(select(func.count(Household.id))) > 0


def test_sweep_command_twice_on_the_same_day(app, session, county):
    h = holders(session, county, start=date(2025, 11, 1), end=date(2026, 10, 31))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sweep", "--today", "2026-11-25"])
    assert first.exit_code == 0, first.output
    assert "合同期满结束：2 份" in first.output
    session.expire_all()
    audits = _audit_count(session)
    second = runner.invoke(args=["sweep", "--today", "2026-11-25"])
    assert second.exit_code == 0 and "合同期满结束：0 份" in second.output
    session.expire_all()
    assert _audit_count(session) == audits and h["wang"].id
    assert runner.invoke(args=["sweep", "--today", "2026-13-01"]).exit_code != 0


def test_default_shortlist_puts_red_households_first(session, county):
    from pwposts.models.exits import PersonColour
    from pwposts.services.hiring import default_shortlist
    from tests.contracts_support import make_application, make_post

    post = make_post(session, county, headcount=1)
    weak = make_application(session, county, county.persons["wang"], post, status="eligible")  # 弱劳力 first
    notice = weak.notice
    from pwposts.models.hiring import Application

    li_app = Application(
        notice_id=notice.id,
        person_id=county.persons["li"].id,
        status="eligible",
        checked_on=date(2026, 1, 21),
    )
    session.add(li_app)
    session.flush()
    assert [a.id for a in default_shortlist(session, notice)] == [weak.id]
    session.add(
        PersonColour(
            person_id=county.persons["li"].id, colour="red", reason="零就业家庭", since=date(2026, 11, 1)
        )
    )
    session.flush()
    assert [a.id for a in default_shortlist(session, notice)] == [li_app.id]


def test_a_contract_with_an_exit_recorded_cannot_be_renewed(session, county):
    h = holders(session, county)
    annual(session, h["li"], "2026", "合格")
    svc.propose_exit(
        session,
        county.users["village"],
        h["li"].id,
        "own_request",
        date(2026, 11, 25),
        date(2027, 1, 1),
        date(2026, 11, 25),
    )
    from pwposts.services.contracts import renew_contract

    with pytest.raises(Conflict) as err:
        renew_contract(
            session,
            county.users["town"],
            h["li"].id,
            "劳务协议",
            date(2027, 1, 1),
            date(2027, 12, 31),
            date(2026, 11, 25),
        )
    assert "已有退岗记录" in err.value.message


def test_a_death_turns_an_earlier_proposal_into_the_deaths(session, county):
    h = holders(session, county)
    annual(session, h["wang"], "2026", "不合格")
    session.commit()
    run_sweep(session, date(2026, 11, 25))
    ex = session.scalars(select(ContractExit)).one()
    assert (ex.reason, ex.effective_on) == ("assessment_failed", date(2027, 1, 1))
    county.persons["wang"].death_date = date(2026, 12, 10)
    session.commit()
    report = run_sweep(session, date(2026, 12, 12))
    assert report.proposed == {"death": 1}
    assert (ex.reason, ex.event_on, ex.effective_on, ex.status) == (
        "death",
        date(2026, 12, 10),
        date(2026, 12, 11),
        "proposed",
    )
    assert "原建议" in ex.evidence
    assert run_sweep(session, date(2026, 12, 12)).changes == 0


def test_colours_read_in_chunks_give_the_same_colours(session, county, monkeypatch):
    """compute_colours' IN (…) lists grow with every exited holder and their households, past psycopg's
    65,535 parameters in a county's later years: they are read in chunks (bulk.CHUNK), with the same result
    whatever the chunk size — here one value per statement, so every statement binds at most a few."""
    from sqlalchemy import event

    from pwposts.services import bulk
    from pwposts.services.exits.colours import compute_colours

    h = holders(session, county)
    for key, reason in (("li", "own_request"), ("wang", "unable")):
        svc.record_exit(
            session,
            county.users["town"],
            h[key].id,
            reason,
            date(2026, 9, 30),
            date(2026, 10, 1),
            date(2026, 10, 2),
        )
    employ(session, county.persons["wang"], date(2026, 11, 20))
    session.commit()
    whole = compute_colours(session, date(2026, 11, 25))
    assert set(whole) == {county.persons["li"].id, county.persons["wang"].id}
    widest: list[int] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if " IN (" in statement:
            widest.append(len(parameters or ()))

    monkeypatch.setattr(bulk, "CHUNK", 1)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert compute_colours(session, date(2026, 11, 25)) == whole
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert widest and max(widest) <= 4
    assert list(bulk.chunks([3, 1, 3, 2, 1], 2)) == [[3, 1], [2]]
