"""One exception hierarchy; front doors map it to HTTP statuses / exit codes in one place.

Every error carries a machine-readable ``code`` and a Chinese ``message`` for the user.
"""

from __future__ import annotations

from typing import Any


class CreditError(Exception):
    """Base class. ``code`` is stable and machine-readable; ``message`` is for people (Chinese)."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class InvalidInput(CreditError):
    status = 422
    code = "invalid_input"


class NotFound(CreditError):
    status = 404
    code = "not_found"


class PermissionDenied(CreditError):
    status = 403
    code = "permission_denied"


class Unauthenticated(CreditError):
    status = 401
    code = "unauthenticated"


class Conflict(CreditError):
    status = 409
    code = "conflict"
