"""Profile (not a test): one whole-county prepare + approve on SQLite, on a copy of the file built by
payroll_bench.py (run that first with the same --sqlite). Prints statements per township (by kind, with
their summed execution time) and the top of a cProfile by cumulative / internal time.

    .venv/bin/python bench/payroll_bench.py --no-write --sqlite /tmp/x.sqlite3
    .venv/bin/python bench/payroll_profile.py --sqlite /tmp/x.sqlite3 [--dump /tmp/x.prof] > /tmp/x.txt
    .venv/bin/python bench/payroll_profile.py --pg postgresql+psycopg://postgres@127.0.0.1/<db> --no-profile
    .venv/bin/python bench/payroll_profile.py --pg <a county payroll_bench.py built> --reuse --no-profile

--reuse profiles a copy (CREATE DATABASE … TEMPLATE) of the PostgreSQL county already built there (e.g. a
200,000-person one: payroll_bench.py --persons 200000 --skip-sqlite --pg …); --no-oversight replaces the
approval's scan by a no-op. For a statement's plan: EXPLAIN (ANALYZE, BUFFERS) it with the parameters the
statement timing shows (PostgreSQL's log, or an after_cursor_execute hook).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from payroll_bench import MONTH, NOW, TODAY, make_app
from sqlalchemy import event, func, select


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", help="a county file built by payroll_bench.py (profiled on a copy)")
    ap.add_argument("--pg", help="PostgreSQL URL: the county is built there first (an empty database)")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument(
        "--reuse", action="store_true", help="--pg: profile a copy of the county already built there"
    )
    ap.add_argument("--no-oversight", action="store_true", help="the approval's scan replaced by a no-op")
    ap.add_argument("--dump", help="write the cProfile stats to this file (for pstats / snakeviz)")
    args = ap.parse_args()
    if args.no_oversight:
        import pwposts.services.pay.runs as runs_module

        runs_module.scan_after_payroll_approval = lambda *a, **k: None
    if args.pg:
        from payroll_bench import build, pg_copy

        if not args.reuse:
            build(args.pg, 50000)
        url = pg_copy(args.pg)
    else:
        work = args.sqlite + ".prof"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(work + suffix):
                os.remove(work + suffix)
        shutil.copy(args.sqlite, work)
        url = "sqlite:///" + work

    from pwposts.extensions import db
    from pwposts.models.accounts import User
    from pwposts.models.pay import Payment
    from pwposts.models.people import Region
    from pwposts.services import pay as payroll
    from pwposts.services.clock_binding import bind_now

    app = make_app(url)
    with app.app_context():
        session = db.session
        admin = session.scalar(select(User).where(User.username == "admin"))
        admin2 = session.scalar(select(User).where(User.username == "admin2"))
        towns = session.scalars(select(Region.id).where(Region.level == "township").order_by(Region.id)).all()
        session.commit()
        stats = collections.defaultdict(lambda: [0, 0.0])
        phase = {"p": "?"}
        started = {}

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, params, context, executemany):
            started[id(cursor)] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, params, context, executemany):
            key = (phase["p"], " ".join(statement.split())[:110])
            s = stats[key]
            s[0] += 1
            s[1] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

        prof = cProfile.Profile()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        if not args.no_profile:
            prof.enable()
        for tid in towns:
            phase["p"] = "prepare"
            bind_now(session, NOW)  # as the web does at the start of a request
            run = payroll.prepare_run(session, admin, tid, MONTH, TODAY)
            phase["p"] = "prepare-commit"
            session.commit()
            phase["p"] = "approve"
            bind_now(session, NOW)
            payroll.approve_run(session, admin2, run.id, TODAY)
            phase["p"] = "approve-commit"
            session.commit()
        prof.disable()
        if not args.no_profile and args.dump:
            prof.dump_stats(args.dump)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        lines = session.scalar(select(func.count(Payment.id)).where(Payment.month == MONTH))
        print(
            f"wall {wall:.3f}s cpu {cpu:.3f}s (profiled={not args.no_profile}) lines {lines} "
            f"load {os.getloadavg()[0]:.1f}"
        )
        n = sum(v[0] for v in stats.values())
        print(f"statements: {n} in total, {n / len(towns):.1f} per township (SQL time as seen by the driver)")
        for (ph, sql), (count, secs) in sorted(stats.items(), key=lambda kv: (kv[0][0], -kv[1][1])):
            print(f"  {ph:15s} {count:4d}× {secs * 1000:8.1f} ms  {sql}")
        if not args.no_profile:
            for key in ("cumulative", "tottime"):
                pstats.Stats(prof).sort_stats(key).print_stats(args.top)


if __name__ == "__main__":
    main()
