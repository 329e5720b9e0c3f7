"""Catalog, departments, error codes, health and the committed OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from transport_credit.api.openapi import render
from transport_credit.ingest.service import error_codes

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"


def test_catalog(client: TestClient, licensing_key: str) -> None:
    headers = {"X-API-Key": licensing_key}
    body = client.get("/api/v1/catalog", headers=headers).json()
    assert body["version"]
    codes = [c["code"] for c in body["categories"]]
    assert {"XZXK", "XZCF"} <= set(codes)
    xzcf = client.get("/api/v1/catalog/行政处罚", headers=headers).json()
    field = next(f for f in xzcf["fields"] if f["key"] == "id_number")
    assert (field["name"], field["type"], field["disclosure"]) == ("证件号码", "id_number", "private")
    penalty = next(f for f in xzcf["fields"] if f["key"] == "penalty_type")
    assert "罚款" in penalty["enum"]
    assert penalty["mandatory"] is True
    mappings = client.get("/api/v1/catalog/XZCF/mappings", headers=headers).json()
    assert mappings["category"] == "XZCF"
    assert mappings["items"]
    assert client.get("/api/v1/catalog/NOPE", headers=headers).status_code == 404


def test_departments_and_error_codes(client: TestClient, licensing_key: str) -> None:
    headers = {"X-API-Key": licensing_key}
    depts = client.get("/api/v1/departments", headers=headers).json()["items"]
    zfj = next(d for d in depts if d["code"] == "410000-zfj")
    assert "XZCF" in zfj["categories"]
    codes = client.get("/api/v1/error-codes", headers=headers).json()["items"]
    assert {c["code"] for c in codes} == set(error_codes())
    assert client.get("/api/v1/departments").status_code == 401


def test_health_needs_no_key(client: TestClient, db_backend: str) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] == db_backend
    assert body["catalog_version"]


def test_every_route_documents_errors_and_tags(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": doc["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in ops.items():
            assert op.get("tags"), (method, path)
            if path == "/api/v1/health":
                continue
            if path.startswith("/api/v1/public/"):  # the open-data API needs no key (issue 5): rate-limited instead
                assert "429" in op["responses"], (method, path)
                continue
            assert "401" in op["responses"], (method, path)
            ref = op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse"), (method, path)
            if "422" in op["responses"]:
                ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorResponse"), (method, path)


def test_committed_openapi_document_is_current() -> None:
    """docs/api/openapi.json must match the code: regenerate with
    ``python -m transport_credit.api.openapi > docs/api/openapi.json``."""
    assert OPENAPI_FILE.exists(), "docs/api/openapi.json is missing"
    assert OPENAPI_FILE.read_text(encoding="utf-8") == render(), (
        "docs/api/openapi.json is out of date: run python -m transport_credit.api.openapi > docs/api/openapi.json"
    )


def test_readme_lists_every_row_level_code() -> None:
    readme = (OPENAPI_FILE.parent / "README.md").read_text(encoding="utf-8")
    missing = [code for code in error_codes() if f"| `{code}` |" not in readme]
    assert not missing, f"docs/api/README.md does not list the row-level codes {missing}"
