"""Console sessions: a signed, timestamped cookie and a double-submit CSRF token kept inside it.

The cookie holds no secret and no personal data: the username, the actor's department and roles (for display
only: every request re-reads the account, see :func:`transport_credit.auth.service.session_actor`) and the CSRF
token. It is signed with HMAC-SHA256 under a key derived from ``settings.secret_key`` (the same construction as
itsdangerous' ``URLSafeTimedSerializer``: ``payload.timestamp.signature``, URL-safe base64) and refused once
older than :data:`SESSION_MAX_AGE`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "tc_console"
SESSION_MAX_AGE = 8 * 3600  # 8 hours, then sign in again
CSRF_FIELD = "csrf_token"
_SALT = b"transport_credit.web.session.v1"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SessionData:
    """What the console keeps between requests. ``username`` is None before sign-in (login form only)."""

    csrf: str
    username: str | None = None
    department_code: str | None = None
    roles: tuple[str, ...] = ()
    issued_at: int = 0

    @property
    def signed_in(self) -> bool:
        return self.username is not None


def new_session(
    username: str | None = None, department_code: str | None = None, roles: tuple[str, ...] = ()
) -> SessionData:
    """A fresh session with a new CSRF token (a new token at sign-in prevents session fixation)."""
    return SessionData(
        csrf=secrets.token_urlsafe(32),
        username=username,
        department_code=department_code,
        roles=roles,
        issued_at=int(time.time()),
    )


class SessionSigner:
    """Signs and checks session cookies with a key derived from the platform secret."""

    def __init__(self, secret_key: str, *, max_age: int = SESSION_MAX_AGE) -> None:
        self._key = hashlib.sha256(_SALT + secret_key.encode("utf-8")).digest()
        self.max_age = max_age

    def _signature(self, message: bytes) -> str:
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def dumps(self, data: SessionData, *, now: float | None = None) -> str:
        body = {"c": data.csrf, "u": data.username, "d": data.department_code, "r": list(data.roles)}
        payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        stamp = _b64(int(now if now is not None else time.time()).to_bytes(8, "big"))
        message = f"{payload}.{stamp}"
        return f"{message}.{self._signature(message.encode('ascii'))}"

    def loads(self, token: str | None, *, now: float | None = None) -> SessionData | None:
        """The session, or None when the cookie is missing, tampered with, malformed or expired."""
        if not token or token.count(".") != 2:
            return None
        payload, stamp, signature = token.split(".")
        expected = self._signature(f"{payload}.{stamp}".encode("ascii", "replace"))
        if not hmac.compare_digest(expected, signature):
            return None
        try:
            issued = int.from_bytes(_unb64(stamp), "big")
            body = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        current = now if now is not None else time.time()
        if not isinstance(body, dict) or issued > current + 60 or current - issued > self.max_age:
            return None
        csrf, username, dept, roles = body.get("c"), body.get("u"), body.get("d"), body.get("r")
        if not isinstance(csrf, str) or not isinstance(roles, list):
            return None
        return SessionData(
            csrf=csrf,
            username=username if isinstance(username, str) else None,
            department_code=dept if isinstance(dept, str) else None,
            roles=tuple(str(r) for r in roles),
            issued_at=issued,
        )


def csrf_ok(session: SessionData | None, submitted: str | None) -> bool:
    """Double-submit check: the form's token must equal the one in the signed session cookie."""
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode("utf-8"), submitted.encode("utf-8"))
