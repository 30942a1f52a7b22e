"""Fixtures shared by several service test modules (pytest finds them here; no import needed)."""

import pytest

from tests.attendance_support import build_holders


@pytest.fixture
def h(session, county):
    """The attendance holders of tests/attendance_support.py (built and committed)."""
    holders = build_holders(session, county)
    session.commit()
    return holders
