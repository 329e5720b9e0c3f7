"""API keys for business systems (接入系统密钥).

A key reads ``tc_<prefix>_<secret>``: an 8-character public prefix from ``[a-z0-9]`` that finds the client,
and a 32-character secret (``secrets.token_urlsafe``). The database keeps the prefix and an argon2 hash of the
whole key, never the key.

argon2 is deliberately slow, and systems call on every request, so a process keeps a small LRU cache of keys it
has verified: SHA-256 of the key → (client id, stored hash). A cache hit still loads the client from the
database, so deactivation takes effect on the next request in every process; and the stored hash must be the
one the cache saw, so a replaced key stops working at once.

The credit check's fast lane (``lists.checks.fast_check``, thousands of calls a second) may also keep the actor
it built for a key for ``Settings.api_key_recheck_seconds`` (1 s): within that time it does not re-read the
client. Deactivation or key replacement through the service forgets the actor at once in the process that makes
the change; a change made by another process is seen within that time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from transport_credit.auth.passwords import get_hasher, verify_password

KEY_PREFIX = "tc"
PREFIX_LENGTH = 8
SECRET_LENGTH = 32
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_\-]{{{SECRET_LENGTH}}})$")


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: show ``plaintext`` once, store ``prefix`` and ``key_hash``."""

    plaintext: str
    prefix: str
    key_hash: str


def generate_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def generate_key(prefix: str | None = None) -> NewKey:
    """A new random key with ``prefix`` (or a random one) and its argon2 hash."""
    prefix = prefix or generate_prefix()
    secret = secrets.token_urlsafe(24)  # 24 bytes → exactly 32 URL-safe characters
    assert len(secret) == SECRET_LENGTH
    plaintext = f"{KEY_PREFIX}_{prefix}_{secret}"
    return NewKey(plaintext=plaintext, prefix=prefix, key_hash=get_hasher().hash(plaintext))


def parse_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else ``None``."""
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


def verify_key(key_hash: str, key: str) -> bool:
    """Constant-time check of ``key`` against its stored argon2 hash."""
    return verify_password(key_hash, key)


def key_fingerprint(key: str) -> str:
    """SHA-256 of the key: the cache's lookup key (the key itself is never kept in memory)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class VerifiedKeyCache:
    """Thread-safe LRU map: key fingerprint → (client id, the key hash it was verified against)."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self._actors: dict[str, tuple[float, int, Any]] = {}  # fingerprint → (monotonic expiry, client id, actor)
        self._lock = threading.Lock()

    def get(self, fingerprint: str) -> tuple[int, str] | None:
        with self._lock:
            item = self._items.get(fingerprint)
            if item is not None:
                self._items.move_to_end(fingerprint)
            return item

    def put(self, fingerprint: str, client_id: int, key_hash: str) -> None:
        with self._lock:
            self._items[fingerprint] = (client_id, key_hash)
            self._items.move_to_end(fingerprint)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def discard(self, fingerprint: str) -> None:
        with self._lock:
            self._items.pop(fingerprint, None)
            self._actors.pop(fingerprint, None)

    def invalidate_client(self, client_id: int) -> None:
        """Forget every key of ``client_id`` (on deactivation or key replacement)."""
        with self._lock:
            for fp in [fp for fp, (cid, _) in self._items.items() if cid == client_id]:
                del self._items[fp]
            for fp in [fp for fp, (_, cid, _) in self._actors.items() if cid == client_id]:
                del self._actors[fp]

    def remember_actor(self, fingerprint: str, client_id: int, actor: Any, seconds: float) -> None:
        """Keep the actor built for a verified key for ``seconds`` (nothing for 0)."""
        if seconds <= 0:
            return
        with self._lock:
            if fingerprint in self._items:
                if len(self._actors) >= self.maxsize:
                    self._actors.clear()
                self._actors[fingerprint] = (time.monotonic() + seconds, client_id, actor)

    def recent_actor(self, fingerprint: str) -> Any:
        """The actor remembered for the key, or ``None`` once its time is up (or never remembered)."""
        item = self._actors.get(fingerprint)
        if item is None:
            return None
        if item[0] <= time.monotonic():
            with self._lock:
                self._actors.pop(fingerprint, None)
            return None
        return item[2]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._actors.clear()

    def __len__(self) -> int:
        return len(self._items)


# The process-wide cache used by ``service.authenticate_api_key``.
verified_keys = VerifiedKeyCache()
