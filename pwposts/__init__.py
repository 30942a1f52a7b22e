"""pwposts — 乡村公益性岗位管理系统."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None, *, web: bool = True) -> Flask:
    """App factory: extensions, blueprints, CLI and error handlers. Never migrates.

    web=False: no blueprints and no API (no view module imported, no URL rule compiled), for a command that
    serves no page (pwposts.cli.HEADLESS_COMMANDS); everything else is as in the full app."""
    from .web.commit_point import App

    app = App(  # every request runs at the one commit point (web/commit_point.py)
        __name__,
        instance_path=os.environ.get("PWPOSTS_INSTANCE") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from .config import engine_options, load_config
    from .web.hardening import install_converters, install_headers

    install_converters(app)  # before any blueprint: <int:…> ids beyond what a row can have → 404
    install_headers(app)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if os.environ.get("PWPOSTS_TODAY"):
        app.config["PWPOSTS_TODAY"] = os.environ["PWPOSTS_TODAY"]
    if config:
        app.config.update(config)
        if "SQLALCHEMY_DATABASE_URI" in config and "SQLALCHEMY_ENGINE_OPTIONS" not in config:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config["SQLALCHEMY_DATABASE_URI"])

    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])  # trust X-Forwarded-* only from the configured proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from . import models  # noqa: F401  (register every table)
    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from .extensions import install_sqlite_pragmas

    with app.app_context():
        install_sqlite_pragmas(db.engine)

    from .logs import configure_logging

    configure_logging(app)

    from . import clock
    from .services.clock_binding import bind_now

    @app.before_request
    def _bind_clock() -> None:
        """One clock per request: every service this request calls stamps with the same `now`."""
        bind_now(db.session, clock.now())

    from . import concurrency
    from .web import commit_point

    concurrency.install(app)
    commit_point.install(app)

    if web:
        from .web import register_web

        register_web(app)

        from .api import register_api

        register_api(app)

    from .cli import register_cli

    register_cli(app)
    return app
