"""Benchmark (not a test): prepare + approve the payroll of a whole demo county, on SQLite and on
PostgreSQL, beside a floor measured in the same run — one hand-written INSERT … SELECT doing the
same arithmetic for the whole county.

    .venv/bin/python bench/payroll_bench.py                       # SQLite only
    .venv/bin/python bench/payroll_bench.py --pg postgresql+psycopg://postgres@127.0.0.1/pw_payroll_bench

The county is `pwposts demo --persons 50000` (pwposts.demo.generate_county, seed 2026; the demo makes
no contracts, so this script adds them). Set-based (executemany, no query per person): every eligible
person — alive, 18–65 on 2026-10-01, holding a category, not a serving cadre — gets a post in their
village (one post per village and category, headcount = its holders) and a contract; 5% start on
2026-10-16 (prorated), 3% left on 2026-10-20 (terminated); October 2026 attendance is approved for 97%
(2% draft, 1% none), days around the required days; grades 优秀 15% / 合格 70% / 不合格 5% / none 10%.
Holders' accounts are made their own and fund allocations raised, so that every approval goes
through (the checks still run).

Timed: for every township, prepare_run (admin) + commit, then approve_run (a second county admin) +
commit — two transactions per township, the path the web takes. SQLite is measured twice on copies
of the same file: as configured (rollback journal) and with WAL + synchronous=NORMAL; PostgreSQL on a
copy of the built database (CREATE DATABASE … TEMPLATE), so --reuse measures the same county again.
Floors, in the same run and database: one INSERT … SELECT computing the same amounts (and a short
calc_text) for the whole county in one transaction — into a bare table, and into a table shaped like
payment with its eight indexes. Their totals must equal the runs' total. Results are appended to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, event, func, insert, select, text

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0)
MONTH = "2026-10"
SEED = 2026


def build_county(session, persons: int) -> dict:
    from pwposts.demo import generate_county
    from pwposts.domain.people import age_on
    from pwposts.models.contracts import Assessment, Contract
    from pwposts.models.pay import AttendanceRecord
    from pwposts.models.people import Cadre, Person, PersonCategory, Region
    from pwposts.models.policy import Fund, PostCategory, Standard
    from pwposts.models.posts import Post
    from pwposts.services.accounts import create_user

    counts = generate_county(session, seed=SEED, persons=persons, today=TODAY)
    rng = random.Random(SEED)
    on = date(2026, 10, 1)
    # The demo now has a payroll history up to the last ended month (October 2026): remove its October
    # runs (their lines, corrections and objections) and unlock their attendance, so that October is
    # prepared here again; its contracts covering October stay and are paid with the bench's own.
    from pwposts.models.pay import Payment, PaymentObjection, PayrollRun

    oct_runs = select(PayrollRun.id).where(PayrollRun.month == MONTH)
    oct_pay = select(Payment.id).where(Payment.run_id.in_(oct_runs))
    session.execute(PaymentObjection.__table__.delete().where(PaymentObjection.payment_id.in_(oct_pay)))
    session.execute(Payment.__table__.delete().where(Payment.original_payment_id.in_(oct_pay)))
    session.execute(Payment.__table__.delete().where(Payment.run_id.in_(oct_runs)))
    session.execute(PayrollRun.__table__.delete().where(PayrollRun.month == MONTH))
    at = AttendanceRecord.__table__
    session.execute(at.update().where(at.c.month == MONTH, at.c.status == "locked").values(status="approved"))
    contracted = set(
        session.scalars(
            select(Contract.person_id).where(
                (Contract.status == "active") | (func.coalesce(Contract.exit_on, Contract.end_on) >= on)
            )
        )
    )
    county_id = session.scalar(select(Region.id).where(Region.level == "county"))
    cadres = set(
        session.scalars(
            select(Cadre.person_id).where(
                Cadre.term_start <= on, (Cadre.term_end.is_(None)) | (Cadre.term_end >= on)
            )
        )
    )
    in_category = set(
        session.scalars(
            select(PersonCategory.person_id).where(
                PersonCategory.start_on <= on,
                (PersonCategory.end_on.is_(None)) | (PersonCategory.end_on >= on),
            )
        )
    )
    people = session.execute(
        select(Person.id, Person.village_id, Person.birth_date, Person.death_date, Person.name)
    ).all()
    eligible = [
        p
        for p in people
        if p.id in in_category
        and p.id not in cadres
        and p.death_date is None
        and 18 <= age_on(p.birth_date, on) <= 65
        and p.id not in contracted
    ]
    # every holder's account is their own (the demo plants mismatches for the anomaly rules)
    pt = Person.__table__
    session.execute(
        pt.update()
        .where(pt.c.id == bindparam("pid"))
        .values(
            account_name=bindparam("pname"),
            account_no=func.coalesce(pt.c.account_no, bindparam("pno")),
            account_kind="社保卡",
        ),
        [{"pid": p.id, "pname": p.name, "pno": f"62366800{p.id:011d}"} for p in eligible],
    )
    session.execute(Fund.__table__.update().values(allocation_fen=Fund.__table__.c.allocation_fen * 100))
    villages = dict(
        session.execute(select(Region.id, Region.parent_id).where(Region.level == "village")).all()
    )
    categories = session.execute(select(PostCategory.id, PostCategory.name)).all()
    standards = {
        s.category_id: s
        for s in session.scalars(
            select(Standard).where(
                Standard.effective_from <= on,
                (Standard.effective_to.is_(None)) | (Standard.effective_to >= on),
            )
        )
    }
    funds = session.execute(select(Fund.id).where(Fund.year == 2026).order_by(Fund.id)).scalars().all()
    next_post = (session.scalar(select(func.max(Post.id))) or 0) + 1
    next_contract = (session.scalar(select(func.max(Contract.id))) or 0) + 1
    posts, contracts, attendance, grades, post_of = [], [], [], [], {}
    by_village: dict[int, list] = {}
    for p in eligible:
        by_village.setdefault(p.village_id, []).append(p)
    for vid, holders in by_village.items():
        for i, p in enumerate(holders):
            cat_id, cat_name = categories[i % len(categories)]
            key = (vid, cat_id)
            std = standards[cat_id]
            if key not in post_of:
                post_of[key] = next_post
                posts.append(
                    {
                        "id": next_post,
                        "code": f"BENCH-{next_post:06d}",
                        "title": f"{cat_name}员",
                        "township_id": villages[vid],
                        "village_id": vid,
                        "category_id": cat_id,
                        "fund_id": funds[next_post % len(funds)],
                        "standard_id": std.id,
                        "headcount": 0,
                        "duties": cat_name,
                        "work_place": "本村",
                        "hours": "按岗位要求",
                        "need_text": "本村有此项公益性工作需要，且有无法离乡的帮扶对象",
                        "allowance_fen": std.monthly_allowance_fen,
                        "required_days": std.required_days,
                        "full_time": std.full_time,
                        "status": "filled",
                        "deviation_status": "none",
                        "created_at": datetime(2026, 1, 1),
                    }
                )
                next_post += 1
            posts[post_of[key] - posts[0]["id"]]["headcount"] += 1
            r = rng.random()
            start, end, status, exit_on = date(2026, 1, 1), date(2026, 12, 31), "active", None
            if r < 0.05:
                start, end = date(2026, 10, 16), date(2027, 10, 15)
            elif r < 0.08:
                status, exit_on = "terminated", date(2026, 10, 20)
            cid = next_contract
            next_contract += 1
            contracts.append(
                {
                    "id": cid,
                    "code": f"BENCH-HT-{cid:06d}",
                    "person_id": p.id,
                    "post_id": post_of[key],
                    "kind": "劳务协议",
                    "start_on": start,
                    "end_on": end,
                    "allowance_fen": std.monthly_allowance_fen,
                    "required_days": std.required_days,
                    "full_time": std.full_time,
                    "perf_excellent_fen": std.perf_excellent_fen,
                    "perf_pass_fen": std.perf_pass_fen,
                    "duties": cat_name,
                    "work_place": "本村",
                    "hours": "按岗位要求",
                    "status": status,
                    "signed_on": start,
                    "exit_on": exit_on,
                    "created_at": datetime(2026, 1, 1),
                }
            )
            a = rng.random()
            if a < 0.99:
                days = max(0, min(31, std.required_days + rng.randint(-4, 2)))
                attendance.append(
                    {
                        "contract_id": cid,
                        "person_id": p.id,
                        "month": MONTH,
                        "days_worked": days,
                        "leave_days": 0,
                        "absent_days": 0,
                        "status": "approved" if a < 0.97 else "draft",
                        "entered_at": datetime(2026, 11, 2),
                    }
                )
            g = rng.random()
            if g < 0.9:
                grades.append(
                    {
                        "contract_id": cid,
                        "kind": "monthly",
                        "period": MONTH,
                        "grade": "优秀" if g < 0.15 else "合格" if g < 0.85 else "不合格",
                        "assessed_at": datetime(2026, 11, 5),
                    }
                )
    session.execute(insert(Post.__table__), posts)
    session.execute(insert(Contract.__table__), contracts)
    session.execute(insert(AttendanceRecord.__table__), attendance)
    session.execute(insert(Assessment.__table__), grades)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("post", "contract"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    county = session.get(Region, county_id)
    admin2 = create_user(
        session,
        "bench",
        username="admin2",
        password="bench-pass-2026",
        display_name="复核人",
        role="county_admin",
        region=county,
    )
    session.commit()
    holders = session.scalar(
        select(func.count(Contract.id)).where(
            Contract.status.in_(("active", "ended", "terminated")),
            Contract.start_on <= date(2026, 10, 31),
            func.coalesce(Contract.exit_on, Contract.end_on) >= on,
        )
    )
    counts.update(
        holders=holders,
        bench_contracts=len(contracts),
        posts=len(posts),
        attendance=len(attendance),
        grades=len(grades),
        admin2=admin2.id,
    )
    return counts


FLOOR_BARE = """CREATE TABLE bench_floor (contract_id INTEGER, person_id INTEGER, month VARCHAR(7),
  covered_days INTEGER, amount_fen BIGINT, calc_text TEXT)"""
# The same shape as payment, with the same eight indexes, so the floor pays the same index upkeep.
FLOOR_FULL = (
    """CREATE TABLE bench_floor_full (id {pk}, run_id INTEGER, contract_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL, fund_id INTEGER, month VARCHAR(7) NOT NULL, kind VARCHAR(10) NOT NULL,
  standard_fen BIGINT NOT NULL, required_days INTEGER NOT NULL, attended_days INTEGER NOT NULL,
  covered_days INTEGER NOT NULL, month_days INTEGER NOT NULL, cap_fen BIGINT NOT NULL,
  base_fen BIGINT NOT NULL,
  grade VARCHAR(5), performance_fen BIGINT NOT NULL, amount_fen BIGINT NOT NULL, calc_text TEXT NOT NULL,
  account_kind VARCHAR(10), account_no VARCHAR(40), account_name VARCHAR(50), status VARCHAR(10) NOT NULL,
  bank_batch INTEGER NOT NULL, created_by_id INTEGER, created_at TIMESTAMP NOT NULL)""",
    "CREATE INDEX bf_run ON bench_floor_full (run_id)",
    "CREATE INDEX bf_contract ON bench_floor_full (contract_id)",
    "CREATE INDEX bf_person ON bench_floor_full (person_id)",
    "CREATE INDEX bf_fund ON bench_floor_full (fund_id, run_id, amount_fen)",  # as ix_payment_fund_run
    "CREATE INDEX bf_month ON bench_floor_full (month)",
    "CREATE INDEX bf_account ON bench_floor_full (account_no)",  # as ix_payment_account_no
    "CREATE UNIQUE INDEX bf_uq ON bench_floor_full (contract_id, month) WHERE kind = 'regular'",
)


def _floor_parts(dialect: str) -> dict:
    """SQL fragments of the rule for October 2026 (d = 31)."""
    if dialect == "postgresql":
        last = (
            "LEAST(COALESCE(c.exit_on, c.end_on), COALESCE(p.death_date, DATE '9999-12-31'), "
            "DATE '2026-10-31')"
        )
        first = "GREATEST(c.start_on, DATE '2026-10-01')"
        covered = f"({last} - {first} + 1)"
        least = "LEAST"

        def money(x):
            return f"(({x}) / 100)::text || '.' || lpad((({x}) % 100)::text, 2, '0')"
    else:
        last = "MIN(COALESCE(c.exit_on, c.end_on), COALESCE(p.death_date, '9999-12-31'), '2026-10-31')"
        first = "MAX(c.start_on, '2026-10-01')"
        covered = f"(CAST(julianday({last}) - julianday({first}) AS INTEGER) + 1)"
        least = "MIN"

        def money(x):
            return f"printf('%d.%02d', ({x}) / 100, ({x}) % 100)"

    d, r = "31", "c.required_days"
    cap = f"((2 * c.allowance_fen * {covered} + {d}) / (2 * {d}))"
    base = (
        f"((2 * {least}(c.allowance_fen * {covered} * {r}, c.allowance_fen * ar.days_worked * {d}) "
        f"+ {d} * {r}) / (2 * {d} * {r}))"
    )
    perf = "(CASE a.grade WHEN '优秀' THEN c.perf_excellent_fen WHEN '合格' THEN c.perf_pass_fen ELSE 0 END)"
    calc = (
        f"{money('c.allowance_fen')} || ' ÷ ' || CAST({r} AS VARCHAR) || ' × ' || "
        f"CAST(ar.days_worked AS VARCHAR) || ' = ' || {money(base)}"
    )
    src = """
