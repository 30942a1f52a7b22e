"""Load runs of some list pages (not a test), with the CPU each request cost the app, the database server
and the load generator — req/s alone is noisy on a shared machine, CPU per request much less so.

    PWPOSTS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/county PWPOSTS_INSTANCE=/tmp/inst \
        .venv/bin/python bench/list_load.py [--seconds 8] [--repeat 3] [--clients 16] [/contracts/ …]

The server is bench/list_pages_bench.py's (gunicorn -w 2 bench.bench_app:app), logged in the same way
(the county admin: cookie for web pages, bearer token for /api/). Each round runs every URL once, the
one-query page first, so that the pages of a round share the machine's state; the round is repeated.
Printed per URL: req/s (median of the rounds), p95 (median), ratio to the one-query page of the same
round (median), and CPU milliseconds per request — the gunicorn workers', the PostgreSQL backends' of
this database (from /proc/<pid>/stat; the server runs on this machine) and this process's (the client
threads) — summed over the run and divided by its requests.

`--compare ROOT2` serves a second checkout (e.g. `git archive` of the base commit) on port+1 as well and
alternates the two servers round by round (A/B interleaved: same machine state, same database), which is
how a change is measured against its base while other work shares the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.list_pages_bench import API_LISTS, WEB_LISTS, api_token, load, login_cookie  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pids) -> float:
    """utime + stime (seconds) of these processes, those that still exist."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / TICK


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def _backends(url: str) -> list[int]:
    """The client backends of the database at `url` (PostgreSQL), else []."""
    if not url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ).scalars()
        pids = list(pids)
    engine.dispose()
    return pids


def start(root: Path, port: int, workers: int) -> subprocess.Popen:
    import http.client

    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(root),
            "--log-level",
            "warning",
            "bench.bench_app:app",
        ],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=open(f"/tmp/list_load_gunicorn_{port}.log", "w"),
    )
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/_bench/bare")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"gunicorn did not start (see /tmp/list_load_gunicorn_{port}.log)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("urls", nargs="*")
    ap.add_argument("--port", type=int, default=5120)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compare", help="a second checkout's root, served on port+1, alternated with this one")
    args = ap.parse_args()

    from pwposts import demo

    url_db = os.environ.get("PWPOSTS_DATABASE_URL", "")
    floor = "/_bench/one-query"
    urls = [floor] + [u for u in (args.urls or WEB_LISTS + API_LISTS) if u != floor]
    servers = [("this", ROOT, args.port)]
    if args.compare:
        servers.insert(0, ("base", Path(args.compare).resolve(), args.port + 1))
    procs, headers = {}, {}
    try:
        for name, root, port in servers:
            procs[name] = start(root, port, args.workers)
            cookie = login_cookie(port, "admin", demo.DEMO_PASSWORD)
            token = api_token(port, "admin", demo.DEMO_PASSWORD)
            headers[name] = ({"Cookie": cookie}, {"Authorization": "Bearer " + token})
            for u in urls:  # warm up: caches, connections, prepared statements
                load(port, u, _headers(headers[name], u), 2, 1.0)
        runs: dict = {(s[0], u): [] for s in servers for u in urls}
        for _ in range(args.repeat):
            for name, _root, port in servers:
                workers = _children(procs[name].pid)
                for u in urls:
                    backends = _backends(url_db)
                    app0, db0, me0 = _cpu_of(workers), _cpu_of(backends), time.process_time()
                    r = load(port, u, _headers(headers[name], u), args.clients, args.seconds)
                    n = max(r["n"], 1)
                    r["app_ms"] = (_cpu_of(workers) - app0) * 1000 / n
                    r["db_ms"] = (_cpu_of(backends) - db0) * 1000 / n
                    r["client_ms"] = (time.process_time() - me0) * 1000 / n
                    runs[(name, u)].append(r)
                    print(
                        f"  {name} {u}: {r['rps']:.0f} req/s, p95 {r['p95']:.0f} ms, CPU/request app "
                        f"{r['app_ms']:.2f} + db {r['db_ms']:.2f} + client {r['client_ms']:.2f} ms"
                        + (f", {r['errors']} errors" if r["errors"] else ""),
                        flush=True,
                    )
    finally:
        for p in procs.values():
            p.terminate()
            p.wait()
    print(
        f"\n{args.clients} clients × {args.seconds:g} s × {args.repeat}, gunicorn -w {args.workers}, "
        f"{url_db.split('@')[-1].split('://')[0] or 'sqlite'} — medians of the rounds; ratio to the "
        "one-query page of the same round"
    )
    print("| server | page | req/s | ratio | p95 ms | CPU ms/request: app + db + client = total |")
    print("|---|---|---:|---:|---:|---|")
    for name, _root, _port in servers:
        floor = runs[(name, "/_bench/one-query")]
        for u in urls:
            rs = runs[(name, u)]
            ratio = statistics.median(r["rps"] / f["rps"] for r, f in zip(rs, floor, strict=True))
            app = statistics.median(r["app_ms"] for r in rs)
            dbm = statistics.median(r["db_ms"] for r in rs)
            cli = statistics.median(r["client_ms"] for r in rs)
            print(
                f"| {name} | `{u}` | {statistics.median(r['rps'] for r in rs):.0f} | {ratio:.0%} | "
                f"{statistics.median(r['p95'] for r in rs):.0f} | {app:.2f} + {dbm:.2f} + {cli:.2f} = "
                f"{app + dbm + cli:.2f} |"
            )


def _headers(pair, url: str) -> dict:
    if url.startswith("/_bench/"):
        return {}
    return pair[1] if url.startswith("/api/") else pair[0]


if __name__ == "__main__":
    main()
