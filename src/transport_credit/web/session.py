"""Console sessions: a signed, timestamped cookie and a double-submit CSRF token kept inside it.

The cookie holds no secret and no personal data: the username, the actor's department and roles (for display
only: every request re-reads the account, see :func:`transport_credit.auth.service.session_user`) and the CSRF
token. It is signed with HMAC-SHA256 under a key derived from ``settings.secret_key`` (the same construction as
itsdangerous' ``URLSafeTimedSerializer``: ``payload.timestamp.signature``, URL-safe base64).

The timestamp is when the session was last seen: the console signs the cookie again as it is used (at most once a
minute), and refuses it after the security policy's ``idle_minutes`` without a request (登录连接超时自动退出) or
``absolute_hours`` after sign-in, whatever the activity (auth/policy.py ``session_alive``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from transport_credit.auth.policy import SessionPolicy, security_policy, session_alive

SESSION_COOKIE = "tc_console"
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
    issued_at: int = 0  # when the cookie was signed: the session's last use
    signed_in_at: int = 0  # when the user signed in (or the anonymous session began)

    @property
    def signed_in(self) -> bool:
        return self.username is not None


def new_session(
    username: str | None = None, department_code: str | None = None, roles: tuple[str, ...] = ()
) -> SessionData:
    """A fresh session with a new CSRF token (a new token at sign-in prevents session fixation)."""
    now = int(time.time())
    return SessionData(
        csrf=secrets.token_urlsafe(32),
        username=username,
        department_code=department_code,
        roles=roles,
        issued_at=now,
        signed_in_at=now,
    )


class SessionSigner:
    """Signs and checks session cookies with a key derived from the platform secret, under the session policy."""

    def __init__(self, secret_key: str, *, rules: SessionPolicy | None = None) -> None:
        self._key = hashlib.sha256(_SALT + secret_key.encode("utf-8")).digest()
        self.rules = rules or security_policy().session

    @property
    def max_age(self) -> int:
        """The cookie's lifetime in the browser: the longest a session may last."""
        return self.rules.absolute_hours * 3600

    def _signature(self, message: bytes) -> str:
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def dumps(self, data: SessionData, *, now: float | None = None) -> str:
        body = {
            "c": data.csrf,
            "u": data.username,
            "d": data.department_code,
            "r": list(data.roles),
            "s": data.signed_in_at,
        }
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
        if not isinstance(body, dict):
            return None
        csrf, username, dept, roles, signed_in = (
            body.get("c"),
            body.get("u"),
            body.get("d"),
            body.get("r"),
            body.get("s"),
        )
        if not isinstance(csrf, str) or not isinstance(roles, list) or type(signed_in) is not int:
            return None
        if not session_alive(signed_in, issued, current, self.rules):
            return None
        return SessionData(
            csrf=csrf,
            username=username if isinstance(username, str) else None,
            department_code=dept if isinstance(dept, str) else None,
            roles=tuple(str(r) for r in roles),
            issued_at=issued,
            signed_in_at=signed_in,
        )


def csrf_ok(session: SessionData | None, submitted: str | None) -> bool:
    """Double-submit check: the form's token must equal the one in the signed session cookie."""
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode("utf-8"), submitted.encode("utf-8"))
