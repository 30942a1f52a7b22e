"""What a new password must be: at least MIN_LENGTH characters, not on the list of common passwords
(common_passwords.txt, shipped with the package), not the username, not one repeated character or a
plain run of digits or keyboard keys."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 200
_RUNS = (
    "0123456789",
    "1234567890",
    "9876543210",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(
        line.strip().lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def check_new_password(password: str | None, username: str = "") -> None:
    """Raise DomainError naming the rule when `password` may not be set."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise DomainError(
            "password_short", f"密码至少{MIN_LENGTH}位（现为{len(password)}位），建议用几个词加数字组成"
        )
    if len(password) > MAX_LENGTH:
        raise DomainError("password_long", f"密码不超过{MAX_LENGTH}位")
    low = password.lower()
    if low in common_passwords():
        raise DomainError("password_common", "该密码过于常见、容易被猜中，请换一个")
    if len(username.strip()) >= 4 and username.strip().lower() in low:
        raise DomainError("password_username", "密码不能包含用户名")
    if len(set(low)) <= 2 or any(low in run * 3 for run in _RUNS):
        raise DomainError("password_simple", "密码不能是重复的字符或连续的数字、键盘字母，请换一个")
