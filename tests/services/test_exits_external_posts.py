"""The sweep proposes an exit for a holder on another department's post roster (runs once the department
imports of issue 13 are in the tree; skipped without them)."""

from datetime import date

import pytest
from sqlalchemy import select

from pwposts.models.exits import ContractExit
from pwposts.services.sweep import run_sweep
from tests.exits_support import holders

registry = pytest.importorskip("pwposts.models.registry")


def test_holder_on_another_departments_roster_is_proposed_for_exit(session, county):
    h = holders(session, county)
    li = county.persons["li"]
    batch = registry.ImportBatch(
        county_id=county.county.id,
        kind="external_posts",
        source_department="林业局",
        file_name="护林员花名册.xlsx",
        file_hash="f" * 64,
        imported_on=date(2026, 11, 20),
        importer_name="测试",
    )
    session.add(batch)
    session.flush()
    session.add(
        registry.ExternalPostRecord(
            batch_id=batch.id,
            id_number=li.id_number,
            person_id=li.id,
            department="林业局",
            post_name="生态护林员",
            start_on=date(2026, 10, 1),
        )
    )
    session.commit()
    report = run_sweep(session, date(2026, 11, 25))
    ex = session.scalars(select(ContractExit)).one()
    assert (ex.contract_id, ex.reason, ex.effective_on) == (h["li"].id, "employed", date(2026, 10, 1))
    assert "林业局" in ex.evidence and report.proposed == {"employed": 1}
    assert run_sweep(session, date(2026, 11, 25)).changes == 0
