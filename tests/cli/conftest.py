"""CLI tests run the real commands (Typer's CliRunner) against the test database of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from typer.testing import CliRunner

from transport_credit.auth import keys, passwords
from transport_credit.settings import get_settings


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Production argon2 parameters take ~0.2 s a hash; the tests create several accounts and keys."""
    previous = passwords.get_hasher()
    passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    keys.verified_keys.clear()
    yield
    passwords.set_hasher(previous)
    keys.verified_keys.clear()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Path]:
    """Point the CLI's settings (environment variables) at the test database; returns the data dir."""
    data_dir = tmp_path / "var"
    monkeypatch.setenv("TRANSPORT_CREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("TRANSPORT_CREDIT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TRANSPORT_CREDIT_ENV", "test")
    monkeypatch.setenv("TRANSPORT_CREDIT_PROVINCE", "henan")
    monkeypatch.setenv("TRANSPORT_CREDIT_PII_KEY", "test-pii-key-for-the-test-suite-0123456")
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
