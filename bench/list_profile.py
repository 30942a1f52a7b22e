"""Profile (not a test): the list pages and API lists, one request at a time under the Flask test client,
on a demo county — milliseconds per request, statements per request, and the top of a cProfile.

    PWPOSTS_DATABASE_URL=sqlite:////path/county.sqlite3 .venv/bin/python bench/list_profile.py \
        [--n 30] [--top 25] [/people/ /posts/ …]

Logged in as the demo's county admin (web pages by session cookie, API lists by bearer token).

On PostgreSQL the server's share is printed too: the CPU its backends spent per request (read from
/proc/<pid>/stat of this database's client backends — the server runs on this machine; 10 ms ticks,
so over n × 5 requests) and the round trips per request (statements, plus the BEGIN, COMMIT and the
pool's pre-ping that are not statements SQLAlchemy's events see). The test client's CPU (process_time)
does not include the server's: under load both share the cores.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.list_load import _backends, _cpu_of  # noqa: E402
from bench.list_pages_bench import API_LISTS, WEB_LISTS  # noqa: E402


def _backend_cpu(engine) -> float | None:
    """Seconds of CPU the client backends of `engine`'s PostgreSQL database have used so far (this
    machine's /proc), or None on SQLite. Found through a connection of its own, not the app's pool."""
    if engine.dialect.name != "postgresql":
        return None
    return _cpu_of(_backends(engine.url.render_as_string(hide_password=False)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("urls", nargs="*")
    ap.add_argument("--n", type=int, default=30, help="requests per URL (timed)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--sort", default="cumulative")
    args = ap.parse_args()

    from sqlalchemy import event

    from bench.bench_app import app  # the app plus the floors /_bench/bare and /_bench/one-query
    from pwposts.demo import DEMO_PASSWORD
    from pwposts.extensions import db

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    r = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.status_code
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD}).json[
        "token"
    ]
    statements = [0]
    trips = [0]  # BEGIN, COMMIT/ROLLBACK and pre-ping round trips (PostgreSQL: psycopg sends BEGIN itself)

    def count(what):
        return lambda *a: what.__setitem__(0, what[0] + 1)

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count(statements))
        if engine.dialect.name == "postgresql":
            event.listen(engine, "begin", count(trips))  # psycopg's implicit BEGIN at the first statement
            event.listen(engine, "commit", count(trips))
            event.listen(engine, "rollback", count(trips))
            if engine.pool._pre_ping:  # noqa: SLF001
                event.listen(engine.pool, "checkout", count(trips))
    for url in ["/_bench/one-query"] + (args.urls or WEB_LISTS + API_LISTS):
        headers = {"Authorization": "Bearer " + token} if url.startswith("/api/") else {}
        for _ in range(3):  # warm-up
            assert client.get(url, headers=headers).status_code == 200, url
        statements[0] = trips[0] = 0
        server0 = _backend_cpu(engine)
        walls, cpus = [], []
        for _ in range(5):  # best of 5 batches: the machine is shared
            t0, cpu0 = time.perf_counter(), time.process_time()
            for _ in range(args.n):
                client.get(url, headers=headers)
            walls.append((time.perf_counter() - t0) * 1000 / args.n)
            cpus.append((time.process_time() - cpu0) * 1000 / args.n)
        server = _backend_cpu(engine)
        server = None if server is None else (server - server0) * 1000 / args.n / 5
        if url == "/_bench/one-query":
            floor = min(cpus)
            floor_all = floor + (server or 0)
        line = (
            f"{url}: best {min(walls):.1f} ms/request (CPU {min(cpus):.1f} ms, "
            f"{min(cpus) / floor:.1f}× the one-query page), {statements[0] / args.n / 5:.1f} statements"
        )
        if server is not None:
            both = min(cpus) + server
            line += (
                f"; server CPU {server:.2f} ms, app + server {both:.1f} ms ({both / floor_all:.1f}×), "
                f"{(statements[0] + trips[0]) / args.n / 5:.1f} round trips"
            )
        print(line, flush=True)
        if args.no_profile:
            continue
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            client.get(url, headers=headers)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
