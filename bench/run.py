"""The benchmark suite, one command: build the demo county, then measure every part beside its floor.

    .venv/bin/python bench/run.py                          # SQLite and PostgreSQL, 50,000 persons
    .venv/bin/python bench/run.py --db sqlite --quick      # small county, short runs (a smoke test)
    .venv/bin/python bench/run.py --db postgresql --pg postgresql+psycopg://postgres@127.0.0.1/pwposts_bench
    .venv/bin/python bench/run.py --parts demo,lists       # some parts only (demo is always built)

For each database the runner builds the demo county (`pwposts demo`, through the CLI), then runs the
parts of PARTS in order. A part is a module with `run(ctx)`; it measures, each beside its floor in the
same run and repeated (min and median), and calls ctx.record(...) once per figure. See bench/README.md
for the contract. A missing part module is reported as absent, a failing one as failed (the suite goes
on). The combined table is appended to bench/RESULTS.md (not with --quick unless --write), and the raw
rows are written as JSON to bench/out/.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (name, module): run in this order on the database the demo part built. A module that cannot be
# imported is reported as absent; `bench.import_bench` is written by another piece of work.
PARTS: list[tuple[str, str]] = [
    ("demo", "bench.parts.demo_build"),
    ("lists", "bench.parts.lists"),
    ("documents", "bench.parts.documents"),
    ("oversight", "bench.parts.oversight"),
    ("imports", "bench.import_bench"),
    ("payroll", "bench.parts.payroll"),
]

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/pwposts_bench"
TODAY = date(2026, 11, 25)  # the scripts' base date (payroll_bench prepares October 2026)


@dataclass
class Row:
    part: str
    figure: str
    value: float | None  # best (min for times, max for throughputs), in `unit`
    median: float | None
    unit: str  # "s", "req/s", "pages/s", "MB", …
    floor: float | None = None  # the floor's best, same unit
    floor_name: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not judged
    detail: str = ""  # p95/p99, errors, cpu, counts …
    db: str = ""
    date: str = ""
    n: int = 1  # repeats behind min and median

    @property
    def higher_is_better(self) -> bool:
        return self.unit.endswith("/s")

    @property
    def ratio(self) -> float | None:
        if self.floor in (None, 0) or self.value is None:
            return None
        return self.value / self.floor


@dataclass
class Context:
    """What a part gets. Read the fields; record figures; ask for scratch databases."""

    db: str  # "sqlite" or "postgresql"
    url: str  # the demo county's database (SQLAlchemy URL); later parts read it too: do not wreck it
    persons: int
    quick: bool
    repeat: int  # repeats for min and median
    seconds: float  # seconds per URL under load
    clients: int
    today: date
    workdir: Path  # scratch space for this database (bench/out/<db>/)
    instance: Path  # PWPOSTS_INSTANCE for subprocesses (secret key shared by gunicorn workers)
    port: int
    reuse: bool = False  # --reuse: the demo county is already built at `url`; do not rebuild it
    part: str = ""
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # ----------------------------------------------------------- recording

    def record(
        self,
        figure: str,
        values: list[float] | float,
        unit: str = "s",
        *,
        floor: list[float] | float | None = None,
        floor_name: str = "",
        target: str = "",
        met: bool | None = None,
        detail: str = "",
    ) -> Row:
        """One figure: its repeated values (min/median taken here), the floor's values, the target."""
        vals = values if isinstance(values, list) else [values]
        fl = floor if isinstance(floor, list) or floor is None else [floor]
        higher = unit.endswith("/s")
        best = (max if higher else min)(vals) if vals else None
        row = Row(
            part=self.part,
            figure=figure,
            value=best,
            median=statistics.median(vals) if vals else None,
            unit=unit,
            floor=((max if higher else min)(fl) if fl else None),
            floor_name=floor_name,
            target=target,
            met=met,
            detail=detail,
            db=self.db,
            date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
            n=len(vals),
        )
        self.rows.append(row)
        ratio = f" ratio {row.ratio:.2f}" if row.ratio is not None else ""
        print(
            f"  [{self.db}/{self.part}] {figure}: {fmt(best, unit)} (median {fmt(row.median, unit)}){ratio}"
        )
        return row

    def note(self, text: str) -> None:
        self.notes.append(f"{self.db}/{self.part}: {text}")

    def log(self, text: str) -> None:
        print(f"  [{self.db}/{self.part}] {text}", flush=True)

    @staticmethod
    def timed(fn: Callable[[], object], repeat: int) -> list[float]:
        out = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return out

    # ----------------------------------------------------------- databases

    def env(self, **extra: str) -> dict:
        """Environment for a subprocess (gunicorn, the `pwposts` CLI) on the demo database."""
        env = dict(os.environ)
        env.update(
            PWPOSTS_DATABASE_URL=self.url,
            PWPOSTS_INSTANCE=str(self.instance),
            PWPOSTS_TODAY=self.today.isoformat(),
        )
        env.update(extra)
        return env

    def empty_database(self, tag: str) -> str:
        """URL of a new, empty database (no tables) of the same kind, named after `tag`."""
        if self.db == "sqlite":
            path = self.workdir / f"{tag}.sqlite3"
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return "sqlite:///" + str(path)
        name = _pg_name(self.url) + "_" + tag
        _pg_admin(self.url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        return _pg_url(self.url, name)

    def copy_database(self, tag: str, source: str | None = None) -> str:
        """URL of a copy of the demo database (or of `source`). Dispose your engines on it first."""
        source = source or self.url
        if self.db == "sqlite":
            src = Path(source.split("sqlite:///", 1)[1])
            dst = self.workdir / f"{tag}.sqlite3"
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(dst) + suffix).unlink(missing_ok=True)
            shutil.copyfile(src, dst)
            return "sqlite:///" + str(dst)
        src, name = _pg_name(source), _pg_name(self.url) + "_" + tag
        _pg_admin(
            source,
            # only this suite's own connections can be open on its database: end them (CREATE DATABASE …
            # TEMPLATE needs the template unused)
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{src}' "
            "AND pid <> pg_backend_pid()",
            f'DROP DATABASE IF EXISTS "{name}"',
            f'CREATE DATABASE "{name}" TEMPLATE "{src}"',
        )
        return _pg_url(source, name)


