"""Users, roles, region scopes, API tokens and login attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.roles import ROLES
from ..extensions import db
from ._types import one_of, utcnow
from .people import Person, Region


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[Optional[int]] = mapped_column(ForeignKey("region.id"), index=True)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), unique=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    # Sessions carry the version they were opened under; logout, a password change or reset and
    # deactivation bump it, so every older session cookie stops working at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set for an account an admin created or whose password an admin reset: change it before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Failed logins before this moment no longer count toward the lockout (the admin unlocked the user).
    lockout_cleared_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    region: Mapped[Optional[Region]] = relationship()
    person: Mapped[Optional[Person]] = relationship()

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def label(self) -> str:
        return f"{self.display_name}（{self.username}）"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One login attempt, for rate limiting by username and by address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)
