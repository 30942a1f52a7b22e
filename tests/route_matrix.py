"""The role × route matrix: every rule of the URL map, web and API, every method, requested as every role
and anonymously, on an object inside the role's scope and on one outside it.

How to read a row. The key is "METHOD rule" exactly as in app.url_map; the value lists, in the order of
ROLE_ORDER (anonymous, holder, village clerk, township clerk, inspector, county admin), what each role
gets: `+` allowed (2xx, 3xx other than to the login page, or a 4xx refusing the input: 400, 405, 409,
413, 415, 422, 429), `-` denied (401 or 403, 404, or a redirect to the login page). Rows whose rule has
ids in it give two marks per role: on the objects inside the role's scope, then on the objects outside
it (IN: the first township, its largest village, holder1's own records; OUT: another township's).
Rules without ids give one mark per role. A denied request must also write nothing (no audit entry).

`v` marks a request the role may not make but which the route answers by refusing the (empty) input
before it looks at the object's scope: a redirect back or a 400/409/422, and nothing written. Each `v`
is a route that checks the input before the permission; it should become `-` (load and check the object
first), and the test accepts `-` there already.

The county roles (inspector, admin) have the whole county in scope: both their marks are about the same
county, so `-+` there would be a bug. Where a mark looks surprising, the comment says why.

A new route without a row fails test_every_route_has_a_row. To draft its row,
`PWPOSTS_MATRIX_DUMP=/tmp/rows.txt pytest tests/web/test_route_matrix.py` writes the row the app's
answers amount to for every route (and the slowest routes); check each mark against domain/roles.py
before copying it — the dump says what the app does, the table says what it should do.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass

from flask.testing import FlaskClient

ROLE_ORDER = ("anon", "holder", "village", "town", "inspector", "admin")
USERNAMES = {
    "holder": "holder1",
    "village": "village1",
    "town": "township1",
    "inspector": "inspector",
    "admin": "admin",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
VALIDATION = frozenset({400, 405, 409, 413, 415, 422, 429})

TIMES: dict[str, float] = {}
# Rows whose route refuses an empty form before it looks at anything: the least form that reaches the
# permission check (values are keys of World.values, taken in the scope under test).
FORMS: dict[str, dict[str, str]] = {
    "POST /pay/attendance/approve": {"region_id": "village_id", "month": "month"},
}

# fmt: off
ROWS: dict[str, str] = {
    "DELETE /api/v1/auth/token": "- + + + + +",
    "DELETE /api/v1/funds/<int:fund_id>": "-- -- -- -- -- ++",
    "DELETE /api/v1/post-categories/<int:category_id>": "-- -- -- -- -- ++",
    "DELETE /api/v1/relations/<int:relation_id>": "-- -- +- +- -- ++",
    "DELETE /api/v1/standards/<int:standard_id>": "-- -- -- -- -- ++",
    "GET /": "- + + + + +",
    "GET /account/password": "- + + + + +",
    "GET /api/v1/affected-holders": "- - + + + +",
    "GET /api/v1/applications": "- - + + + +",
    "GET /api/v1/applications/<int:application_id>": "-- -- +- +- ++ ++",
    "GET /api/v1/arrears": "- - - + + +",
    "GET /api/v1/assessments": "- - + + + +",
    "GET /api/v1/attendance": "- - + + + +",
    "GET /api/v1/calendar": "- - + + + +",
    "GET /api/v1/colours": "- - + + + +",
    "GET /api/v1/colours/summary": "- - + + + +",
    "GET /api/v1/contracts": "- + + + + +",
    "GET /api/v1/contracts/<int:contract_id>": "-- +- +- +- ++ ++",
    "GET /api/v1/contracts/<int:contract_id>/pdf": "-- +- +- +- ++ ++",
    "GET /api/v1/contracts/awaiting": "- - + + + +",
    "GET /api/v1/exits": "- - + + + +",
    "GET /api/v1/exits/<int:exit_id>": "-- -- +- +- ++ ++",
    "GET /api/v1/exits/<int:exit_id>/notice.pdf": "-- -- +- +- ++ ++",
    "GET /api/v1/flags": "- - - - + +",
    "GET /api/v1/flags/<int:flag_id>": "-- -- -- -- ++ ++",
    "GET /api/v1/flags/<int:flag_id>/report.pdf": "-- -- -- -- ++ ++",
    "GET /api/v1/followup/behind": "- - + + + +",
    "GET /api/v1/funds": "- - + + + +",
    "GET /api/v1/import-batches": "- - + + + +",
    "GET /api/v1/me": "- + + + + +",
    "GET /api/v1/me/attendance": "- + - - - -",
    "GET /api/v1/me/months": "- + - - - -",
    "GET /api/v1/me/objections": "- + - - - -",
    "GET /api/v1/me/payments": "- + - - - -",
    "GET /api/v1/notices": "- - + + + +",
    "GET /api/v1/notices/<int:notice_id>": "-- -- +- +- ++ ++",
    "GET /api/v1/openapi.json": "+ + + + + +",
    "GET /api/v1/parity-report": "- - + + + +",
    "GET /api/v1/payment-objections": "- - + + + +",
    "GET /api/v1/payments/<int:payment_id>": "-- +- +- +- ++ ++",
    "GET /api/v1/payroll-runs": "- - + + + +",
    "GET /api/v1/payroll-runs/<int:run_id>": "-- -- -- +- ++ ++",
    "GET /api/v1/payroll-runs/<int:run_id>/bank-file": "-- -- -- +- -- ++",
    "GET /api/v1/persons": "- - + + + +",
    "GET /api/v1/persons/<int:person_id>": "-- +- +- +- ++ ++",
    "GET /api/v1/persons/<int:person_id>/followup": "-- -- +- +- ++ ++",
    "GET /api/v1/persons/<int:person_id>/record": "-- -- +- +- -- ++",
    "GET /api/v1/persons/<int:person_id>/standing": "-- +- +- +- ++ ++",
    "GET /api/v1/post-categories": "- - + + + +",
    "GET /api/v1/posts": "- - + + + +",
    "GET /api/v1/posts/<int:post_id>": "-- -- +- +- ++ ++",
    "GET /api/v1/publicities/<int:publicity_id>": "-- -- +- +- ++ ++",
    # <kind> is a kind of import, not an object: in and out are the same
    "GET /api/v1/records/<kind>/template": "-- -- ++ ++ ++ ++",
    "GET /api/v1/regions": "- - + + + +",
    "GET /api/v1/regions/<code>": "-- -- +- +- ++ ++",
    "GET /api/v1/renewals": "- - + + + +",
    "GET /api/v1/settings": "- - + + + +",
    "GET /api/v1/standards": "- - + + + +",
    "GET /api/v1/townships/<int:township_id>/case-report.pdf": "-- -- -- -- ++ ++",
    "GET /api/v1/worklist": "- - + + + +",
    "GET /audit/": "- - - - + +",
    "GET /audit/<int:entry_id>": "-- -- -- -- ++ ++",
    "GET /audit/export": "- - - - + +",
    "GET /contracts/": "- - + + + +",
    "GET /contracts/<int:contract_id>": "-- +- +- +- ++ ++",
    "GET /contracts/<int:contract_id>/pdf": "-- +- +- +- ++ ++",
    "GET /contracts/<int:contract_id>/renew": "-- -- -- +- -- ++",
    "GET /contracts/batch.pdf": "- - + + + +",
    "GET /contracts/export": "- - + + + +",
    "GET /contracts/new": "- - - + - +",
    "GET /contracts/pending": "- - + + + +",
    "GET /county/policy/": "- - + + + +",
    "GET /county/regions": "- - + + + +",
    "GET /county/regions/template.xlsx": "- - + + + +",
    "GET /exits/": "- - + + + +",
    "GET /exits/<int:exit_id>": "-- -- +- +- ++ ++",
    "GET /exits/<int:exit_id>/notice.pdf": "-- -- +- +- ++ ++",
    "GET /exits/behind": "- - + + + +",
    "GET /exits/colours": "- - + + + +",
    "GET /exits/export": "- - + + + +",
    "GET /exits/notices.pdf": "- - + + + +",
    "GET /exits/followup/<int:person_id>": "-- -- +- +- ++ ++",
    # holder1's own 退岗通知书 (a confirmed exit of theirs); OUT: another person's
    "GET /exits/mine/<int:contract_id>/notice.pdf": "-- +- -- -- -- --",
    "GET /exits/new": "- - + + - +",
    "GET /exits/worklist": "- - + + + +",
    "GET /exits/year-end": "- - + + + +",
    "GET /hiring/": "- - + + + +",
    "GET /hiring/<int:notice_id>": "-- -- +- +- ++ ++",
    "GET /hiring/<int:notice_id>/apply": "-- -- +- +- -- ++",
    "GET /hiring/<int:notice_id>/shortlist": "-- -- -- +- -- ++",
    "GET /hiring/applications/<int:application_id>": "-- -- +- +- ++ ++",
    "GET /hiring/new/<int:post_id>": "-- -- -- +- -- ++",
    "GET /favicon.ico": "+ + + + + +",
    "GET /login": "+ + + + + +",
    "GET /me/": "- + - - - -",
    "GET /me/months/<int:contract_id>/<month>": "-- +- -- -- -- --",
    "GET /me/payments/<int:payment_id>": "-- +- -- -- -- --",
    "GET /objections/": "- - + + + +",
    "GET /oversight/": "- - - - + +",
    "GET /oversight/flags/<int:flag_id>": "-- -- -- -- ++ ++",
    "GET /oversight/flags/<int:flag_id>/report.pdf": "-- -- -- -- ++ ++",
    "GET /oversight/persons/<int:person_id>": "-- -- -- -- ++ ++",
    "GET /oversight/townships/<int:township_id>/report.pdf": "-- -- -- -- ++ ++",
    "GET /pay/arrears": "- - - + + +",
    "GET /pay/assessment/<int:village_id>/<year>": "-- -- +- +- ++ ++",
    "GET /pay/attendance": "- - + + + +",
    "GET /pay/attendance/<int:village_id>/<month>": "-- -- +- +- ++ ++",
    "GET /pay/attendance/<int:village_id>/<month>/template.xlsx": "-- -- +- +- -- ++",
    "GET /pay/payments/<int:payment_id>/correct": "-- -- -- +- -- ++",
    "GET /pay/runs": "- - + + + +",
    "GET /pay/runs/<int:run_id>": "-- -- -- +- ++ ++",
    "GET /pay/runs/<int:run_id>/bank.<fmt>": "-- -- -- +- -- ++",
    "GET /pay/runs/<int:run_id>/notice.pdf": "-- -- -- +- ++ ++",
    "GET /pay/runs/<int:run_id>/summary.pdf": "-- -- -- +- ++ ++",
    "GET /people/": "- - + + + +",
    "GET /people/<int:person_id>": "-- +- +- +- ++ ++",
    "GET /people/<int:person_id>/edit": "-- -- +- +- -- ++",
    "GET /people/<int:person_id>/record": "-- -- +- +- -- ++",
    "GET /people/affected": "- - + + + +",
    "GET /people/new": "- - + + - +",
    "GET /people/roster/export": "- - + + + +",
    "GET /people/roster/import": "- - + + - +",
    # the error report of an upload only its uploader made: no such token here, so a 404 for everyone
    "GET /people/roster/import/errors/<token>.xlsx": "-- -- -- -- -- --",
    "GET /people/roster/template": "- - + + - +",
    "GET /policy/": "- - + + + +",
    "GET /policy/holidays": "- - + + + +",
    "GET /policy/holidays/template.xlsx": "- - + + + +",
    "GET /policy/standards": "- - + + + +",
    "GET /posts/": "- - + + + +",
    "GET /posts/<int:post_id>": "-- -- +- +- ++ ++",
    "GET /posts/<int:post_id>/edit": "-- -- -- +- -- ++",
    "GET /posts/export.xlsx": "- - + + + +",
    "GET /posts/new": "- - - + - +",
    "GET /posts/parity": "- - + + + +",
    "GET /posts/parity.xlsx": "- - + + + +",
    "GET /posts/vacant": "- - + + + +",
    "GET /public/": "+ + + + + +",
    "GET /public/notices/<int:notice_id>": "++ ++ ++ ++ ++ ++",
    "GET /public/payments/<village_code>/<month>": "++ ++ ++ ++ ++ ++",
    "GET /public/publicity/<int:publicity_id>": "++ ++ ++ ++ ++ ++",
    "GET /records/": "- - + + + +",
    "GET /records/<kind>/template.xlsx": "-- -- ++ ++ ++ ++",
    # first-run setup: the county exists, so it is gone for everyone (the API answers 422, below)
    "GET /setup": "- - - - - -",
    "GET /static/<path:filename>": "++ ++ ++ ++ ++ ++",
    "GET /users/": "- - - - - +",
    "GET /users/<int:user_id>/password": "-- -- -- -- -- ++",
    "GET /users/new": "- - - - - +",
    "PATCH /api/v1/persons/<int:person_id>": "-- -- +- +- -- ++",
    "POST /account/password": "- + + + + +",
    "POST /api/v1/applications": "- - + + - +",
    "POST /api/v1/applications/<int:application_id>/hire": "-- -- -- +- -- ++",
    "POST /api/v1/applications/<int:application_id>/objections": "-- -- +v +v -- ++",
    "POST /api/v1/applications/<int:application_id>/recheck": "-- -- +- +- -- ++",
    "POST /api/v1/assessments": "- - - + - +",
    "POST /api/v1/attendance/approve": "- - - + - +",
    "POST /api/v1/attendance/records/<int:record_id>/reopen": "-- -- -- +v -- ++",
    "POST /api/v1/auth/token": "+ + + + + +",
    "POST /api/v1/cadres/<int:cadre_id>/end": "-- -- -- +- -- ++",
    "POST /api/v1/contracts": "- - - + - +",
    "POST /api/v1/contracts/<int:contract_id>/activate": "-- -- -- +- -- ++",
    "POST /api/v1/contracts/<int:contract_id>/insurance": "-- -- -- +- -- ++",
    "POST /api/v1/contracts/<int:contract_id>/renew": "-- -- -- +- -- ++",
    "POST /api/v1/contracts/<int:contract_id>/void": "-- -- -- +- -- ++",
    "POST /api/v1/exits": "- - + + - +",
    "POST /api/v1/exits/<int:exit_id>/confirm": "-- -- -- +- -- ++",
    "POST /api/v1/exits/<int:exit_id>/dismiss": "-- -- -- +v -- ++",
    "POST /api/v1/exits/<int:exit_id>/placement": "-- -- -- +- -- ++",
    "POST /api/v1/flags/<int:flag_id>/disposition": "-- -- -- -- ++ --",
    "POST /api/v1/flags/<int:flag_id>/notes": "-- -- -- -- ++ --",
    "POST /api/v1/flags/scan": "- - - - + +",
    "POST /api/v1/funds": "- - - - - +",
    "POST /api/v1/me/months/<int:contract_id>/<month>/objections": "-- +v -- -- -- --",
    "POST /api/v1/notices": "- - - + - +",
    "POST /api/v1/notices/<int:notice_id>/close": "-- -- -- +- -- ++",
    "POST /api/v1/notices/<int:notice_id>/publicity": "-- -- -- +- -- ++",
    "POST /api/v1/objections/<int:objection_id>/resolve": "-- -- -- +v -- ++",
    "POST /api/v1/payment-objections/<int:objection_id>/answer": "-- -- -- +v -- ++",
    "POST /api/v1/payments/<int:payment_id>/corrections": "-- -- -- +v -- ++",
    "POST /api/v1/payments/<int:payment_id>/objections": "-- +- -- -- -- --",
    "POST /api/v1/payroll-runs": "- - - + - +",
    "POST /api/v1/payroll-runs/<int:run_id>/approve": "-- -- -- +- -- ++",
    "POST /api/v1/payroll-runs/<int:run_id>/bank-results": "-- -- -- +v -- ++",
    "POST /api/v1/payroll-runs/<int:run_id>/retry": "-- -- -- +- -- ++",
    "POST /api/v1/payroll-runs/<int:run_id>/supplementary": "-- -- -- +- -- ++",
    "POST /api/v1/payroll-runs/<int:run_id>/void": "-- -- -- +- -- ++",
    "POST /api/v1/persons": "- - + + - +",
    "POST /api/v1/persons/<int:person_id>/cadres": "-- -- -- +- -- ++",
    "POST /api/v1/persons/<int:person_id>/categories": "-- -- +- +- -- ++",
    "POST /api/v1/persons/<int:person_id>/categories/end": "-- -- +- +- -- ++",
    "POST /api/v1/persons/<int:person_id>/death": "-- -- +- +- -- ++",
    "POST /api/v1/persons/<int:person_id>/followup": "-- -- +- +- -- ++",
    "POST /api/v1/persons/<int:person_id>/household": "-- -- +- +- -- ++",
    "POST /api/v1/persons/<int:person_id>/relations": "-- -- +- +- -- ++",
    "POST /api/v1/post-categories": "- - - - - +",
    "POST /api/v1/posts": "- - - + - +",
    "POST /api/v1/posts/<int:post_id>/approve": "-- -- -- -- -- ++",
    "POST /api/v1/posts/<int:post_id>/close": "-- -- -- +- -- ++",
    "POST /api/v1/posts/<int:post_id>/reject": "-- -- -- -- -- ++",
    "POST /api/v1/posts/<int:post_id>/revise": "-- -- -- +- -- ++",
    "POST /api/v1/posts/<int:post_id>/submit": "-- -- -- +- -- ++",
    "POST /api/v1/publicities/<int:publicity_id>/end": "-- -- -- +- -- ++",
    "POST /api/v1/records/<kind>/import": "-- -- -- -- -- ++",
    "POST /api/v1/rectifications/<int:item_id>/done": "-- -- -- -- ++ --",
    "POST /api/v1/regions/import": "- - - - - +",
    "POST /api/v1/renewals/decide": "- - - + - +",
    "POST /api/v1/settings": "- - - - - +",
    # documented: refused with 422 once the county exists, before any login
    "POST /api/v1/setup": "v v v v v v",
    "POST /api/v1/standards": "- - - - - +",
    "POST /audit/verify": "- - - - + +",
    "POST /contracts/<int:contract_id>/activate": "-- -- -- +- -- ++",
    "POST /contracts/<int:contract_id>/insurance": "-- -- -- +- -- ++",
    "POST /contracts/<int:contract_id>/renew": "-- -- -- +- -- ++",
    "POST /contracts/<int:contract_id>/void": "-- -- -- +- -- ++",
    "POST /contracts/new": "- - - + - +",
    "POST /county/policy/categories": "- - - - - +",
    "POST /county/policy/categories/<int:category_id>": "-- -- -- -- -- ++",
    "POST /county/policy/categories/<int:category_id>/delete": "-- -- -- -- -- ++",
    "POST /county/policy/funds": "- - - - - +",
    "POST /county/policy/funds/<int:fund_id>": "-- -- -- -- -- ++",
    "POST /county/policy/funds/<int:fund_id>/delete": "-- -- -- -- -- ++",
    "POST /county/policy/standards": "- - - - - +",
    "POST /county/policy/standards/<int:standard_id>/delete": "-- -- -- -- -- ++",
    "POST /county/regions/import": "- - - - - +",
    # an empty form is answered (redirect with the errors) after a read check only: the village clerk and
    # the inspector, who may read an exit but not confirm it, get the form errors, not 403
    "POST /exits/<int:exit_id>/confirm": "-- -- v- +- vv ++",
    "POST /exits/<int:exit_id>/dismiss": "-- -- -- +- -- ++",
    "POST /exits/<int:exit_id>/placement": "-- -- -- +- -- ++",
    "POST /exits/followup/<int:person_id>": "-- -- +- +- -- ++",
    "POST /exits/new": "- - + + - +",
    "POST /exits/year-end": "- - - + - +",
    "POST /hiring/<int:notice_id>/apply": "-- -- +- +- -- ++",
    "POST /hiring/<int:notice_id>/close": "-- -- -- +- -- ++",
    "POST /hiring/<int:notice_id>/shortlist": "-- -- -- +- -- ++",
    "POST /hiring/applications/<int:application_id>/hire": "-- -- -- +- -- ++",
    "POST /hiring/applications/<int:application_id>/objections": "-- -- +- +- -- ++",
    "POST /hiring/applications/<int:application_id>/recheck": "-- -- +- +- -- ++",
    "POST /hiring/new/<int:post_id>": "-- -- -- +- -- ++",
    "POST /hiring/objections/<int:objection_id>/resolve": "-- -- -- +- -- ++",
    "POST /hiring/publicity/<int:publicity_id>/end": "-- -- -- +- -- ++",
    "POST /login": "+ + + + + +",
    # logging out is allowed to every signed-in role (the client keeps its cookie for the next row)
    "POST /logout": "- + + + + +",
    "POST /me/months/<int:contract_id>/<month>": "-- +- -- -- -- --",
    "POST /me/payments/<int:payment_id>": "-- +- -- -- -- --",
    "POST /objections/<int:objection_id>/answer": "-- -- -- +- -- ++",
    "POST /oversight/flags/<int:flag_id>/assign": "-- -- -- -- ++ --",
    "POST /oversight/flags/<int:flag_id>/dispose": "-- -- -- -- ++ --",
    "POST /oversight/flags/<int:flag_id>/note": "-- -- -- -- ++ --",
    "POST /oversight/rectifications/<int:item_id>/done": "-- -- -- -- ++ --",
    "POST /oversight/scan": "- - - - + +",
    "POST /pay/assessment/<int:village_id>/<year>": "-- -- -- +- -- ++",
    "POST /pay/attendance/<int:village_id>/<month>": "-- -- +- +- -- ++",
    "POST /pay/attendance/<int:village_id>/<month>/import": "-- -- +- +- -- ++",
    # with FORMS: the township clerk's own village (rules without ids are requested in scope only)
    "POST /pay/attendance/approve": "- - - + - +",
    "POST /pay/attendance/record/<int:record_id>/reopen": "-- -- -- +- -- ++",
    "POST /pay/payments/<int:payment_id>/correct": "-- -- -- +- -- ++",
    "POST /pay/runs/<int:run_id>/approve": "-- -- -- +- -- ++",
    "POST /pay/runs/<int:run_id>/bank-results": "-- -- -- +v -- ++",
    "POST /pay/runs/<int:run_id>/reprepare": "-- -- -- +- -- ++",
    "POST /pay/runs/<int:run_id>/retry": "-- -- -- +- -- ++",
    "POST /pay/runs/<int:run_id>/supplementary": "-- -- -- +- -- ++",
    "POST /pay/runs/<int:run_id>/void": "-- -- -- +- -- ++",
    "POST /pay/runs/prepare": "- - - + - +",
    "POST /people/<int:person_id>/cadres": "-- -- -- +- -- ++",
    "POST /people/<int:person_id>/cadres/<int:cadre_id>/end": "-- -- -- +- -- ++",
    "POST /people/<int:person_id>/categories": "-- -- +- +- -- ++",
    "POST /people/<int:person_id>/categories/<int:category_id>/end": "-- -- +- +- -- ++",
    "POST /people/<int:person_id>/death": "-- -- +- +- -- ++",
    "POST /people/<int:person_id>/edit": "-- -- +- +- -- ++",
    "POST /people/<int:person_id>/household": "-- -- +- +- -- ++",
    "POST /people/<int:person_id>/relations": "-- -- +- +- -- ++",
    "POST /people/<int:person_id>/relations/<int:relation_id>/delete": "-- -- +- +- -- ++",
    "POST /people/new": "- - + + - +",
    "POST /people/roster/import": "- - + + - +",
    "POST /people/roster/import/confirm": "- - + + - +",
    "POST /policy/holidays": "- - - - - +",
    "POST /policy/holidays/import": "- - - - - +",
    "POST /policy/settings/<key>": "-- -- -- -- -- ++",
    "POST /posts/<int:post_id>/approve": "-- -- -- -- -- ++",
    "POST /posts/<int:post_id>/close": "-- -- -- +- -- ++",
    "POST /posts/<int:post_id>/edit": "-- -- -- +- -- ++",
    "POST /posts/<int:post_id>/reject": "-- -- -- -- -- ++",
    "POST /posts/<int:post_id>/revise": "-- -- -- +- -- ++",
    "POST /posts/<int:post_id>/submit": "-- -- -- +- -- ++",
    "POST /posts/new": "- - - + - +",
    "POST /records/<kind>/import": "-- -- -- -- -- ++",
    "POST /setup": "- - - - - -",
    "POST /users/<int:user_id>/active": "-- -- -- -- -- ++",
    "POST /users/<int:user_id>/password": "-- -- -- -- -- ++",
    "POST /users/<int:user_id>/unlock": "-- -- -- -- -- ++",
    "POST /users/new": "- - - - - +",
    "PUT /api/v1/attendance": "- - + + - +",
    "PUT /api/v1/funds/<int:fund_id>": "-- -- -- -- -- ++",
    "PUT /api/v1/post-categories/<int:category_id>": "-- -- -- -- -- ++",
}
# fmt: on


def row_key(method: str, rule) -> str:
    return f"{method} {rule.rule}"


def rule_methods(rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def routes(app):
    """(key, rule, method) for every rule and method of the app, in a stable order."""
    out = []
    for rule in app.url_map.iter_rules():
        for m in rule_methods(rule):
            out.append((row_key(m, rule), rule, m))
    return sorted(out, key=lambda t: t[0])


def missing_rows(app, rows=None) -> list[str]:
    """Rules of the URL map with no row in the table."""
    rows = ROWS if rows is None else rows
    return [key for key, _, _ in routes(app) if key not in rows]


def parse(spec: str, has_ids: bool) -> dict[str, tuple[str, str]]:
    """'-- -+ ...' → {role: (in, out)}."""
    marks = spec.split()
    if len(marks) != len(ROLE_ORDER):
        raise ValueError(f"{spec!r}: one mark group per role in {ROLE_ORDER}")
    out = {}
    for role, m in zip(ROLE_ORDER, marks, strict=True):
        if len(m) == 1 and not has_ids:
            out[role] = (m, m)
        elif len(m) == 2 and has_ids:
            out[role] = (m[0], m[1])
        else:
            raise ValueError(f"{spec!r}: {'two marks' if has_ids else 'one mark'} per role for this rule")
        if set(m) - {"+", "-", "v"}:
            raise ValueError(f"{spec!r}: marks are +, - or v")
    return out


@dataclass
class World:
    """Ids to put into URLs: `values[scope][argument]`, scope 'in' or 'out'."""

    values: dict[str, dict[str, str]]

    def url(self, rule, scope: str) -> str:
        vals = self.values[scope]
        args = {}
        for arg in rule.arguments:
            key = _argument_kind(rule.rule, arg)
            if key not in vals:
                raise KeyError(f"no value for <{arg}> ({key}) in {rule.rule}: add it to the matrix world")
            args[arg] = vals[key]
        url = rule.rule
        for arg in rule.arguments:
            for conv in ("int:", "path:", ""):
                url = url.replace(f"<{conv}{arg}>", str(args[arg]))
        return url


def _argument_kind(path: str, arg: str) -> str:
    """Which object an argument names: the same name means different things under different prefixes."""
    if arg == "category_id":
        return "person_category_id" if path.startswith("/people/") else "post_category_id"
    if arg == "objection_id":
        payment = path.startswith(("/objections/", "/api/v1/payment-objections/"))
        return "payment_objection_id" if payment else "hiring_objection_id"
    if arg == "person_id":
        # a person's own cadre/relation/category rows: the person must be theirs
        for sub in ("cadre_id", "relation_id", "category_id"):
            if f"<int:{sub}>" in path:
                return f"person_of_{sub}"
    if arg == "contract_id" and path.startswith("/exits/mine/"):
        return "exited_contract_id"  # a contract with a confirmed exit: the notice exists
    if arg == "contract_id" and path.startswith(("/me/", "/api/v1/me/")):
        return "own_contract_id"
    if arg == "code":
        return "village_code"
    return arg


class Rollback:
    """Every request runs inside an outer transaction that is rolled back after it: the app's commits
    only release savepoints (join_transaction_mode='create_savepoint'), so an allowed POST that voids a
    contract or deletes a fund leaves the world as it was for the next request."""

    def __init__(self, app, db):
        self.app = app
        self.db = db
        self.conn = None
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        from flask_sqlalchemy.session import Session

        with self.app.app_context():
            self.conn = self.db.engine.connect()
        conn = self.conn
        mp = self._stack.enter_context(_monkeypatch())
        mp.setattr(Session, "get_bind", lambda self, *a, **k: conn)
        factory = self.db.session.session_factory
        mp.setitem(factory.kw, "join_transaction_mode", "create_savepoint")
        # the permission check comes before the document: skip WeasyPrint's layout (seconds per PDF)
        from pwposts.documents import pdf

        mp.setattr(pdf, "_html", _record_pdf_html)
        return self

    @contextlib.contextmanager
    def request(self):
        outer = self.conn.begin()
        try:
            yield
        finally:
            outer.rollback()

    def __exit__(self, *exc):
        self._stack.close()
        self.conn.close()


# The HTML of the PDFs the routes made (the first of each document title, digits and codes left out): the
# documents tests/web/test_route_matrix.py renders for real, each with both user-agent stylesheets.
PDF_HTMLS: dict[str, str] = {}


def _record_pdf_html(html: str) -> _NoLayout:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    key = re.sub(r"[0-9A-Za-z\s-]+", "", title.group(1) if title else "")
    PDF_HTMLS.setdefault(key, html)
    return _NoLayout()


class _NoLayout:
    """Stands in for a WeasyPrint document: the template is rendered, the layout is not."""

    pages = [None]

    def render(self, **_kw):
        return self

    def copy(self, _pages):
        return self

    def write_pdf(self, **_kw):
        return b"%PDF-1.4\n% route matrix: layout skipped\n%%EOF\n"


@contextlib.contextmanager
def _monkeypatch():
    import pytest

    mp = pytest.MonkeyPatch()
    try:
        yield mp
    finally:
        mp.undo()


@dataclass
class Clients:
    web: dict[str, FlaskClient]
    api: dict[str, dict[str, str]]  # role → headers


def send(client: FlaskClient, method: str, url: str, headers: dict | None, form: dict | None = None):
    """One request; the client's cookies are put back after it (a POST /logout must not log the role out)."""
    saved = dict(client._cookies)
    try:
        if url.startswith("/api/"):
            body = {"json": form or {}} if method in WRITES else {}
            return client.open(url, method=method, headers=headers or {}, **body)
        return client.open(url, method=method, data=(form or {}) if method in WRITES else None)
    finally:
        client._cookies.clear()
        client._cookies.update(saved)


