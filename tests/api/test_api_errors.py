"""Requests the framework refuses before any route runs, and numbers no row can have: the API's error shape, the
right status, never a 500 (first found by the schemathesis run in ``test_api_fuzz.py``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from transport_credit.api.deps import NON_BLANK
from transport_credit.db.base import MAX_ID


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["message"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", f"/api/v1/supervision/tasks/{2**63}", None),
        ("POST", f"/api/v1/warnings/{2**63}/handle", {"status": "handled", "note": "已核实"}),
        ("GET", f"/api/v1/evaluation/subjects/{MAX_ID + 1}", None),
        ("GET", f"/api/v1/public/subjects/{2**70}", None),
        ("GET", f"/api/v1/batches?offset={10**20}", None),
        ("GET", f"/api/v1/quarantine?offset={10**20}", None),
        ("GET", f"/api/v1/warnings?subject_id={2**64}", None),
        ("POST", "/api/v1/quarantine/dismiss", {"ids": [2**63], "reason": "测试数据"}),
    ],
)
def test_numbers_no_row_can_have_are_refused(
    client: TestClient, licensing_key: str, method: str, path: str, json: object
) -> None:
    """SQLite binds at most 64-bit integers: such a number reached the statement and ended in a 500."""
    response = client.request(method, path, json=json, headers={"X-API-Key": licensing_key})
    body = _error(response, 422, "invalid_request")
    assert body["details"]["errors"]


def test_a_method_the_path_does_not_answer_gets_405_naming_every_method(client: TestClient) -> None:
    # Two routes (GET and POST) share the path: the Allow header names both.
    response = client.put("/api/v1/lists/entries", json={})
    _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"
    # A POST-only endpoint (the credit check, served by the fast lane): a GET is refused, not "not found".
    response = client.get("/api/v1/checks")
    _error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    assert "GET" in response.json()["message"]


def test_unknown_api_paths_get_the_api_error_shape_and_pages_the_site_page(client: TestClient) -> None:
    _error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _error(client.get("/api/v1/records/XZCF/a%0Ab/history"), 404, "not_found")  # matched by no route at all
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text


def test_a_body_that_cannot_be_decoded_is_a_422(client: TestClient, licensing_key: str) -> None:
    response = client.post(
        "/api/v1/lists/entries",
        content=b'{"subject_code": "\xff\xfe"}',
        headers={"X-API-Key": licensing_key, "Content-Type": "application/json"},
    )
    _error(response, 422, "invalid_request")


def test_blank_text_is_refused_as_the_document_says(client: TestClient, licensing_key: str) -> None:
    """Text is stripped before its length is checked; the document's pattern says a space alone is not text."""
    response = client.post(
        "/api/v1/warnings/1/handle", json={"status": "handled", "note": "   "}, headers={"X-API-Key": licensing_key}
    )
    _error(response, 422, "invalid_request")
    doc = client.get("/api/openapi.json").json()
    note = doc["components"]["schemas"]["HandleIn"]["properties"]["note"]
    assert (note["minLength"], note["pattern"]) == (1, NON_BLANK)
    # NEL and the information separators are stripped; the ideographic space too; BOM is no text
    for blank in ("\u0085", "\u3000", "\ufeff", "\x1f", "\x1c "):
        response = client.post(
            "/api/v1/warnings/1/handle", json={"status": "handled", "note": blank}, headers={"X-API-Key": licensing_key}
        )
        _error(response, 422, "invalid_request")


def test_a_search_needs_two_characters_besides_spaces(client: TestClient, licensing_key: str) -> None:
    """The document's pattern for ``q`` is what the search applies after stripping: a request the document
    accepts is not refused as too short (schemathesis found ``q=\\x1f🯍``: one character once stripped)."""
    headers = {"X-API-Key": licensing_key}
    for short in ("\x1f\U0001fbcd", " 豫 ", "\u3000a\u0085"):
        _error(client.get("/api/v1/subjects", params={"q": short}, headers=headers), 422, "invalid_request")
    assert client.get("/api/v1/subjects", params={"q": "\x1f顺达\n"}, headers=headers).status_code == 200
    assert client.get("/api/v1/subjects", params={"q": "顺 达"}, headers=headers).status_code == 200


