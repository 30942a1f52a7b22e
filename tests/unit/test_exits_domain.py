"""domain/exits.py with literal values: dates, late reports, the 311 schedule, the colours."""

from datetime import date

import pytest

from pwposts.domain import exits as rules
from pwposts.domain.errors import DomainError


def test_last_paid_day_is_the_day_before_the_effective_date_and_never_after_the_end():
    assert rules.last_paid_day(date(2026, 5, 11), date(2026, 12, 31)) == date(2026, 5, 10)
    assert rules.last_paid_day(date(2027, 1, 1), date(2026, 12, 31)) == date(2026, 12, 31)
    assert rules.effective_after(date(2026, 5, 10), date(2026, 1, 1)) == date(2026, 5, 11)
    assert rules.effective_after(date(2025, 12, 20), date(2026, 1, 1)) == date(2026, 1, 2)


@pytest.mark.parametrize(
    "event, effective, code",
    [
        (date(2026, 1, 1), date(2026, 1, 1), "exit_before_start"),
        (date(2026, 12, 1), date(2027, 1, 2), "exit_after_end"),
        (date(2026, 6, 2), date(2026, 6, 1), "exit_event_after_effective"),
        (date(2026, 12, 1), date(2026, 12, 2), "exit_event_future"),
    ],
)
def test_dates_refused_with_the_rule(event, effective, code):
    with pytest.raises(DomainError) as err:
        rules.check_dates(
            "HT2026-000001", date(2026, 1, 1), date(2026, 12, 31), event, effective, date(2026, 11, 25)
        )
    assert err.value.code == code


def test_planned_exit_at_the_end_may_lie_in_the_future():
    rules.check_dates(
        "HT", date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 1), date(2026, 11, 25)
    )


def test_late_after_the_limit():
    assert not rules.is_late(date(2026, 5, 10), date(2026, 5, 15), 5)
    assert rules.is_late(date(2026, 5, 10), date(2026, 5, 16), 5)
    assert not rules.is_late(date(2027, 1, 1), date(2026, 12, 1), 5)
    assert rules.days_overdue(date(2026, 5, 10), date(2026, 5, 20), 5) == 5


def test_whole_months_and_service_years():
    assert rules.whole_months(date(2026, 1, 31), date(2026, 2, 27)) == 0
    assert (
        rules.whole_months(date(2026, 1, 31), date(2026, 2, 28)) == 1
    )  # a month from 1月31日 ends at month end
    assert rules.whole_months(date(2026, 1, 15), date(2026, 3, 14)) == 1
    assert rules.service_year(date(2025, 3, 1), date(2026, 4, 15)) == (date(2026, 3, 1), date(2027, 2, 28), 1)


def test_311_due_by_months_elapsed():
    assert rules.services_due(0) == {"job_info": 0, "training": 0, "guidance": 0}
    assert rules.services_due(1) == {"job_info": 1, "training": 1, "guidance": 1}
    assert rules.services_due(5) == {"job_info": 2, "training": 1, "guidance": 1}
    assert rules.services_due(9) == {"job_info": 3, "training": 1, "guidance": 1}
    s = rules.schedule(
        date(2026, 8, 1), date(2026, 11, 25), [("job_info", date(2026, 9, 1)), ("training", date(2025, 1, 1))]
    )
    assert s.months == 3 and s.shortfall == {"training": 1, "guidance": 1}


def _facts(**kw):
    base = dict(
        reason="own_request",
        effective_on=date(2026, 9, 1),
        household_has_worker=True,
        schedule=rules.schedule(date(2026, 9, 1), date(2026, 11, 25), []),
    )
    base.update(kw)
    return rules.ColourFacts(**base)


def test_colours():
    today = date(2026, 11, 25)
    assert rules.colour_of(_facts(reason="death"), today, 30)[0] == "green"
    assert rules.colour_of(_facts(has_job=True, job_text="县城物流公司"), today, 30) == (
        "green",
        "已就业：县城物流公司",
    )
    assert rules.colour_of(_facts(has_post=True), today, 30)[0] == "green"
    assert rules.colour_of(_facts(household_has_worker=False), today, 30)[0] == "red"
    assert rules.colour_of(_facts(household_monitored=True), today, 30)[0] == "red"
    assert rules.colour_of(_facts(), today, 30)[0] == "orange"
    assert (
        rules.colour_of(_facts(effective_on=date(2026, 11, 1), household_has_worker=False), today, 30)[0]
        == "yellow"
    )
    on_time = rules.schedule(
        date(2026, 9, 1), today, [(k, date(2026, 10, 1)) for k in ("job_info", "training", "guidance")] * 2
    )
    assert rules.colour_of(_facts(schedule=on_time), today, 30)[0] == "yellow"
    assert rules.worst(["green", "orange", "yellow"]) == "orange" and rules.worst([]) is None
