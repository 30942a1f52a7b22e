"""One clock: services and domain rules never read the real clock;
the caller passes `today` and binds `now`."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest

from pwposts.services.clock_binding import bind_now, now_of

PACKAGE = Path(__file__).resolve().parents[2] / "pwposts"
FORBIDDEN_ATTRS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "localtime", "gmtime"}
FORBIDDEN_NAMES = {"utcnow"}


def _clock_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if (
            isinstance(f, ast.Attribute)
            and f.attr in FORBIDDEN_ATTRS
            and isinstance(f.value, (ast.Name, ast.Attribute))
        ):
            base = f.value.id if isinstance(f.value, ast.Name) else f.value.attr
            if base in {"datetime", "date", "time", "clock"}:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {base}.{f.attr}()")
        elif isinstance(f, ast.Name) and f.id in FORBIDDEN_NAMES:
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {f.id}()")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.endswith("clock")
            and node.level > 0
        ):
            if (node.level == 2 and node.module == "clock") or node.module == "clock":
                found.append(
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports the real clock module"
                )
    return found


@pytest.mark.parametrize("layer", ["services", "domain"])
def test_no_real_clock_in_services_or_domain(layer):
    calls = [c for p in sorted((PACKAGE / layer).rglob("*.py")) for c in _clock_calls(p)]
    assert calls == [], "services and domain take today/now from the caller:\n" + "\n".join(calls)


def test_the_scanner_finds_a_clock_call(tmp_path):
    """The check above can fail: a module that reads the clock is caught."""
    bad = PACKAGE / "services" / "_probe_clock_tmp.py"
    try:
        bad.write_text("from datetime import datetime\nx = datetime.now()\n", encoding="utf-8")
        assert _clock_calls(bad)
    finally:
        bad.unlink()


def test_unbound_session_refuses_to_guess():
    class FakeSession:
        info: dict = {}

    s = FakeSession()
    s.info = {}
    with pytest.raises(RuntimeError):
        now_of(s)
    bind_now(s, datetime(2026, 1, 1, 2, 0))
    assert now_of(s) == datetime(2026, 1, 1, 2, 0)
