"""Console pages of lists, measures, effects and cases, through the real application (forms with CSRF)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CREDIT_OFFICE, PASSWORD, csrf_of, login
from lists_kit import uscc

from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Cheap argon2."""


@pytest.fixture
def client(filled: Database, settings: Settings) -> Iterator[TestClient]:
    with filled.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "xyb", "信用办", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, "viewer", "查询员", PASSWORD, CREDIT_OFFICE, [ROLE_VIEWER])
    with TestClient(create_app(settings, filled), base_url="http://testserver") as c:
        yield c


def test_review_queue_propose_and_notify(client: TestClient) -> None:
    login(client, "xyb")
    page = client.get("/console/lists")
    assert page.status_code == 200
    assert "红黑名单管理" in page.text
    r = client.post(
        "/console/lists/propose",
        data={
            "code": uscc(2),
            "list_code": "black",
            "reason": "多次超限运输",
            "basis": "",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    entry = client.get(r.headers["location"])
    assert "待审核" in entry.text
    assert "郑州顺达2号物流有限公司" in entry.text
    entry_id = r.headers["location"].rsplit("/", 1)[1]
    r = client.post(
        f"/console/lists/{entry_id}/notify", data={"csrf_token": csrf_of(entry.text)}, follow_redirects=True
    )
    assert "事前告知书" in r.text
    assert "异议期内" in r.text
    assert re.search(r"已告知", r.text)
    r = client.post(f"/console/lists/{entry_id}/publish", data={"csrf_token": csrf_of(r.text)})
    assert r.status_code == 409
    assert "异议期" in r.text
    r = client.post(f"/console/lists/{entry_id}/notify", data={"csrf_token": "forged"})
    assert r.status_code == 403


def test_viewer_cannot_propose(client: TestClient) -> None:
    login(client, "viewer")
    page = client.get("/console/lists")
    assert page.status_code == 200
    assert "提出列入建议" not in page.text


@pytest.mark.parametrize(
    "path", ["/console/measures", "/console/effects", "/console/cases", "/console/lists?state=listed"]
)
def test_pages_render(client: TestClient, path: str) -> None:
    login(client, "xyb")
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert "P-XK-YSHC" in r.text if path == "/console/measures" else True


def test_effects_export_and_bad_month(client: TestClient) -> None:
    login(client, "xyb")
    r = client.get("/console/effects/export?month=2026-11&fmt=csv")
    assert r.status_code == 200
    assert r.content.decode("utf-8-sig").startswith("序号,被执行主体")
    assert client.get("/console/effects?month=nonsense").status_code == 422
    # A department typed into the URL reaches the file name only as a code's characters (the page fuzz sent "Ā").
    odd = client.get("/console/effects/export", params={"month": "2026-11", "department": 'Ā"410000-zfj\x80'})
    assert odd.status_code == 200
    assert odd.headers["content-disposition"] == 'attachment; filename="effects-202611-410000-zfj.xlsx"'
