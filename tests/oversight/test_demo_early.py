"""A demo dated early (`pwposts demo --today 2024-05-20`) has a short payroll history: its planted cases
still go in and are found. (A module of its own: the demo-cases module keeps a scanned county open.)"""

from __future__ import annotations

from sqlalchemy import select

from pwposts import demo
from pwposts.demo.oversight import planted
from pwposts.models.oversight import Flag
from pwposts.services.oversight import run_scan


def test_a_demo_dated_early_has_a_short_history_and_still_plants_its_cases(_app):
    """`pwposts demo --today 2024-05-20`: some townships had no run yet in the first paid month; the
    ARREARS case takes another run of the paid months instead of failing (it raised KeyError)."""
    from datetime import date

    from pwposts.extensions import db
    from pwposts.services.clock_binding import bind_now
    from tests.conftest import NOW, _empty_tables

    with _app.app_context():
        _empty_tables()
        bind_now(db.session, NOW)
        today = date(2024, 5, 20)
        demo.generate_county(db.session, seed=2026, persons=3000, today=today)
        db.session.commit()
        run_scan(db.session, today)
        db.session.commit()
        flags = {(f.rule_id, f.subject_key) for f in db.session.scalars(select(Flag))}
        cases = planted(db.session)["cases"]
        arrears = [c for c in cases if c["rule"] == "ARREARS" and c["flagged"]]
        assert arrears and all(("ARREARS", c["subject"]) in flags for c in arrears)
        _empty_tables()
        db.session.commit()
