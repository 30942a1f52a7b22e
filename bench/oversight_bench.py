"""Benchmark (not a test): all 15 纪检监察 rules over the 50,000-person demo county, beside the plain
joins they rest on, on SQLite (and PostgreSQL with --pg URL).

    .venv/bin/python bench/oversight_bench.py [--persons 50000] [--pg postgresql+psycopg://postgres@127.0.0.1/db]

The county is pwposts.demo.generate_county(seed=2026) with its payment history and planted cases.
Timed: each rule's detection (one set-based query + evidence shaping), the whole scan writing flags
(run_scan, one transaction), and a second scan (idempotent: nothing new). Floors: the plain joins the
rules rest on, counted in one statement each. A section is appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

TODAY = date(2026, 11, 25)
FLOORS = {
    "payment ⋈ person ⋈ contract ⋈ post": "SELECT COUNT(*) FROM payment p "
    "JOIN person per ON per.id = p.person_id "
    "JOIN contract c ON c.id = p.contract_id JOIN post po ON po.id = c.post_id",
    "contract ⋈ relation (both ways)": "SELECT (SELECT COUNT(*) FROM contract c "
    "JOIN relation r ON r.person_id = c.person_id)"
    " + (SELECT COUNT(*) FROM contract c JOIN relation r ON r.relative_id = c.person_id)",
    "contract ⋈ household members": "SELECT COUNT(*) FROM contract c JOIN person a ON a.id = c.person_id "
    "JOIN person b ON b.household_id = a.household_id",
    "payment ⋈ attendance_record": "SELECT COUNT(*) FROM payment p LEFT JOIN attendance_record a "
    "ON a.contract_id = p.contract_id AND a.month = p.month",
    "person GROUP BY phone / account": "SELECT (SELECT COUNT(*) FROM (SELECT phone FROM person GROUP "
    "BY phone) x)"
    " + (SELECT COUNT(*) FROM (SELECT account_no FROM person GROUP BY account_no) y)",
}


def build(url: str, persons: int):
    from pwposts import create_app, demo
    from pwposts.extensions import db
    from pwposts.services.clock_binding import bind_now

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        bind_now(db.session, datetime(2026, 11, 25, 2))
        t0 = time.perf_counter()
        demo.generate_county(db.session, seed=2026, persons=persons, today=TODAY)
        db.session.commit()
        print(f"county built in {time.perf_counter() - t0:.1f} s", flush=True)
    return app


def measure(app, label: str) -> dict:
    from pwposts.domain.rules.catalog import RULE_IDS
    from pwposts.extensions import db
    from pwposts.services.clock_binding import bind_now
    from pwposts.services.oversight import detect, run_scan

    out = {"label": label}
    with app.app_context():
        s = db.session
        bind_now(s, datetime(2026, 11, 25, 2))
        out["counts"] = {
            t: s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
            for t in ("person", "contract", "payment", "attendance_record", "relation", "cadre")
        }
        floors = {}
        for name, sql in FLOORS.items():
            best = None
            for _ in range(3):
                t0 = time.perf_counter()
                s.execute(text(sql)).scalar()
                t = time.perf_counter() - t0
                best = t if best is None else min(best, t)
            floors[name] = best
        out["floors"] = floors
        s.rollback()
        found, timing = detect(s, TODAY, timer=time.perf_counter)
        out["rules"] = {r: (len(found[r]), timing[r]) for r in RULE_IDS}
        out["detect_total"] = sum(t for _, t in out["rules"].values())
        s.rollback()
        t0 = time.perf_counter()
        bind_now(s, datetime(2026, 11, 25, 2))
        first = run_scan(s, TODAY, actor="bench")
        s.commit()
        out["scan1"] = (time.perf_counter() - t0, first.found, first.new)
        t0 = time.perf_counter()
        bind_now(s, datetime(2026, 11, 25, 3))
        second = run_scan(s, TODAY, actor="bench")
        s.commit()
        out["scan2"] = (time.perf_counter() - t0, second.found, second.new)
    print(out, flush=True)
    return out


def write(results: list[dict], persons: int) -> None:
    load = os.getloadavg()[0]
    lines = [
        f"\n## oversight — all 15 rules over the demo county ({datetime.now():%Y-%m-%d %H:%M})\n",
        f"Command: `python bench/oversight_bench.py --persons {persons}` · machine: {os.cpu_count()} CPU(s), "
        f"load {load:.1f} at the end (shared machine: wall times vary).\n",
    ]
    for r in results:
        c = r["counts"]
        lines.append(
            f"\n### {r['label']}: {c['person']:,} persons, {c['contract']:,} contracts, "
            f"{c['payment']:,} payments, "
            f"{c['attendance_record']:,} attendance records, {c['relation']:,} relations, "
            f"{c['cadre']:,} cadre terms\n"
        )
        lines.append("| rule | findings | seconds |\n|---|---:|---:|")
        for rule, (n, t) in r["rules"].items():
            lines.append(f"| {rule} | {n} | {t:.3f} |")
        met = "met" if r["detect_total"] <= 5 else "**not met**"
        lines.append(
            f"| **all rules (detection + evidence)** | {sum(n for n, _ in r['rules'].values())} | "
            f"**{r['detect_total']:.3f}** (target ≤ 5 s: {met}) |"
        )
        lines.append(
            f"\nWhole scan writing flags (one transaction): {r['scan1'][0]:.3f} s, "
            f"{r['scan1'][2]} new flags; "
            f"second scan (idempotent): {r['scan2'][0]:.3f} s, {r['scan2'][2]} new.\n"
        )
        lines.append("Floors — the plain joins the rules rest on, one COUNT(*) statement each (best of 3):\n")
        lines.append("| join | seconds |\n|---|---:|")
        for name, t in r["floors"].items():
            lines.append(f"| {name} | {t:.3f} |")
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=50000)
    ap.add_argument("--pg")
    ap.add_argument("--sqlite-file")
    ap.add_argument(
        "--pg-only", action="store_true", help="measure PostgreSQL alone (SQLite measured before)"
    )
    args = ap.parse_args()
    results = []
    if args.pg_only and args.pg:
        write([measure(build(args.pg, args.persons), "PostgreSQL")], args.persons)
        return
    path = args.sqlite_file or os.path.join(tempfile.mkdtemp(), "oversight_bench.sqlite3")
    if not (args.sqlite_file and os.path.exists(path)):
        app = build("sqlite:///" + path, args.persons)
    else:
        from pwposts import create_app

        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + path, "TESTING": True, "SECRET_KEY": "bench"}
        )
    results.append(measure(app, "SQLite"))
    if args.pg:
        results.append(measure(build(args.pg, args.persons), "PostgreSQL"))
    write(results, args.persons)


if __name__ == "__main__":
    main()
