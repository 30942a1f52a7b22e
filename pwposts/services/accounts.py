"""Accounts: users, password login with rate limiting, API tokens, session versions.

Login limits are per (username, client address): MAX_FAILURES failures lock that pair, and each
further failure after the lock ends doubles the wait (WINDOW, 2×WINDOW, … up to MAX_LOCK), so a
stranger guessing from one address cannot lock the county admin out from another address. An address
with MAX_FAILURES × 4 failures in WINDOW (any usernames) is paused as a whole. A success from the pair
or the admin's unlock starts the count afresh.

A session (web) remembers the user's session_version at login; logout, a password change or reset and
deactivation bump it, so every older cookie stops working. A reset or deactivation also revokes the
user's API tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.errors import DomainError
from ..domain.passwords import MIN_LENGTH, check_new_password
from ..domain.roles import HOLDER, ROLE_LABELS, ROLES, SCOPE_LEVEL
from ..models.accounts import ApiToken, LoginAttempt, User
from ..models.people import Person, Region
from . import audit
from .clock_binding import now_of

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MAX_LOCK = timedelta(hours=24)
MIN_PASSWORD = MIN_LENGTH
# scrypt in production; the test suite lowers the cost (tests/conftest.py), since it creates many users.
PASSWORD_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def create_user(
    session: Session,
    actor,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    region: Region | None = None,
    person: Person | None = None,
    phone: str | None = None,
    must_change: bool = False,
) -> User:
    """A new login. `must_change`: the person must choose their own password at first login
    (set for accounts an admin creates on screen; not for the demo's or the CLI's)."""
    username = (username or "").strip()
    if not username or len(username) > 50:
        raise DomainError("username_invalid", "用户名不能为空，且不超过50个字符")
    if role not in ROLES:
        raise DomainError("role_invalid", f"未知角色：{role}")
    check_new_password(password, username)
    level = SCOPE_LEVEL[role]
    if role == HOLDER:
        if person is None:
            raise DomainError("holder_needs_person", "岗位人员账号须关联一名人员")
        region = None
    elif region is None or region.level != level:
        raise DomainError(
            "scope_level",
            f"{ROLE_LABELS[role]}的管辖范围须为一个"
            f"{ {'county': '县', 'township': '乡镇', 'village': '村'}[level] }",
        )
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise DomainError("username_taken", f"用户名“{username}”已被使用，请换一个")
    return add_user(
        session,
        actor,
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        role=role,
        region=region,
        person=person,
        phone=phone,
        must_change=must_change,
    )


def add_user(
    session: Session,
    actor,
    *,
    username: str,
    password_hash: str,
    display_name: str,
    role: str,
    region: Region | None,
    person: Person | None,
    phone: str | None,
    must_change: bool,
) -> User:
    """The row and audit entry of a new login whose fields create_user has checked (or that are valid by
    construction: the demo's logins, which share one password hash)."""
    user = User(
        username=username,
        password_hash=password_hash,
        display_name=display_name,
        role=role,
        region=region,
        person=person,
        phone=phone,
        must_change_password=must_change,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "create_user",
        "user",
        user.id,
        after={
            "username": username,
            "role": role,
            "region": region.code if region else None,
            "person_id": person.id if person else None,
        },
    )
    return user


class LoginLocked(DomainError):
    status = 429

    def __init__(self, until: datetime, now: datetime):
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        super().__init__(
            "login_rate_limited",
            f"登录失败次数过多（连续{MAX_FAILURES}次以上），请{minutes}分钟后再试，或请县级管理员解除锁定",
        )
        self.retry_after = int((until - now).total_seconds()) + 1


def locked_until(
    session: Session, username: str, ip: str, now: datetime, user: User | None = None
) -> datetime | None:
    """When the (username, address) pair may try again, or None when it may now.

    Failures count since the latest of: MAX_LOCK ago, the pair's last success, the admin's unlock.
    From MAX_FAILURES on, the wait after the last failure is WINDOW, doubling with each further failure.
    """
    since = now - MAX_LOCK
    if user is not None and user.lockout_cleared_at and user.lockout_cleared_at > since:
        since = user.lockout_cleared_at
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.ip == ip, LoginAttempt.success.is_(True)
        )
    )
    if last_ok and last_ok > since:
        since = last_ok
    failures = session.scalars(
        select(LoginAttempt.at)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.success.is_(False),
            LoginAttempt.at > since,
        )
        .order_by(LoginAttempt.at)
    ).all()
    if len(failures) < MAX_FAILURES:
        return None
    until = failures[-1] + min(WINDOW * 2 ** min(len(failures) - MAX_FAILURES, 20), MAX_LOCK)
    return until if until > now else None