def test_nul_characters_are_refused_as_input_errors(client: TestClient, licensing_key: str) -> None:
    """PostgreSQL cannot store or compare text holding U+0000: a ``%00`` in a search used to be an internal
    error there. Every statement's parameters are checked on both databases, so the answer is the same 422."""
    headers = {"X-API-Key": licensing_key}
    _error(client.get("/api/v1/subjects", params={"q": "顺达\x00"}, headers=headers), 422, "nul_character")
    body = {"records": [{"decision_no": "豫运许〔2026〕1号"}], "department": "410000-ysj\x00"}
    _error(client.post("/api/v1/records/XZXK", json=body, headers=headers), 422, "nul_character")


def test_dates_are_iso_dates_and_not_timestamps(client: TestClient, licensing_key: str) -> None:
    """The document says ``format: date``; a number is not read as a Unix timestamp (schemathesis found
    ``since=1.29e-176`` answered as if it were 1970-01-01)."""
    headers = {"X-API-Key": licensing_key}
    for since in ("1.2947116876015647e-176", "0", "20260101", "2026/01/01"):
        response = client.get("/api/v1/supervision/linkage", params={"since": since}, headers=headers)
        _error(response, 422, "invalid_request")
        _error(client.get("/api/v1/warnings", params={"since": since}, headers=headers), 422, "invalid_request")
    assert client.get("/api/v1/supervision/linkage", params={"since": "2026-01-01"}, headers=headers).status_code == 200
    item = {"measure_code": "x", "applied": True, "executed_on": 0}
    response = client.post("/api/v1/checks/CHK-1/feedback", json={"items": [item]}, headers=headers)
    assert "executed_on" in str(_error(response, 422, "invalid_request")["details"])


def test_an_evaluation_period_is_refused_with_what_the_model_wants(client: TestClient, licensing_key: str) -> None:
    """``period`` is a year or an end date, as the model says: four characters that shrink to three once stripped
    are too short (schemathesis found them; the operation is listed as domain-validated in the fuzz test), and a
    period of the wrong form gets the service's ``invalid_period`` naming the form the model wants."""
    headers = {"X-API-Key": licensing_key}
    body = {"model": "road_transport_enterprise", "period": "\x0b\xc6\x87\x9b"}
    _error(client.post("/api/v1/evaluation/runs", json=body, headers=headers), 422, "invalid_request")
    body = {"model": "road_transport_enterprise", "period": "20x5"}
    wrong = _error(client.post("/api/v1/evaluation/runs", json=body, headers=headers), 422, "invalid_period")
    assert "年度" in wrong["message"]


@pytest.mark.parametrize("value", ["0.0", "1_000", "+1", " 1", "1e0", "٣"])
def test_integers_are_decimal_digits(client: TestClient, licensing_key: str, value: str) -> None:
    """The document says ``integer``; pydantic alone would read "0.0", "1_000", "+1" or " 1" from a query string
    (schemathesis sent ``offset=0.0``). Path ids too."""
    headers = {"X-API-Key": licensing_key}
    _error(client.get("/api/v1/batches", params={"offset": value}, headers=headers), 422, "invalid_request")
    _error(client.get("/api/v1/warnings", params={"limit": value}, headers=headers), 422, "invalid_request")
    _error(client.get(f"/api/v1/public/inspections/{quote(value)}"), 422, "invalid_request")
    assert client.get("/api/v1/batches", params={"offset": "0", "limit": "5"}, headers=headers).status_code == 200


def test_region_codes_are_ascii_digits(client: TestClient, licensing_key: str) -> None:
    """``\\d`` is any Unicode digit to the server's validator and ASCII to the document's readers: the patterns say
    ``[0-9]``, so six Arabic-Indic digits are refused as the document says."""
    headers = {"X-API-Key": licensing_key}
    arabic = "٤١٠١٠٠"
    _error(client.get("/api/v1/warnings", params={"region_code": arabic}, headers=headers), 422, "invalid_request")
    assert client.get("/api/v1/warnings", params={"region_code": "410100"}, headers=headers).status_code == 200
    doc = client.get("/api/openapi.json").text
    assert "\\\\d" not in doc  # no pattern in the document leaves "digit" to the reader's dialect
