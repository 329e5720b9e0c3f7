"""Password hashing and policy, API key format and the verified-key cache."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from transport_credit.auth import keys, passwords


@pytest.fixture
def cheap_hasher() -> Iterator[PasswordHasher]:
    previous = passwords.get_hasher()
    hasher = PasswordHasher.from_parameters(CHEAPEST)
    passwords.set_hasher(hasher)
    yield hasher
    passwords.set_hasher(previous)


def test_default_hasher_is_argon2id() -> None:
    h = passwords.hash_password("correct horse 1")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "correct horse 1")
    assert not passwords.verify_password(h, "correct horse 2")
    assert not passwords.needs_rehash(h)


def test_hashes_are_salted(cheap_hasher: PasswordHasher) -> None:
    assert passwords.hash_password("abcdefghij1") != passwords.hash_password("abcdefghij1")


def test_malformed_hash_is_a_mismatch(cheap_hasher: PasswordHasher) -> None:
    assert not passwords.verify_password("not-a-hash", "whatever")
    assert passwords.needs_rehash("not-a-hash")


def test_needs_rehash_after_parameters_change(cheap_hasher: PasswordHasher) -> None:
    old = passwords.hash_password("abcdefghij1")
    assert not passwords.needs_rehash(old)
    passwords.set_hasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert passwords.needs_rehash(old)
    assert passwords.verify_password(old, "abcdefghij1")  # old hashes still verify


def test_dummy_hash_is_stable_per_hasher(cheap_hasher: PasswordHasher) -> None:
    first = passwords.dummy_hash()
    assert passwords.dummy_hash() == first
    assert not passwords.verify_password(first, "")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "password_too_short"),
        ("a1" * 4 + "b", "password_too_short"),
        ("onlyletterss", "password_too_weak"),
        ("1234567890", "password_too_weak"),
        ("中文密码中文密码中文1", "password_too_weak"),
        ("a1" * 65, "password_too_long"),
        ("abcdefghi1", None),
        ("Tr0ub4dor&3x", None),
        ("密码password2025", None),
    ],
)
def test_password_policy(password: str, code: str | None) -> None:
    violation = passwords.password_policy_violation(password)
    assert (violation[0] if violation else None) == code
    if violation:
        assert re.search(r"[\u4e00-\u9fff]", violation[1])  # a Chinese message


def test_key_format(cheap_hasher: PasswordHasher) -> None:
    seen = set()
    for _ in range(20):
        new = keys.generate_key()
        assert re.fullmatch(r"tc_[a-z0-9]{8}_[A-Za-z0-9_\-]{32}", new.plaintext)
        assert keys.parse_prefix(new.plaintext) == new.prefix
        assert new.plaintext not in new.key_hash
        assert keys.verify_key(new.key_hash, new.plaintext)
        assert not keys.verify_key(new.key_hash, new.plaintext[:-1] + ("A" if new.plaintext[-1] != "A" else "B"))
        seen.add(new.plaintext)
    assert len(seen) == 20


@pytest.mark.parametrize(
    "key",
    [
        "",
        "tc_abc_def",
        "tc_ABCDEFGH_" + "a" * 32,
        "xx_abcdefgh_" + "a" * 32,
        "tc_abcdefgh_" + "a" * 31,
        "tc_abcdefgh_" + "a" * 33,
    ],
)
def test_malformed_keys_have_no_prefix(key: str) -> None:
    assert keys.parse_prefix(key) is None


def test_verified_key_cache_is_lru_and_invalidates_by_client() -> None:
    cache = keys.VerifiedKeyCache(maxsize=3)
    for i in range(3):
        cache.put(f"fp{i}", client_id=i % 2, key_hash=f"h{i}")
    assert cache.get("fp0") == (0, "h0")  # fp0 is now the most recent
    cache.put("fp3", client_id=5, key_hash="h3")  # evicts fp1, the least recent
    assert cache.get("fp1") is None
    assert len(cache) == 3
    cache.invalidate_client(0)
    assert cache.get("fp0") is None
    assert cache.get("fp2") is None
    assert cache.get("fp3") == (5, "h3")
    cache.discard("fp3")
    assert len(cache) == 0