def _address_paused_until(session: Session, ip: str, now: datetime) -> datetime | None:
    failures = session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > now - WINDOW)
        .order_by(LoginAttempt.at)
    ).all()
    return failures[0] + WINDOW if len(failures) >= MAX_FAILURES * 4 else None


def authenticate(session: Session, username: str, password: str, ip: str, now: datetime) -> User | None:
    """Check a password and record the attempt (commit even when it fails: the count is the limit).

    Returns the user, or None for a wrong name/password; raises LoginLocked (429) while the
    (username, address) pair or the address is locked (see the module docstring). An unknown user's
    password is checked against a dummy hash, so the answer takes as long as for a real one.
    """
    username = (username or "").strip()
    user = session.scalar(select(User).where(User.username == username))
    until = locked_until(session, username[:50], ip[:45], now, user) or _address_paused_until(
        session, ip[:45], now
    )
    if until is not None:
        raise LoginLocked(until, now)
    if user is None:
        check_password_hash(_dummy_hash(PASSWORD_METHOD), password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "") and user.active
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
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    audit.record(session, user, "issue_token", "api_token", row.id, after={"expires_at": row.expires_at})
    return token, row


# One statement per API request: the token's validity, its user and the user's region (every list's scope).
_TOKEN_USER = (
    select(User, ApiToken.expires_at, ApiToken.revoked_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
    .options(joinedload(User.region))
)


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    """The user of a bearer token, or None when the token is unknown, revoked or expired, or the user is
    deactivated or must first change the initial password. Only the token's SHA-256 is looked up."""
    found = session.execute(_TOKEN_USER, {"token_hash": _token_hash(token)}).first()
    if found is None:
        return None
    user, expires_at, revoked_at = found
    if revoked_at is not None or expires_at <= now or not user.active or user.must_change_password:
        return None
    return user


def _revoke_all_tokens(session: Session, user: User, now: datetime) -> int:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def _end_sessions(session: Session, user: User) -> None:
    """Every session cookie opened before this moment stops working (it carries the old version)."""
    user.session_version = (user.session_version or 0) + 1


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
    if not active:
        _end_sessions(session, user)
        _revoke_all_tokens(session, user, now_of(session))
    session.flush()
    audit.record(
        session,
        actor,
        "activate_user" if active else "deactivate_user",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
        summary=f"{'启用' if active else '停用'}账号 {user.username}",
    )


def _set_password(session: Session, user: User, password: str, *, must_change: bool) -> int:
    """A new password ends every session and API token of the user; returns how many tokens were revoked."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    _end_sessions(session, user)
    revoked = _revoke_all_tokens(session, user, now_of(session))
    session.flush()
    return revoked


def reset_password(session: Session, actor, user: User, password: str) -> None:
    """The admin sets a new password: the user's sessions end, their API tokens are revoked, and they
    must choose their own password at the next login."""
    check_new_password(password, user.username)
    revoked = _set_password(session, user, password, must_change=True)
    audit.record(
        session,
        actor,
        "reset_password",
        "user",
        user.id,
        summary=f"重置账号 {user.username} 的密码（已退出其全部登录，撤销令牌{revoked}个）",
    )


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user changes their own password: the current one must be right; other sessions and tokens end."""
    if not check_password_hash(user.password_hash, current or ""):
        raise DomainError("password_wrong", "当前密码不正确")
    check_new_password(new, user.username)
    if check_password_hash(user.password_hash, new):
        raise DomainError("password_same", "新密码不能与当前密码相同")
    revoked = _set_password(session, user, new, must_change=False)
    audit.record(
        session,
        user,
        "change_password",
        "user",
        user.id,
        summary=f"{user.username} 修改了自己的密码（撤销令牌{revoked}个）",
    )


def end_session(session: Session, user: User) -> None:
    """Logout: this and every other session cookie of the user stop working."""
    _end_sessions(session, user)
    session.flush()
    audit.record(session, user, "logout", "user", user.id, summary=f"{user.username} 退出登录")


def unlock_logins(session: Session, actor, user: User) -> None:
    """The admin lifts a login lockout: earlier failures no longer count."""
    user.lockout_cleared_at = now_of(session)
    session.flush()
    audit.record(
        session, actor, "unlock_user", "user", user.id, summary=f"解除账号 {user.username} 的登录锁定"
    )
