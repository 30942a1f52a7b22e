"""Payroll runs: prepare (set-based), four-eyes approval, funds, bank files and results, retries,
corrections, quarterly runs, arrears."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from pwposts.documents.bank_files import payment_csv, payment_xlsx, read_results
from pwposts.domain.errors import Conflict, DomainError, Forbidden
from pwposts.models.audit import AuditEntry
from pwposts.models.contracts import Assessment
from pwposts.models.pay import AttendanceRecord, Payment, PayrollRun
from pwposts.models.policy import CountySetting
from pwposts.services import pay as svc
from pwposts.services.pay import runs as pay_runs
from pwposts.services.pay import staleness
from tests.payroll_support import attend, grade, make_contract, make_fund, make_post, township_setup

TODAY = date(2026, 11, 25)


def _lines(session, run_id):
    return {p.person.name: p for p in session.scalars(select(Payment).where(Payment.run_id == run_id))}


def _prepare(session, county, user="town", month="2026-10"):
    run = svc.prepare_run(session, county.users[user], county.townships[0].id, month, TODAY)
    session.commit()
    return run


def test_prepare_computes_every_holder_and_lists_those_without_approved_attendance(session, county):
    township_setup(session, county)
    run = _prepare(session, county)
    lines = _lines(session, run.id)
    assert set(lines) == {"王秀英", "李建国"}
    wang = lines["王秀英"]
    assert wang.amount_fen == 45000 + 4000  # 600 ÷ 20 × 15 = 450.00 + 合格 40.00
    assert wang.calc_text == "600 ÷ 20 × 15 = 450.00 + 绩效（合格）40.00 = 490.00"
    li = lines["李建国"]  # from 2026-10-16: c = 16 of 31, cap 309.68; 10 days → 300.00
    assert (li.covered_days, li.month_days, li.cap_fen, li.amount_fen) == (16, 31, 30968, 30000)
    assert li.calc_text.startswith("上限 600 × 16 ÷ 31 = 309.68；600 ÷ 20 × 10 = 300.00；取较小者 300.00")
    assert (run.status, run.line_count, run.unpaid_count, run.total_fen) == ("preview", 2, 1, 79000)
    assert wang.account_no == county.persons["wang"].account_no and wang.status == "pending"
    view = svc.run_view(session, county.users["town"], run.id, TODAY)
    assert [(u.name, u.reason) for u in view.unpaid] == [("刘桂兰", "考勤待审核")]
    assert session.scalar(
        select(AuditEntry.summary).where(AuditEntry.action == "prepare_payroll")
    ).startswith("生成发放清册：东坪镇2026年10月，2人")


def test_proration_from_the_16th_of_a_30_day_month(session, county):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    c = make_contract(session, county.persons["wang"], post, start=date(2026, 9, 16), end=date(2027, 9, 15))
    c2 = make_contract(session, county.persons["li"], post, start=date(2026, 9, 16), end=date(2027, 9, 15))
    c3 = make_contract(
        session, county.persons["chief_wife"], post, start=date(2026, 9, 16), end=date(2027, 9, 15)
    )
    attend(session, c, "2026-09", 10)
    attend(session, c2, "2026-09", 8)
    attend(session, c3, "2026-09", 15)
    grade(session, c2, "2026-09", "不合格")
    session.commit()
    run = _prepare(session, county, month="2026-09")
    lines = _lines(session, run.id)
    assert lines["王秀英"].amount_fen == 30000
    assert (
        lines["李建国"].amount_fen == 24000 and lines["李建国"].performance_fen == 0
    )  # 不合格: no component
    assert lines["刘桂兰"].amount_fen == 30000  # all 15 remaining days: capped at 300.00
    assert all(p.covered_days == 15 and p.month_days == 30 for p in lines.values())


def test_exit_and_death_end_the_days_paid(session, county):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    left = make_contract(
        session, county.persons["wang"], post, status="terminated", exit_on=date(2026, 10, 10)
    )
    died = make_contract(session, county.persons["li"], post)
    county.persons["li"].death_date = date(2026, 10, 20)
    gone = make_contract(session, county.persons["chief_wife"], post)
    county.persons["chief_wife"].death_date = date(2026, 9, 30)
    for c in (left, died, gone):
        attend(session, c, "2026-10", 10)
    session.commit()
    run = _prepare(session, county)
    lines = _lines(session, run.id)
    assert lines["王秀英"].covered_days == 10 and lines["王秀英"].amount_fen == 19355  # 600 × 10 ÷ 31
    assert lines["李建国"].covered_days == 20
    assert "刘桂兰" not in lines
    view = svc.run_view(session, county.users["town"], run.id, TODAY)
    assert any(u.name == "刘桂兰" and "已故" in u.reason for u in view.unpaid)


def test_reprepare_replaces_the_lines_of_the_same_run(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == data["wife"].id))
    rec.status = "approved"
    session.commit()
    again = svc.prepare_run(session, county.users["town2"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    assert again.id == run.id and again.line_count == 3 and again.unpaid_count == 0
    assert again.prepared_by_id == county.users["town2"].id
    assert session.scalar(select(func.count(Payment.id))) == 3
    assert session.scalar(select(func.count(PayrollRun.id))) == 1


def test_month_not_over_and_township_without_holders_are_refused(session, county):
    township_setup(session, county)
    with pytest.raises(DomainError, match="尚未结束"):
        svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-11", TODAY)
    session.rollback()
    with pytest.raises(DomainError, match="没有在岗人员"):
        svc.prepare_run(session, county.users["admin"], county.townships[1].id, "2026-10", TODAY)


def test_township_clerk_cannot_prepare_another_township(session, county):
    township_setup(session, county)
    with pytest.raises(DomainError):
        svc.prepare_run(session, county.users["otherTown"], county.townships[0].id, "2026-10", TODAY)


def test_preparer_cannot_approve_their_own_run(session, county):
    township_setup(session, county)
    run = _prepare(session, county)
    with pytest.raises(DomainError, match="造册人不能审批") as err:
        svc.approve_run(session, county.users["town"], run.id, TODAY)
    assert err.value.code == "four_eyes_required"
    session.rollback()
    assert session.get(PayrollRun, run.id).status == "preview"


@pytest.mark.parametrize("user", ["village", "inspector"])
def test_village_clerk_and_inspector_cannot_approve(session, county, user):
    township_setup(session, county)
    run = _prepare(session, county)
    with pytest.raises(Forbidden):
        svc.approve_run(session, county.users[user], run.id, TODAY)


def test_second_person_approves_and_attendance_is_locked(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    run = session.get(PayrollRun, run.id)
    assert run.status == "approved" and run.approved_by_id == county.users["town2"].id and run.approved_at
    states = {r.contract_id: r.status for r in session.scalars(select(AttendanceRecord))}
    assert states[data["wang"].id] == "locked" and states[data["li"].id] == "locked"
    assert states[data["wife"].id] == "draft"
    with pytest.raises(Conflict):
        svc.approve_run(session, county.users["admin"], run.id, TODAY)
    session.rollback()
    with pytest.raises(Conflict, match="已审批"):
        svc.prepare_run(session, county.users["admin"], county.townships[0].id, "2026-10", TODAY)


def test_approval_refused_when_inputs_changed_since_preparing(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == data["wang"].id))
    rec.days_worked = 12
    session.commit()
    with pytest.raises(DomainError, match="王秀英") as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "payroll_stale"


def test_approval_refused_when_the_account_is_not_the_holders_own(session, county):
    county.persons["wang"].account_name = "张村长"
    township_setup(session, county)
    run = _prepare(session, county)
    with pytest.raises(DomainError, match="开户人“张村长”与本人姓名不符") as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "payroll_accounts"


def test_approval_refused_beyond_the_funds_remaining_allocation(session, county):
    data = township_setup(session, county)
    data["fund"].allocation_fen = 100000  # 1,000.00 元
    # another township's approved run already used 500.00 of it
    other = PayrollRun(
        township_id=county.townships[1].id,
        month="2026-09",
        status="approved",
        prepared_by_id=county.users["otherTown"].id,
        approved_by_id=county.users["admin"].id,
        approved_at=datetime(2026, 10, 5),
    )
    session.add(other)
    session.flush()
    post2 = make_post(session, county, county.villages[2], data["fund"])
    c = make_contract(session, county.persons["zhao"], post2)
    session.add(
        Payment(
            run_id=other.id,
            contract_id=c.id,
            person_id=c.person_id,
            fund_id=data["fund"].id,
            month="2026-09",
            standard_fen=60000,
            required_days=20,
            attended_days=20,
            covered_days=30,
            month_days=30,
            cap_fen=60000,
            base_fen=50000,
            amount_fen=50000,
            calc_text="x",
        )
    )
    session.commit()
    run = _prepare(session, county)
    view = svc.run_view(session, county.users["town2"], run.id, TODAY)
    (check,) = view.funds
    assert (check.allocation_fen, check.used_fen, check.run_fen, check.after_fen) == (
        100000,
        50000,
        79000,
        -29000,
    )
    with pytest.raises(DomainError) as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "fund_exceeded"
    assert "衔接推进乡村振兴补助资金" in err.value.message and "超出290.00 元" in err.value.message
    assert "剩余500.00 元" in err.value.message and "本清册需790.00 元" in err.value.message


def test_void_deletes_the_preview_lines_and_frees_the_month(session, county):
    township_setup(session, county)
    run = _prepare(session, county)
    with pytest.raises(DomainError):
        svc.void_run(session, county.users["town"], run.id, "", TODAY)
    svc.void_run(session, county.users["town"], run.id, "考勤有误", TODAY)
    session.commit()
    assert session.get(PayrollRun, run.id).status == "void"
    assert session.scalar(select(func.count(Payment.id))) == 0
    new = _prepare(session, county)
    assert new.id != run.id and new.line_count == 2


def _approved(session, county):
    data = township_setup(session, county)
    run = _prepare(session, county)
    svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    return data, session.get(PayrollRun, run.id)


def test_bank_file_rows_cover_every_positive_pending_line(session, county):
    _, run = _approved(session, county)
    batch, rows = svc.bank_file_rows(session, run)
    assert batch == 1
    assert (
        sum(r.amount_fen for r in rows)
        == run.total_fen
        == session.scalar(select(func.sum(Payment.amount_fen)).where(Payment.run_id == run.id))
    )
    assert {r.account_name for r in rows} == {"王秀英", "李建国"}
    csv_bytes = payment_csv(rows)
    assert (
        csv_bytes.startswith(b"\xef\xbb\xbf") and "王秀英".encode() in csv_bytes and b'"490.00"' in csv_bytes
    )
    assert payment_xlsx(rows, "t")[:2] == b"PK"


def test_bank_file_refused_before_approval(session, county):
    township_setup(session, county)
    run = _prepare(session, county)
    with pytest.raises(DomainError, match="尚未审批"):
        svc.bank_file_rows(session, run)


def _results_csv(rows):
    lines = ["业务参考号,状态,失败原因,日期"] + [",".join(r) for r in rows]
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def test_bank_results_mark_paid_and_failed_then_failed_lines_are_retried(session, county):
    _, run = _approved(session, county)
    _, rows = svc.bank_file_rows(session, run)
    by_name = {r.account_name: r for r in rows}
    res = svc.import_bank_results(
        session,
        county.users["town"],
        run.id,
        "结果.csv",
        _results_csv(
            [
                (by_name["王秀英"].reference, "成功", "", "2026-11-20"),
                (by_name["李建国"].reference, "失败", "账户已销户", "2026-11-20"),
            ]
        ),
        TODAY,
    )
    session.commit()
    assert (res.paid, res.failed, res.paid_fen, res.failed_fen) == (1, 1, 49000, 30000)
    lines = _lines(session, run.id)
    assert lines["王秀英"].status == "paid" and lines["王秀英"].paid_on == date(2026, 11, 20)
    assert lines["李建国"].status == "failed" and lines["李建国"].failure_reason == "账户已销户"
    # the account is corrected, then the failed line goes into batch 2 with the new account, same amount
    county.persons["li"].account_no = "6221000000000099999"
    session.commit()
    assert svc.retry_failed(session, county.users["town"], run.id, TODAY) == 1
    session.commit()
    li = _lines(session, run.id)["李建国"]
    assert (li.status, li.bank_batch, li.amount_fen, li.account_no) == (
        "pending",
        2,
        30000,
        "6221000000000099999",
    )
    batch, rows2 = svc.bank_file_rows(session, session.get(PayrollRun, run.id))
    assert batch == 2 and [r.reference for r in rows2] == [f"PW{li.id}-2"]
    # a result for the old batch is refused; the new one is accepted
    with pytest.raises(DomainError) as err:
        svc.import_bank_results(
            session,
            county.users["town"],
            run.id,
            "r.csv",
            _results_csv([(f"PW{li.id}-1", "成功", "", "2026-11-24")]),
            TODAY,
        )
    assert "第1批" in err.value.details[0]
    session.rollback()


def test_bank_results_are_all_or_nothing(session, county):
    _, run = _approved(session, county)
    _, rows = svc.bank_file_rows(session, run)
    with pytest.raises(DomainError) as err:
        svc.import_bank_results(
            session,
            county.users["town"],
            run.id,
            "r.csv",
            _results_csv(
                [
                    (rows[0].reference, "成功", "", "2026-11-20"),
                    ("PW999999-1", "成功", "", "2026-11-20"),
                    (rows[1].reference, "失败", "", "2026-11-20"),
                    (rows[0].reference, "成功", "", "2026-11-20"),
                ]
            ),
            TODAY,
        )
    session.rollback()
    assert "整份文件未导入" in err.value.message
    details = "\n".join(err.value.details)
    assert "第3行" in details and "不属于" in details and "第4行" in details and "失败原因" in details
    assert "第5行" in details and "重复" in details
    assert session.scalar(select(func.count(Payment.id)).where(Payment.status != "pending")) == 0


def test_bank_results_from_xlsx_with_header_below_a_title(session, county):
    import io

    from openpyxl import Workbook

    _, run = _approved(session, county)
    _, rows = svc.bank_file_rows(session, run)
    wb = Workbook()
    ws = wb.active
    ws.append(["某银行代发结果"])
    ws.append(["流水号", "处理结果", "备注", "入账日期"])
    for r in rows:
        ws.append([r.reference, "成功", None, datetime(2026, 11, 21)])
    buf = io.BytesIO()
    wb.save(buf)
    assert len(read_results("x.xlsx", buf.getvalue())) == 2
    res = svc.import_bank_results(session, county.users["admin"], run.id, "x.xlsx", buf.getvalue(), TODAY)
    assert res.paid == 2


def test_a_correction_after_payment_is_a_new_line_and_the_original_is_unchanged(session, county):
    _, run = _approved(session, county)
    _, rows = svc.bank_file_rows(session, run)
    svc.import_bank_results(
        session,
        county.users["town"],
        run.id,
        "r.csv",
        _results_csv([(r.reference, "成功", "", "2026-11-20") for r in rows]),
        TODAY,
    )
    session.commit()
    wang = _lines(session, run.id)["王秀英"]
    before = (wang.amount_fen, wang.status, wang.paid_on, wang.calc_text)
    extra = svc.correct_payment(
        session, county.users["town"], wang.id, "补发", 5000, "漏记5天出勤，补发", TODAY
    )
    session.commit()
    wang = session.get(Payment, wang.id)
    assert (wang.amount_fen, wang.status, wang.paid_on, wang.calc_text) == before
    assert extra.id != wang.id and extra.kind == "补发" and extra.amount_fen == 5000
    assert extra.original_payment_id == wang.id and extra.status == "pending" and extra.bank_batch == 2
    assert extra.run_id == run.id
    back = svc.correct_payment(session, county.users["town"], wang.id, "扣回", 2000, "多计绩效，扣回", TODAY)
    session.commit()
    assert back.amount_fen == -2000
    with pytest.raises(DomainError, match="超过该笔已发放净额"):
        svc.correct_payment(session, county.users["town"], wang.id, "扣回", 52001, "全部扣回测试", TODAY)
    session.rollback()
    with pytest.raises(DomainError, match="原因"):
        svc.correct_payment(session, county.users["town"], wang.id, "补发", 100, "", TODAY)
    session.rollback()
    with pytest.raises(DomainError):
        svc.correct_payment(
            session, county.users["inspector"], wang.id, "补发", 100, "检查人员不能更正", TODAY
        )
    session.rollback()
    # the bank file of batch 2 carries the 补发 only (a 扣回 is not a transfer)
    batch, rows2 = svc.bank_file_rows(session, session.get(PayrollRun, run.id))
    assert batch == 2 and [r.amount_fen for r in rows2] == [5000]


def test_corrections_only_on_approved_runs(session, county):
    township_setup(session, county)
    run = _prepare(session, county)
    line = next(iter(_lines(session, run.id).values()))
    with pytest.raises(DomainError, match="尚未审批"):
        svc.correct_payment(session, county.users["town"], line.id, "补发", 100, "测试补发原因", TODAY)


def test_quarterly_county_runs_only_for_a_quarters_last_month_and_covers_three_months(session, county):
    data = township_setup(session, county)
    session.add(
        CountySetting(
            county_id=county.county.id,
            key="pay_frequency",
            value="quarterly",
            effective_from=date(2026, 1, 1),
        )
    )
    for month in ("2026-07", "2026-08", "2026-09"):
        attend(session, data["wang"], month, 20)
    session.commit()
    with pytest.raises(DomainError, match="季度末月份"):
        svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-08", TODAY)
    session.rollback()
    run = svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-09", TODAY)
    session.commit()
    months = sorted(p.month for p in session.scalars(select(Payment).where(Payment.run_id == run.id)))
    assert months == ["2026-07", "2026-08", "2026-09"]
    assert run.total_fen == 3 * 60000
    # 2026-09 lines of li and wife: contracts from 2026-01-01 with no attendance → unpaid, listed per month
    view = svc.run_view(session, county.users["town"], run.id, TODAY)
    assert view.months == months
    assert {(u.name, u.month) for u in view.unpaid} >= {("刘桂兰", "2026-07"), ("刘桂兰", "2026-09")}


def test_arrears_lists_unpaid_beyond_the_limit_and_roster_gaps(session, county):
    _, run = _approved(session, county)
    # approved long ago, still unpaid → arrears
    run.approved_on = date(2026, 10, 1)
    session.commit()
    limit, rows = svc.arrears(session, county.users["inspector"], TODAY)
    assert limit == 30
    oct_row = next(r for r in rows if r.township == "东坪镇" and r.month == "2026-10")
    assert (oct_row.roster, oct_row.lines, oct_row.paid, oct_row.unpaid_lines) == (3, 2, 0, 2)
    assert oct_row.unpaid_fen == run.total_fen
    assert any("审批后55天仍有2人未发放成功" in r for r in oct_row.reasons)
    # October ended only 25 days ago: its roster gap (3 on the roster) is not yet arrears
    assert not any("花名册" in r for r in oct_row.reasons)
    # months with holders and no approved run, more than 30 days after the month's end
    sep = next(r for r in rows if r.township == "东坪镇" and r.month == "2026-09")
    assert sep.run_id is None and any("月末已过56天仍未审批发放" in r for r in sep.reasons)
    assert any("花名册2人，实发0人" in r for r in sep.reasons)
    # the other township has no holders: nothing listed for it
    assert not any(r.township == "西岭乡" for r in rows)
    # a township clerk sees their township only; a village clerk may not open the page
    _, rows_other = svc.arrears(session, county.users["otherTown"], TODAY)
    assert rows_other == []
    with pytest.raises(Forbidden):
        svc.arrears(session, county.users["village"], TODAY)


def test_arrears_clear_once_paid(session, county):
    _, run = _approved(session, county)
    _, rows = svc.bank_file_rows(session, run)
    svc.import_bank_results(
        session,
        county.users["town"],
        run.id,
        "r.csv",
        _results_csv([(r.reference, "成功", "", "2026-11-20") for r in rows]),
        TODAY,
    )
    session.commit()
    _, all_rows = svc.arrears(session, county.users["admin"], TODAY, month="2026-10", flagged_only=False)
    (oct_row,) = all_rows
    assert oct_row.paid == 2 and oct_row.unpaid_lines == 0
    # October ended 25 days ago (< 30): the roster gap (刘桂兰 unpaid) is not yet arrears
    assert oct_row.reasons == []


def test_the_bulk_insert_keeps_the_one_regular_payment_per_contract_month_rule(session, county):
    """The executemany / COPY path raises SQLAlchemy's IntegrityError on a duplicate (prepare_run turns it
    into a Conflict), like the ORM would."""
    from sqlalchemy.exc import IntegrityError

    township_setup(session, county)
    run = _prepare(session, county)
    line = session.scalars(select(Payment).where(Payment.run_id == run.id)).first()
    dup = {c: getattr(line, c) for c in pay_runs._PAYMENT_COLUMNS}
    with pytest.raises(IntegrityError):
        pay_runs._insert_payments(session, [dup])
    session.rollback()


def test_attendance_approved_after_the_run_shows_the_holder_as_not_in_the_run(session, county):
    data, run = _approved(session, county)
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == data["wife"].id))
    rec.status = "approved"
    session.commit()
    view = svc.run_view(session, county.users["town"], run.id, TODAY)
    assert [(u.name, u.reason) for u in view.unpaid] == [("刘桂兰", "考勤在清册审批后才审核，未列入本清册")]


def _reopen(rec):
    rec.status = "draft"


def _exit_earlier(data):
    data["wang"].status, data["wang"].exit_on = "terminated", date(2026, 10, 10)


@pytest.mark.parametrize(
    "change, who",
    [
        (lambda s, d: setattr(_att(s, d["wang"]), "days_worked", 12), "王秀英"),  # attendance changed
        (lambda s, d: _reopen(_att(s, d["wang"])), "王秀英"),  # attendance reopened by the attendance screen
        (
            lambda s, d: setattr(
                s.scalar(select(Assessment).where(Assessment.contract_id == d["wang"].id)), "grade", "优秀"
            ),
            "王秀英",
        ),  # grade changed
        (lambda s, d: grade(s, d["li"], "2026-10", "合格"), "李"),  # a grade appeared
        (
            lambda s, d: setattr(d["wang"].person, "account_no", "6230000000000000999"),
            "王秀英",
        ),  # account changed
        (
            lambda s, d: setattr(d["wang"].person, "account_name", "张村长"),
            "王秀英",
        ),  # account holder changed
        (lambda s, d: setattr(d["li"], "required_days", 22), "李"),  # contract changed
        (lambda s, d: _exit_earlier(d), "王秀英"),  # covered days changed
        (
            lambda s, d: setattr(_att(s, d["wife"]), "status", "approved"),
            "刘桂兰",
        ),  # new approved attendance appeared
    ],
)
def test_each_kind_of_stale_preview_is_refused_by_the_set_based_check(session, county, change, who):
    data = township_setup(session, county)
    run = _prepare(session, county)
    assert staleness._stale_names(session, run, ["2026-10"]) == []
    change(session, data)
    session.commit()
    fresh, _ = svc.compute_run(session, run.township_id, ["2026-10"], run.id)
    expected = staleness._stale_names_computed(session, run, fresh)
    assert expected and staleness._stale_names(session, run, ["2026-10"]) == expected
    with pytest.raises(DomainError, match=who) as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "payroll_stale"
    assert session.get(PayrollRun, run.id).status == "preview"


def test_an_unchanged_preview_of_a_quarter_is_not_stale(session, county):
    data = township_setup(session, county)
    for m in ("2026-07", "2026-08", "2026-09"):
        attend(session, data["wang"], m, 20)
    session.add(
        CountySetting(
            county_id=county.county.id,
            key="pay_frequency",
            value="quarterly",
            effective_from=date(2026, 1, 1),
        )
    )
    session.commit()
    run = _prepare(session, county, month="2026-09")
    assert run.line_count == 3
    assert staleness._stale_names(session, run, ["2026-07", "2026-08", "2026-09"]) == []
    _att(session, data["wang"], "2026-08").days_worked = 19
    session.commit()
    assert staleness._stale_names(session, run, ["2026-07", "2026-08", "2026-09"]) == [
        data["wang"].person.name
    ]


def _att(session, contract, month="2026-10"):
    return session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.contract_id == contract.id, AttendanceRecord.month == month
        )
    )


def test_quarter_with_a_month_missing_at_preview_is_stale_once_that_month_is_approved(session, county):
    """A quarterly preview whose lines cover only July and September must still notice August's
    attendance approved afterwards: approving the old preview would skip August."""
    data = township_setup(session, county)
    for m in ("2026-07", "2026-09"):
        attend(session, data["wang"], m, 20)
    session.add(
        CountySetting(
            county_id=county.county.id,
            key="pay_frequency",
            value="quarterly",
            effective_from=date(2026, 1, 1),
        )
    )
    session.commit()
    run = _prepare(session, county, month="2026-09")
    assert run.line_count == 2
    attend(session, data["wang"], "2026-08", 20)
    session.commit()
    with pytest.raises(DomainError) as err:
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    assert err.value.code == "payroll_stale"


def test_bank_results_as_ods_or_as_the_tab_separated_text_banks_save_under_an_xls_name(session, county):
    """Bank systems hand back .xls (OLE2 or, often, tab-separated text under that name) and LibreOffice .ods:
    the workbook is told by its content and read by calamine; text by its delimiter; a web page saved as .xls
    is refused with what to do."""
    from tests.hostile_files import ods_row, ods_workbook

    _, run = _approved(session, county)
    _, rows = svc.bank_file_rows(session, run)
    ods = ods_workbook(
        [ods_row(["代发结果"]), ods_row(["业务参考号", "状态", "失败原因"])]
        + [ods_row([r.reference, "成功", None]) for r in rows],
        sheet="结果",
    )
    assert [r.reference for r in read_results("结果.ods", ods)] == [r.reference for r in rows]
    assert len(read_results("结果.xls", ods)) == 2  # a workbook whatever its name says
    text = "业务参考号\t状态\t失败原因\n" + "".join(f"{r.reference}\t失败\t账户已销户\n" for r in rows)
    parsed = read_results("银行回盘.xls", text.encode("gb18030"))
    assert [(r.status, r.reason) for r in parsed] == [("失败", "账户已销户")] * 2
    with pytest.raises(DomainError) as err:
        read_results("回盘.xls", b"<html><body><table><tr><td>x</td></tr></table></body></html>")
    assert "网页或 XML 表格格式" in err.value.message and "另存为 .xlsx" in err.value.message
    with pytest.raises(DomainError) as err:
        read_results("回盘.pdf", b"%PDF-1.4")
    assert ".xls" in err.value.message and ".ods" in err.value.message
    res = svc.import_bank_results(
        session, county.users["admin"], run.id, "银行回盘.xls", text.encode(), TODAY
    )
    assert res.failed == 2


def test_the_foreign_key_check_on_deleted_lines_probes_the_corrections_index(session, county):
    """Re-preparing or voiding a run deletes its lines; for each, PostgreSQL checks that no correction
    refers to it (payment.original_payment_id). The partial index on that column (corrections only)
    must serve the check's query — without it every payment line was scanned once per deleted line."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the plan of PostgreSQL's foreign-key check")
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        session.execute(
            text(
                "EXPLAIN SELECT 1 FROM ONLY payment x WHERE original_payment_id = CAST(:p AS INTEGER) "
                "FOR KEY SHARE OF x"
            ),
            {"p": 1},
        ).scalars()
    )
    assert "ix_payment_original_payment_id" in plan and "Index Cond: (original_payment_id =" in plan, plan
    session.rollback()
