"""Every page of the public website and of the console, asked with generated path and query values: odd text,
numbers far beyond any id, negative numbers, NUL, dates that do not exist. No answer may be a 500 (the API has its
own schemathesis run, ``tests/api/test_api_fuzz.py``). Logged in as the credit office and administrator, so the
console's pages are reached rather than the login redirect; the province holds a record of every public kind
(``seed_portal``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from console_kit import CREDIT_OFFICE, MANAGER, PASSWORD, login
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_kit import seed_portal
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.site.routes import router as site_router
from transport_credit.web import router as console_router
from transport_credit.web.admin import router as admin_router
from transport_credit.web.analysis import router as analysis_router
from transport_credit.web.campaigns import router as campaigns_router
from transport_credit.web.checks import router as checks_router
from transport_credit.web.evaluation import router as evaluation_router
from transport_credit.web.exchange import router as exchange_router
from transport_credit.web.ledger import router as ledger_router
from transport_credit.web.lists import router as lists_router
from transport_credit.web.portal import router as portal_router
from transport_credit.web.quality import router as quality_router
from transport_credit.web.reminders import router as reminders_router
from transport_credit.web.report import router as report_router
from transport_credit.web.xinyi import router as xinyi_router

PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


def _pages() -> dict[str, APIRoute]:
    pages = {}
    routers = (
        site_router,
        console_router,
        evaluation_router,
        lists_router,
        portal_router,
        exchange_router,
        report_router,
        analysis_router,
        admin_router,
        quality_router,
        checks_router,
        ledger_router,
        xinyi_router,
        campaigns_router,
        reminders_router,
    )
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods and not route.path.endswith("{rest:path}"):
                pages[route.path] = route
    return pages


PAGES = _pages()

VALUES = st.one_of(
    st.text(max_size=24),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "2",
            "2147483648",
            "99999999",
            "9223372036854775808",
            "1e9",
            "顺达",
            "\x00",
            "%",
            "'",
            "2026-13-45",
            "XZCF",
            "red",
        ]
    ),
)


@pytest.fixture
def client(db: Database, settings: Settings, cheap_hashing: None) -> Iterator[TestClient]:
    seed_portal(db, settings)
    with db.unit_of_work() as session:
        # Credit office and administrator: every console page is reached (用户管理 is the administrator's).
        auth.create_account(
            session, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE, ROLE_ADMIN]
        )
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        login(c, MANAGER)
        yield c


@pytest.mark.parametrize("path", sorted(PAGES))
@settings(max_examples=12, derandomize=True)
@given(data=st.data())
def test_no_page_answers_with_an_internal_error(client: TestClient, path: str, data: st.DataObject) -> None:
    route = PAGES[path]
    url = PARAM.sub(lambda m: quote(data.draw(VALUES, label=m.group(1)), safe=""), path)
    names = [p.alias or p.name for p in route.dependant.query_params]
    params = {name: data.draw(VALUES, label=name) for name in names if data.draw(st.booleans(), label=f"with {name}")}
    response = client.get(url, params=params, follow_redirects=False)
    assert response.status_code < 500, (url, params, response.text[:500])
