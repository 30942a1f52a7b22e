"""Attendance rules with literal values (DOMAIN.md §2 在岗领补 steps 1–2)."""

from datetime import date

import pytest

from pwposts.domain import attendance as a
from pwposts.domain import payroll as pay_rules
from pwposts.domain.errors import DomainError

TODAY = date(2026, 11, 25)
YEAR = a.Term(date(2026, 3, 1), date(2027, 2, 28), 20)
FROM_16TH = a.Term(date(2026, 10, 16), date(2027, 10, 15), 20)
ENDED_20TH = a.Term(date(2025, 11, 10), date(2026, 10, 20), 20)


def reasons(problems):
    return [p.reason for p in problems]


def test_covered_days_counts_the_calendar_days_inside_the_contract():
    assert pay_rules.covered_days("2026-10", date(2026, 10, 16), date(2027, 10, 15)) == 16
    assert pay_rules.covered_days("2026-10", date(2025, 11, 10), date(2026, 10, 20)) == 20
    assert pay_rules.covered_days("2027-02", date(2026, 3, 1), date(2027, 2, 28)) == 28
    assert pay_rules.covered_days("2026-02", date(2026, 3, 1), date(2027, 2, 28)) == 0
    assert pay_rules.covered_days("2028-02", date(2028, 2, 29), date(2029, 2, 28)) == 1
    assert a.month_days("2028-02") == 29 and a.month_days("2026-09") == 30


def test_a_plain_month_is_accepted():
    entry, problems = a.check_entry(
        {"days_worked": "20", "leave_days": "1", "absent_days": 0}, "2026-10", YEAR, TODAY
    )
    assert problems == []
    assert (entry.days_worked, entry.leave_days, entry.absent_days, entry.hours, entry.marks) == (
        20,
        1,
        0,
        None,
        [],
    )


@pytest.mark.parametrize(
    "month,day,text", [("2027-02", "29", "2027年2月没有29日"), ("2026-09", "31", "2026年9月没有31日")]
)
def test_impossible_dates_are_refused_as_not_real(month, day, text):
    term = a.Term(date(2026, 3, 1), date(2027, 2, 28), 20)
    _, problems = a.check_entry({"dates": f"1,2,{day}"}, month, term, date(2027, 3, 20))
    assert len(problems) == 1
    p = problems[0]
    assert p.field == "dates" and p.value == f"{month}-{day}"
    assert "不是真实存在的日期" in p.reason and text in p.reason


@pytest.mark.parametrize("raw", ["2027-02-29", "2026-09-31"])
def test_impossible_full_dates_in_a_list_are_refused(raw):
    month = raw[:7]
    _, problems = a.check_entry({"dates": [raw]}, month, YEAR, date(2027, 3, 20))
    assert ["不是真实存在的日期" in r for r in reasons(problems)] == [True]
    assert problems[0].value == raw


def test_a_date_outside_the_contract_is_refused_with_the_contract_period():
    _, problems = a.check_entry({"dates": "14,15,16,17"}, "2026-10", FROM_16TH, TODAY)
    assert [p.value for p in problems] == ["2026-10-14", "2026-10-15"]
    assert all("不在合同期内" in r and "2026-10-16 至 2027-10-15" in r for r in reasons(problems))


def test_a_date_after_the_exit_is_outside_the_contract():
    _, problems = a.check_entry({"dates": "20,21"}, "2026-10", ENDED_20TH, TODAY)
    assert [p.value for p in problems] == ["2026-10-21"]


def test_a_date_outside_the_month_is_refused():
    _, problems = a.check_entry({"dates": ["2026-11-02"]}, "2026-10", YEAR, TODAY)
    assert "不在考勤月份2026年10月内" in problems[0].reason


def test_a_day_listed_twice_is_refused():
    _, problems = a.check_entry({"dates": "1,2,3,2"}, "2026-10", YEAR, TODAY)
    assert [p.value for p in problems] == ["2026-10-02"]
    assert "重复" in problems[0].reason
    _, problems = a.check_entry({"dates": "出勤:1-5；请假:5"}, "2026-10", YEAR, TODAY)
    assert "重复" in problems[0].reason and "已记为出勤" in problems[0].reason


def test_dates_in_the_future_are_refused():
    _, problems = a.check_entry({"dates": "24,25,26"}, "2026-11", YEAR, TODAY)
    assert [p.value for p in problems] == ["2026-11-26"]


