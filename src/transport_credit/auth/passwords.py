"""Password hashing with argon2id (argon2-cffi).

One process-wide hasher with argon2-cffi's defaults (RFC 9106 low-memory profile). :func:`set_hasher` swaps it,
for tuning or for fast tests; hashes made with other parameters still verify and report ``needs_rehash``.
"""

from __future__ import annotations

import secrets
import string
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_lock = threading.Lock()
_hasher = PasswordHasher()
_dummy_hash: str | None = None


def set_hasher(hasher: PasswordHasher) -> None:
    """Use ``hasher`` from now on (and forget the dummy hash made with the previous one)."""
    global _hasher, _dummy_hash
    with _lock:
        _hasher = hasher
        _dummy_hash = None


def get_hasher() -> PasswordHasher:
    return _hasher


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string) of ``password`` with a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``. Malformed hashes count as a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than the current hasher's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def dummy_hash() -> str:
    """A hash of a random password, to verify against when an account does not exist (equal work, no oracle)."""
    global _dummy_hash
    with _lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_urlsafe(24))
        return _dummy_hash


# --- password policy (密码策略) ---------------------------------------------------------------------
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


def password_policy_violation(password: str) -> tuple[str, str] | None:
    """``None`` if ``password`` meets the policy, else ``(code, Chinese message)``.

    At least 10 characters, at most 128, with both letters and digits.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_too_short", f"密码长度不能少于 {MIN_PASSWORD_LENGTH} 位"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "password_too_long", f"密码长度不能超过 {MAX_PASSWORD_LENGTH} 位"
    has_letter = any(c.isascii() and c.isalpha() for c in password)
    has_digit = any(c.isdigit() for c in password)
    if not (has_letter and has_digit):
        return "password_too_weak", "密码必须同时包含字母和数字"
    return None


def generate_password(length: int = 12) -> str:
    """A random password of letters and digits with at least one of each (meets the policy): the demo accounts'
    and the temporary passwords an administrator hands out."""
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_policy_violation(value) is None:
            return value