FROM contract c
JOIN post ON post.id = c.post_id
JOIN person p ON p.id = c.person_id
JOIN attendance_record ar ON ar.contract_id = c.id AND ar.month = '2026-10'
  AND ar.status IN ('approved', 'locked')
LEFT JOIN assessment a ON a.contract_id = c.id AND a.kind = 'monthly' AND a.period = '2026-10'
WHERE c.status IN ('active', 'ended', 'terminated') AND c.start_on <= '2026-10-31'
  AND COALESCE(c.exit_on, c.end_on) >= '2026-10-01'
  AND COALESCE(p.death_date, c.start_on) >= c.start_on AND COALESCE(p.death_date,
    '2026-10-01') >= '2026-10-01'"""
    return {"covered": covered, "cap": cap, "base": base, "perf": perf, "calc": calc, "src": src}


def floor_bare_sql(dialect: str) -> str:
    f = _floor_parts(dialect)
    return (
        f"INSERT INTO bench_floor (contract_id, person_id, month, covered_days, amount_fen, calc_text) "
        f"SELECT c.id, c.person_id, '2026-10', {f['covered']}, {f['base']} + {f['perf']}, "
        f"{f['calc']} {f['src']}"
    )


def floor_full_sql(dialect: str) -> str:
    f = _floor_parts(dialect)
    return f"""INSERT INTO bench_floor_full (run_id, contract_id, person_id, fund_id, month, kind,
  standard_fen, required_days, attended_days, covered_days, month_days, cap_fen, base_fen, grade,
  performance_fen, amount_fen, calc_text, account_kind, account_no, account_name, status, bank_batch,
  created_by_id, created_at)
