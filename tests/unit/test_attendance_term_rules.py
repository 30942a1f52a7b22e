"""Which days can count: the contract's start, an exit, the end, and the holder's death — each refusal
names the rule and the bounding date (DOMAIN.md §2 在岗领补 1; IMPOSSIBLE_ATTENDANCE, PAID_AFTER_DEATH)."""

from datetime import date

from pwposts.domain import attendance as a

TODAY = date(2026, 11, 25)
EXITED = a.Term(date(2025, 11, 10), date(2026, 10, 20), 20, exit_on=date(2026, 10, 20))
DIED = a.Term(date(2026, 3, 1), date(2027, 2, 28), 20, died_on=date(2026, 10, 12))
FROM_16TH = a.Term(date(2026, 10, 16), date(2027, 10, 15), 20)
ENDS_20TH = a.Term(date(2025, 10, 21), date(2026, 10, 20), 20)


def test_each_day_outside_names_its_rule_and_date():
    assert "早于合同开始日2026-10-16" in a.outside_term(date(2026, 10, 15), FROM_16TH)
    assert "晚于退岗日2026-10-20" in a.outside_term(date(2026, 10, 21), EXITED)
    assert "晚于合同到期日2026-10-20" in a.outside_term(date(2026, 10, 21), ENDS_20TH)
    why = a.outside_term(date(2026, 10, 13), DIED)
    assert "死亡日期2026-10-12" in why and "死亡之后的日期不能计考勤" in why
    assert a.outside_term(date(2026, 10, 12), DIED) is None  # the day of death itself can still count
    assert (
        a.outside_term(date(2026, 10, 20), EXITED) is None
        and a.outside_term(date(2026, 10, 16), FROM_16TH) is None
    )


def test_dates_after_death_are_refused_one_by_one():
    _, problems = a.check_entry({"dates": "10-14"}, "2026-10", DIED, TODAY)
    assert [p.value for p in problems] == ["2026-10-13", "2026-10-14"]
    assert all("死亡" in p.reason for p in problems)


def test_a_count_beyond_the_days_before_death_is_refused():
    entry, problems = a.check_entry({"days_worked": 12}, "2026-10", DIED, TODAY)
    assert problems == [] and entry.days_worked == 12
    _, problems = a.check_entry({"days_worked": 13}, "2026-10", DIED, TODAY)
    assert problems[0].field == "days_worked"
    assert "超过本月可计考勤天数12天" in problems[0].reason and "已于2026-10-12死亡" in problems[0].reason
    _, problems = a.check_entry({"days_worked": 10, "leave_days": 3}, "2026-10", DIED, TODAY)
    assert "超过本月可计考勤天数12天" in problems[0].reason


def test_a_whole_month_after_death_or_exit_is_refused_with_the_reason():
    _, problems = a.check_entry({"days_worked": 1}, "2026-11", DIED, TODAY)
    assert problems[0].field == "month" and "已于2026-10-12死亡，2026年11月不能登记考勤" in problems[0].reason
    _, problems = a.check_entry({"days_worked": 1}, "2026-11", EXITED, TODAY)
    assert "提前终止" in problems[0].reason and "2026-10-20" in problems[0].reason
    _, problems = a.check_entry({"days_worked": 1}, "2026-09", FROM_16TH, TODAY)
    assert "合同自2026-10-16开始" in problems[0].reason
