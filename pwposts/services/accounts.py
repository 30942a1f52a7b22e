"""Accounts: users, password login with rate limiting, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.errors import DomainError
from ..domain.roles import HOLDER, ROLE_LABELS, ROLES, SCOPE_LEVEL
from ..models.accounts import ApiToken, LoginAttempt, User
from ..models.people import Person, Region
from . import audit

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
# scrypt in production; the test suite lowers the cost (tests/conftest.py), since it creates many users.
PASSWORD_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def create_user(session: Session, actor, *, username: str, password: str, display_name: str, role: str,
                region: Region | None = None, person: Person | None = None, phone: str | None = None) -> User:
    username = (username or "").strip()
    if not username or len(username) > 50:
        raise DomainError("username_invalid", "用户名不能为空，且不超过50个字符")
    if role not in ROLES:
        raise DomainError("role_invalid", f"未知角色：{role}")
    if len(password or "") < MIN_PASSWORD:
        raise DomainError("password_short", f"密码至少{MIN_PASSWORD}位")
    level = SCOPE_LEVEL[role]
    if role == HOLDER:
        if person is None:
            raise DomainError("holder_needs_person", "岗位人员账号须关联一名人员")
        region = None
    elif region is None or region.level != level:
        raise DomainError("scope_level", f"{ROLE_LABELS[role]}的管辖范围须为一个{ {'county': '县', 'township': '乡镇', 'village': '村'}[level] }")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise DomainError("username_taken", f"用户名“{username}”已被使用，请换一个")
    user = User(username=username, password_hash=hash_password(password), display_name=display_name,
                role=role, region=region, person=person, phone=phone)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create_user", "user", user.id,
                 after={"username": username, "role": role, "region": region.code if region else None,
                        "person_id": person.id if person else None})
    return user


def _recent_failures(session: Session, column, value, now: datetime) -> int:
    return session.scalar(
        select(func.count(LoginAttempt.id)).where(column == value, LoginAttempt.success.is_(False),
                                                  LoginAttempt.at > now - WINDOW)
    ) or 0


def authenticate(session: Session, username: str, password: str, ip: str, now: datetime) -> User | None:
    """Check a password and record the attempt (commit even when it fails: the count is the limit).

    Returns the user, or None for a wrong name/password; raises DomainError when rate-limited:
    MAX_FAILURES failures in WINDOW for the username, or four times that for the address.
    """
    username = (username or "").strip()
    if (_recent_failures(session, LoginAttempt.username, username, now) >= MAX_FAILURES
            or _recent_failures(session, LoginAttempt.ip, ip, now) >= MAX_FAILURES * 4):
        raise DomainError("login_rate_limited",
                          f"登录失败次数过多（{int(WINDOW.total_seconds() // 60)}分钟内{MAX_FAILURES}次），请稍后再试或联系县级管理员")
    user = session.scalar(select(User).where(User.username == username))
    ok = user is not None and user.active and check_password_hash(user.password_hash, password or "")
    session.add(LoginAttempt(username=username[:50], ip=ip[:45], at=now, success=ok))
    if not ok:
        session.flush()
        return None
    user.last_login_at = now
    session.flush()
    audit.record(session, user, "login", "user", user.id, summary=f"从 {ip} 登录")
    return user


LOGIN_FAILED = "用户名或密码错误，或账号已停用"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, now: datetime, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                   expires_at=now + timedelta(hours=hours))
    session.add(row)
    session.flush()
    audit.record(session, user, "issue_token", "api_token", row.id, after={"expires_at": row.expires_at})
    return token, row


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    return row.user


def revoke_token(session: Session, user: User, token: str, now: datetime) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.user_id != user.id:
        raise DomainError("token_unknown", "令牌不存在")
    row.revoked_at = now
    session.flush()
    audit.record(session, user, "revoke_token", "api_token", row.id)


def set_active(session: Session, actor, user: User, active: bool) -> None:
    """Deactivate or reactivate a login; one cannot deactivate oneself."""
    if user.id == getattr(actor, "id", None) and not active:
        raise DomainError("self_deactivate", "不能停用自己的账号，请由另一位县级管理员操作")
    if user.active == active:
        return
    user.active = active
    session.flush()
    audit.record(session, actor, "activate_user" if active else "deactivate_user", "user", user.id,
                 before={"active": not active}, after={"active": active},
                 summary=f"{'启用' if active else '停用'}账号 {user.username}")


def reset_password(session: Session, actor, user: User, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError("password_short", f"密码至少{MIN_PASSWORD}位")
    user.password_hash = hash_password(password)
    session.flush()
    audit.record(session, actor, "reset_password", "user", user.id, summary=f"重置账号 {user.username} 的密码")
