"""The console's sharing page (信用办): generate the next package for a target, download it as a ZIP (audited)."""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, csrf_of, login

from portal_kit import seed_portal
from transport_credit import audit
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings


@pytest.fixture
def client(db: Database, settings: Settings, cheap_hashing: None) -> Iterator[TestClient]:
    seed_portal(db, settings)
    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def test_credit_office_generates_and_downloads_a_package(client: TestClient, db: Database) -> None:
    login(client, MANAGER)
    page = client.get("/console/exchange")
    assert page.status_code == 200
    assert "全国交通运输信用信息共享平台" in page.text
    assert "尚未报送（下一次为全量）" in page.text
    r = client.post(
        "/console/exchange/export",
        data={"csrf_token": csrf_of(page.text), "target": "ministry"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    done = client.get(r.headers["location"])
    assert "已生成全量交换包" in done.text
    assert "生成增量交换包" in done.text  # the next one for this target
    package_id = re.search(r'action="/console/exchange/(\d+)/download"', done.text).group(1)  # type: ignore[union-attr]
    by_link = client.get(f"/console/exchange/{package_id}/download")  # never by a plain link
    assert by_link.status_code == 404
    assert by_link.headers["content-type"].startswith("text/html")
    zipped = client.post(f"/console/exchange/{package_id}/download", data={"csrf_token": csrf_of(done.text)})
    assert zipped.status_code == 200
    assert zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "records.jsonl"]
        manifest = json.loads(zf.read("manifest.json"))
        lines = zf.read("records.jsonl").splitlines()
    assert manifest["kind"] == "full"
    assert manifest["rows"] == len(lines) > 0
    with db.read() as s:
        actions = [e.action for e in audit.list_entries(s, SYSTEM, target_type="exchange_package")]
    assert actions == ["exchange.download", "exchange.export"]


def test_a_damaged_package_is_not_downloaded(client: TestClient, settings: Settings) -> None:
    login(client, MANAGER)
    page = client.get("/console/exchange")
    client.post("/console/exchange/export", data={"csrf_token": csrf_of(page.text), "target": "province"})
    page = client.get("/console/exchange")
    package_id = re.search(r'action="/console/exchange/(\d+)/download"', page.text).group(1)  # type: ignore[union-attr]
    [csv_file] = list((settings.data_dir / "exchange" / "province").glob("*/XZCF.csv"))
    csv_file.write_bytes(csv_file.read_bytes() + b"extra,line\r\n")
    r = client.post(f"/console/exchange/{package_id}/download", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 409
    assert "交换包文件缺失或已被改动" in r.text


def test_data_officers_do_not_see_sharing(client: TestClient) -> None:
    login(client, OFFICER)
    assert client.get("/console/exchange").status_code == 403
    assert "共享交换" not in client.get("/console/import").text
    csrf = csrf_of(client.get("/console/import").text)
    r = client.post("/console/exchange/export", data={"csrf_token": csrf, "target": "ministry"})
    assert r.status_code == 403


def test_credit_office_imports_a_receipt_and_sees_what_was_sent_back(
    client: TestClient, db: Database, settings: Settings
) -> None:
    login(client, MANAGER)
    page = client.get("/console/exchange")
    client.post("/console/exchange/export", data={"csrf_token": csrf_of(page.text), "target": "ministry"})
    page = client.get("/console/exchange")
    assert "导入回执" in page.text
    assert "没有待更正的退回记录" in page.text
    package_id = re.search(r'action="/console/exchange/(\d+)/receipt"', page.text).group(1)  # type: ignore[union-attr]
    [records] = list((settings.data_dir / "exchange" / "ministry").glob("*/records.jsonl"))
    sent = [json.loads(x) for x in records.read_text().splitlines()]
    back = sent[0]
    receipt = f"记录编号,处理结果,原因\r\n{back['record_id']},退回,行政相对人名称有误\r\n".encode("gb18030")
    form = {"csrf_token": csrf_of(page.text)}
    r = client.post(
        f"/console/exchange/{package_id}/receipt",
        data=form,
        files={"file": ("回执.csv", receipt, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    done = client.get(r.headers["location"])
    assert f"接收 {len(sent) - 1:,} 条，退回 1 条" in done.text
    assert "行政相对人名称有误" in done.text
    assert back["natural_key"] in done.text
    again = client.post(
        f"/console/exchange/{package_id}/receipt", data=form, files={"file": ("回执.csv", receipt, "text/csv")}
    )
    assert "该回执已导入过" in again.text
    wrong = client.post(
        f"/console/exchange/{package_id}/receipt",
        data=form,
        files={"file": ("回执.csv", "记录编号,处理结果\r\n999999,退回\r\n".encode(), "text/csv")},
    )
    assert wrong.status_code == 409
    assert "已导入回执" in wrong.text
    missing = client.post(
        "/console/exchange/99999/receipt", data=form, files={"file": ("回执.csv", receipt, "text/csv")}
    )
    assert missing.status_code == 404
    assert "未找到该交换包" in missing.text


def test_a_data_officer_cannot_import_receipts(client: TestClient) -> None:
    login(client, OFFICER)
    page = client.get("/console")
    r = client.post(
        "/console/exchange/1/receipt",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": ("r.csv", b"record_id,result\r\n1,ok\r\n", "text/csv")},
    )
    assert r.status_code == 403


def _sent_back(
    db: Database, settings: Settings, mine_reason: str, other_reason: str
) -> tuple[dict[str, object], dict[str, object]]:
    """The ministry's full package, and a receipt sending back one record of the officer's city bureau and one of
    another department (the reasons as CSV cells); returns the two package lines."""
    from transport_credit.exchange import receipts, service

    with db.unit_of_work() as s:
        package = service.export_package(s, SYSTEM, settings, "ministry")
    sent = [json.loads(x) for x in (Path(package.directory) / "records.jsonl").read_text().splitlines()]
    mine = next(x for x in sent if x["department_code"] == CITY_DEPT)
    other = next(x for x in sent if x["department_code"] != CITY_DEPT)
    path = settings.data_dir / "receipt.csv"
    path.write_text(
        f"record_id,result,reason\n{mine['record_id']},rejected,{mine_reason}\n"
        f"{other['record_id']},rejected,{other_reason}\n",
        encoding="utf-8",
    )
    with db.unit_of_work() as s:
        receipts.import_receipt(s, SYSTEM, settings, target="ministry", sequence=1, path=path)
    return mine, other


def test_a_data_officer_sees_the_records_sent_back_to_their_department(
    client: TestClient, db: Database, settings: Settings
) -> None:
    """The 工作台 counts them and links to the list, which shows the department's own records only."""
    mine, other = _sent_back(db, settings, "缺少处罚依据", "其他原因")
    login(client, OFFICER)
    home = client.get("/console")
    assert "被接收平台退回、待更正的记录" in home.text
    assert 'href="/console/exchange/rejections"' in home.text
    listed = client.get("/console/exchange/rejections")
    assert listed.status_code == 200
    assert "缺少处罚依据" in listed.text
    assert mine["natural_key"] in listed.text
    assert "其他原因" not in listed.text
    asked_for_another = client.get("/console/exchange/rejections", params={"department": other["department_code"]})
    assert "其他原因" not in asked_for_another.text
    bad = client.get("/console/exchange/rejections", params={"show": "bogus"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")


def test_the_records_sent_back_as_a_workbook(client: TestClient, db: Database, settings: Settings) -> None:
    """The 通报 to the departments: the list as Excel, a reason that looks like a formula kept as text."""
    from python_calamine import CalamineWorkbook

    from transport_credit.exchange import receipts

    mine, other = _sent_back(db, settings, '"=HYPERLINK(""x"")"', "其他")
    login(client, MANAGER)
    page = client.get("/console/exchange/rejections")
    assert 'id="download-xlsx"' in page.text
    r = client.get("/console/exchange/rejections.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_name("退回记录").to_python()
    assert rows[0] == list(receipts.REJECTION_HEADERS)
    by_key = {row[5]: row for row in rows[1:]}
    assert by_key[mine["natural_key"]][7] == '\'=HYPERLINK("x")'  # text, not a formula
    assert by_key[mine["natural_key"]][8] == "待更正"
    assert set(by_key) == {mine["natural_key"], other["natural_key"]}
    client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
    login(client, OFFICER)  # a data officer's workbook holds their own department's records only
    own = client.get("/console/exchange/rejections.xlsx", params={"department": other["department_code"]})
    own_rows = CalamineWorkbook.from_filelike(io.BytesIO(own.content)).get_sheet_by_name("退回记录").to_python()
    assert [row[5] for row in own_rows[1:]] == [mine["natural_key"]]
