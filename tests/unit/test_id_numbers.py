from datetime import date

import pytest

from pwposts.domain.errors import DomainError
from pwposts.domain.people import age_on, check_digit, is_older_worker, mask_id_number, parse_id_number


def test_known_valid_number_derives_birth_date_and_sex():
    info = parse_id_number("11010519491231002X")
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "F"


@pytest.mark.parametrize(
    "raw", ["11010519491231002x", " 11010519491231002X ", "１１０１０５１９４９１２３１００２Ｘ"]
)
def test_lower_case_spaces_and_full_width_are_normalised(raw):
    assert parse_id_number(raw).number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw,code",
    [
        ("", "id_empty"),
        ("1101051949123100", "id_length"),
        ("11010519491231002A", "id_chars"),
        ("110105194902300028", "id_birth_date"),  # 2月30日
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_each_failure_has_its_own_reason(raw, code):
    with pytest.raises(DomainError) as err:
        parse_id_number(raw)
    assert err.value.code == code
    assert "身份证号" in err.value.message


def test_check_digit_message_names_expected_digit():
    with pytest.raises(DomainError) as err:
        parse_id_number("110105194912310021")
    assert "应为X" in err.value.message


def test_feb_29_only_in_leap_years():
    first = "52270120000229001"
    assert parse_id_number(first + check_digit(first)).birth_date == date(2000, 2, 29)
    bad = "52270119000229001"
    with pytest.raises(DomainError) as err:
        parse_id_number(bad + check_digit(bad))
    assert err.value.code == "id_birth_date"


def test_mask():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_age_and_older_worker():
    assert age_on(date(2010, 11, 26), date(2026, 11, 25)) == 15
    assert age_on(date(2010, 11, 25), date(2026, 11, 25)) == 16
    assert is_older_worker("F", date(1981, 1, 1), date(2026, 1, 1))
    assert not is_older_worker("M", date(1981, 1, 1), date(2026, 1, 1))


def test_numbers_masked_in_free_text():
    from pwposts.domain.people import mask_numbers_in_text

    text = '{"id_number":"11010519491231002X","account_no":"6221000011112222","phone":"13800001111"}'
    masked = mask_numbers_in_text(text)
    assert "11010519491231002X" not in masked and "110105********002X" in masked
    assert "6221000011112222" not in masked and "****2222" in masked
    assert "13800001111" in masked  # an 11-digit phone is not an account
