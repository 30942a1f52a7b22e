"""services/plans.custom_plans: statements unprepared, without JIT or parallel workers, for the block only."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from pwposts.services.plans import custom_plans


def _settings(session):
    return session.execute(
        text("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
    ).one()


def test_the_block_runs_unprepared_without_jit_and_restores_what_was_set(session):
    if session.get_bind().dialect.name != "postgresql":
        with custom_plans(session):  # a no-op elsewhere
            assert session.execute(text("SELECT 1")).scalar() == 1
        return
    before = tuple(_settings(session))
    driver = session.connection().connection.driver_connection
    threshold = driver.prepare_threshold
    with custom_plans(session):
        assert tuple(_settings(session)) == ("off", "0") and driver.prepare_threshold is None
    assert tuple(_settings(session)) == before and driver.prepare_threshold == threshold
    session.rollback()


def test_an_error_inside_the_block_is_the_error_raised(session):
    """The transaction is aborted after a failed statement: restoring the settings then would raise
    InFailedSqlTransaction in place of the block's own error (a 409 or 503 turned into a 500)."""
    with pytest.raises(DataError):
        with custom_plans(session):
            session.execute(text("SELECT CAST('x' AS integer)" if _pg(session) else "SELECT 1/0"))
            if not _pg(session):  # SQLite answers NULL: raise what PostgreSQL would
                raise DataError("SELECT 1/0", {}, Exception("division by zero"))
    session.rollback()
    if _pg(session):
        assert session.connection().connection.driver_connection.prepare_threshold is not None


def _pg(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