@dataclass(frozen=True)
class Seen:
    """What one request got: mark '+' (2xx), 'r' (a redirect or a 4xx refusing the input), '-' denied,
    '!' a server error, '?' anything else; the status; whether it wrote an audit entry."""

    mark: str
    status: int
    wrote: bool

    @property
    def plain(self) -> str:
        return "+" if self.mark in "+r" else self.mark


def classify(response) -> str:
    code = response.status_code
    if code >= 500:
        return "!"
    if code in (401, 403, 404):
        return "-"
    if 300 <= code < 400:
        return "-" if "/login?next=" in response.headers.get("Location", "") else "r"
    if code < 300:
        return "+"
    return "r" if code in VALIDATION else "?"


def form_for(key: str, world: World, scope: str) -> dict | None:
    form = FORMS.get(key)
    if form is None:
        return None
    return {k: str(world.values[scope][v]) for k, v in form.items()}


def observe(app, db, world: World, clients: Clients, keys=None):
    """Request every route (or the given keys) as every role in both scopes, each in a rolled-back
    transaction. Returns observed[key][role] = (Seen in scope, Seen out of scope)."""
    from pwposts.models.audit import AuditEntry

    def audit_count():
        with app.app_context():
            return db.session.scalar(db.select(db.func.count(AuditEntry.id)))

    observed: dict[str, dict[str, tuple[Seen, Seen]]] = {}
    rb = Rollback(app, db)
    with rb:
        for key, rule, method in routes(app):
            if keys is not None and key not in keys:
                continue
            cells = {}
            for role in ROLE_ORDER:
                seen = []
                for scope in ("in", "out") if rule.arguments else ("in",):
                    url = world.url(rule, scope)
                    with rb.request():
                        before = audit_count() if method in WRITES else 0
                        t0 = time.perf_counter()
                        r = send(
                            clients.web[role], method, url, clients.api.get(role), form_for(key, world, scope)
                        )
                        TIMES[key] = TIMES.get(key, 0) + time.perf_counter() - t0
                        wrote = method in WRITES and audit_count() != before
                    seen.append(Seen(classify(r), r.status_code, wrote))
                cells[role] = (seen[0], seen[-1])
            observed[key] = cells
    return observed


