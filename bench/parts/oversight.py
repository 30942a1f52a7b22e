"""Part "oversight": the anomaly scan (all 纪检监察 rules) over the demo county, beside the plain joins the
rules rest on. The measuring is bench/oversight_bench.py's `measure` (imported), run ctx.repeat times on
the demo database (its scans write flags; the demo has already swept, so they find little new).
Floor: the sum of the plain joins' COUNT(*) statements, best of 3 each."""

from __future__ import annotations


def run(ctx) -> None:
    from bench import oversight_bench as ob
    from pwposts import create_app
    from pwposts.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": ctx.url, "TESTING": True, "SECRET_KEY": "bench"})
    results = [ob.measure(app, ctx.db) for _ in range(ctx.repeat)]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    floors = [sum(r["floors"].values()) for r in results]
    detect = [r["detect_total"] for r in results]
    found = sum(n for n, _ in results[0]["rules"].values())
    slowest = sorted(results[0]["rules"].items(), key=lambda kv: -kv[1][1])[:3]
    judged = ctx.db == "sqlite" and ctx.persons == 50000
    ctx.record(
        f"anomaly scan: {len(results[0]['rules'])} rules, detection + evidence",
        detect,
        floor=floors,
        floor_name=f"{len(results[0]['floors'])} plain joins (COUNT(*))",
        target="≤ 5 s",
        met=(min(detect) <= 5) if judged else None,
        detail=f"{found} findings; slowest: " + ", ".join(f"{k} {t:.2f} s" for k, (_, t) in slowest),
    )
    ctx.record(
        "anomaly scan writing flags (run_scan, one transaction)",
        [r["scan1"][0] for r in results],
        floor=floors,
        floor_name="plain joins",
        detail=f"new flags: {', '.join(str(r['scan1'][2]) for r in results)}",
    )
