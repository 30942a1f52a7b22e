"""Benchmark (not a test): a 50,000-row 花名册 imported through the web (upload → preview → 确认导入)
beside a floor measured in the same run and database, on SQLite (and PostgreSQL with --pg).

    .venv/bin/python bench/import_bench.py                  # SQLite
    .venv/bin/python bench/import_bench.py --pg postgresql+psycopg://postgres@127.0.0.1/pwposts_bench

The county is the demo's (`generate_county`, 500 persons, seed 2026: 100 villages, the demo logins).
The file: `rows` new persons (valid ID numbers as text, a 户编号 per three persons, a category for one
in four, phone and account numbers), the village given by its 12-digit code and a group, written in the
export layout by roster_xlsx.write_roster (openpyxl, as Excel saves it).

Timed, each in its own process (so that ru_maxrss is that step's peak, reported beside the process's
RSS before it starts):
- app: POST /people/roster/import (read, check, keep the checked rows, render the preview), then POST
  /import/confirm (re-check, write, commit) as the county admin — wall time from upload to done.
- floor: python-calamine reads the same file (to_python), the rows become tuples, and the app's own
  driver-level writer (services/bulk.insert_tuples: executemany of plain tuples, COPY on PostgreSQL)
  inserts households, persons, categories and one audit entry per person (a sha256 chained in Python)
  into the same tables, one commit — the least any importer of this file into this schema can do.
The floor's rows are deleted (untimed) before the app runs. Results are appended to bench/RESULTS.md.

Also part "imports" of the suite (`python bench/run.py --parts imports`, `--db sqlite --quick` for 1,000
rows): run(ctx) imports a roster of ctx.persons rows into the suite's demo county, see run().
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 25)
SEED = 2026
REGION6 = "522728"  # ID numbers of another county's births: none of the demo's persons has them


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_app(url: str):
    os.environ["PWPOSTS_INSTANCE"] = os.environ.get("PWPOSTS_INSTANCE") or tempfile.mkdtemp(prefix="pwimp")
    from pwposts import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "PWPOSTS_TODAY": TODAY.isoformat(), "WTF_CSRF_ENABLED": False}
    )


# ---------------------------------------------------------------- the county and the file


def build(url: str) -> None:
    from pwposts.demo import MIN_PERSONS, generate_county
    from pwposts.extensions import db

    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        generate_county(db.session, seed=SEED, persons=MIN_PERSONS, today=TODAY)
        db.session.commit()
        db.engine.dispose()


def build_file(url: str, rows: int, path: Path) -> None:
    from sqlalchemy import select

    from pwposts.documents import roster_xlsx
    from pwposts.domain.people import check_digit
    from pwposts.extensions import db
    from pwposts.models.people import Region

    app = make_app(url)
    with app.app_context():
        codes = db.session.scalars(select(Region.code).where(Region.level == "village").order_by(Region.code))
        villages = list(codes)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英",
    )
    cats = ["脱贫人口", "", "", "", "防止返贫监测对象", "", "", "", "农村低收入人口", "", "", ""]
    blanks = [""] * 8
    born = date(1961, 1, 1)

    def person(i: int) -> list:
        day = born + timedelta(days=i % 16_000)
        sex_digit = (i // 16_000) * 2 + (i % 2)
        first17 = f"{REGION6}{day:%Y%m%d}{sex_digit:03d}"
        village = villages[(i // 3) % len(villages)]
        return [
            i + 1,
            surnames[i % 20] + given[(i // 20) % len(given)] + given[(i // 500) % len(given)],
            first17 + check_digit(first17),
            f"{village}B{i // 3:06d}",
            cats[i % 12],
            "全劳力" if i % 3 else "半劳力",
            f"{village}{i % 7 + 1}组",
            f"139{i:08d}",
            f"62170000{i:011d}",
            "",
            *blanks,
            "社保卡",
        ]

    part = path.with_suffix(".part")
    with open(part, "wb") as fh:
        roster_xlsx.write_roster(fh, (person(i) for i in range(rows)))
    part.rename(path)


# ---------------------------------------------------------------- the two measured paths


def run_app(url: str, path: Path) -> dict:
    from sqlalchemy import func, select

    from pwposts.demo import DEMO_PASSWORD
    from pwposts.extensions import db
    from pwposts.models.audit import AuditEntry
    from pwposts.models.people import Person

    app = make_app(url)
    client = app.test_client()
    r = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.status_code
    with app.app_context():
        before = db.session.scalar(select(func.count(Person.id)))
        db.session.remove()
    data = path.read_bytes()
    rss0 = _rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    r = client.post(
        "/people/roster/import",
        data={"file": (io.BytesIO(data), "花名册.xlsx")},
        content_type="multipart/form-data",
    )
    t1 = time.perf_counter()
    c1 = time.process_time()
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page[:3000]
    token = page.split('name="token" value="')[1][:32]
    r = client.post("/people/roster/import/confirm", data={"token": token})
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    assert r.status_code == 200 and "导入完成" in r.get_data(as_text=True), r.get_data(as_text=True)[:3000]
    with app.app_context():
        after = db.session.scalar(select(func.count(Person.id)))
        entries = db.session.scalar(select(func.count(AuditEntry.id)))
        db.session.remove()
    verify = subprocess.run(
        [str(Path(sys.executable).parent / "pwposts"), "audit", "verify"],
        capture_output=True,
        text=True,
        env={**os.environ, "PWPOSTS_DATABASE_URL": url},
    )
    return {
        "preview_s": t1 - t0,
        "confirm_s": t2 - t1,
        "total_s": t2 - t0,
        "cpu_s": cpu,
        "preview_cpu_s": c1 - c0,
        "confirm_cpu_s": cpu - (c1 - c0),
        "created": after - before,
        "audit_entries": entries,
        "verify": (verify.stdout + verify.stderr).strip().splitlines()[-1:] or ["?"],
        "rss0_mb": rss0,
        "peak_mb": _peak_mb(),
    }


def run_floor(url: str, path: Path) -> dict:
    import hashlib

    from python_calamine import CalamineWorkbook
    from sqlalchemy import func, select

    from pwposts.extensions import db
    from pwposts.models.audit import AuditEntry
    from pwposts.models.people import Household, Person, PersonCategory, Region
    from pwposts.services.bulk import bind_processor, insert_tuples

    app = make_app(url)
    with app.app_context():
        s = db.session
        villages = dict(s.execute(select(Region.code, Region.id).where(Region.level == "village")).all())
        head = s.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
        max_person = s.scalar(select(func.max(Person.id))) or 0
        max_household = s.scalar(select(func.max(Household.id))) or 0
        max_entry = s.scalar(select(func.max(AuditEntry.id))) or 0
        s.commit()
        rss0 = _rss_mb()
        c0 = time.process_time()
        t0 = time.perf_counter()
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1:]
        households, persons = {}, []
        for r in rows:
            v = villages[r[6][:12]]
            households.setdefault(r[3], v)
            persons.append((r[1], r[2], r[4], r[5], v, r[6][12:], r[3], r[7], r[8], r[18]))
        # written as the app's own bulk writer writes (plain tuples, executemany; COPY on PostgreSQL)
        day = bind_processor(s, Person.__table__.c.birth_date)
        stamp = bind_processor(s, Person.__table__.c.created_at)
        at = datetime(2026, 11, 25, 2, 0)
        at_db, today_db = stamp(at), day(TODAY)
        insert_tuples(s, Household.__table__, ("code", "village_id"), list(households.items()))
        hid = dict(s.execute(select(Household.code, Household.id).where(Household.id > max_household)).all())
        insert_tuples(
            s,
            Person.__table__,
            (
                "name",
                "id_number",
                "birth_date",
                "sex",
                "village_id",
                "group_name",
                "household_id",
                "work_capacity",
                "phone",
                "account_kind",
                "account_no",
                "cannot_leave_home",
                "created_at",
                "updated_at",
            ),
            [
                (
                    name,
                    idn,
                    day(date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))),
                    "M" if int(idn[16]) % 2 else "F",
                    v,
                    group,
                    hid[hh],
                    cap,
                    phone,
                    kind,
                    acct,
                    False,
                    at_db,
                    at_db,
                )
                for name, idn, _c, cap, v, group, hh, phone, acct, kind in persons
            ],
        )
        pid = dict(s.execute(select(Person.id_number, Person.id).where(Person.id > max_person)).all())
        insert_tuples(
            s,
            PersonCategory.__table__,
            ("person_id", "category", "start_on"),
            [(pid[p[1]], p[2], today_db) for p in persons if p[2]],
        )
        entries, prev = [], head
        for p in persons:
            after = json.dumps({"name": p[0], "id_number": p[1]}, ensure_ascii=False)
            h = hashlib.sha256(f"{prev}|{pid[p[1]]}|{after}".encode()).hexdigest()
            entries.append((at_db, "floor", "create_person", "person", str(pid[p[1]]), "", after, prev, h))
            prev = h
        insert_tuples(
            s,
            AuditEntry.__table__,
            (
                "at",
                "actor_label",
                "action",
                "object_type",
                "object_id",
                "summary",
                "after_json",
                "prev_hash",
                "entry_hash",
            ),
            entries,
        )
        s.commit()
        total = time.perf_counter() - t0
        cpu = time.process_time() - c0
        peak = _peak_mb()
        # remove the floor's rows (untimed) so that the app imports the same persons afresh
        s.execute(AuditEntry.__table__.delete().where(AuditEntry.id > max_entry))
        s.execute(PersonCategory.__table__.delete().where(PersonCategory.person_id > max_person))
        s.execute(Person.__table__.delete().where(Person.id > max_person))
        s.execute(Household.__table__.delete().where(Household.id > max_household))
        s.commit()
        db.engine.dispose()
    return {"total_s": total, "cpu_s": cpu, "rows": len(persons), "rss0_mb": rss0, "peak_mb": peak}


# ---------------------------------------------------------------- the suite's part (bench/run.py)


def run(ctx) -> None:
    """Part "imports" of bench/run.py: a roster of ctx.persons rows (50,000; --quick 1,000) imported into the
    demo county (ctx.url) through the web as its admin, ctx.repeat times, each on a fresh copy of the demo
    database: first the floor (its rows removed again, untimed), then upload → preview → confirm — each
    step in its own process, so that its peak RSS is its own. Judged only at 50,000 rows."""
    rows = ctx.persons
    path = ctx.workdir / f"roster_import_{rows}.xlsx"
    if not path.exists():
        ctx.log(f"writing a roster of {rows:,} rows …")
        build_file(ctx.url, rows, path)
    apps, floors = [], []
    for i in range(ctx.repeat):
        url = ctx.copy_database(f"imports{i}")
        floors.append(_child("floor", url, path))
        apps.append(_child("app", url, path))
        a, f = apps[-1], floors[-1]
        ctx.log(
            f"run {i + 1}: preview {a['preview_s']:.1f} s, confirm {a['confirm_s']:.1f} s "
            f"(CPU {a['cpu_s']:.1f} s), floor {f['total_s']:.1f} s (CPU {f['cpu_s']:.1f} s), "
            f"peak {a['peak_mb']:.0f} MB, {a['created']:,} created; {a['verify'][0]}"
        )
        if a["created"] != rows:
            raise RuntimeError(f"the import created {a['created']} persons, not {rows}")
    judged = rows == 50_000
    peak = max(a["peak_mb"] for a in apps)
    totals, floor_totals = [a["total_s"] for a in apps], [f["total_s"] for f in floors]
    cpus, floor_cpus = [a["cpu_s"] for a in apps], [f["cpu_s"] for f in floors]

    def met(values, floor_values):
        if not judged:
            return None
        return min(values) <= 10 and min(values) <= 1.5 * min(floor_values) and peak <= 300

    verified = "; ".join(sorted({a["verify"][0] for a in apps}))
    memory = (
        f"peak RSS {peak:.0f} MB (before the upload {apps[0]['rss0_mb']:.0f} MB; "
        f"floor {max(f['peak_mb'] for f in floors):.0f} MB)"
    )
    floor_name = "calamine read + driver executemany / COPY (households, persons, categories, chained audit)"
    target = "≤ 10 s and ≤ 1.5× floor, peak ≤ 300 MB"
    ctx.record(
        f"roster import {rows:,} rows: upload → done (preview + confirm), wall",
        totals,
        floor=floor_totals,
        floor_name=floor_name,
        target=target,
        met=met(totals, floor_totals),
        detail=f"{memory}; audit: {verified}",
    )
    ctx.record(
        f"roster import {rows:,} rows: upload → done, CPU of the process",
        cpus,
        floor=floor_cpus,
        floor_name=floor_name + ", CPU",
        target=target,
        met=met(cpus, floor_cpus),
        detail=(
            "preview CPU "
            + ", ".join(f"{a['preview_cpu_s']:.2f}" for a in apps)
            + " s; confirm CPU "
            + ", ".join(f"{a['confirm_cpu_s']:.2f}" for a in apps)
            + f" s; {memory}"
        ),
    )
    ctx.record(
        f"roster import {rows:,} rows: preview (read, check, keep the checked rows), wall",
        [a["preview_s"] for a in apps],
        floor=floor_totals,
        floor_name="the whole floor",
        detail="CPU " + ", ".join(f"{a['preview_cpu_s']:.2f}" for a in apps) + " s",
    )
    ctx.record(
        f"roster import {rows:,} rows: confirm (re-check, write, commit), wall",
        [a["confirm_s"] for a in apps],
        floor=floor_totals,
        floor_name="the whole floor",
        detail="CPU " + ", ".join(f"{a['confirm_cpu_s']:.2f}" for a in apps) + " s",
    )


# ---------------------------------------------------------------- driver


def _child(step: str, url: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, "--url", url, "--file", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"{step} failed:\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_results(results: list[dict], rows: int, size_mb: float, command: str) -> None:
    now = datetime.now().astimezone()
    lines = [
        "",
        f"## imports — 花名册 of {rows:,} rows, upload → preview → confirm ({now:%Y-%m-%d %H:%M %Z})",
        "",
        f"`{command}` — file {size_mb:.1f} MB (.xlsx written by openpyxl); machine: 2 cores shared with "
        "other helpers' work (load average given), so wall times carry noise; CPU seconds of the process "
        "beside them. Target: upload → done ≤ 10 s and ≤ 1.5× the floor, "
        "peak memory ≤ 300 MB. Before this work: preview 22 s + confirm 55 s after a 25 s upload.",
        "",
        "| db | preview (read, check, keep) | confirm (re-check, write, commit) | upload → done (CPU) "
        "| floor (CPU) | ratio (CPU) | target | peak RSS (before) | floor peak RSS | load | audit verify |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        a, f = r["app"], r["floor"]
        ratio = a["total_s"] / f["total_s"]
        met = "met" if a["total_s"] <= 10 and ratio <= 1.5 and a["peak_mb"] <= 300 else "NOT met"
        lines.append(
            f"| {r['db']} | {a['preview_s']:.1f} s | {a['confirm_s']:.1f} s | **{a['total_s']:.1f} s** "
            f"({a['cpu_s']:.1f} s) | {f['total_s']:.1f} s ({f['cpu_s']:.1f} s) | {ratio:.2f}× "
            f"({a['cpu_s'] / f['cpu_s']:.2f}×) "
            f"| ≤ 10 s, ≤ 1.5× ({met}) | {a['peak_mb']:.0f} MB ({a['rss0_mb']:.0f} MB) "
            f"| {f['peak_mb']:.0f} MB ({f['rss0_mb']:.0f} MB) | {r['load']:.1f} | {a['verify'][0]} |"
        )
    lines.append("")
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "pwposts_import_bench.sqlite3"))
    ap.add_argument("--pg", help="PostgreSQL URL (an empty database you may drop tables in)")
    ap.add_argument("--no-write", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        result = (run_app if args.step == "app" else run_floor)(args.url, Path(args.file))
        print(json.dumps(result, ensure_ascii=False))
        return
    urls = [("SQLite", "sqlite:///" + args.sqlite)] + ([("PostgreSQL", args.pg)] if args.pg else [])
    path = Path(tempfile.gettempdir()) / f"pwposts_import_bench_{args.rows}.xlsx"
    results = []
    for label, url in urls:
        if label == "SQLite" and os.path.exists(args.sqlite):
            os.remove(args.sqlite)
        build(url)
        if not path.exists():
            build_file(url, args.rows, path)
        print(f"[{label}] county built; file {path.stat().st_size / 1e6:.1f} MB", flush=True)
        floor = _child("floor", url, path)
        print(f"[{label}] floor {floor}", flush=True)
        app = _child("app", url, path)
        print(f"[{label}] app {app}", flush=True)
        results.append({"db": label, "app": app, "floor": floor, "load": os.getloadavg()[0]})
    if not args.no_write:
        size = path.stat().st_size / 1024 / 1024
        write_results(
            results, args.rows, size, "python bench/import_bench.py" + (" --pg …" if args.pg else "")
        )


if __name__ == "__main__":
    main()
