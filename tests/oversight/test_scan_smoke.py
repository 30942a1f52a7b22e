from datetime import date

from pwposts.services.oversight import detect
from pwposts.domain.rules.catalog import RULE_IDS


def test_every_rule_runs_on_an_empty_county(session, county, today):
    found, timing = detect(session, today)
    assert set(found) == set(RULE_IDS)