def render(key: str, cells, has_ids: bool) -> str:
    """The row the app's answers amount to (for the failure message and for writing new rows)."""
    marks = " ".join((a.plain + b.plain) if has_ids else a.plain for a, b in (cells[r] for r in ROLE_ORDER))
    return f'    "{key}": "{marks}",'


def compare(app, observed, rows=None) -> list[str]:
    """Cells where the app does not do what the table says, each with the row it would need."""
    rows = ROWS if rows is None else rows
    bad = []
    rules = {key: rule for key, rule, _ in routes(app)}
    for key, cells in observed.items():
        has_ids = bool(rules[key].arguments)
        want = parse(rows[key], has_ids) if key in rows else None
        wrong = []
        for role in ROLE_ORDER:
            for i, scope in enumerate(("in", "out")):
                got = cells[role][i]
                w = want[role][i] if want else "+"
                if got.mark in "!?":
                    wrong.append(f"{role} {scope}: {got.status}")
                elif w in "-v" and got.wrote:
                    wrong.append(f"{role} {scope}: refused ({got.status}) but wrote an audit entry")
                elif want is None:
                    continue
                elif w == "-" and got.mark != "-":
                    wrong.append(f"{role} {scope}: table - but the app answered {got.status}")
                elif w == "+" and got.mark == "-":
                    wrong.append(f"{role} {scope}: table + but the app answered {got.status}")
                elif w == "v" and got.mark not in "r-":
                    wrong.append(f"{role} {scope}: table v but the app answered {got.status}")
        if wrong:
            bad.append(f"{key}: {'; '.join(wrong)}\n  the app does: {render(key, cells, has_ids).strip()}")
    return bad


