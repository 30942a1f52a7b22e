"""Profile (not a test): the list pages and API lists, one request at a time under the Flask test client,
on a demo county — milliseconds per request, statements per request, and the top of a cProfile.

    PWPOSTS_DATABASE_URL=sqlite:////path/county.sqlite3 .venv/bin/python bench/list_profile.py \
        [--n 30] [--top 25] [/people/ /posts/ …]

Logged in as the demo's county admin (web pages by session cookie, API lists by bearer token).
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

from bench.list_pages_bench import API_LISTS, WEB_LISTS  # noqa: E402


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
    with app.app_context():
        event.listen(
            db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1)
        )
    for url in ["/_bench/one-query"] + (args.urls or WEB_LISTS + API_LISTS):
        headers = {"Authorization": "Bearer " + token} if url.startswith("/api/") else {}
        for _ in range(3):  # warm-up
            assert client.get(url, headers=headers).status_code == 200, url
        statements[0] = 0
        walls, cpus = [], []
        for _ in range(5):  # best of 5 batches: the machine is shared
            t0, cpu0 = time.perf_counter(), time.process_time()
            for _ in range(args.n):
                client.get(url, headers=headers)
            walls.append((time.perf_counter() - t0) * 1000 / args.n)
            cpus.append((time.process_time() - cpu0) * 1000 / args.n)
        if url == "/_bench/one-query":
            floor = min(cpus)
        print(
            f"{url}: best {min(walls):.1f} ms/request (CPU {min(cpus):.1f} ms, "
            f"{min(cpus) / floor:.1f}× the one-query page), {statements[0] / args.n / 5:.1f} statements"
        )
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
