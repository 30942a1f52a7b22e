"""Pure rules of the recruitment order and the first signing: a notice's state from its dates and outcome,
no notice opening in the past, 公示 only after registration, and a contract never before the hire."""

from __future__ import annotations

from datetime import date

import pytest

from pwposts.domain.contracts import check_start_after_hire, first_terms, latest_end
from pwposts.domain.errors import DomainError
from pwposts.domain.hiring import (
    NOTICE_STATE_LABELS,
    NOTICE_STATES,
    check_notice_opens,
    check_registration_over,
    notice_state,
    publicity_period,
)

START, END = date(2026, 11, 16), date(2026, 11, 24)


def state(today, closed=False, publicity_open=False, hired=0):
    return notice_state(START, END, today, closed=closed, publicity_open=publicity_open, hired=hired)


@pytest.mark.parametrize(
    "today, facts, expected",
    [
        (date(2026, 11, 15), {}, "upcoming"),  # published ahead of its start
        (START, {}, "open"),
        (END, {}, "open"),  # the deadline day still takes applications
        (date(2026, 11, 25), {}, "registration_closed"),  # a stored "open" would be stale here
        (date(2027, 3, 1), {}, "registration_closed"),
        (date(2026, 11, 25), {"publicity_open": True}, "publicity"),
        (
            date(2026, 12, 9),
            {"publicity_open": True},
            "publicity",
        ),  # period over, candidates wait to be hired
        (date(2026, 12, 3), {"hired": 1}, "hired"),
        (date(2026, 12, 3), {"hired": 1, "closed": True}, "hired"),
        (
            date(2026, 12, 20),
            {"hired": 1, "publicity_open": True},
            "publicity",
        ),  # a supplementary 公示 for a second place
        (date(2026, 12, 3), {"closed": True}, "ended"),
        (date(2026, 11, 20), {"closed": True}, "ended"),  # ended early, by hand
        (date(2026, 12, 3), {"closed": True, "publicity_open": True}, "ended"),
    ],
)
def test_notice_state_follows_dates_and_outcome(today, facts, expected):
    assert state(today, **facts) == expected


def test_every_state_has_a_chinese_label():
    assert set(NOTICE_STATE_LABELS) == set(NOTICE_STATES)
    assert [
        NOTICE_STATE_LABELS[s] for s in ("open", "registration_closed", "publicity", "hired", "ended")
    ] == ["报名中", "报名截止", "公示中", "已聘用", "已结束"]


def test_a_notice_cannot_open_in_the_past():
    check_notice_opens(date(2026, 11, 25), date(2026, 12, 5), date(2026, 11, 25))  # today is fine
    check_notice_opens(date(2026, 12, 1), date(2026, 12, 5), date(2026, 11, 25))  # so is later
    with pytest.raises(DomainError) as e:
        check_notice_opens(date(2026, 11, 24), date(2026, 12, 5), date(2026, 11, 25))
    assert e.value.code == "notice_starts_in_past"
    assert "2026-11-24" in e.value.message and "2026-11-25" in e.value.message
    with pytest.raises(DomainError) as e:
        check_notice_opens(date(2026, 12, 5), date(2026, 12, 1), date(2026, 11, 25))
    assert e.value.code == "notice_dates_reversed"


def test_publicity_only_after_the_registration_deadline():
    check_registration_over(END, date(2026, 11, 25))
    for today in (START, date(2026, 11, 20), END):
        with pytest.raises(DomainError) as e:
            check_registration_over(END, today)
        assert e.value.code == "registration_still_open"
        assert "2026-11-24" in e.value.message and "2026-11-25" in e.value.message


def test_publicity_period_counts_working_days_on_the_calendar():
    # Wed 25 published; Thu 26 a holiday; Fri 27, Sun 29 a make-up day, Mon 30, Tue 1, Wed 2
    exceptions = {date(2026, 11, 26): False, date(2026, 11, 29): True}
    assert publicity_period(date(2026, 11, 25), 5, exceptions) == (date(2026, 11, 27), date(2026, 12, 2))
    assert publicity_period(date(2026, 11, 27), 3, {}) == (date(2026, 11, 30), date(2026, 12, 2))


def test_first_terms_start_the_day_after_the_hire_for_as_long_as_one_year_allows():
    assert first_terms(date(2026, 12, 3)) == (date(2026, 12, 4), date(2027, 12, 3))
    assert first_terms(date(2026, 2, 28)) == (date(2026, 3, 1), date(2027, 2, 28))
    assert first_terms(date(2028, 2, 28)) == (
        date(2028, 2, 29),
        date(2029, 2, 28),
    )  # 2月29日's anniversary is 3月1日
    start, end = first_terms(date(2026, 12, 31))
    assert start == date(2027, 1, 1) and end == latest_end(start) == date(2027, 12, 31)


def test_a_contract_never_starts_before_the_hire():
    check_start_after_hire(date(2026, 12, 14), date(2026, 12, 14))
    check_start_after_hire(date(2026, 12, 14), date(2026, 12, 15))
    with pytest.raises(DomainError) as e:
        check_start_after_hire(date(2026, 12, 14), date(2026, 11, 1), "王秀英")
    assert e.value.code == "contract_before_hire"
    assert "2026-11-01" in e.value.message and "2026-12-14" in e.value.message and "王秀英" in e.value.message
