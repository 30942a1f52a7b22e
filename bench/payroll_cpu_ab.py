"""Benchmark (not a test): one whole-county prepare + approve on PostgreSQL, timed by CPU rather than wall —
the client's CPU (time.process_time) and the server's: the app connection's backend process, read from
/proc/<pid>/stat (utime + stime, 10 ms ticks), in total, per phase and per approval-scan rule. On a shared
machine wall time moves with the other work; CPU time much less, so A/B runs of two worktrees agree.

    .venv/bin/python bench/payroll_cpu_ab.py postgresql+psycopg://postgres@127.0.0.1/<db> <worktree> <label>

<db> is a county payroll_bench.py built (it is copied first, CREATE DATABASE … TEMPLATE, as
payroll_bench.py does); <worktree> is the code measured (e.g. /work/main, then this worktree: interleave
the runs). PostgreSQL must run on this machine (the backend's /proc entry is read).
"""

from __future__ import annotations

import collections
import functools
import os
import sys
import time


def main() -> None:
    url, worktree, label = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, worktree)
    sys.path.insert(0, os.path.join(worktree, "bench"))
    from payroll_bench import MONTH, NOW, TODAY, make_app, pg_copy
    from sqlalchemy import event, select

    work = pg_copy(url)
    import pwposts.services.oversight as oversight
    import pwposts.services.pay.runs as runs
    from pwposts.extensions import db
    from pwposts.models.accounts import User
    from pwposts.models.people import Region
    from pwposts.services import pay as payroll
    from pwposts.services.clock_binding import bind_now

    tick = os.sysconf("SC_CLK_TCK")

    def cpu(pid: int) -> float:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    app = make_app(work)
    with app.app_context():
        session = db.session
        admin = session.scalar(select(User).where(User.username == "admin"))
        admin2 = session.scalar(select(User).where(User.username == "admin2"))
        towns = session.scalars(select(Region.id).where(Region.level == "township").order_by(Region.id)).all()
        pid = session.connection().connection.driver_connection.info.backend_pid
        session.commit()
        phases: collections.Counter = collections.Counter()

        def timed(f, key):
            @functools.wraps(f)
            def wrapper(*a, **k):
                start = cpu(pid)
                try:
                    return f(*a, **k)
                finally:
                    phases[key] += cpu(pid) - start

            return wrapper

        runs.scan_after_payroll_approval = timed(runs.scan_after_payroll_approval, "approve.scan")
        runs._insert_payments = timed(runs._insert_payments, "prepare.insert")
        runs.compute_run = timed(runs.compute_run, "prepare.compute")
        for rule_id, detector in list(oversight.DETECTORS.items()):
            oversight.DETECTORS[rule_id] = timed(detector, "rule." + rule_id)
        statements = [0]

        def count(*_a):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        load = os.getloadavg()[0]
        server0, client0, wall0 = cpu(pid), time.process_time(), time.perf_counter()
        for tid in towns:
            start = cpu(pid)
            bind_now(session, NOW)
            run = payroll.prepare_run(session, admin, tid, MONTH, TODAY)
            session.commit()
            middle = cpu(pid)
            phases["prepare"] += middle - start
            bind_now(session, NOW)
            payroll.approve_run(session, admin2, run.id, TODAY)
            session.commit()
            phases["approve"] += cpu(pid) - middle
        wall, client = time.perf_counter() - wall0, time.process_time() - client0
        server = cpu(pid) - server0
        same = session.connection().connection.driver_connection.info.backend_pid == pid
        print(
            f"{label}: wall {wall:.3f} s, client cpu {client:.3f} s, server cpu {server:.3f} s, "
            f"total cpu {client + server:.3f} s, {statements[0]} statements, load {load:.1f}"
            + ("" if same else " (the connection changed: server cpu incomplete)")
        )
        print("  server cpu: " + ", ".join(f"{k} {v:.2f}" for k, v in phases.most_common()))
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
