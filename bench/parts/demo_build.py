"""Part "demo": build the demo county through the CLI (`pwposts demo`), repeated, beside its floor.

Each build starts from an empty database with the schema (`pwposts db upgrade`, not timed); the last
build stays for the other parts. Timed: the `pwposts demo --persons N --today 2026-11-25` process,
wall and CPU (this process's children: the CLI, and SQLite inside it; PostgreSQL's server CPU is not
counted). The CLI is resolved at run time, so the demo's own module layout does not matter here. The
app's modules are byte-compiled before the first build (compile_app), as an installed app has them.

Floor, in the same run: the rows the demo wrote, copied into an empty schema of the same kind with
Core executemany, table by table in one transaction (only the INSERTs are timed) — what storing the
demo costs the database and its driver, with no generating.
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PWPOSTS = str(ROOT / ".venv" / "bin" / "pwposts")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cli(ctx, *args: str, log: Path) -> None:
    with open(log, "a") as fh:
        subprocess.run([PWPOSTS, *args], env=ctx.env(), cwd=ROOT, check=True, stdout=fh, stderr=fh)


def _empty(ctx) -> None:
    if ctx.db == "sqlite":
        path = Path(ctx.url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        from sqlalchemy import create_engine, text

        eng = create_engine(ctx.url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()


def compile_app() -> None:
    """The app's modules byte-compiled, as an installed app has them (.ci/setup does the same): where the
    environment sets PYTHONDONTWRITEBYTECODE, the timed command would otherwise compile them from source
    (~0.4 s of CPU) — a cost of this environment, not of the build."""
    import sys

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "pwposts")], check=False)


def build(ctx, log: Path) -> tuple[float, float]:
    _empty(ctx)
    _cli(ctx, "db", "upgrade", log=log)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    _cli(ctx, "demo", "--persons", str(ctx.persons), "--today", ctx.today.isoformat(), log=log)
    return time.perf_counter() - t0, _children_cpu() - cpu0


def copy_floor(ctx) -> tuple[float, int]:
    """Seconds to INSERT every row of the demo database into an empty schema (executemany), and rows."""
    from sqlalchemy import create_engine, select

    import pwposts.models  # noqa: F401  (every table on the metadata)
    from pwposts.extensions import db

    src = create_engine(ctx.url)
    dst = create_engine(ctx.empty_database("demo_floor"))
    db.metadata.create_all(dst)
    spent, rows = 0.0, 0
    try:
        with src.connect() as s, dst.connect() as d:
            tx = d.begin()
            for table in db.metadata.sorted_tables:
                data = [dict(r._mapping) for r in s.execute(select(table).order_by(*table.primary_key))]
                if not data:
                    continue
                t0 = time.perf_counter()
                d.execute(table.insert(), data)
                spent += time.perf_counter() - t0
                rows += len(data)
            t0 = time.perf_counter()
            tx.commit()
            spent += time.perf_counter() - t0
    finally:
        src.dispose()
        dst.dispose()
    return spent, rows


def run(ctx) -> None:
    log = ctx.workdir / "demo.log"
    log.write_text("")
    if ctx.reuse:
        ctx.log("--reuse: the demo county is not rebuilt")
    else:
        repeat = 1 if ctx.quick else max(1, min(ctx.repeat, 2))  # a 50k build is a minute or more here
        compile_app()
        walls, cpus = [], []
        for i in range(repeat):
            wall, cpu = build(ctx, log)
            walls.append(wall)
            cpus.append(cpu)
            ctx.log(f"build {i + 1}/{repeat}: {wall:.1f} s wall, {cpu:.1f} s CPU")
        floors, rows = [], 0
        for _ in range(1 if ctx.quick else 2):
            t, rows = copy_floor(ctx)
            floors.append(t)
        judged = ctx.db == "sqlite" and ctx.persons == 50000
        ctx.record(
            f"demo build, {ctx.persons:,} persons (CPU)",
            cpus,
            floor=floors,
            floor_name=f"executemany of its {rows:,} rows",
            target="≤ 10 s CPU on SQLite" if ctx.db == "sqlite" else "",
            met=(min(cpus) <= 10) if judged else None,
            detail="CPU of the `pwposts demo` process (PostgreSQL: client side only)",
        )
        ctx.record(
            f"demo build, {ctx.persons:,} persons (wall)",
            walls,
            floor=floors,
            floor_name=f"executemany of its {rows:,} rows",
            detail="wall time of `pwposts demo`",
        )
