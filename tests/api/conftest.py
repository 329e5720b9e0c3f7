"""API tests: the real application on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_kit import ENFORCEMENT_DEPT, LICENSING_DEPT
from fastapi.testclient import TestClient

from transport_credit.auth import service as auth
from transport_credit.auth.schema import SCOPE_CHECK, SCOPE_READ, SCOPE_SUBMIT
from transport_credit.bootstrap import initialize
from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings


@pytest.fixture(autouse=True)
def _cheap_hashing(cheap_hashing: None) -> None:
    """Every test here uses the cheap argon2 parameters (tests/conftest.py)."""


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    initialize(db, settings)
    return db


def _new_key(db: Database, name: str, dept: str, categories: list[str], scopes: list[str]) -> str:
    with db.unit_of_work() as s:
        _, key = auth.create_api_client(s, SYSTEM, name, dept, categories, scopes)
    return key


@pytest.fixture
def licensing_key(platform: Database) -> str:
    return _new_key(platform, "行政许可系统", LICENSING_DEPT, ["XZXK"], [SCOPE_SUBMIT, SCOPE_READ])


@pytest.fixture
def enforcement_key(platform: Database) -> str:
    return _new_key(platform, "执法办案系统", ENFORCEMENT_DEPT, ["XZCF"], [SCOPE_SUBMIT])


@pytest.fixture
def check_only_key(platform: Database) -> str:
    return _new_key(platform, "审批系统", LICENSING_DEPT, [], [SCOPE_CHECK])


@pytest.fixture
def client(platform: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, platform), raise_server_exceptions=True) as c:
        yield c
