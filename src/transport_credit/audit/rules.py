"""Pure rules of the audit log: canonical form, entry hashes, the personal-information guard.

No I/O here. ``events.record`` and ``verify.verify`` both hash through :func:`entry_hash`, so a row
written by one and checked by the other can only disagree if the row was changed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

# The chain starts from 64 zeros (创世哈希).
GENESIS_HASH = "0" * 64

# Algorithms an entry may name; SM3 (GB/T 32905-2016) is preferred, SHA-256 is the fallback.
SM3 = "sm3"
SHA256 = "sha256"
KNOWN_ALGORITHMS = (SM3, SHA256)


@functools.cache
def algorithm_available(name: str) -> bool:
    """Whether this Python (its OpenSSL) can compute ``name``."""
    try:
        hashlib.new(name)
    except ValueError:
        return False
    return True


def default_algorithm() -> str:
    """SM3 where OpenSSL provides it, else SHA-256. Each entry stores the name it was hashed with."""
    return SM3 if algorithm_available(SM3) else SHA256


def normalize_json(value: Any, *, path: str = "details") -> Any:
    """Return ``value`` as plain JSON data whose canonical form survives a database round trip.

    Dates, datetimes, decimals, UUIDs and enums become strings; tuples become lists. Floats that hold an
    integer become ints, because PostgreSQL JSONB may give ``1e+16`` back as ``10000000000000000`` and the
    hash must not depend on that. NaN and infinities, non-string keys and other types raise ``ValueError``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: 审计详情不能包含 NaN 或无穷大")
        return int(value) if value.is_integer() else value
    if isinstance(value, enum.Enum):
        return normalize_json(value.value, path=path)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: 审计详情的键必须是字符串（{key!r}）")
            out[key] = normalize_json(item, path=f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [normalize_json(item, path=f"{path}[{i}]") for i, item in enumerate(value)]
    raise ValueError(f"{path}: 审计详情只能包含 JSON 数据（不支持 {type(value).__name__}）")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not ASCII-escaped). ``value`` must already be normalised."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def format_at(at: dt.datetime) -> str:
    """ISO-8601 in UTC with microseconds, e.g. ``2025-01-02T03:04:05.000006+00:00``."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    algorithm: str,
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor: str,
    actor_kind: str,
    department_code: str | None,
    action: str,
    target_type: str,
    target_id: str,
    details: Any,
) -> str:
    """``H(prev_hash_hex || canonical_json(fields))`` as lowercase hex (64 characters for SM3 and SHA-256)."""
    if algorithm not in KNOWN_ALGORITHMS:
        raise ValueError(f"unknown audit hash algorithm {algorithm!r}")
    body = canonical_json(
        {
            "seq": seq,
            "at": format_at(at),
            "actor": actor,
            "actor_kind": actor_kind,
            "department_code": department_code,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": normalize_json(details),
            "algorithm": algorithm,
        }
    )
    h = hashlib.new(algorithm)
    h.update(prev_hash.encode("ascii"))
    h.update(body)
    return h.hexdigest()


# --- personal-information guard (个人信息不入审计日志) ---------------------------------------------
# Cheap shape checks, not validation: anything that looks like an 18-character citizen ID (GB 11643: region,
# birth date 18xx–20xx, sequence, check char) or a mainland mobile number, standing alone or inside text.
# Neighbouring ASCII letters/digits end a match, so hex digests and longer numbers do not trip it; Chinese text
# around a number does not protect it.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_CITIZEN_ID = re.compile(
    _EDGE_BEFORE + r"\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]" + _EDGE_AFTER
)
_MOBILE = re.compile(_EDGE_BEFORE + r"(?:\+?86[- ]?)?1[3-9]\d{9}" + _EDGE_AFTER)


def find_personal_info(value: Any, *, path: str = "details") -> str | None:
    """The path of the first key or value that looks like a citizen ID or mobile number, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        text = str(value)
        if _CITIZEN_ID.search(text) or _MOBILE.search(text):
            return path
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if find_personal_info(key, path=f"{path}.<key>") is not None:
                return f"{path}.<key>"
            found = find_personal_info(item, path=f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_personal_info(item, path=f"{path}[{i}]")
            if found is not None:
                return found
    return None


def require_no_personal_info(value: Any, *, path: str = "details") -> None:
    """Raise ``ValueError`` if ``value`` holds what looks like a citizen ID or a mobile number."""
    found = find_personal_info(value, path=path)
    if found is not None:
        raise ValueError(f"审计日志不得包含个人信息（{found} 疑似身份证号或手机号）")
