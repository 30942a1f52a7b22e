"""Configuration, read only from the environment.

PWPOSTS_DATABASE_URL  database URL (default: SQLite file in the instance folder)
PWPOSTS_SECRET_KEY    session/CSRF secret; generated once into the instance folder in
                      development, required when PWPOSTS_ENV=production
PWPOSTS_ENV           "production" or "development" (default)
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: str, production: bool) -> str:
    key = os.environ.get("PWPOSTS_SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("PWPOSTS_SECRET_KEY must be set when PWPOSTS_ENV=production")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: str) -> dict:
    production = os.environ.get("PWPOSTS_ENV", "development") == "production"
    db_url = os.environ.get("PWPOSTS_DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "pwposts.sqlite3")
    )
    return {
        "PRODUCTION": production,
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(db_url),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "JSON_AS_ASCII": False,
        "API_TOKEN_HOURS": 12,
    }


def engine_options(db_url: str) -> dict:
    if db_url.startswith("sqlite"):
        # Wait for a competing writer instead of failing at once ("database is locked").
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}
