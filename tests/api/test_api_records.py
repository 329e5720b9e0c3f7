"""Pushing records, batches, history and the credit file through the REST API."""

from __future__ import annotations

import io
import json
import re

import openpyxl
from api_kit import BAD_CHECKSUM_USCC, ORG_USCC, PERSON_ID, licence, person_licence
from fastapi.testclient import TestClient

ID18 = re.compile(r"\d{17}[\dXx]")


def _h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_push_reports_each_record(client: TestClient, licensing_key: str) -> None:
    records = [
        licence(1),
        licence(2, **{"许可类别": "随便写"}),
        licence(3, **{"行政相对人代码_1（统一社会信用代码）": BAD_CHECKSUM_USCC}),
    ]
    resp = client.post("/api/v1/records/XZXK", json={"records": records}, headers=_h(licensing_key))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["accepted"], body["rejected"], body["warned"]) == (3, 1, 1, 1)
    by_row = {r["row"]: r for r in body["results"]}
    assert by_row[1]["outcome"] == "accepted"
    assert by_row[1]["revision"] == 1
    rejected = by_row[2]
    assert rejected["outcome"] == "rejected"
    assert rejected["errors"][0]["code"] == "invalid_enum"
    assert "许可类别" in rejected["errors"][0]["message"]
    warned = by_row[3]
    assert warned["outcome"] == "warned"
    assert [w["code"] for w in warned["warnings"]] == ["uscc_checksum"]

    batch = client.get(f"/api/v1/batches/{body['batch_no']}", headers=_h(licensing_key)).json()
    assert batch["accepted"] == 1
    assert batch["file_format"] == "json"
    warnings = client.get(f"/api/v1/batches/{body['batch_no']}/warnings", headers=_h(licensing_key)).json()
    assert [w["natural_key"] for w in warnings["items"]] == ["豫运许〔2026〕3号"]
    listed = client.get("/api/v1/batches", headers=_h(licensing_key)).json()
    assert [b["batch_no"] for b in listed["items"]] == [body["batch_no"]]


def test_push_again_is_unchanged_and_a_change_is_a_revision(client: TestClient, licensing_key: str) -> None:
    url = "/api/v1/records/行政许可"  # the Chinese name works like the code
    first = client.post(url, json={"records": [licence(7)]}, headers=_h(licensing_key)).json()
    assert first["results"][0]["outcome"] == "accepted"
    again = client.post(url, json={"records": [licence(7)]}, headers=_h(licensing_key)).json()
    assert again["results"][0]["outcome"] == "unchanged"
    changed = client.post(
        url, json={"records": [licence(7, **{"许可内容": "道路危险货物运输"})]}, headers=_h(licensing_key)
    ).json()
    result = changed["results"][0]
    assert (result["outcome"], result["revision"]) == ("revised", 2)

    key = "豫运许〔2026〕7号"
    history = client.get(f"/api/v1/records/XZXK/{key}/history", headers=_h(licensing_key))
    assert history.status_code == 200, history.text
    revisions = history.json()["revisions"]
    assert [r["revision"] for r in revisions] == [2, 1]
    assert revisions[0]["fields"]["许可内容"] == "道路危险货物运输"
    assert [r["is_current"] for r in revisions] == [True, False]

    file = client.get(f"/api/v1/subjects/{ORG_USCC}", params={"history": "true"}, headers=_h(licensing_key))
    assert file.status_code == 200
    assert len(file.json()["records"]) == 2
    current = client.get(f"/api/v1/subjects/{ORG_USCC}", headers=_h(licensing_key)).json()
    assert [r["revision"] for r in current["records"]] == [2]


def test_wrong_category_for_the_key_is_403(client: TestClient, enforcement_key: str) -> None:
    resp = client.post("/api/v1/records/XZXK", json={"records": [licence(1)]}, headers=_h(enforcement_key))
    assert resp.status_code == 403
    body = resp.json()
    assert body["code"] == "category_not_sourced"
    assert "不能报送" in body["message"]


def test_scope_is_required(client: TestClient, check_only_key: str) -> None:
    resp = client.post("/api/v1/records/XZXK", json={"records": [licence(1)]}, headers=_h(check_only_key))
    assert resp.status_code == 403
    assert resp.json()["code"] == "scope_required"
    assert client.get(f"/api/v1/subjects/{ORG_USCC}", headers=_h(check_only_key)).status_code == 403
    # reference data is open to any valid key
    assert client.get("/api/v1/catalog", headers=_h(check_only_key)).status_code == 200


def test_missing_or_invalid_key_is_401(client: TestClient, licensing_key: str) -> None:
    resp = client.post("/api/v1/records/XZXK", json={"records": [licence(1)]})
    assert resp.status_code == 401
    assert resp.json()["code"] == "api_key_missing"
    assert "密钥" in resp.json()["message"]
    bad = client.get("/api/v1/catalog", headers=_h("tc_nonsense"))
    assert bad.status_code == 401
    assert bad.json() == {"code": "invalid_api_key", "message": "API 密钥无效", "details": {}}


def test_unknown_subject_and_category_are_404(client: TestClient, licensing_key: str) -> None:
    resp = client.get("/api/v1/subjects/91410100MA00000000", headers=_h(licensing_key))
    assert resp.status_code == 404
    assert resp.json()["code"] == "subject_not_found"
    resp = client.post("/api/v1/records/NOPE", json={"records": [licence(1)]}, headers=_h(licensing_key))
    assert resp.status_code == 404
    assert resp.json()["code"] == "unknown_category"
    assert client.get("/api/v1/batches/B000", headers=_h(licensing_key)).json()["code"] == "batch_not_found"