SELECT NULL, c.id, c.person_id, post.fund_id, '2026-10', 'regular', c.allowance_fen, c.required_days,
  ar.days_worked, {f["covered"]}, 31, {f["cap"]}, {f["base"]}, a.grade, {f["perf"]},
  {f["base"]} + {f["perf"]}, {f["calc"]}, p.account_kind, p.account_no, p.account_name, 'pending', 1, NULL,
  CURRENT_TIMESTAMP {f["src"]}"""


def _time_floor(session, create, sql, table) -> tuple[float, int, int]:
    session.execute(text(f"DROP TABLE IF EXISTS {table}"))
    pk = "SERIAL PRIMARY KEY" if session.get_bind().dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    for stmt in create if isinstance(create, tuple) else (create,):
        session.execute(text(stmt.replace("{pk}", pk)))
    session.commit()
    best = None
    for _ in range(3):
        session.execute(text(f"DELETE FROM {table}"))
        session.commit()
        t0 = time.perf_counter()
        session.execute(text(sql))
        session.commit()
        best = min(best or 1e9, time.perf_counter() - t0)
    rows = session.scalar(text(f"SELECT count(*) FROM {table}"))
    fen = session.scalar(text(f"SELECT sum(amount_fen) FROM {table}"))
    return best, int(rows), int(fen or 0)


def make_app(url: str, wal: bool = False):
    os.environ["PWPOSTS_INSTANCE"] = tempfile.mkdtemp(prefix="pwbench")
    from sqlalchemy import event

    from pwposts import create_app
    from pwposts.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PWPOSTS_TODAY": TODAY.isoformat()})
    if wal:
        with app.app_context():

            @event.listens_for(db.engine, "connect")
            def _wal(dbapi_conn, _record):
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
                dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return app


def build(url: str, persons: int) -> dict:
    from pwposts.extensions import db

    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        t = time.perf_counter()
        counts = build_county(db.session, persons)
        counts["build_s"] = time.perf_counter() - t
        if db.engine.dialect.name == "postgresql":
            # VACUUM too: the demo's payroll history (January–September) is months old in a real database,
            # and autovacuum has long set its visibility map — index-only scans (a fund's approved use,
            # summed from ix_payment_fund_run) read no heap pages. Without it they read every one.
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return counts


def reuse_or_build(url: str, persons: int, saved: str, reuse: bool) -> dict:
    """The county's counts: those saved beside it when reuse and it was built, else build it (and save)."""
    import json

    if reuse and os.path.exists(saved):
        return json.loads(Path(saved).read_text())
    counts = build(url, persons)
    Path(saved).write_text(json.dumps(counts))
    return counts


