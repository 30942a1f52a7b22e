"""A demo dated early (`pwposts demo --today 2024-05-20`) has a short payroll history: its planted cases
still go in and are found. (A module of its own: the demo-cases module keeps a scanned county open.)"""

from __future__ import annotations

from tests.oversight_support import scanned_demo_county


def test_a_demo_dated_early_has_a_short_history_and_still_plants_its_cases(_app):
    """`pwposts demo --today 2024-05-20`: some townships had no run yet in the first paid month; the
    ARREARS case takes another run of the paid months instead of failing (it raised KeyError)."""
    from datetime import date

    from pwposts.extensions import db
    from tests.conftest import _empty_tables

    with _app.app_context():
        _result, flags, info = scanned_demo_county(db.session, persons=3000, today=date(2024, 5, 20))
        arrears = [c for c in info["cases"] if c["rule"] == "ARREARS" and c["flagged"]]
        assert arrears and all(("ARREARS", c["subject"]) in flags for c in arrears)
        _empty_tables()
        db.session.commit()
