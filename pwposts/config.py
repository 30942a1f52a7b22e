"""Configuration, read only from the environment.

PWPOSTS_DATABASE_URL  database URL (default: SQLite file in the instance folder)
PWPOSTS_SECRET_KEY    session/CSRF secret; generated once into the instance folder in
                      development, required when PWPOSTS_ENV=production
PWPOSTS_ENV           "production" or "development" (default)
PWPOSTS_SESSION_IDLE_MINUTES  a web session ends after this long without a request (default 30)
PWPOSTS_SESSION_HOURS         and this long after login in any case (default 12)
PWPOSTS_PROXY_COUNT   number of reverse proxies in front of the app (default 0: none). Only then is
                      X-Forwarded-For/-Proto believed (werkzeug ProxyFix), e.g. for the per-address
                      login limit; without a proxy a client could name any address it likes.

In production the secret key must be at least 32 bytes of random text (e.g. `python -c "import secrets;
print(secrets.token_hex(32))"`); the app refuses to start with a shorter or obviously non-random key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: str, production: bool) -> str:
    key = os.environ.get("PWPOSTS_SECRET_KEY")
    if production:
        if not key:
            raise RuntimeError("PWPOSTS_SECRET_KEY must be set when PWPOSTS_ENV=production")
        check_production_secret(key)
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


MIN_SECRET_BYTES = 32


def check_production_secret(key: str) -> None:
    """At least 32 bytes and not a repeated pattern (a random hex or base64 key has well over 12 distinct
    characters); refuse to start otherwise, naming the rule and how to make one."""
    if len(key.encode()) < MIN_SECRET_BYTES or len(set(key)) < 12:
        raise RuntimeError(
            f"PWPOSTS_SECRET_KEY is too weak for production: use at least {MIN_SECRET_BYTES} random "
            "bytes, e.g. "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        )


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


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
        "SESSION_IDLE_MINUTES": _int_env("PWPOSTS_SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _int_env("PWPOSTS_SESSION_HOURS", 12),
        "PERMANENT_SESSION_LIFETIME": _int_env("PWPOSTS_SESSION_HOURS", 12) * 3600,
        "PROXY_COUNT": _int_env("PWPOSTS_PROXY_COUNT", 0),
    }


def engine_options(db_url: str) -> dict:
    if db_url.startswith("sqlite"):
        # Wait for a competing writer instead of failing at once ("database is locked").
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}
