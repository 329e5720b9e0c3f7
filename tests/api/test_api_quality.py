"""文书号核查 over the REST API: a department's system reads its holes and explains the numbers it voided."""

from __future__ import annotations

from api_kit import licence
from fastapi.testclient import TestClient


def _h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_a_system_reads_its_holes_and_explains_them(
    client: TestClient, licensing_key: str, enforcement_key: str, check_only_key: str
) -> None:
    records = [licence(n) for n in (1, 2, 3, 5, 6, 7, 9)]
    assert client.post("/api/v1/records/XZXK", json={"records": records}, headers=_h(licensing_key)).status_code == 200

    r = client.get("/api/v1/quality/numbers", params={"year": 2026}, headers=_h(licensing_key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["year"], body["missing"], body["checked"]) == (2026, 2, 1)
    [seq] = body["sequences"]
    assert (seq["category"], seq["prefix"], seq["first"], seq["last"]) == ("XZXK", "豫运许", 1, 9)
    assert seq["missing"] == [{"start": 4, "end": 4}, {"start": 8, "end": 8}]
    # Another department's system sees none of it.
    other = client.get("/api/v1/quality/numbers", params={"year": 2026}, headers=_h(enforcement_key)).json()
    assert other["sequences"] == []

    note = {"category": "XZXK", "prefix": "豫运许", "year": 2026, "serial_from": 4, "serial_to": 4, "reason": "voided"}
    created = client.post("/api/v1/quality/numbers/notes", json=note, headers=_h(licensing_key))
    assert created.status_code == 201, created.text
    assert created.json()["reason_label"] == "文书作废"
    after = client.get("/api/v1/quality/numbers", params={"year": 2026}, headers=_h(licensing_key)).json()
    assert after["missing"] == 1
    assert after["sequences"][0]["explained"] == 1

    refused = client.post("/api/v1/quality/numbers/notes", json={**note, "reason": "lost"}, headers=_h(licensing_key))
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_reason")
    outside = client.post(
        "/api/v1/quality/numbers/notes", json={**note, "serial_from": 20, "serial_to": 20}, headers=_h(licensing_key)
    )
    assert (outside.status_code, outside.json()["code"]) == (422, "invalid_range")
    foreign = client.post("/api/v1/quality/numbers/notes", json=note, headers=_h(enforcement_key))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "sequence_not_found")
    no_scope = client.get("/api/v1/quality/numbers", headers=_h(check_only_key))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "scope_required")
