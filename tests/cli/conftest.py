"""CLI tests run the real commands (Typer's CliRunner) against the test database of tests/conftest.py."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.fixture(autouse=True)
def _cheap_hashing(cheap_hashing: None) -> None:
    """Every test here uses the cheap argon2 parameters (tests/conftest.py)."""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
