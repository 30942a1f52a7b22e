from datetime import date, datetime
from decimal import Decimal

import pytest

from pwposts.domain.errors import DomainError
from pwposts.domain.formats import (
    beijing,
    month_bounds,
    month_heading,
    parse_date,
    parse_month,
    parse_yuan,
    round_fen,
    yuan,
)


def test_yuan():
    assert yuan(123456) == "1,234.56 元"
    assert yuan(5) == "0.05 元"
    assert yuan(-45000) == "-450.00 元"


def test_round_half_up():
    assert round_fen(Decimal("0.5")) == 1
    assert round_fen(Decimal("2.5")) == 3
    assert round_fen(Decimal("-2.5")) == -3


def test_parse_yuan():
    assert parse_yuan("1,234.5") == 123450
    assert parse_yuan("600元") == 60000
    with pytest.raises(DomainError):
        parse_yuan("12.345")
    with pytest.raises(DomainError):
        parse_yuan("abc")


@pytest.mark.parametrize("raw", ["2027-02-29", "2026-09-31", "2026-13-01"])
def test_impossible_dates_refused(raw):
    with pytest.raises(DomainError) as err:
        parse_date(raw)
    assert "不是真实存在的日期" in err.value.message


def test_dates_and_months():
    assert parse_date("2026/3/1") == date(2026, 3, 1)
    assert parse_month("2026年3月") == "2026-03"
    assert month_heading("2026-03") == "2026年3月"
    assert month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert beijing(datetime(2026, 3, 1, 16, 30)) == "2026-03-02 00:30"


def test_ymd_shows_a_utc_timestamp_as_its_beijing_date():
    from datetime import datetime

    from pwposts.domain.formats import ymd

    assert ymd(datetime(2026, 12, 2, 16, 30)) == "2026-12-03"  # 00:30 Beijing on the 3rd
    assert ymd(datetime(2026, 12, 2, 15, 59)) == "2026-12-02"


# ---- full-width input and year ranges (issue 7 item 7) ----


def test_full_width_dates_and_months_are_folded():
    from pwposts.domain.formats import parse_date, parse_month

    assert parse_date("２０２６－０３－０１") == date(2026, 3, 1)
    assert parse_date("２０２６年３月１日") == date(2026, 3, 1)
    assert parse_date("２０２６／３／１") == date(2026, 3, 1)
    assert parse_month("２０２６年３月") == "2026-03"
    assert parse_month("２０２６－０３") == "2026-03"


@pytest.mark.parametrize("raw", ["9999-12", "0000-01", "1999-12", "2101-01"])
def test_months_outside_the_range_are_400_naming_the_value(raw):
    from pwposts.domain.formats import parse_month

    with pytest.raises(DomainError) as e:
        parse_month(raw)
    assert e.value.status == 400 and raw in e.value.message


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_dates_outside_the_range_are_400(raw):
    from pwposts.domain.formats import parse_date

    with pytest.raises(DomainError) as e:
        parse_date(raw)
    assert e.value.status == 400 and raw in e.value.message


def test_ids_refuse_booleans_and_numbers_no_row_can_have():
    from pwposts.domain.inputs import MAX_ID, parse_id

    assert parse_id("１２") == 12 and parse_id(MAX_ID) == MAX_ID
    for bad in (True, False, 0, -1, 1.0, "1e3", "99999999999999999999", MAX_ID + 1, None):
        with pytest.raises(DomainError) as e:
            parse_id(bad, "申请ID")
        assert e.value.status == 400 and "申请ID" in e.value.message


def test_amounts_beyond_any_budget_are_400():
    with pytest.raises(DomainError) as e:
        parse_yuan("1e30")
    assert e.value.status == 400 and "1e30" in e.value.message
    assert parse_yuan("9999999999.99") == 999999999999
