"""Statements planned for their parameters' values, never with a generic plan (PostgreSQL).

psycopg prepares a statement on the server once it has run it `prepare_threshold` (5) times on a
connection; PostgreSQL then plans the prepared statement for its actual parameters five more times, and
from then on may switch to one generic plan, costed without the values. For the payroll's heavy statements
the values are the whole point — a run's subjects as arrays (`= ANY(:scope_…)`), one township's id —
and the generic plans were several times slower: the 11th–20th township of a county run chose them
(SHARED_ACCOUNT's approval scan: 1.56 s → 0.60 s for 20 townships of the 50,000-person county with
custom plans; the prepare's input SELECT 0.42 → 0.21 s). Inside `custom_plans(session)` the driver sends
every statement unprepared (PostgreSQL plans each for its values; the parse it saves is a fraction of a
millisecond next to these statements).

JIT compilation is off inside the block too (one round trip to set, one to restore): PostgreSQL compiles a
statement whose estimated cost is above jit_above_cost, and the approval scan's SHARED_ACCOUNT statement,
estimated far above its real size, spent 0.24 s of its 0.37 s compiling on the 200,000-person county
(EXPLAIN ANALYZE: "JIT … Emission 218 ms") for a statement that then reads a few thousand rows. Nor does
the block start parallel workers: its statements read a few thousand rows each, and on estimates made
without the month's fresh lines PostgreSQL launched two workers per statement (Gather), each launch
costing more than the rows it read.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm import Session


@contextmanager
def custom_plans(session: Session) -> Iterator[None]:
    """Run the block's statements unprepared and without JIT on this session's connection (psycopg);
    else a no-op."""
    conn = session.connection()
    driver = conn.connection.driver_connection
    if conn.dialect.name != "postgresql" or not hasattr(driver, "prepare_threshold"):
        yield
        return
    saved = driver.prepare_threshold
    driver.prepare_threshold = None
    saved_settings = conn.exec_driver_sql(
        "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather'), "
        "set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
    ).one()[:2]
    try:
        yield
    finally:
        driver.prepare_threshold = saved
    # Restored only when the block went through: after an error the transaction may be aborted (a statement
    # now would raise in place of the block's error), and set_config(…, true) ends with the transaction.
    conn.exec_driver_sql(
        "SELECT set_config('jit', %(jit)s, true), "
        "set_config('max_parallel_workers_per_gather', %(par)s, true)",
        {"jit": saved_settings[0], "par": saved_settings[1]},
    )
