"""The 退岗通知书 as PDF: values in, bytes out — no queries here."""

from __future__ import annotations

from ..domain.contracts import party_a_name
from ..domain.exits import PLACEMENT_LABELS, reason_label
from .contracts_pdf import cn_date
from .pdf import render_pdf


def exit_notice_pdf(ex, township_name: str) -> bytes:
    """Render templates/pdf/exit_notice.html for a confirmed (or proposed: marked 草稿) exit."""
    c = ex.contract
    return render_pdf(
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
