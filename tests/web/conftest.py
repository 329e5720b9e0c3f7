"""Fixtures of the console tests: an initialised platform with two accounts, a GB18030 penalty file, a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, PenaltyFile, write_penalty_file
from fastapi.testclient import TestClient

from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings


@pytest.fixture(autouse=True)
def _cheap_hashing(cheap_hashing: None) -> None:
    """Every test here uses the cheap argon2 parameters (tests/conftest.py)."""


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    """Schema, catalog and Henan departments, a city data officer and a credit-office account."""
    initialize(db, settings)
    with db.unit_of_work() as session:
        auth.create_account(session, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
        auth.create_account(session, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    return db


@pytest.fixture
def client(platform: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, platform), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def penalty_file(platform: Database, tmp_path: Path) -> PenaltyFile:
    return write_penalty_file(platform, tmp_path)
