"""The one commit point of a request (pwposts/web/commit_point.py).

Probe views on an app of their own (same database) write a row and then succeed, answer an error,
raise, or are refused; the tests read what the database kept. And no view or API handler commits.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask import get_flashed_messages, redirect
from sqlalchemy import func, select

from pwposts import create_app
from pwposts.domain.errors import DomainError
from pwposts.extensions import db
from pwposts.models.accounts import LoginAttempt
from pwposts.models.policy import Holiday
from pwposts.web import use_case
from pwposts.web.commit_point import commit_anyway

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = "探针规则不允许此操作：请改正后重试"


def test_no_view_or_api_handler_commits():
    """`grep -rn "commit()" pwposts/web pwposts/api` finds the commit point and nothing else."""
    hits = []
    for sub in ("web", "api"):
        for path in sorted((ROOT / "pwposts" / sub).rglob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "commit()" in line:
                    hits.append((str(path.relative_to(ROOT)), n, line.strip()))
    assert [(p, text) for p, _n, text in hits] == [
        ("pwposts/web/commit_point.py", "db.session.commit()  # the one commit point")
    ], hits


def test_no_view_runs_its_own_unit_of_work():
    pattern = re.compile(r"\b(unit_of_work|attempt)\(|session\.begin\(")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for sub in ("web", "api")
        for path in sorted((ROOT / "pwposts" / sub).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, found


def _attempt(username: str) -> None:
    db.session.add(LoginAttempt(username=username, ip="probe", success=False))
    db.session.flush()


@pytest.fixture(scope="module")
def probe(_app):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "t"})
    app.config.update(WTF_CSRF_ENABLED=False, PWPOSTS_TODAY="2026-11-25")

    @app.post("/probe/ok")
    def ok():
        _attempt("ok")
        return redirect("/")

    @app.post("/probe/raises")
    def raises():
        _attempt("raises")
        raise RuntimeError("a bug after the write")

    @app.post("/probe/error-status")
    def error_status():
        _attempt("error-status")
        return "bad", 400

    @app.post("/probe/kept-error")
    def kept_error():
        _attempt("kept")
        commit_anyway()
        return "counted", 401

    @app.post("/probe/refused")
    def refused():
        _attempt("before")
        with use_case("不应出现的成功提示") as uc:
            _attempt("inside")
            raise DomainError("probe_rule", REFUSAL, details=["第2行：探针"])
        assert not uc.ok and uc.error.code == "probe_rule"
        return redirect("/")

    @app.post("/probe/refused-escapes")
    def refused_escapes():
        _attempt("escapes")
        raise DomainError("probe_rule", REFUSAL)

    @app.post("/api/probe/refused")
    def api_refused():
        _attempt("api")
        raise DomainError("probe_rule", REFUSAL)

    @app.post("/probe/<int:county_id>/commit-fails")
    def commit_fails(county_id: int):
        for name in (
            "元旦",
            "元旦（重复）",
        ):  # the same (county, day) twice: the unique index refuses at COMMIT
            db.session.add(Holiday(county_id=county_id, day=date(2027, 1, 1), name=name))
        with use_case("已登记元旦"):
            pass
        return redirect("/")

    @app.get("/probe/flashes")
    def flashes():
        return {"flashes": get_flashed_messages(with_categories=True)}

    yield app
    with app.app_context():
        db.engine.dispose()


def _kept(session) -> list[str]:
    session.rollback()  # a fresh snapshot: what the probe's requests committed
    return sorted(session.scalars(select(LoginAttempt.username).where(LoginAttempt.ip == "probe")))


def test_a_success_is_committed(probe, session):
    assert probe.test_client().post("/probe/ok").status_code == 302
    assert _kept(session) == ["ok"]


def test_a_view_that_raises_after_writing_leaves_nothing_written(probe, session):
    r = probe.test_client().post("/probe/raises")
    assert r.status_code == 500
    assert "服务器内部错误" in r.get_data(as_text=True)
    assert _kept(session) == []


def test_an_error_answer_rolls_back_unless_the_view_keeps_its_record(probe, session):
    client = probe.test_client()
    assert client.post("/probe/error-status").status_code == 400
    assert _kept(session) == []
    assert client.post("/probe/kept-error").status_code == 401  # e.g. a failed login counts
    assert _kept(session) == ["kept"]


def test_a_refusal_on_the_page_is_flashed_in_chinese_and_nothing_is_written(probe, session):
    client = probe.test_client()
    r = client.post("/probe/refused")
    assert r.status_code == 302
    assert _kept(session) == []  # neither the write before the use case nor the one inside it
    flashes = client.get("/probe/flashes").get_json()["flashes"]
    assert flashes == [["error", REFUSAL], ["error", "第2行：探针"]]


def test_a_refusal_escaping_the_view_is_the_chinese_error_page_and_nothing_is_written(probe, session):
    r = probe.test_client().post("/probe/refused-escapes")
    assert r.status_code == 422
    assert REFUSAL in r.get_data(as_text=True)
    assert _kept(session) == []


def test_an_api_refusal_is_json_in_chinese_and_nothing_is_written(probe, session):
    r = probe.test_client().post("/api/probe/refused")
    assert r.status_code == 422
    assert r.get_json() == {"error": {"code": "probe_rule", "message": REFUSAL}}
    assert _kept(session) == []


def test_a_failed_commit_answers_409_writes_nothing_and_withdraws_the_success_message(probe, session, county):
    client = probe.test_client()
    r = client.post(f"/probe/{county.county.id}/commit-fails")
    assert r.status_code == 409
    assert "数据刚被他人同时修改" in r.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(func.count(Holiday.id))) == 0
    assert client.get("/probe/flashes").get_json()["flashes"] == []
