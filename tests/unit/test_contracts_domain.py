"""Contract rules with literal values: the one-year rule (leap days), renewal dates,
insurance cover, 大写金额."""

from datetime import date

import pytest

from pwposts.domain.contracts import (
    capital_yuan,
    check_annual_grade,
    check_policy_covers,
    check_renewal_start,
    check_term,
    first_anniversary,
    latest_end,
    party_a_name,
)
from pwposts.domain.errors import DomainError


@pytest.mark.parametrize(
    "start, latest",
    [
        (date(2026, 3, 1), date(2027, 2, 28)),
        (date(2026, 1, 31), date(2027, 1, 30)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2027, 3, 1), date(2028, 2, 29)),  # the year ahead contains a 2月29日
        (date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_latest_end(start, latest):
    assert latest_end(start) == latest


def test_anniversary_of_leap_day_is_march_first():
    assert first_anniversary(date(2028, 2, 29)) == date(2029, 3, 1)
    assert first_anniversary(date(2024, 2, 29)) == date(2025, 3, 1)


@pytest.mark.parametrize(
    "start, end",
    [
        (date(2026, 3, 1), date(2027, 2, 28)),
        (date(2026, 1, 31), date(2027, 1, 30)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 1)),
    ],
)
def test_one_year_accepted(start, end):
    check_term(start, end)


@pytest.mark.parametrize(
    "start, end, limit",
    [
        (date(2026, 3, 1), date(2027, 3, 1), "2027-02-28"),
        (date(2026, 1, 31), date(2027, 1, 31), "2027-01-30"),
        (date(2028, 2, 29), date(2029, 3, 1), "2029-02-28"),
    ],
)
def test_one_year_refused_with_both_dates_and_limit(start, end, limit):
    with pytest.raises(DomainError) as e:
        check_term(start, end)
    assert e.value.code == "contract_over_one_year"
    assert start.isoformat() in e.value.message and end.isoformat() in e.value.message
    assert f"最晚为 {limit}" in e.value.message


def test_exact_message():
    with pytest.raises(DomainError) as e:
        check_term(date(2026, 3, 1), date(2027, 3, 1))
    assert (
        e.value.message
        == "每次签订的合同期限不得超过1年：2026-03-01 至 2027-03-01 超出，截止日期最晚为 2027-02-28"
    )


def test_reversed_dates_refused():
    with pytest.raises(DomainError) as e:
        check_term(date(2026, 3, 1), date(2026, 2, 28))
    assert e.value.code == "contract_dates_reversed"


def test_renewal_must_follow_the_day_after():
    check_renewal_start(date(2026, 12, 31), date(2027, 1, 1))
    with pytest.raises(DomainError) as e:
        check_renewal_start(date(2026, 12, 31), date(2026, 12, 31))
    assert e.value.code == "renewal_overlaps" and "2027-01-01" in e.value.message
    with pytest.raises(DomainError) as e:
        check_renewal_start(date(2026, 12, 31), date(2027, 1, 2))
    assert e.value.code == "renewal_gap" and "2027-01-01" in e.value.message


def test_renewal_needs_a_passed_annual_grade():
    check_annual_grade("HT2026-000001", ("2026", "合格"))
    check_annual_grade("HT2026-000001", ("2026", "优秀"))
    with pytest.raises(DomainError) as e:
        check_annual_grade("HT2026-000001", None)
    assert e.value.code == "renewal_no_annual_grade" and "HT2026-000001" in e.value.message
    with pytest.raises(DomainError) as e:
        check_annual_grade("HT2026-000001", ("2026", "不合格"))
    assert e.value.code == "renewal_annual_grade_failed" and "2026年度" in e.value.message


def test_policy_must_cover_the_whole_period():
    check_policy_covers(date(2026, 3, 1), date(2027, 2, 28), date(2026, 3, 1), date(2027, 2, 28))
    check_policy_covers(date(2026, 1, 1), date(2027, 12, 31), date(2026, 3, 1), date(2027, 2, 28))
    for ps, pe in ((date(2026, 3, 2), date(2027, 2, 28)), (date(2026, 3, 1), date(2027, 2, 27))):
        with pytest.raises(DomainError) as e:
            check_policy_covers(ps, pe, date(2026, 3, 1), date(2027, 2, 28))
        msg = e.value.message
        assert e.value.code == "policy_not_covering"
        assert ps.isoformat() in msg and pe.isoformat() in msg and "2026-03-01" in msg and "2027-02-28" in msg


def test_party_a_name():
    assert party_a_name("东坪镇") == "东坪镇人民政府"
    assert party_a_name("东坪镇人民政府") == "东坪镇人民政府"


@pytest.mark.parametrize(
    "fen, text",
    [
        (60000, "陆佰元整"),
        (30000, "叁佰元整"),
        (123456, "壹仟贰佰叁拾肆元伍角陆分"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (1005, "壹拾元零伍分"),
        (1020, "壹拾元贰角"),
        (30, "叁角"),
        (5, "伍分"),
        (0, "零元整"),
        (100, "壹元整"),
        (100100, "壹仟零壹元整"),
        (1000100, "壹万零壹元整"),
        (1000000, "壹万元整"),
        (100000000, "壹佰万元整"),
        (10000000000, "壹亿元整"),
        (10000100000, "壹亿零壹仟元整"),
        (100000010000, "壹拾亿零壹佰元整"),
        (-60000, "负陆佰元整"),
    ],
)
def test_capital_yuan(fen, text):
    assert capital_yuan(fen) == text
