from pwposts.domain.rules.catalog import RULE_IDS
from pwposts.services.oversight import detect


def test_every_rule_runs_on_an_empty_county(session, county, today):
    found, timing = detect(session, today)
    assert set(found) == set(RULE_IDS)