def _pg_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database


def _pg_url(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _pg_admin(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for s in statements:
                conn.execute(text(s))
    finally:
        engine.dispose()


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "s":
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
    if unit.endswith("/s"):
        return f"{v:,.1f} {unit}" if v < 100 else f"{v:,.0f} {unit}"
    return f"{v:,.1f} {unit}"


def fmt_ratio(r: Row) -> str:
    if r.ratio is None:
        return "—"
    return f"{r.ratio:.0%}" if r.higher_is_better else f"{r.ratio:.2f}×"


# ---------------------------------------------------------------- running


def run_database(args, db: str, url: str) -> Context:
    workdir = ROOT / "bench" / "out" / db
    workdir.mkdir(parents=True, exist_ok=True)
    instance = workdir / "instance"
    instance.mkdir(exist_ok=True)
    ctx = Context(
        db=db,
        url=url,
        persons=args.persons,
        quick=args.quick,
        repeat=args.repeat,
        seconds=args.seconds,
        clients=args.clients,
        today=TODAY,
        workdir=workdir,
        instance=instance,
        port=args.port,
        reuse=args.reuse,
    )
    # parts that create the app in this process read the same database
    os.environ.update(ctx.env())
    wanted = set(args.parts.split(",")) if args.parts else None
    for name, module in PARTS:
        if wanted is not None and name not in wanted and name != "demo":
            continue
        ctx.part = name
        print(f"== {db}: {name} ({module})", flush=True)
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name and module.startswith(err.name):
                ctx.record("absent", [], "s", detail=f"`{module}` not present")
                continue
            raise
        run = getattr(mod, "run", None)
        if run is None:
            ctx.record("absent", [], "s", detail=f"`{module}` has no run(ctx)")
            continue
        t0 = time.perf_counter()
        try:
            run(ctx)
        except Exception as err:  # one failing part does not stop the suite
            traceback.print_exc()
            ctx.record("failed", [], "s", detail=f"{type(err).__name__}: {err}"[:200])
            if name == "demo":
                break
        ctx.log(f"part took {time.perf_counter() - t0:.1f} s")
    return ctx


def write_results(args, contexts: list[Context], path: Path) -> None:
    load = os.getloadavg()[0]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"\n## suite ({when}; {', '.join(c.db for c in contexts)}; {args.persons:,} persons"
        f"{'; quick' if args.quick else ''})\n",
        f"Command: `{args.command}` · machine: {os.cpu_count()} CPU(s), load {load:.1f} at the end "
        "(shared machine: absolute figures vary, the ratios to the floors measured in the same run are the "
        "figures to compare). Value = best of the repeats (min time, max rate), median beside it; ratio = "
        "value ÷ floor (× for times, % for rates).\n",
        "| part | figure | value (best · median, n) | floor | ratio | target | detail | db | date (UTC) |",
        "|---|---|---:|---|---:|---|---|---|---|",
    ]
    for c in contexts:
        for r in c.rows:
            if r.value is None:
                value = "—"
            else:
                value = f"{fmt(r.value, r.unit)} · {fmt(r.median, r.unit)}, {r.n}"
            floor = f"{fmt(r.floor, r.unit)} ({r.floor_name})" if r.floor is not None else r.floor_name or "—"
            target = r.target or "—"
            if r.target and r.met is not None:
                target += ": " + ("met" if r.met else "**not met**")
            lines.append(
                f"| {r.part} | {r.figure} | {value} | {floor} | {fmt_ratio(r)} | {target} | "
                f"{r.detail} | {r.db} | {r.date} |"
            )
    notes = [n for c in contexts for n in c.notes]
    if notes:
        lines += ["", *[f"* {n}" for n in notes]]
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"results appended to {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--persons", type=int, default=None, help="demo county size (50,000; --quick: 1,000)")
    ap.add_argument("--quick", action="store_true", help="small county, short runs: check the suite works")
    ap.add_argument("--pg", default=os.environ.get("PWPOSTS_BENCH_PG", DEFAULT_PG), help="PostgreSQL URL")
    ap.add_argument("--sqlite", default=None, help="SQLite file for the demo county (bench/out/sqlite/)")
    ap.add_argument("--parts", help="comma-separated part names (default: all); demo is always built")
    ap.add_argument("--repeat", type=int, default=None, help="repeats for min/median (3; --quick: 2)")
    ap.add_argument("--seconds", type=float, default=None, help="seconds per URL under load (20; --quick: 2)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--port", type=int, default=5117)
    ap.add_argument("--reuse", action="store_true", help="measure the demo county already built, once")
    ap.add_argument("--write", action="store_true", help="append to bench/RESULTS.md even with --quick")
    ap.add_argument("--no-write", action="store_true", help="do not append to bench/RESULTS.md")
    args = ap.parse_args()
    args.persons = args.persons or (1000 if args.quick else 50000)
    args.repeat = args.repeat or (2 if args.quick else 3)
    args.seconds = args.seconds or (2.0 if args.quick else 20.0)
    args.command = "python bench/run.py " + " ".join(sys.argv[1:])
    contexts = []
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for db in dbs:
        if db == "sqlite":
            path = Path(args.sqlite) if args.sqlite else ROOT / "bench" / "out" / "sqlite" / "county.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            url = "sqlite:///" + str(path.resolve())
        else:
            url = args.pg
            _pg_admin(url, "SELECT 1")  # fails early if the server is not there
            from sqlalchemy import create_engine, text

            name = _pg_name(url)
            eng = create_engine(_pg_url(url, "postgres"), isolation_level="AUTOCOMMIT")
            with eng.connect() as conn:
                if not conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            eng.dispose()
        contexts.append(run_database(args, db, url))
    out = ROOT / "bench" / "out" / f"suite-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.json"
    out.write_text(
        json.dumps(
            {"command": args.command, "rows": [asdict(r) for c in contexts for r in c.rows]},
            ensure_ascii=False,
            indent=1,
        )
    )
    print(f"rows written to {out}")
    if not args.no_write and (args.write or not args.quick):
        write_results(args, contexts, ROOT / "bench" / "RESULTS.md")
    else:
        write_results(args, contexts, ROOT / "bench" / "out" / "RESULTS-quick.md")


if __name__ == "__main__":
    main()