def pg_copy(url: str) -> str:
    """A fresh copy of the built PostgreSQL county (CREATE DATABASE … TEMPLATE: its files, statistics and
    visibility map), measured instead of the county itself, so that --reuse measures the same county again
    — as SQLite measures a copy of its file."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    u = make_url(url)
    work = f"{u.database}_work"
    engine = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{work}"'))
        conn.execute(text(f'CREATE DATABASE "{work}" TEMPLATE "{u.database}"'))
    engine.dispose()
    return u.set(database=work).render_as_string(hide_password=False)


def measure(label: str, url: str, counts: dict, wal: bool = False) -> dict:
    from pwposts.extensions import db
    from pwposts.models.accounts import User
    from pwposts.models.pay import Payment, PayrollRun
    from pwposts.models.people import Region
    from pwposts.services import pay as payroll
    from pwposts.services.clock_binding import bind_now

    app = make_app(url, wal)
    with app.app_context():
        dialect = db.engine.dialect.name
        session = db.session
        from pwposts.services.clock_binding import bind_now

        bind_now(session, datetime(2026, 11, 25, 2, 0))  # services stamp with the caller's now
        admin = session.scalar(select(User).where(User.username == "admin"))
        admin2 = session.get(User, counts["admin2"])
        towns = session.scalars(select(Region.id).where(Region.level == "township").order_by(Region.id)).all()
        session.commit()
        load = os.getloadavg()[0]
        statements = [0]

        def count(*_a):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        prep_s = appr_s = 0.0
        cpu0 = time.process_time()
        t_all = time.perf_counter()
        for tid in towns:
            t0 = time.perf_counter()
            bind_now(session, NOW)  # as the web does at the start of a request
            run = payroll.prepare_run(session, admin, tid, MONTH, TODAY)
            session.commit()
            t1 = time.perf_counter()
            bind_now(session, NOW)
            payroll.approve_run(session, admin2, run.id, TODAY)
            session.commit()
            prep_s += t1 - t0
            appr_s += time.perf_counter() - t1
        total_s = time.perf_counter() - t_all
        cpu_s = time.process_time() - cpu0
        event.remove(db.engine, "before_cursor_execute", count)
        lines = session.scalar(select(func.count(Payment.id)).where(Payment.month == MONTH))
        total_fen = int(
            session.scalar(select(func.sum(Payment.amount_fen)).where(Payment.month == MONTH)) or 0
        )
        approved = session.scalar(
            select(func.count(PayrollRun.id)).where(
                PayrollRun.status == "approved", PayrollRun.month == MONTH
            )
        )
        # the floors read the same inputs; after approval the paid attendance is locked, which they accept
        bare_s, bare_rows, bare_fen = _time_floor(session, FLOOR_BARE, floor_bare_sql(dialect), "bench_floor")
        full_s, full_rows, full_fen = _time_floor(
            session, FLOOR_FULL, floor_full_sql(dialect), "bench_floor_full"
        )
        result = {
            "label": label,
            "dialect": dialect,
            "holders": counts["holders"],
            "townships": len(towns),
            "lines": lines,
            "approved_runs": approved,
            "total_fen": total_fen,
            "prepare_s": prep_s,
            "approve_s": appr_s,
            "total_s": total_s,
            "cpu_s": cpu_s,
            "load": load,
            "statements": statements[0],
            "bare_s": bare_s,
            "full_s": full_s,
            "same": bare_rows == full_rows == lines and bare_fen == full_fen == total_fen,
        }
        print(
            f"[{label}] prepare {prep_s:.3f}s + approve {appr_s:.3f}s = {total_s:.3f}s (cpu {cpu_s:.3f}s, "
            f"load {load:.1f}, {statements[0]} statements) for {lines} lines in {approved} runs; "
            f"floor bare {bare_s:.3f}s, "
            f"payment-shaped {full_s:.3f}s; same amounts: {result['same']}",
            flush=True,
        )
        db.session.remove()
        db.engine.dispose()
    return result


def write_results(results: list[dict], command: str, persons: int) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    header = (
        ""
        if path.exists()
        else ("# Benchmarks\n\nMeasured by the scripts in bench/; each run appends a section.\n")
    )
    lines = [
        header,
        f"\n## payroll — prepare + approve a whole county ({datetime.now():%Y-%m-%d %H:%M})\n",
        f"\nCommand: `{command}`\n",
        (
            f"\nCounty: `generate_county(seed={SEED}, persons={persons})`; holders = every eligible person "
            "(alive, 18–65, in a category, not a serving cadre) with a contract and October 2026 attendance "
            f"(97% approved). Machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}; "
            "`load` = 1-minute load average when the timing started (other work on the machine inflates wall "
            "time; `cpu` is this process's CPU time, which for SQLite includes the database engine).\n"
        ),
        (
            "\nTimed: for each township, `prepare_run` + commit, "
            "then `approve_run` by a second person + commit "
            "(2 transactions per township, as through the web). Floors, in the same run: one INSERT … SELECT "
            "computing the same amounts (and a short calc_text) for the whole county, "
            "into a bare 6-column table, "
            "and into a payment-shaped table with payment's eight indexes; one commit each, best of 3.\n"
        ),
        (
            "\n| backend | holders | runs | lines | prepare | approve | **total** | cpu | load | floor bare "
            "| floor payment-shaped | total ÷ bare | total ÷ shaped | same amounts as floor | target |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n"
        ),
    ]
    for r in results:
        rb, rf = r["total_s"] / r["bare_s"], r["total_s"] / r["full_s"]
        if r["dialect"] == "sqlite":
            target = (
                "≤ 1.5 s: "
                + ("met" if r["total_s"] <= 1.5 else "**not met**")
                + "; ≤ 5× floor: "
                + ("met" if rb <= 5 else f"{'met vs shaped' if rf <= 5 else '**not met**'}")
            )
        else:
            target = "≤ 5× floor: " + ("met" if rb <= 5 else ("met vs shaped" if rf <= 5 else "**not met**"))
        lines.append(
            f"| {r['label']} | {r['holders']:,} | {r['approved_runs']} | {r['lines']:,} | "
            f"{r['prepare_s']:.3f} s "
            f"| {r['approve_s']:.3f} s | **{r['total_s']:.3f} s** | {r['cpu_s']:.3f} s | {r['load']:.1f} "
            f"| {r['bare_s']:.3f} s | {r['full_s']:.3f} s | {rb:.1f}× | {rf:.1f}× | "
            f"{'yes' if r['same'] else 'NO'} "
            f"| {target} |\n"
        )
    path.write_text((path.read_text() if path.exists() else "") + "".join(lines))


def main() -> None:
    import shutil

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, default=50000)
    ap.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "pwposts_payroll_bench.sqlite3"))
    ap.add_argument("--pg", help="PostgreSQL URL (an empty database you may drop tables in)")
    ap.add_argument("--no-write", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument(
        "--reuse", action="store_true", help="measure the county already built (--sqlite file, --pg db)"
    )
    ap.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument(
        "--no-oversight",
        action="store_true",
        help="time the payroll alone: the oversight scan each approval runs (issue 9) replaced by a no-op",
    )
    args = ap.parse_args()
    if args.no_oversight:
        import pwposts.services.pay.runs as runs_module

        runs_module.scan_after_payroll_approval = lambda *a, **k: None
    base = args.sqlite
    counts = reuse_or_build("sqlite:///" + base, args.persons, base + ".json", args.reuse or args.skip_sqlite)
    print(
        f"[SQLite] county built in {counts['build_s']:.1f}s: {counts['townships']} townships, "
        f"{counts['persons']} persons, {counts['holders']} holders",
        flush=True,
    )
    results = []
    for label, wal in (
        ()
        if args.skip_sqlite
        else (
            ("SQLite (rollback journal, default)", False),
            ("SQLite (WAL, synchronous=NORMAL)", True),
        )
    ):
        work = base + ".work"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(work + suffix):
                os.remove(work + suffix)
        shutil.copy(base, work)
        results.append(measure(label, "sqlite:///" + work, counts, wal))
    if args.pg:
        counts = reuse_or_build(args.pg, args.persons, base + ".pg.json", args.reuse)
        results.append(measure("PostgreSQL", pg_copy(args.pg), counts))
    if not args.no_write:
        write_results(results, "python " + " ".join(sys.argv), args.persons)


if __name__ == "__main__":
    main()
