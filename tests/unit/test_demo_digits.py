"""The demo's ID numbers and card numbers take their check digits from precomputed partial sums: the same
digits as the straightforward computations (domain.people.check_digit; the Luhn sum over the digits)."""

import random
from datetime import date, timedelta

from pwposts.demo.county_people import (
    _ID_CHECKS,
    _SEQ_SUMS,
    CARD_BINS,
    _id_head,
    _luhn,
    _luhn_of_account,
)
from pwposts.domain.people import check_digit


def _luhn_plain(digits: str) -> str:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def test_id_check_digits_from_the_partial_sums():
    rng = random.Random(3)
    day = date(1920, 1, 1)
    while day < date(2030, 1, 1):
        head, head_sum = _id_head(day)
        assert head == "522799" + day.strftime("%Y%m%d")
        for seq in (0, 1, 998, 999, rng.randrange(1000)):
            first17 = f"{head}{seq:03d}"
            assert _ID_CHECKS[(head_sum + _SEQ_SUMS[seq]) % 11] == check_digit(first17)
        day += timedelta(days=7)


def test_card_check_digits_from_the_group_tables():
    rng = random.Random(5)
    bins = [b for kind in CARD_BINS.values() for b in kind] + ["9", "12345678"]  # the last two: no table
    for _ in range(20000):
        bin_, serial = rng.choice(bins), rng.choice((rng.randrange(10**12), rng.randrange(1000), 10**12 - 1))
        body = f"{bin_}{serial:012d}"
        assert _luhn_of_account(bin_, serial) == _luhn(body) == _luhn_plain(body)
