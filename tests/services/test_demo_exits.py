"""The demo's set-based historical exits (pwposts/demo/exit_rows.py, historical_rows) write exactly what
services.exits.record_exit and record_service write for the same county: the same rows, the same contract
changes, the same audit entries (and so the same hash chain)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select, text

from pwposts import create_app, demo
from pwposts.demo import county as county_module
from pwposts.demo import exits as exits_module
from pwposts.extensions import db
from pwposts.models.audit import AuditEntry

PERSONS = 5000
# columns stamped with the real clock (models' utcnow defaults): the only ones two builds may differ in
CLOCK_COLUMNS = {"created_at", "updated_at"}
TABLES = (
    "contract_exit",
    "followup_service",
    "contract",
    "post",
    "person_colour",
    "pay_input_change",
    "audit_entry",
)


def _dump(session) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        result = session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))
        keep = [i for i, k in enumerate(result.keys()) if k not in CLOCK_COLUMNS]
        out[table] = [tuple(r[i] for i in keep) for r in result]
    return out


def _build(tmp_path, name: str, today, monkeypatch, through_services: bool) -> dict[str, list[tuple]]:
    monkeypatch.setattr(
        county_module,
        "generate_exits",
        partial(exits_module.generate_exits, through_services=through_services),
    )
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}"})
    with app.app_context():
        db.create_all()
        counts = demo.generate_county(db.session, seed=2026, persons=PERSONS, today=today)
        db.session.commit()
        dump = _dump(db.session)
        actions = db.session.scalars(select(AuditEntry.action)).all()
        db.session.remove()
        db.engine.dispose()
    return counts, dump, actions


def test_set_based_exits_write_what_the_exit_services_write(tmp_path, today, monkeypatch):
    counts, rows, actions = _build(tmp_path, "rows.sqlite3", today, monkeypatch, False)
    via_counts, via_services, _ = _build(tmp_path, "services.sqlite3", today, monkeypatch, True)
    # the case is not empty: exits confirmed late and in time, contracts changed, 311 services given
    assert counts["exits"] > 5 and 0 < counts["late_exits"] < counts["exits"]
    assert counts["followup_services"] > 5
    for action in ("propose_exit", "confirm_exit", "record_exit_date", "record_followup"):
        assert action in actions, action
    assert counts == via_counts
    for table in TABLES:
        assert rows[table] == via_services[table], table
