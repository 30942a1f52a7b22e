"""Printed documents rendered once and kept with their SHA-256, served from storage while unchanged:
a contract's PDF (ContractDocument) and a payroll run's sheets (RunDocument: 汇总表, 公示表)."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..documents.pdf import html_to_pdf
from ..models.contracts import Contract
from ..models.documents import ContractDocument, RunDocument
from .clock_binding import now_of

log = logging.getLogger(__name__)

RUN_VARIANTS = ("summary_full", "summary_masked", "notice")


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def stored_pdf(session: Session, model, keys: dict, html: str) -> tuple[bytes, str, bool]:
    """(PDF bytes, their SHA-256, whether it was rendered now) for the document `model` keyed by `keys`,
    printed as `html`.

    A document's HTML is cheap to make and names every value printed; when it hashes like the stored
    document's source, the stored PDF is the same document and is returned as it was. Otherwise (first
    download, or something printed on it changed) it is rendered and stored again. The row is a copy of
    what the records say, not a change to them: no audit entry. It is written in a savepoint (a
    concurrent download that stored it first loses nothing); the caller commits.
    """
    source = sha256(html)
    doc = session.scalar(select(model).filter_by(**keys))
    if doc is not None and doc.source_sha256 == source:
        return doc.pdf, doc.pdf_sha256, False
    data = html_to_pdf(html)
    digest = sha256(data)
    try:
        with session.begin_nested():
            if doc is None:
                doc = model(**keys)
                session.add(doc)
            doc.source_sha256, doc.pdf, doc.pdf_sha256, doc.size = source, data, digest, len(data)
            doc.rendered_at = now_of(session)
    except SQLAlchemyError:  # another download stored it first, or the database is busy: serve it anyway
        log.info("%s %s: rendered PDF not stored", model.__tablename__, keys, exc_info=True)
    return data, digest, True


def stored_contract_pdf(session: Session, contract: Contract, html: str) -> tuple[bytes, str, bool]:
    """stored_pdf for a contract (its 劳务协议)."""
    return stored_pdf(session, ContractDocument, {"contract_id": contract.id}, html)


def stored_run_pdf(session: Session, run_id: int, variant: str, html: str) -> tuple[bytes, str, bool]:
    """stored_pdf for a payroll run's sheet: `variant` is one of RUN_VARIANTS (the 汇总表 exists with full
    and with masked ID numbers, for viewers who may or may not see them)."""
    if variant not in RUN_VARIANTS:
        raise ValueError(f"unknown run document variant {variant!r}")
    return stored_pdf(session, RunDocument, {"run_id": run_id, "variant": variant}, html)
