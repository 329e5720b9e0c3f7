"""Fixtures of the collection tests: an initialised platform (schema, catalog, Henan departments)."""

from __future__ import annotations

import pytest

from transport_credit.bootstrap import initialize
from transport_credit.db.uow import Database
from transport_credit.settings import Settings


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    """The test database with the shipped catalog and departments loaded."""
    initialize(db, settings)
    return db
