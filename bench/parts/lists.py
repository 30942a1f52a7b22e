"""Part "lists": the list pages and API lists under ctx.clients clients for ctx.seconds, ctx.repeat times,
beside a bare Flask page and a one-query page served the same way (gunicorn -w 2, bench/bench_app.py).

The measuring is bench/list_pages_bench.py's (imported, not copied): see its docstring.
"""

from __future__ import annotations

import argparse
import os

TARGET = "≥ 400 req/s, p95 ≤ 60 ms, ≥ 40 % of the one-query page"


def run(ctx) -> None:
    from bench import list_pages_bench as lp

    os.environ.update(ctx.env())  # gunicorn inherits this process's environment
    args = argparse.Namespace(
        port=ctx.port, workers=2, clients=ctx.clients, seconds=ctx.seconds, repeat=ctx.repeat
    )
    results = lp.bench_lists(args)
    by_url = {r["url"]: r for r in results}
    floor = by_url["/_bench/one-query"]
    for r in results:
        detail = (
            f"p50 {r['p50']:.0f} · p95 {r['p95_median']:.0f} (max {r['p95_max']:.0f}) · "
            f"p99 {r['p99']:.0f} ms; "
            f"{r['errors']} errors in {r['requests']:,} requests"
        )
        values = r["rps_all"]
        if r["url"].startswith("/_bench"):
            ctx.record(
                f"`{r['url']}` (floor)",
                values,
                "req/s",
                floor=floor["rps_all"],
                floor_name="one-query page",
                detail=detail,
            )
            continue
        ratio = r["rps_median"] / floor["rps_median"]
        met = r["rps_median"] >= 400 and r["p95_median"] <= 60 and ratio >= 0.4
        ctx.record(
            f"`{r['url']}` under {ctx.clients} clients",
            values,
            "req/s",
            floor=floor["rps_all"],
            floor_name="one-query page",
            target=TARGET,
            met=met,
            detail=detail,
        )
