"""Fixtures of the evaluation, supervision and warning tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from transport_credit.bootstrap import initialize
from transport_credit.db.uow import Database
from transport_credit.settings import Settings


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    """The test database with the shipped catalog and departments loaded."""
    initialize(db, settings)
    return db