def test_malformed_bodies_are_422_in_our_shape(client: TestClient, licensing_key: str) -> None:
    headers = {**_h(licensing_key), "Content-Type": "application/json"}
    cases = [
        b"{not json",
        b'{"records": {"a": 1}}',
        b'{"records": []}',
        b'{"records": [["a"]]}',
        b'{"records": [{"a": {"nested": 1}}]}',
        b'{"records": [{"a": 1}], "department": 5}',
        b'{"recs": []}',
        b"[]",
    ]
    for raw in cases:
        resp = client.post("/api/v1/records/XZXK", content=raw, headers=headers)
        assert resp.status_code == 422, (raw, resp.text)
        body = resp.json()
        assert body["code"] == "invalid_request", raw
        assert body["message"] == "请求参数不正确"
        assert body["details"]["errors"], raw


def test_too_many_records_is_422(client: TestClient, licensing_key: str) -> None:
    records = [{"行政许可决定文书号": str(i)} for i in range(5001)]
    resp = client.post("/api/v1/records/XZXK", json={"records": records}, headers=_h(licensing_key))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_request"


def test_subject_file_masks_the_id_number(client: TestClient, licensing_key: str) -> None:
    pushed = client.post("/api/v1/records/XZXK", json={"records": [person_licence(9)]}, headers=_h(licensing_key))
    assert pushed.json()["results"][0]["outcome"] == "accepted", pushed.text
    assert PERSON_ID not in pushed.text
    resp = client.get(f"/api/v1/subjects/{PERSON_ID}", headers=_h(licensing_key))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["kind"] == "person"
    assert body["id_masked"]
    assert body["id_masked"] != PERSON_ID
    assert PERSON_ID not in resp.text
    assert not ID18.search(json.dumps(body, ensure_ascii=False))
    assert body["records"][0]["natural_key"] == "豫运许〔2026〕9号"
    found = client.get("/api/v1/subjects", params={"q": "张三"}, headers=_h(licensing_key))
    assert found.status_code == 200
    assert PERSON_ID not in found.text


def test_quarantine_list_template_and_dismiss(client: TestClient, licensing_key: str) -> None:
    bad = person_licence(11)
    bad["许可类别"] = "乱填"
    pushed = client.post("/api/v1/records/XZXK", json={"records": [bad, licence(12)]}, headers=_h(licensing_key))
    batch_no = pushed.json()["batch_no"]

    listed = client.get("/api/v1/quarantine", params={"batch_no": batch_no}, headers=_h(licensing_key))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["errors"][0]["code"] == "invalid_enum"
    assert item["raw"]["许可类别"] == "乱填"
    assert PERSON_ID not in listed.text  # raw cells are masked in JSON

    resp = client.get(
        "/api/v1/quarantine/template", params={"category": "XZXK", "batch_no": batch_no}, headers=_h(licensing_key)
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%A1%8C%E6%94%BF%E8%AE%B8%E5%8F%AF" in disposition  # 行政许可…
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "问题数据编号"
    assert headers[-1] == "错误说明"
    assert "行政许可决定文书号" in headers
    assert sheet.cell(row=2, column=1).value == str(item["id"])

    csv_resp = client.get(
        "/api/v1/quarantine/template", params={"category": "XZXK", "format": "csv"}, headers=_h(licensing_key)
    )
    assert csv_resp.headers["content-type"].startswith("text/csv")
    assert csv_resp.content.decode("gb18030").startswith("问题数据编号,")

    dismissed = client.post(
        "/api/v1/quarantine/dismiss", json={"ids": [item["id"]], "reason": "测试数据"}, headers=_h(licensing_key)
    )
    assert dismissed.json() == {"dismissed": 1}
    assert client.get("/api/v1/quarantine", headers=_h(licensing_key)).json()["total"] == 0
    empty_reason = client.post(
        "/api/v1/quarantine/dismiss", json={"ids": [item["id"]], "reason": ""}, headers=_h(licensing_key)
    )
    assert empty_reason.status_code == 422


def test_upload_gb18030_csv(client: TestClient, licensing_key: str) -> None:
    rows = [licence(21), licence(22, **{"许可类别": "不对"})]
    header = list(rows[0])
    lines = ["河南省行政许可信息（2026年1月）", ",".join(header)]
    lines += [",".join(str(r[h]) for h in header) for r in rows]
    content = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    resp = client.post(
        "/api/v1/imports",
        files={"file": ("许可数据-1月.csv", content, "text/csv")},
        data={"category": "XZXK"},
        headers=_h(licensing_key),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["file_name"] == "许可数据-1月.csv"
    assert body["encoding"] in ("gb18030", "gbk", "gb2312")
    assert body["header_row"] == 2
    assert (body["total"], body["accepted"], body["rejected"]) == (2, 1, 1)
    assert body["already_imported"] is False

    again = client.post(
        "/api/v1/imports",
        files={"file": ("许可数据-1月.csv", content, "text/csv")},
        data={"category": "XZXK"},
        headers=_h(licensing_key),
    )
    assert again.json()["already_imported"] is True


def test_upload_refused_file_is_422(client: TestClient, licensing_key: str) -> None:
    resp = client.post(
        "/api/v1/imports",
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
        data={"category": "XZXK"},
        headers=_h(licensing_key),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] in ("no_header", "missing_columns", "file_refused")
    missing = client.post("/api/v1/imports", data={"category": "XZXK"}, headers=_h(licensing_key))
    assert missing.status_code == 422
    assert missing.json()["code"] == "invalid_request"
