"""Benchmark (not a test): other departments' files (参保, deaths, other rosters) of one row per person of a
built county, through services.department_records.import_records — wall, CPU and peak RSS of this process.

    cp county.sqlite3 /tmp/c.sqlite3   # a county `pwposts demo --persons 50000` built (it is written to)
    PWPOSTS_DATABASE_URL=sqlite:////tmp/c.sqlite3 PWPOSTS_INSTANCE=/tmp/inst \\
        .venv/bin/python bench/records_import_bench.py [employment|deaths|external_posts …]

Each kind is imported once, into the same database (run it on a copy). Results are printed; RESULTS.md
keeps the figures by hand.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from pwposts import create_app  # noqa: E402
from pwposts.extensions import db  # noqa: E402
from pwposts.models.accounts import User  # noqa: E402
from pwposts.models.people import Person  # noqa: E402
from pwposts.services import department_records as records  # noqa: E402
from pwposts.services.clock_binding import bind_now  # noqa: E402

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0)
FILES = {
    "employment": (
        "身份证号,单位名称,参保开始日期",
        lambda i, n: f"{n},某某公司{i % 50},2025-0{1 + i % 9}-01",
    ),
    "deaths": ("身份证号,死亡日期", lambda i, n: f"{n},2026-0{1 + i % 9}-01"),
    "external_posts": ("身份证号,岗位名称,上岗日期", lambda i, n: f"{n},生态护林员,2025-0{1 + i % 9}-01"),
}


def main(kinds: list[str]) -> None:
    app = create_app()
    with app.app_context():
        session = db.session
        admin = session.scalars(select(User).where(User.role == "county_admin").order_by(User.id)).first()
        numbers = session.scalars(select(Person.id_number).order_by(Person.id)).all()
        for kind in kinds:
            head, row = FILES[kind]
            data = "\n".join([head] + [row(i, n) for i, n in enumerate(numbers)]).encode()
            bind_now(session, NOW)
            wall, cpu = time.perf_counter(), time.process_time()
            out = records.import_records(session, admin, kind, data, f"{kind}.csv", None, TODAY)
            session.commit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(
                f"{kind}: {len(numbers):,} rows, wall {wall:.2f} s, CPU {cpu:.2f} s, "
                f"added {out.added:,}, changed {out.changed:,}, peak RSS {rss} MB"
            )


if __name__ == "__main__":
    main(sys.argv[1:] or list(FILES))
