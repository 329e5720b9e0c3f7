"""The application factory a server process uses: start-up objects frozen out of the garbage collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from transport_credit.db.uow import Database
from transport_credit.server import create_served_app
from transport_credit.settings import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting everything


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_served_app_freezes_start_up_objects_and_still_collects_new_garbage(
    db: Database, settings: Settings, unfrozen: None
) -> None:
    app = create_served_app(settings)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # modules, classes, the framework's structures
    assert len(gc.get_objects()) < frozen // 10  # what a full collection still has to traverse
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
        node = _Node()
        ref = weakref.ref(node)
        del node
        gc.collect()
        assert ref() is None  # garbage made while serving is collected as usual
    app.state.db.engine.dispose()
