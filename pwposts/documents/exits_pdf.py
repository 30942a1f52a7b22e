"""The 退岗通知书 as PDF: values in, bytes out — no queries here."""

from __future__ import annotations

from flask import render_template

from ..domain.contracts import party_a_name
from ..domain.exits import PLACEMENT_LABELS, reason_label
from .contracts_pdf import cn_date
from .pdf import html_to_pdf, htmls_to_pdf


def exit_notice_pdf(ex, township_name: str) -> bytes:
    """Render templates/pdf/exit_notice.html for a confirmed (or proposed: marked 草稿) exit."""
    return html_to_pdf(exit_notice_html(ex, township_name))


def exit_notices_pdf(exits) -> bytes:
    """Several exits' notices as one PDF to print (each laid out on its own, the fonts embedded once)."""
    return htmls_to_pdf([exit_notice_html(ex, ex.contract.post.township.name) for ex in exits])


def exit_notice_html(ex, township_name: str) -> str:
    c = ex.contract
    return render_template(
        "pdf/exit_notice.html",
        ex=ex,
        c=c,
        p=ex.person,
        post=c.post,
        party_a=party_a_name(township_name),
        reason=reason_label(ex.reason),
        placement=PLACEMENT_LABELS.get(ex.placement, ex.placement),
        cn_date=cn_date,
    )


def exit_notice_filename(ex) -> str:
    return f"退岗通知书-{ex.contract.code}-{ex.person.name}.pdf"