def build_world(session, today) -> World:
    """The demo county (8 townships, holder1 a real holder in village1) and, where the demo has none in
    both places, one row of each kind made here: 公示, objection, 申诉, exit, flag, rectification item."""
    from datetime import date

    from sqlalchemy import select

    from pwposts import demo
    from pwposts.domain.settings import SPECS
    from pwposts.models.accounts import User
    from pwposts.models.audit import AuditEntry
    from pwposts.models.contracts import Contract
    from pwposts.models.exits import ContractExit
    from pwposts.models.hiring import Application, Notice, Objection, Publicity
    from pwposts.models.oversight import Disposition, Flag, Rectification
    from pwposts.models.pay import AttendanceRecord, Payment, PaymentObjection
    from pwposts.models.people import Cadre, Person, PersonCategory, Region, Relation
    from pwposts.models.policy import Fund, PostCategory, Standard
    from pwposts.models.posts import Post
    from pwposts.services import department_records

    demo.generate_county(session, seed=5, persons=700, today=today)
    session.flush()
    users = {u.username: u for u in session.scalars(select(User))}
    holder = session.get(Person, users["holder1"].person_id)
    village = users["village1"].region
    contract_in = session.scalars(
        select(Contract).where(Contract.person_id == holder.id, Contract.status == "active")
    ).first()
    assert contract_in.post.village_id == village.id, "holder1 works in village1"
    town_in = village.parent
    # the other township: one with a contract in force, as far from township1 as the demo allows
    contract_out = session.scalars(
        select(Contract)
        .where(Contract.status == "active", Contract.person_id != holder.id)
        .order_by(Contract.id)
    ).first()
    village_out = contract_out.post.village
    town_out = village_out.parent
    assert town_out.id != town_in.id

    def first(model, *where):
        obj = session.scalars(select(model).where(*where).order_by(model.id)).first()
        assert obj is not None, (model.__name__, where)
        return obj

    def in_village(model, v, col):
        return first(model, col.in_(select(Person.id).where(Person.village_id == v.id)))

    values = {}
    for scope, v, contract in (("in", village, contract_in), ("out", village_out, contract_out)):
        person = contract.person
        post = contract.post
        payment = first(Payment, Payment.contract_id == contract.id)
        record = first(AttendanceRecord, AttendanceRecord.contract_id == contract.id)
        notice = first(Notice, Notice.post_id == post.id)
        # open for applications today, so that the public pages show it and its 公示
        notice.status, notice.start_on, notice.end_on = "open", date(2026, 11, 16), date(2026, 11, 30)
        application = first(Application, Application.notice_id == notice.id)
        publicity = Publicity(
            notice_id=notice.id,
            start_on=date(2026, 11, 20),
            end_on=date(2026, 11, 30),
            working_days=5,
            where_to_object="乡镇人社服务中心",
            status="open",
        )
        session.add(publicity)
        session.flush()
        objection = Objection(
            publicity_id=publicity.id,
            application_id=application.id,
            content="群众反映情况",
            received_on=date(2026, 11, 21),
        )
        pay_objection = PaymentObjection(
            payment_id=payment.id,
            contract_id=contract.id,
            month=payment.run.month,
            person_id=person.id,
            content="本月少发",
        )
        exit_ = session.scalars(
            select(ContractExit)
            .where(ContractExit.contract_id == contract.id, ContractExit.status != "dismissed")
            .order_by(ContractExit.id)
        ).first() or ContractExit(
            contract_id=contract.id,
            person_id=person.id,
            reason="employed",
            event_on=date(2026, 11, 1),
            effective_on=date(2026, 12, 1),
            proposed_on=date(2026, 11, 20),
            proposed_by_label="测试",
        )
        flags = [
            Flag(
                rule_id="MULTI_POST",
                severity="high",
                status=status,
                subject_key=f"person:{person.id}:{status}",
                title="测试线索",
                person_id=person.id,
                township_id=v.parent_id,
                village_id=v.id,
                evidence_json="{}",
                evidence_hash="0" * 64,
                first_seen_on=date(2026, 11, 1),
                last_seen_on=date(2026, 11, 1),
            )
            for status in ("open", "confirmed")
        ]
        session.add_all([objection, pay_objection, exit_, *flags])
        session.flush()
        disposition = Disposition(
            flag_id=flags[1].id, outcome="confirmed", evidence_hash="0" * 64, decided_on=date(2026, 11, 2)
        )
        session.add(disposition)
        session.flush()
        item = Rectification(disposition_id=disposition.id, kind="recover_money", description="追回")
        session.add(item)
        session.flush()
        # a confirmed exit from another of the person's contracts (or another person's there): its 退岗通知书
        done = session.scalars(
            select(ContractExit)
            .join(Contract, Contract.id == ContractExit.contract_id)
            .join(Post, Post.id == Contract.post_id)
            .where(ContractExit.status == "confirmed", Post.village_id == v.id, Contract.id != contract.id)
            .order_by(ContractExit.id)
        ).first()
        if scope == "out" and done is not None:
            exited = done.contract
        else:
            exited = session.scalars(
                select(Contract)
                .where(
                    Contract.id != contract.id, Contract.status != "active", Contract.person_id == person.id
                )
                .where(
                    ~Contract.id.in_(
                        select(ContractExit.contract_id).where(ContractExit.status != "dismissed")
                    )
                )
                .order_by(Contract.id)
            ).first()
            assert exited is not None, f"{scope}: a second contract of {person.name}"
            session.add(
                ContractExit(
                    contract_id=exited.id,
                    person_id=exited.person_id,
                    reason="employed",
                    status="confirmed",
                    event_on=date(2026, 10, 1),
                    effective_on=date(2026, 10, 1),
                    proposed_on=date(2026, 10, 1),
                    proposed_by_label="测试",
                    confirmed_on=date(2026, 10, 2),
                )
            )
            session.flush()
        cadre = in_village(Cadre, v, Cadre.person_id)
        relation = in_village(Relation, v, Relation.person_id)
        category = in_village(PersonCategory, v, PersonCategory.person_id)
        values[scope] = {
            "person_id": person.id,
            "post_id": post.id,
            "contract_id": contract.id,
            "own_contract_id": contract.id,
            "exited_contract_id": exited.id,
            "payment_id": payment.id,
            "record_id": record.id,
            "run_id": payment.run_id,
            "notice_id": notice.id,
            "application_id": application.id,
            "publicity_id": publicity.id,
            "hiring_objection_id": objection.id,
            "payment_objection_id": pay_objection.id,
            "exit_id": exit_.id,
            "flag_id": flags[0].id,
            "item_id": item.id,
            "cadre_id": cadre.id,
            "person_of_cadre_id": cadre.person_id,
            "relation_id": relation.id,
            "person_of_relation_id": relation.person_id,
            "person_category_id": category.id,
            "person_of_category_id": category.person_id,
            "village_id": v.id,
            "township_id": v.parent_id,
            "village_code": v.code,
            "user_id": users["village1" if scope == "in" else "township2"].id,
            # county-wide things: the same in both scopes
            "entry_id": first(AuditEntry).id,
            "fund_id": first(Fund).id,
            "standard_id": first(Standard).id,
            "post_category_id": first(PostCategory).id,
            "month": "2026-10",
            "year": "2026",
            "fmt": "csv",
            "kind": next(iter(department_records.COLUMNS)),
            "key": SPECS[0].key,
            "token": "0" * 32,
            "filename": "css/app.css",
        }
    assert session.get(Region, town_out.id).level == "township"
    return World(values)
