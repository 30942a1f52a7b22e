"""A contract's PDF rendered once and kept with its SHA-256, served from storage while it is unchanged."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..documents.pdf import html_to_pdf
from ..models.contracts import Contract
from ..models.documents import ContractDocument
from .clock_binding import now_of

log = logging.getLogger(__name__)


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def stored_contract_pdf(session: Session, contract: Contract, html: str) -> tuple[bytes, str, bool]:
    """(PDF bytes, their SHA-256, whether it was rendered now) for `contract` printed as `html`.

    The contract's HTML is cheap to make and names every value printed; when it hashes like the stored
    document's source, the stored PDF is the same document and is returned as it was. Otherwise (first
    download, or the contract, its person, post or insurance changed) it is rendered and stored again.
    The row is a copy of what the contract says, not a change to it: no audit entry. It is written in a
    savepoint (a concurrent download that stored it first loses nothing); the caller commits.
    """
    source = sha256(html)
    doc = session.scalar(select(ContractDocument).where(ContractDocument.contract_id == contract.id))
    if doc is not None and doc.source_sha256 == source:
        return doc.pdf, doc.pdf_sha256, False
    data = html_to_pdf(html)
    digest = sha256(data)
    try:
        with session.begin_nested():
            if doc is None:
                doc = ContractDocument(contract_id=contract.id)
                session.add(doc)
            doc.source_sha256, doc.pdf, doc.pdf_sha256, doc.size = source, data, digest, len(data)
            doc.rendered_at = now_of(session)
    except SQLAlchemyError:  # another download stored it first, or the database is busy: serve it anyway
        log.info("contract %s: rendered PDF not stored", contract.id, exc_info=True)
    return data, digest, True
