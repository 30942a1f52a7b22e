"""Part "documents": the township 汇总表 and a batch of contracts, beside plain WeasyPrint on the same HTML.

Contracts: bench/list_pages_bench.py's bench_pdfs (imported): N contracts one by one by plain
`HTML(string=...).write_pdf()` (the floor), through pwposts.documents.pdf (shared FontConfiguration),
as one batched PDF, and served again from storage.
汇总表: the demo's latest regular runs, one per township, their HTML made as the web route makes it
(`_sheet_context` + templates/pdf/payroll_summary.html); rendered by plain WeasyPrint (the floor), by
html_to_pdf (what the route serves, one by one) and by htmls_to_pdf (all of them as one PDF).
Figures in pages per second; ratio = ÷ plain WeasyPrint's pages per second.
"""

from __future__ import annotations

import argparse
import io
from datetime import datetime

TARGET = "≥ 1.7× plain WeasyPrint pages/s"


def _contracts(ctx) -> None:
    from bench import list_pages_bench as lp

    n = 3 if ctx.quick else 20
    rows = lp.bench_pdfs(argparse.Namespace(pdfs=n, repeat=ctx.repeat))
    floor = rows[0]
    floor_pps = [floor["pages"] / s for s in floor["s_all"]]
    for r in rows[1:]:
        pps = [r["pages"] / s for s in r["s_all"]]
        judged = "batch" in r["what"]
        ctx.record(
            f"contracts: {r['what']}",
            pps,
            "pages/s",
            floor=floor_pps,
            floor_name=f"plain WeasyPrint, {n} contracts ({floor['pages']} pages) one by one",
            target=TARGET if judged else "",
            met=(r["ratio"] >= 1.7) if judged else None,
        )


def _summaries(ctx) -> None:
    from flask import current_app, render_template
    from pypdf import PdfReader
    from sqlalchemy import func, select
    from weasyprint import HTML

    from pwposts import create_app
    from pwposts.documents.pdf import html_to_pdf, htmls_to_pdf
    from pwposts.domain.people import mask_id_number
    from pwposts.extensions import db
    from pwposts.models.pay import PayrollRun
    from pwposts.services.clock_binding import bind_now
    from pwposts.services.contract_documents import stored_run_pdf
    from pwposts.web.pay.payroll import _sheet_context

    app = create_app({"SQLALCHEMY_DATABASE_URI": ctx.url})
    with app.test_request_context():
        s = db.session
        month = s.scalar(
            select(func.max(PayrollRun.month)).where(
                PayrollRun.status == "approved", PayrollRun.kind == "regular"
            )
        )
        runs = s.scalars(
            select(PayrollRun)
            .where(PayrollRun.month == month, PayrollRun.kind == "regular", PayrollRun.status == "approved")
            .order_by(PayrollRun.township_id)
            .limit(2 if ctx.quick else 4)
        ).all()
        if not runs:
            ctx.record("汇总表", [], "pages/s", detail="no approved regular run in the demo")
            return
        htmls = [
            render_template("pdf/payroll_summary.html", id_text=mask_id_number, **_sheet_context(r))
            for r in runs
        ]
        lines = sum(len(_sheet_context(r)["lines"]) for r in runs)
        pages = sum(len(PdfReader(io.BytesIO(html_to_pdf(h))).pages) for h in htmls)
        static = current_app.static_folder

        def plain():
            for h in htmls:
                HTML(string=h, base_url=static + "/").write_pdf()

        floor = [pages / t for t in ctx.timed(plain, ctx.repeat)]
        one = [pages / t for t in ctx.timed(lambda: [html_to_pdf(h) for h in htmls], ctx.repeat)]
        batch = [pages / t for t in ctx.timed(lambda: htmls_to_pdf(htmls), ctx.repeat)]
        # a download of an unchanged sheet: the route makes the HTML, hashes it, serves the stored PDF
        bind_now(s, datetime(ctx.today.year, ctx.today.month, ctx.today.day, 2, 0))  # as the commit point
        for r, h in zip(runs, htmls, strict=True):
            stored_run_pdf(s, r.id, "summary_masked", h)  # the first download renders and stores

        def served():
            for r in runs:
                html = render_template(
                    "pdf/payroll_summary.html", id_text=mask_id_number, **_sheet_context(r)
                )
                data, _digest, rendered = stored_run_pdf(s, r.id, "summary_masked", html)
                assert not rendered and data

        stored = [pages / t for t in ctx.timed(served, ctx.repeat)]
        s.rollback()
    what = f"{len(runs)} townships' 汇总表 of {month} ({lines:,} lines, {pages} pages)"
    ctx.record(
        "汇总表 one by one (as the route serves it)",
        one,
        "pages/s",
        floor=floor,
        floor_name=f"plain WeasyPrint, {what}",
        target=TARGET,
        met=max(one) / max(floor) >= 1.7,
        detail="first download of each sheet (layout-bound: WeasyPrint's own table layout)",
    )
    ctx.record(
        "汇总表 of those townships as one PDF (htmls_to_pdf)",
        batch,
        "pages/s",
        floor=floor,
        floor_name=f"plain WeasyPrint, {what}",
        detail="no route serves this batch yet",
    )
    ctx.record(
        "汇总表 downloaded again, served from storage (HTML made and hashed, stored PDF returned)",
        stored,
        "pages/s",
        floor=floor,
        floor_name=f"plain WeasyPrint, {what}",
        target=TARGET,
        met=max(stored) / max(floor) >= 1.7,
        detail="the first download of a sheet renders it (row above); later ones, while nothing printed "
        "on it changes, are served from storage",
    )


def run(ctx) -> None:
    _summaries(ctx)
    _contracts(ctx)
