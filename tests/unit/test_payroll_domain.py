"""The payment-line rule (DOMAIN.md §2 在岗领补 step 3), with literal values."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from pwposts.domain.formats import round_fen
from pwposts.domain.payroll import (
    bank_reference,
    bank_status,
    compute_line,
    half_up,
    parse_bank_reference,
    run_months,
)


def test_standard_formula_600_20_15_is_450():
    line = compute_line(60000, 20, 15, 31, 31, None, 0, 0)
    assert line.amount_fen == 45000
    assert line.base_fen == 45000 and line.cap_fen == 60000 and line.performance_fen == 0
    assert line.calc_text == "600 ÷ 20 × 15 = 450.00"


@pytest.mark.parametrize("attended,expected", [(10, 30000), (8, 24000), (15, 30000)])
def test_contract_from_the_16th_of_a_30_day_month_is_prorated(attended, expected):
    # c = 15 of d = 30: cap 600 × 15 ÷ 30 = 300.00; amount = min(cap, 600 ÷ 20 × attended)
    line = compute_line(60000, 20, attended, 15, 30, None, 0, 0)
    assert line.cap_fen == 30000
    assert line.amount_fen == expected


def test_prorated_calc_text_spells_out_cap_formula_and_choice():
    line = compute_line(60000, 20, 10, 15, 30, "合格", 5000, 4000)
    assert line.calc_text == (
        "上限 600 × 15 ÷ 30 = 300.00；600 ÷ 20 × 10 = 300.00；取较小者 300.00 + 绩效（合格）40.00 = 340.00"
    )
    assert line.amount_fen == 34000


def test_full_attendance_of_the_remaining_days_is_capped():
    line = compute_line(60000, 20, 15, 15, 30, None, 0, 0)
    assert line.amount_fen == 30000
    assert "600 ÷ 20 × 15 = 450.00" in line.calc_text and "取较小者 300.00" in line.calc_text


def test_more_days_than_required_is_capped_at_the_standard():
    line = compute_line(60000, 20, 22, 31, 31, None, 0, 0)
    assert line.amount_fen == 60000
    assert "超过月补贴标准" in line.calc_text


@pytest.mark.parametrize("grade,perf", [("优秀", 5000), ("合格", 4000), ("不合格", 0), (None, 0)])
def test_performance_in_full_for_excellent_or_pass_nothing_otherwise(grade, perf):
    line = compute_line(60000, 20, 15, 31, 31, grade, 5000, 4000)
    assert line.performance_fen == perf
    assert line.amount_fen == 45000 + perf


def test_fail_and_ungraded_say_why_there_is_no_performance():
    assert "考核不合格，无绩效" in compute_line(60000, 20, 15, 31, 31, "不合格", 5000, 4000).calc_text
    assert "本月未考核，无绩效" in compute_line(60000, 20, 15, 31, 31, None, 5000, 4000).calc_text
    assert "绩效" not in compute_line(60000, 20, 15, 31, 31, None, 0, 0).calc_text


def test_performance_is_not_prorated():
    line = compute_line(60000, 20, 8, 15, 30, "优秀", 5000, 4000)
    assert line.amount_fen == 24000 + 5000


def test_rounding_700_over_22_times_7_half_up_to_the_fen():
    # 70000 × 7 ÷ 22 = 22272.727… 分 → 22273
    line = compute_line(70000, 22, 7, 31, 31, None, 0, 0)
    assert line.amount_fen == 22273
    assert line.calc_text == "700 ÷ 22 × 7 = 222.73"


def test_rounding_an_exact_half_fen_goes_up_not_to_even():
    # 60001 ÷ 20 × 10 = 30000.5 分: half-up gives 30001 (banker's rounding would give 30000)
    assert compute_line(60001, 20, 10, 30, 30, None, 0, 0).amount_fen == 30001
    # 50005 ÷ 10 × 1 = 5000.5 分 → 5001; round() would give 5000
    assert compute_line(50005, 10, 1, 31, 31, None, 0, 0).amount_fen == 5001
    assert round(5000.5) == 5000


def test_rounded_once_on_the_chosen_value_not_on_intermediates():
    # cap 500 × 10 ÷ 31 = 161.2903…; formula 500 ÷ 3 × 1 = 166.666…; the smaller one, rounded once
    line = compute_line(50000, 3, 1, 10, 31, None, 0, 0)
    assert line.amount_fen == 16129


@pytest.mark.parametrize(
    "value",
    [
        Fraction(1, 3),
        Fraction(5, 2),
        Fraction(7, 2),
        Fraction(22272727, 1000),
        Fraction(0),
        Fraction(99999, 2),
    ],
)
def test_half_up_agrees_with_round_fen_on_exact_decimals(value):
    assert half_up(value) == round_fen(Decimal(value.numerator) / Decimal(value.denominator))


def test_zero_days_pays_nothing_but_a_grade_component():
    assert compute_line(60000, 20, 0, 31, 31, None, 5000, 4000).amount_fen == 0
    assert compute_line(60000, 20, 0, 31, 31, "合格", 5000, 4000).amount_fen == 4000


@pytest.mark.parametrize(
    "args",
    [
        (0, 20, 15, 31, 31, None, 0, 0),
        (60000, 0, 15, 31, 31, None, 0, 0),
        (60000, 20, 32, 31, 31, None, 0, 0),
        (60000, 20, 15, 0, 31, None, 0, 0),
        (60000, 20, 15, 31, 30, None, 0, 0),
        (60000, 20, 15, 31, 31, "良好", 0, 0),
    ],
)
def test_impossible_inputs_are_refused(args):
    with pytest.raises(ValueError):
        compute_line(*args)


def test_quarterly_run_covers_the_quarter_and_only_from_its_last_month():
    assert run_months("2026-09", "monthly") == ["2026-09"]
    assert run_months("2026-09", "quarterly") == ["2026-07", "2026-08", "2026-09"]
    assert run_months("2026-03", "quarterly") == ["2026-01", "2026-02", "2026-03"]
    with pytest.raises(ValueError):
        run_months("2026-08", "quarterly")


def test_bank_reference_round_trip_and_statuses():
    assert bank_reference(123, 2) == "PW123-2"
    assert parse_bank_reference(" pw123-2 ") == (123, 2)
    assert parse_bank_reference("123-2") is None and parse_bank_reference("PWx-1") is None
    assert bank_status("成功") == "paid" and bank_status("失败") == "failed" and bank_status("处理中") is None


def test_covered_days_cut_by_start_exit_end_and_death():
    from pwposts.domain.payroll import covered_days, last_paid_day

    assert covered_days("2026-09", date(2026, 1, 1), date(2027, 1, 1)) == 30
    assert covered_days("2026-09", date(2026, 9, 16), date(2027, 1, 1)) == 15
    assert covered_days("2026-09", date(2026, 1, 1), date(2026, 9, 10)) == 10
    assert covered_days("2026-09", date(2026, 1, 1), date(2027, 1, 1), exit_on=date(2026, 9, 5)) == 5
    # the day of death still counts; a death before the exit cuts earlier
    assert (
        covered_days("2026-09", date(2026, 1, 1), date(2027, 1, 1), date(2026, 9, 20), date(2026, 9, 3)) == 3
    )
    assert covered_days("2026-10", date(2026, 1, 1), date(2027, 1, 1), death_date=date(2026, 9, 30)) == 0
    assert covered_days("2026-08", date(2026, 9, 1), date(2027, 1, 1)) == 0
    assert last_paid_day(date(2027, 1, 1), date(2026, 9, 20), date(2026, 12, 1)) == date(2026, 9, 20)


def test_performance_component_and_correction_limits():
    from pwposts.domain.errors import DomainError
    from pwposts.domain.payroll import (
        check_correction,
        correction_limit_fen,
        pays_performance,
        performance_fen,
        recovery_problem,
    )

    assert performance_fen("优秀", 80_00, 40_00) == 80_00 and performance_fen("合格", 80_00, 40_00) == 40_00
    assert performance_fen("不合格", 80_00, 40_00) == 0 and performance_fen(None, 80_00, 40_00) == 0
    assert pays_performance("合格") and not pays_performance("不合格")
    assert check_correction("补发", 100, "  少算一天出勤 ") == "少算一天出勤"
    for kind, amount, reason in (
        ("改正", 100, "少算一天出勤"),
        ("补发", 0, "少算一天出勤"),
        ("扣回", 100, "多发"),
    ):
        with pytest.raises(DomainError):
            check_correction(kind, amount, reason)
    assert correction_limit_fen("扣回", 500_00) == 500_00 and correction_limit_fen("补发", 0, 300) == 300
    assert recovery_problem(500_00, 600_00, -100_00) is None
    assert "超过该笔已发放净额" in recovery_problem(500_01, 600_00, -100_00)
