"""The demo county's planted cases: every true case is flagged with its evidence, no look-alike is, and
every payment for a month after its payee's death is covered by a PAID_AFTER_DEATH flag."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pwposts.domain.rules.catalog import RULE_IDS
from pwposts.models.pay import Payment
from pwposts.models.people import Person
from tests.oversight_support import scanned_demo_county


@pytest.fixture(scope="module")
def scanned(_app):
    from datetime import date

    from pwposts.extensions import db
    from tests.conftest import _empty_tables

    with _app.app_context():
        result, flags, info = scanned_demo_county(db.session, persons=2000, today=date(2026, 11, 25))
        dead = {
            p.id: p.death_date
            for p in db.session.scalars(select(Person).where(Person.death_date.is_not(None)))
        }
        after = [
            p
            for p in db.session.scalars(
                select(Payment).where(
                    Payment.person_id.in_(dead), Payment.amount_fen > 0, Payment.status != "failed"
                )
            )
            if p.month > dead[p.person_id].isoformat()[:7]
        ]
        evidence = {k: json.loads(f.evidence_json) for k, f in flags.items()}
        yield {
            "result": result,
            "flags": flags,
            "info": info,
            "after_death": [(p.id, p.person_id) for p in after],
            "evidence": evidence,
        }
        _empty_tables()


def test_every_rule_has_a_true_case_and_a_look_alike(scanned):
    cases = scanned["info"]["cases"]
    # CADRE_KIN's true cases are the demo's own (its seed and relatives of cadres elected after the hire)
    assert {c["rule"] for c in cases if c["flagged"]} >= set(RULE_IDS) - {"CADRE_KIN"}
    assert {c["rule"] for c in cases if not c["flagged"]} == set(RULE_IDS)


@pytest.mark.parametrize("kind", ["true", "look-alike"])
def test_planted_cases_found_and_look_alikes_not(scanned, kind):
    wrong = []
    for c in scanned["info"]["cases"]:
        if c["flagged"] != (kind == "true"):
            continue
        if ((c["rule"], c["subject"]) in scanned["flags"]) != c["flagged"]:
            wrong.append(f"{c['rule']} {c['subject']} {c['what']}")
    assert not wrong


def test_true_cases_carry_evidence_naming_people_and_money(scanned):
    for c in scanned["info"]["cases"]:
        if not c["flagged"]:
            continue
        ev = scanned["evidence"][(c["rule"], c["subject"])]
        assert ev["summary"]
        if c["rule"] not in (
            "ARREARS",
            "ROTATION",
            "SHARED_PHONE",
            "HOUSEHOLD_LIMIT",
            "MULTI_POST",
            "IMPOSSIBLE_ATTENDANCE",
        ):
            assert ev["money_fen"] > 0, c


def test_the_seeded_cadre_kin_and_the_seeded_death_are_flagged(scanned):
    rules = {r for r, _ in scanned["flags"]}
    assert "CADRE_KIN" in rules and "PAID_AFTER_DEATH" in rules


def test_every_payment_after_death_is_covered(scanned):
    covered = set()
    for (rule, _), ev in scanned["evidence"].items():
        if rule == "PAID_AFTER_DEATH":
            covered |= {x["id"] for x in ev["payments"]}
    assert scanned["after_death"] and all(pid in covered for pid, _ in scanned["after_death"])
