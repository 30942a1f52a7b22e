"""按需设岗 rules with literal values: the transition table and wage parity at the boundary."""

from decimal import Decimal

import pytest

from pwposts.domain.errors import DomainError
from pwposts.domain.posts import (
    POST_STATES,
    TRANSITIONS,
    check_need,
    check_parity_for_submit,
    check_transition,
    median_fen,
    parity_deviation,
    staffing_state,
)


def test_table_covers_every_state_and_names_only_known_states():
    assert set(TRANSITIONS) == set(POST_STATES)
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(POST_STATES)


@pytest.mark.parametrize(
    "current,target",
    [
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("submitted", "rejected"),
        ("rejected", "draft"),
        ("approved", "recruiting"),
        ("recruiting", "partly_filled"),
        ("recruiting", "filled"),
        ("partly_filled", "filled"),
        ("filled", "partly_filled"),
        ("filled", "recruiting"),
        ("approved", "closed"),
        ("draft", "closed"),
    ],
)
def test_allowed_transitions(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    "current,target",
    [
        ("draft", "approved"),
        ("submitted", "recruiting"),
        ("rejected", "approved"),
        ("submitted", "closed"),
        ("closed", "draft"),
        ("approved", "submitted"),
        ("draft", "recruiting"),
        ("filled", "approved"),
    ],
)
def test_refused_transitions_name_both_states(current, target):
    with pytest.raises(DomainError) as e:
        check_transition(current, target)
    labels = {
        "draft": "草稿",
        "submitted": "待县级审批",
        "approved": "已批准",
        "rejected": "已退回",
        "recruiting": "招聘中",
        "filled": "满员",
        "closed": "已撤销",
    }
    assert labels[current] in e.value.message and labels[target] in e.value.message
    assert e.value.code == "post_bad_transition"


def test_parity_exactly_ten_percent_passes_and_ten_point_zero_one_needs_a_reason():
    # 600.00 元 standard: 660.00 is +10.00% (inside), 660.06 is +10.01% (beyond)
    assert parity_deviation(66000, 20, 60000, 20, 10) == (Decimal("10.00"), Decimal("0.00"), False)
    assert parity_deviation(54000, 20, 60000, 20, 10) == (Decimal("-10.00"), Decimal("0.00"), False)
    assert parity_deviation(66006, 20, 60000, 20, 10) == (Decimal("10.01"), Decimal("0.00"), True)
    assert parity_deviation(53994, 20, 60000, 20, 10)[2] is True
    # one 分 beyond is beyond, even where the shown percentage rounds to 10.00
    a, _, exceeds = parity_deviation(66001, 20, 60000, 20, 10)
    assert a == Decimal("10.00") and exceeds is True


def test_parity_on_days_and_zero_tolerance():
    assert parity_deviation(60000, 22, 60000, 20, 10) == (Decimal("0.00"), Decimal("10.00"), False)
    assert parity_deviation(60000, 23, 60000, 20, 10) == (Decimal("0.00"), Decimal("15.00"), True)
    assert parity_deviation(60000, 20, 60000, 20, 0)[2] is False
    assert parity_deviation(60001, 20, 60000, 20, 0)[2] is True
    # thirds are not a problem: 7 days against 6 is +16.67%
    assert parity_deviation(60000, 7, 60000, 6, 10)[1] == Decimal("16.67")


def test_submit_beyond_tolerance_needs_a_written_reason_naming_both_amounts():
    assert check_parity_for_submit(66000, 20, 60000, 20, 10, None) == "none"
    with pytest.raises(DomainError) as e:
        check_parity_for_submit(72000, 20, 60000, 20, 10, "  ")
    msg = e.value.message
    assert "720.00元" in msg and "600.00元" in msg and "±10%" in msg and "+20.00%" in msg
    assert e.value.code == "parity_reason_required"
    with pytest.raises(DomainError):
        check_parity_for_submit(72000, 20, 60000, 20, 10, "太短")
    assert check_parity_for_submit(72000, 20, 60000, 20, 10, "山区路远，保洁范围是其他村的两倍") == "pending"


def test_need_must_be_written():
    check_need("村内主干道需要每日保洁，三人无法离乡", 1, 3)
    with pytest.raises(DomainError, match="设岗需求"):
        check_need("需要", 1, None)
    with pytest.raises(DomainError):
        check_need("村内主干道需要每日保洁，三人无法离乡", 0, None)


def test_staffing_state_and_median():
    assert staffing_state(0, 2) == "recruiting"
    assert staffing_state(1, 2) == "partly_filled"
    assert staffing_state(2, 2) == "filled"
    assert median_fen([60000]) == 60000
    assert median_fen([72000, 60000, 50000]) == 60000
    assert median_fen([60000, 60001]) == 60001  # 600.005 → half-up to the 分
