"""The printed contract (劳务协议 / 劳动合同) as PDF: values in, bytes out — no queries here."""

from __future__ import annotations

from datetime import date

from flask import render_template

from ..domain.contracts import capital_yuan, party_a_name
from ..domain.people import mask_id_number
from .pdf import html_to_pdf, htmls_to_pdf


def cn_date(d: date | None) -> str:
    """2026-03-01 → 2026年3月1日 (as written on a contract)."""
    return f"{d.year}年{d.month}月{d.day}日" if d else "　　年　　月　　日"


def contract_html(contract, policy, township_name: str, full_id: bool = True) -> str:
    """templates/pdf/contract.html filled in; `policy` is the covering InsurancePolicy or None.
    `full_id`: the signing copy carries the whole ID number; a reader who may not see it gets it masked."""
    return render_template(
        "pdf/contract.html",
        c=contract,
        p=contract.person,
        post=contract.post,
        policy=policy,
        party_a=party_a_name(township_name),
        capital=capital_yuan(contract.allowance_fen),
        cn_date=cn_date,
        id_number=contract.person.id_number if full_id else mask_id_number(contract.person.id_number),
    )


def contract_pdf(contract, policy, township_name: str, full_id: bool = True) -> bytes:
    """The printed contract as PDF bytes."""
    return html_to_pdf(contract_html(contract, policy, township_name, full_id))


def contracts_batch_pdf(items, full_id: bool = True) -> bytes:
    """Several contracts in one PDF, each with its own page
    numbers; `items` = (contract, policy, township_name)."""
    return htmls_to_pdf([contract_html(c, p, t, full_id) for c, p, t in items])


def contract_filename(contract) -> str:
    return f"{contract.kind}-{contract.code}-{contract.person.name}.pdf"
