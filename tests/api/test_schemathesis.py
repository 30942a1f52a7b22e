"""Schemathesis against /api/v1/openapi.json, in process (WSGI), as the county admin of the demo county:
every operation gets a few generated requests (fixed seed), each in a rolled-back transaction, and must
answer without a server error and, where the schema describes the answer, as the schema says."""

from __future__ import annotations

import os
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from pwposts import demo
from pwposts.extensions import db
from pwposts.services.clock_binding import bind_now
from tests import route_matrix as rm
from tests.conftest import NOW, _empty_tables, api_token

# per operation (~130 of them, so a few hundred requests); PWPOSTS_FUZZ_EXAMPLES=50 for a longer hunt
EXAMPLES = int(os.environ.get("PWPOSTS_FUZZ_EXAMPLES", "4"))


@pytest.fixture(scope="module")
def admin_headers(_app):
    with _app.app_context():
        _empty_tables()
        bind_now(db.session, NOW)
        demo.generate_county(db.session, seed=5, persons=500, today=date(2026, 11, 25))
        db.session.commit()
        db.session.remove()
    yield api_token(_app.test_client(), "admin", demo.DEMO_PASSWORD)
    with _app.app_context():
        _empty_tables()
        db.session.remove()


def fuzz(app, headers, checks, examples=EXAMPLES, mode=None):
    """Run every operation; return the failures as 'METHOD path: message' (all of them, not the first)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, count = [], 0
    rb = rm.Rollback(app, db)
    with rb:
        for result in schema.get_all_operations():
            op = result.ok()
            count += 1

            @given(case=op.as_strategy(mode or GenerationMode.POSITIVE))
            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                with rb.request():
                    response = case.call(headers=headers)
                case.validate_response(response, checks=checks)

            try:
                run()
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001 — collect every operation's failure
                failures.append(f"{op.method.upper()} {op.path}: {str(err)[:1500]}")
    assert count > 100, count
    return failures


def test_no_operation_answers_with_a_server_error_or_off_its_schema(_app, admin_headers):
    failures = fuzz(_app, admin_headers, [not_a_server_error, response_schema_conformance])
    assert not failures, "\n\n".join(failures)


def test_no_operation_answers_invalid_input_with_a_server_error(_app, admin_headers):
    """Negative data (wrong types, missing fields, out-of-range values): refused, never a 500."""
    failures = fuzz(_app, admin_headers, [not_a_server_error], mode=GenerationMode.NEGATIVE)
    assert not failures, "\n\n".join(failures)
