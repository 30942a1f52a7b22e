"""Errors a user can act on: a stable code and a Chinese message naming rule and value."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused an action. `code` is stable for the API; `message` is for people."""

    status = 422

    def __init__(self, code: str, message: str, *, details: list | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str = "记录"):
        super().__init__("not_found", f"{what}不存在或您无权查看")


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "您的角色无权进行此操作"):
        super().__init__("forbidden", message)


class Conflict(DomainError):
    status = 409
