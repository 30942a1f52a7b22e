"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium, never a downloaded browser)
against the app served in-process on a free localhost port, over the test database of the run (the SQLite
file, or PostgreSQL when PWPOSTS_TEST_DATABASE_URL is set), with CSRF on as in production.

- No chromium (or no playwright) fails the tests: CI must not pass without them. PWPOSTS_NO_BROWSER=1
  skips them on a machine that cannot have a browser.
- Under libfaketime (the second CI run) the app keeps the faked clock; chromium and Playwright's driver
  are started without it (under libfaketime chromium takes over a minute to start).
- Screenshots go to $PWPOSTS_SCREENSHOTS/<test>/ when set, else to <pytest's tmp dir>/screenshots/<test>/;
  the run's last lines name the folder.
- Every page fails its test on a JavaScript error or a console error (a CSP refusal, a missing file).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("PWPOSTS_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
_shots_root: list[Path] = []


def _faketime_env() -> dict[str, str]:
    """The variables that load libfaketime into a child process."""
    return {
        k: v
        for k, v in os.environ.items()
        if k.startswith("FAKETIME") or (k == "LD_PRELOAD" and "faketime" in v)
    }


@pytest.fixture(scope="package")
def _browser():
    if os.environ.get("PWPOSTS_NO_BROWSER") == "1":
        pytest.skip("PWPOSTS_NO_BROWSER=1: the browser tests are skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `bash .ci/setup test` (or set PWPOSTS_NO_BROWSER=1)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no chromium at {CHROMIUM}: run `bash .ci/setup test` (apt-get install chromium), "
            "or set PWPOSTS_NO_BROWSER=1 to skip the browser tests"
        )
    hidden = _faketime_env()  # the driver (and so chromium) starts without libfaketime; the app keeps it
    for k in hidden:
        del os.environ[k]
    try:
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    finally:
        os.environ.update(hidden)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(scope="package")
def _server(_app):
    """The session's app on 127.0.0.1:<free port>, one thread per request (each its own app context,
    database session and connection)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, _app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def _screenshots(tmp_path_factory) -> Path:
    root = os.environ.get("PWPOSTS_SCREENSHOTS")
    path = Path(root) if root else tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    _shots_root.append(path)
    return path


def pytest_terminal_summary(terminalreporter):
    if _shots_root and any(_shots_root[0].rglob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {_shots_root[0]}")


@dataclass
class Live:
    """One browser test: the server's address, pages that fail on console errors, screenshots."""

    app: object
    base: str
    browser: object
    shots: Path
    contexts: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    _n: int = 0

    def page(self, *, phone: bool = False):
        """A new browser (own cookies) at desktop size, or a 390×844 phone with touch."""
        ctx = self.browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
        )
        ctx.set_default_timeout(15_000)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: self._console(page, m))
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("dialog", self._accept)
        return page

    def _console(self, page, message):
        if message.type == "error":  # a 404 for a stylesheet, a script or the icon counts too
            self.errors.append(f"{page.url}: {message.text} ({message.location.get('url')})")

    def _accept(self, dialog):
        self.dialogs.append(dialog.message)  # every data-confirm button asks; the user says yes
        dialog.accept()

    def go(self, page, path: str):
        r = page.goto(self.base + path)
        assert r is not None and r.status == 200, (path, r and r.status)
        return page

    def login(self, username: str, *, phone: bool = False):
        """A fresh browser, logged in through the login form."""
        page = self.page(phone=phone)
        self.go(page, "/login")
        assert "登录" in page.inner_text("h1")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('登录')")
        page.wait_for_load_state()
        assert "/login" not in page.url, self.flashes(page)
        return page

    def shot(self, page, name: str) -> Path:
        self._n += 1
        path = self.shots / f"{self._n:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    @staticmethod
    def flashes(page) -> str:
        return " / ".join(page.locator(".flash").all_inner_texts())

    @staticmethod
    def see(locator, text: str) -> None:
        """`locator` comes to contain `text` (waiting, up to 5 s, for the page the last click led to)."""
        from playwright.sync_api import expect

        expect(locator).to_contain_text(text)

    def flashed(self, page, text: str) -> None:
        """The page the last click led to says `text` in its messages."""
        self.see(page.locator(".flashes"), text)

    def set_today(self, day: date) -> None:
        """Move the app's clock (the PWPOSTS_TODAY setting every view reads through clock.today())."""
        self.app.config["PWPOSTS_TODAY"] = day.isoformat()

    @property
    def today(self) -> date:
        return date.fromisoformat(self.app.config["PWPOSTS_TODAY"])


@pytest.fixture
def live(request, app, county, _server, _browser, _screenshots):
    """The app as a user meets it: CSRF on, a real browser; console errors fail the test."""
    app.config["WTF_CSRF_ENABLED"] = True
    from pwposts.extensions import db

    db.session.commit()  # the test's own session holds no transaction while the browser works
    shots = _screenshots / re.sub(r"[^\w.-]+", "_", request.node.name)
    shots.mkdir(parents=True, exist_ok=True)
    lv = Live(app=app, base=_server, browser=_browser, shots=shots)
    yield lv
    for ctx in lv.contexts:
        ctx.close()
    app.config["WTF_CSRF_ENABLED"] = False
    assert not lv.errors, "console errors:\n" + "\n".join(lv.errors)