def test_days_worked_cannot_exceed_the_covered_days():
    _, problems = a.check_entry({"days_worked": 17}, "2026-10", FROM_16TH, TODAY)
    assert problems[0].field == "days_worked" and "超过本月合同覆盖天数16天" in problems[0].reason
    entry, problems = a.check_entry({"days_worked": 16}, "2026-10", FROM_16TH, TODAY)
    assert problems == [] and entry.days_worked == 16


def test_worked_plus_leave_plus_absence_cannot_exceed_the_covered_days():
    _, problems = a.check_entry(
        {"days_worked": 14, "leave_days": 2, "absent_days": 1}, "2026-10", FROM_16TH, TODAY
    )
    assert "＝17天" in problems[0].reason and "16天" in problems[0].reason


def test_days_worked_must_equal_the_work_dates():
    _, problems = a.check_entry({"days_worked": 3, "dates": "1,2,3,5-9"}, "2026-10", YEAR, TODAY)
    assert "与所列出勤日期的天数8天不一致" in problems[0].reason
    entry, problems = a.check_entry({"dates": "1,2,3,5-9"}, "2026-10", YEAR, TODAY)
    assert problems == [] and entry.days_worked == 8
    assert [m.day.day for m in entry.marks] == [1, 2, 3, 5, 6, 7, 8, 9]


def test_sections_mark_leave_and_absence_and_fill_their_counts():
    entry, problems = a.check_entry({"dates": "出勤:1-3,5；请假:4；缺勤:6"}, "2026-10", YEAR, TODAY)
    assert problems == []
    assert (entry.days_worked, entry.leave_days, entry.absent_days) == (4, 1, 1)
    assert a.format_marks(entry.marks) == "1-3,5；请假:4；缺勤:6"
    _, problems = a.check_entry({"dates": "1-3；请假:4", "leave_days": 2}, "2026-10", YEAR, TODAY)
    assert problems[0].field == "leave_days"


@pytest.mark.parametrize(
    "raw,reason", [("-1", "负数"), ("2.5", "小数"), ("abc", "整数"), ("32", "不能超过31")]
)
def test_counts_must_be_whole_days(raw, reason):
    _, problems = a.check_entry({"days_worked": raw}, "2026-10", YEAR, TODAY)
    assert problems[0].field == "days_worked" and reason in problems[0].reason


def test_days_worked_is_required_without_dates():
    _, problems = a.check_entry({"leave_days": 1}, "2026-10", YEAR, TODAY)
    assert "出勤天数不能为空" in problems[0].reason


def test_hours_are_optional_and_bounded_by_days():
    entry, problems = a.check_entry({"days_worked": 10, "hours": "40"}, "2026-10", FROM_16TH, TODAY)
    assert problems == [] and entry.hours == 40
    _, problems = a.check_entry({"days_worked": 1, "hours": 25}, "2026-10", FROM_16TH, TODAY)
    assert problems[0].field == "hours"


def test_a_month_outside_the_contract_is_refused():
    _, problems = a.check_entry({"days_worked": 1}, "2026-02", YEAR, TODAY)
    assert problems[0].field == "month" and "不在合同期内" in problems[0].reason


def test_month_must_be_real_and_begun():
    assert a.check_month("2026-10", TODAY) == "2026-10"
    with pytest.raises(DomainError) as e:
        a.check_month("2026-13", TODAY)
    assert e.value.code == "month_format"
    with pytest.raises(DomainError) as e:
        a.check_month("2026-12", TODAY)
    assert e.value.code == "month_in_future"


def test_unreadable_tokens_are_named():
    _, problems = a.check_entry({"dates": "1,x,9-5,100"}, "2026-10", YEAR, TODAY)
    assert [p.value for p in problems] == ["x", "9-5", "100"]


def test_problem_text_names_row_column_value_and_reason():
    p = a.Problem("dates", "2026-09-31", "不是真实存在的日期", row=3)
    assert str(p) == "第3行 出勤日期 “2026-09-31”：不是真实存在的日期"


def test_assessment_due_is_the_due_day_of_the_next_month():
    assert a.assessment_due("2026-10", 10) == date(2026, 11, 10)
    assert a.assessment_due("2026-12", 5) == date(2027, 1, 5)


def test_grades_and_performance():
    assert a.parse_grade(" 合格 ") == "合格" and a.parse_grade("优") == "优秀"
    with pytest.raises(DomainError):
        a.parse_grade("良好以上")
    assert a.pays_performance("优秀") and a.pays_performance("合格")
    assert not a.pays_performance("不合格") and not a.pays_performance(None)


def test_months_between_and_neighbours():
    assert a.months_between(date(2026, 11, 10), date(2027, 2, 1)) == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert a.previous_month("2026-01") == "2025-12" and a.next_month("2026-12") == "2027-01"
