"""The read-only public API under /api/v1/public: disclosure rules, filters, exports, rate limit, OpenAPI."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from portal_kit import PERSON_ID, PHONE, Seeded, seed_portal
from transport_credit.db.uow import Database
from transport_credit.portal.ratelimit import RateLimited, RateLimiter
from transport_credit.server import create_app
from transport_credit.settings import Settings


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    return seed_portal(db, settings)


@pytest.fixture
def client(seeded: Seeded, db: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def test_search_and_subject(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/api/v1/public/subjects", params={"q": "顺达物流"})
    assert r.status_code == 200
    assert r.json()["items"][0]["name"] == "顺达物流有限公司"
    assert r.json()["items"][0]["rank"] == "prefix"
    s = client.get(f"/api/v1/public/subjects/{seeded.org}").json()
    sections = {sec["code"]: sec for sec in s["sections"]}
    assert sections["XZCF"]["count"] == 2
    assert sections["XYPJ"]["records"][0]["fields"]["信用等级"] == "AA"
    assert sections["HMD"]["count"] == 1
    assert sections["XYCN"]["count"] == 1
    assert client.get("/api/v1/public/subjects", params={"q": "顺"}).json()["code"] == "invalid_request"


def test_person_data_is_masked_in_the_api(client: TestClient, seeded: Seeded) -> None:
    body = client.get(f"/api/v1/public/subjects/{seeded.person}").text
    assert PERSON_ID not in body
    assert PHONE not in body
    assert "李四光" not in body
    record = client.get(f"/api/v1/public/records/{seeded.records['person_penalty']}").json()
    assert record["subject_name"] == "李**"
    assert "证件号码" not in record["fields"]


def test_record_list_filters_and_pages(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/api/v1/public/records", params={"category": "XZCF", "region": "410300", "limit": 2})
    assert r.status_code == 200
    page = r.json()
    assert len(page["items"]) == 2
    assert page["has_more"] is True
    dates = [i["decision_date"] for i in page["items"]]
    assert dates == sorted(dates, reverse=True)
    nxt = client.get("/api/v1/public/records", params={"category": "XZCF", "region": "410300", "offset": 2}).json()
    ids = {i["id"] for i in page["items"]} | {i["id"] for i in nxt["items"]}
    assert seeded.records["expired"] not in ids
    assert seeded.records["superseded"] not in ids
    assert seeded.records["corrected"] in ids
    assert client.get("/api/v1/public/records", params={"category": "BZJL"}).json()["code"] == "category_not_public"
    assert client.get("/api/v1/public/records", params={"category": "XZCF", "region": "41"}).status_code == 422
    assert client.get(f"/api/v1/public/records/{seeded.records['repaired']}").status_code == 404


def test_export_csv_and_json(client: TestClient) -> None:
    r = client.get("/api/v1/public/export", params={"category": "XZCF", "domain": "道路运输"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["行业领域"] for row in rows} == {"道路运输"}
    assert "郑交罚〔2026〕001号" not in {row["文书编号"] for row in rows}
    j = client.get("/api/v1/public/export", params={"category": "HMD", "format": "json"}).json()
    assert j["count"] == 1


def test_report_check(client: TestClient, seeded: Seeded) -> None:
    code = client.post(f"/subjects/{seeded.org}/report").headers["x-report-code"]
    r = client.get(f"/api/v1/public/reports/{code}").json()
    assert r["genuine"] is True
    assert len(r["sha256"]) == 64
    assert client.get("/api/v1/public/reports/XY-2345-6789-ABCD").json()["found"] is False
    assert client.get("/api/v1/public/reports/bad").status_code == 422


def test_rate_limit_per_client_address(seeded: Seeded, db: Database, settings: Settings) -> None:
    limited = settings.model_copy(update={"public_rate_per_minute": 5})
    with TestClient(create_app(limited, db), base_url="http://testserver") as c:
        codes = [c.get("/api/v1/public/subjects", params={"q": "顺达"}).status_code for _ in range(7)]
        assert codes[:5] == [200] * 5
        assert codes[5:] == [429, 429]
        body = c.get("/api/v1/public/subjects", params={"q": "顺达"}).json()
        assert body["code"] == "rate_limited"
        assert body["details"]["retry_after"] >= 1
        assert c.get("/").status_code == 200  # pages are not counted against the API bucket


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.check("a") == 1
    assert limiter.check("a") == 0
    assert limiter.check("b") == 1  # per client
    with pytest.raises(RateLimited):
        limiter.check("a")
    now[0] = 61
    assert limiter.check("a") == 1


def test_openapi_documents_the_public_api(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/public/subjects", "/api/v1/public/records", "/api/v1/public/export"):
        assert path in paths
    assert "429" in paths["/api/v1/public/records"]["get"]["responses"]
    assert not any(p.startswith("/subjects") or p == "/" for p in paths)  # site pages are not API
