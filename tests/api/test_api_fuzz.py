"""Property-based fuzzing of the documented REST API (schemathesis, from the published OpenAPI document).

Every operation of ``docs/api/openapi.json`` (kept equal to the application's own document by
``tests/api/test_api_reference.py``) gets generated requests, valid ones and ones that break the schema, sent to the
real application on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL) holding a small province, with a
key that has every scope. No request may end in a 500, and every answer must be what the document promises: its
status codes, content types and response schemas. The examples are derandomised, so a run is repeatable; the
failures this found first are pinned by ``tests/api/test_api_errors.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_kit import LICENSING_DEPT
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from portal_kit import seed_portal
from transport_credit.auth import service as auth
from transport_credit.auth.schema import API_SCOPES
from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"


class _Application:
    """The application under test and its key, set per test by the ``app`` fixture (the schema is loaded at
    import time)."""

    target: Any = None
    key: str = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


APPLICATION = _Application()
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.app = APPLICATION
# Text holding U+0000 is refused everywhere (``nul_character``; docs/api/README.md says so once for all fields rather
# than a pattern on each): tests/api/test_api_errors.py covers it.
schema.config.generation.update(allow_x00=False)


@schema.auth(refresh_interval=None)
class _ApiKey:
    """The key goes in through schemathesis, so the negative cases that drop the header stay without it."""

    def get(self, case: Any, context: Any) -> str:
        return APPLICATION.key

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "X-API-Key": data}


@pytest.fixture
def api_key(db: Database, settings: Settings) -> str:
    seed_portal(db, settings)
    with db.unit_of_work() as s:
        _, key = auth.create_api_client(s, SYSTEM, "全能接入系统", LICENSING_DEPT, ["XZXK", "XZCF"], list(API_SCOPES))
    return key


@pytest.fixture
def app(api_key: str, db: Database, settings: Settings) -> Iterator[FastAPI]:
    APPLICATION.target, APPLICATION.key = create_app(settings, db), api_key
    try:
        yield APPLICATION.target
    finally:
        APPLICATION.target, APPLICATION.key = None, ""


# Operations whose input is also checked against what the schema cannot say: the province's catalog (configuration
# data, so no enumeration in the document) and codes that are normalised before they are checked (full-width
# characters, spaces, lower case: a pattern would refuse what officials type). For these a schema-valid request may
# get a 422 with its own error code (in the API's error shape, which the response check still verifies); every
# other check runs on them too.
DOMAIN_VALIDATED = {
    "POST /api/v1/records/{category}",  # record keys must be the category's fields (no_header, unknown_category)
    "POST /api/v1/imports",  # category and mapping names (unknown_category, unknown_mapping)
    "GET /api/v1/public/records",  # categories the disclosure policy publishes (category_not_public)
    "GET /api/v1/public/export",  # idem
    "GET /api/v1/public/reports/{code}",  # 验证码 typed loosely: "xy 7k3m 9qpa 2dwe" (invalid_report_code)
    "POST /api/v1/checks",  # USCC, old codes, ID numbers, normalised (malformed_code)
    "POST /api/v1/checks/batch",  # idem
    "GET /api/v1/subjects/{code}",  # idem
    "POST /api/v1/evaluation/runs",  # the period's form (year or end date) is the model's (invalid_period)
    # the sequence must be one of the department's, the serials inside it, the reason one of the rules' (data):
    # sequence_not_found, invalid_range, invalid_reason
    "POST /api/v1/quality/numbers/notes",
    # the source platforms are data (transfer_sources), the telephone and the received day are checked as the
    # website's forms check them (invalid_transfer); acknowledged numbers must be the source's closed transfers
    "POST /api/v1/transfers",
    "POST /api/v1/transfers/replies/ack",
}


@schema.parametrize()
@hsettings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_operation(case: Any, app: FastAPI) -> None:
    excluded = (
        [schemathesis.checks.positive_data_acceptance]
        if f"{case.method.upper()} {case.path}" in DOMAIN_VALIDATED
        else []
    )
    case.call_and_validate(base_url="http://testserver", excluded_checks=excluded)
