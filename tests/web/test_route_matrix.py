"""Every route, web and API, as every role and anonymously, inside and outside the role's scope
(tests/route_matrix.py holds the table and says how to read it)."""

from __future__ import annotations

import os
import re
from datetime import date

import pytest

from pwposts.demo import DEMO_PASSWORD
from pwposts.extensions import db
from pwposts.services.clock_binding import bind_now
from tests import route_matrix as rm
from tests.conftest import NOW, _empty_tables, api_token, login


@pytest.fixture(scope="module")
def matrix(_app):
    """One demo county for the module; every request in it is rolled back (route_matrix.Rollback)."""
    with _app.app_context():
        _empty_tables()
        bind_now(db.session, NOW)
        world = rm.build_world(db.session, date(2026, 11, 25))
        db.session.commit()
        db.session.remove()
    clients = rm.Clients(web={"anon": _app.test_client()}, api={})
    for role, username in rm.USERNAMES.items():
        c = _app.test_client()
        assert login(c, username, DEMO_PASSWORD).status_code == 302
        clients.web[role] = c
        clients.api[role] = api_token(_app.test_client(), username, DEMO_PASSWORD)
    yield world, clients
    with _app.app_context():
        _empty_tables()
        db.session.remove()


def test_every_route_has_a_row(_app):
    missing = rm.missing_rows(_app)
    assert not missing, "routes with no row in tests/route_matrix.py ROWS (add one each):\n" + "\n".join(
        missing
    )
    stale = set(rm.ROWS) - {key for key, _, _ in rm.routes(_app)}
    assert not stale, f"rows for routes that no longer exist: {sorted(stale)}"


def test_every_route_answers_every_role_as_the_table_says(_app, matrix):
    world, clients = matrix
    observed = rm.observe(_app, db, world, clients)
    if os.environ.get("PWPOSTS_MATRIX_DUMP"):
        rules = {key: rule for key, rule, _ in rm.routes(_app)}
        with open(os.environ["PWPOSTS_MATRIX_DUMP"], "w") as f:
            for key, cells in observed.items():
                f.write(rm.render(key, cells, bool(rules[key].arguments)) + "\n")
            for k, t in sorted(rm.TIMES.items(), key=lambda kv: -kv[1])[:40]:
                f.write(f"{t:.2f} {k}\n")
    bad = rm.compare(_app, observed)
    assert not bad, "\n".join(bad)


def test_an_unguarded_route_fails_the_matrix(_app, matrix):
    """Proof that the matrix bites: a route added without a row, and without a permission check, on a
    second app over the same database, is reported missing and, with the row a guarded route would
    have, reported for every role it lets in and for the audit entry it writes."""
    from flask_login import login_required

    from pwposts import create_app
    from pwposts.services import audit

    world, _ = matrix
    probe = create_app(
        {k: _app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "SECRET_KEY")}
        | {"PWPOSTS_TODAY": "2026-11-25", "SERVER_NAME": None}
    )

    @probe.route("/matrix-probe/posts/<int:post_id>/touch", methods=["POST"])
    @login_required  # signed in is all it asks: no role, no scope
    def touch(post_id: int):
        audit.record(db.session, "probe", "touch", "post", post_id)
        db.session.commit()
        return "ok"

    key = "POST /matrix-probe/posts/<int:post_id>/touch"
    assert rm.missing_rows(probe) == [key]

    clients = rm.Clients(web={"anon": probe.test_client()}, api={})
    for role, username in rm.USERNAMES.items():
        clients.web[role] = probe.test_client()
        assert login(clients.web[role], username, DEMO_PASSWORD).status_code == 302
    observed = rm.observe(probe, db, world, clients, keys={key})
    bad = rm.compare(probe, observed, rows={key: "-- -- +- +- -- ++"})  # what a post action would say
    assert len(bad) == 1, bad
    for cell in ("holder in", "holder out", "village out", "town out", "inspector in", "inspector out"):
        assert f"{cell}: refused" in bad[0] or f"{cell}: table - but the app answered 200" in bad[0], (
            cell,
            bad,
        )
    assert "anon in" not in bad[0]  # login_required still sends the anonymous to the login page
    with probe.app_context():
        from pwposts.models.audit import AuditEntry

        assert db.session.query(AuditEntry).filter_by(action="touch").count() == 0  # all rolled back
        db.engine.dispose()


def test_pdfs_render_byte_for_byte_as_with_weasyprints_own_stylesheet(_app, matrix):
    """pwposts/documents/pdf_ua.css stands in for WeasyPrint's whole HTML user-agent stylesheet: every kind
    of document the routes print (contract, exit notice, 汇总表, 公示表, case report) must come out the
    same, byte for byte, as with WeasyPrint's own — and use no element the file leaves out."""
    from pathlib import Path

    from weasyprint import HTML

    from pwposts.documents import pdf

    if not rm.PDF_HTMLS:  # run on its own: let the routes make their documents first
        world, clients = matrix
        rm.observe(_app, db, world, clients)
    titles = " ".join(rm.PDF_HTMLS)
    for kind in ("协议", "退岗通知书", "汇总表", "公示表", "报告"):
        assert kind in titles, f"no {kind} among the documents the routes printed: {titles}"
    listed = pdf.UA_STYLESHEET.read_text("utf-8").split("Elements:")[1].split("*/")[0].split()
    static = Path(_app.static_folder)
    with _app.test_request_context():
        for key, html in rm.PDF_HTMLS.items():
            used = set(re.findall(r"<([a-z][a-z0-9]*)[\s>/]", html))
            missing = sorted(used - set(listed))
            assert not missing, f"{key}: elements missing from pdf_ua.css: {missing}"
            ours = pdf.html_to_pdf(html)
            theirs = HTML(
                string=html, base_url=static.as_uri() + "/", url_fetcher=pdf.static_only_fetcher(static)
            ).write_pdf(font_config=pdf.font_config())
            assert ours == theirs, f"{key}: the PDF differs from WeasyPrint's own rendering"
