"""信用修复告知书 ("两书同达") on the real database: the notice of a penalty collected through the import pipeline
(its publicity window and the day repair opens as the rule set gives them), of its current revision, refused for
other categories and for a record no longer in force; who may have it (the credit office, the reporting unit);
the API for the penalty system, the console's download and the CLI."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, OFFICER, VIEWER, import_table, penalty_row, uscc
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CREDIT_OFFICE, MANAGER, PASSWORD, login

from transport_credit.auth import service as auth
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.cli.main import app as cli
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.lists import service as lists
from transport_credit.portal import repair_notice as notices
from transport_credit.portal import service as portal
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status
from transport_credit.server import create_app
from transport_credit.settings import Settings, get_settings

TODAY = lists.today_cst()
DECIDED = TODAY - dt.timedelta(days=10)
NO = "豫交执罚〔2026〕告知-1号"
CITY_OFFICER = Actor("郑州报送员", "account", department_code="410100-jtj", roles=frozenset({ROLE_DATA_OFFICER}))


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def penalty(platform: Database, settings: Settings, tmp_path: Path) -> CreditRecord:
    row = penalty_row(31, decision_no=NO, decision_date=DECIDED.strftime("%Y/%m/%d"))
    summary = import_table(platform, settings, tmp_path / "penalty.csv", [row])
    assert summary.accepted + summary.warned == 1, summary
    with platform.read() as s:
        record = s.scalar(select(CreditRecord).where(CreditRecord.natural_key == NO, CreditRecord.is_current))
        assert record is not None
        s.expunge(record)
        return record


def test_the_notice_tells_the_publicity_window_and_the_day_repair_opens(
    platform: Database, settings: Settings, penalty: CreditRecord
) -> None:
    with platform.read() as s:
        notice = notices.notice_for_key(
            s, OFFICE, settings, "XZCF", NO, base_url="https://xy.example.gov.cn/", today=TODAY
        )
        opens = portal.repair_opens_on(s, penalty.id)
    assert opens is not None
    assert opens > DECIDED  # a minimum period
    assert penalty.publicity_start is not None
    assert penalty.publicity_end is not None
    assert notice.repair_opens_on == opens
    assert notice.apply_url == f"https://xy.example.gov.cn/apply?record={penalty.id}&kind=repair"
    text = notice.text
    assert text.startswith("信用修复告知书\n")
    assert f"郑州顺达31号物流有限公司（统一社会信用代码/证件号码：{uscc(31)}）" in text
    assert f"河南省交通运输厅执法局于 {_cn(DECIDED)} 对你（单位）作出的行政处罚决定（{NO}）" in text
    assert f"公示期自 {_cn(penalty.publicity_start)} 起至 {_cn(penalty.publicity_end)} 止" in text
    assert f"最短公示期至 {_cn(opens)} 届满" in text
    assert "“信用交通·河南”（https://xy.example.gov.cn/apply?" in text
    assert "$" not in text  # every placeholder filled
    assert text.rstrip().endswith(_cn(TODAY))
    assert notice.template_version == notices.repair_notice_template("henan").version
    body = notices.notice_file(notice)
    assert body.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in body
    assert b"\n" not in body.replace(b"\r\n", b"")


def test_the_notice_follows_the_current_revision_and_is_refused_when_there_is_nothing_to_repair(
    platform: Database, settings: Settings, penalty: CreditRecord, tmp_path: Path
) -> None:
    corrected = penalty_row(31, decision_no=NO, decision_date=DECIDED.strftime("%Y/%m/%d"), fine_amount="0.3")
    import_table(platform, settings, tmp_path / "corrected.csv", [corrected])
    with platform.read() as s:
        current = s.scalar(select(CreditRecord).where(CreditRecord.natural_key == NO, CreditRecord.is_current))
        assert current is not None
        assert current.revision == 2
        assert notices.repair_notice(s, settings, penalty.id).record_id == current.id  # asked by the old id
        current_id = current.id
    with platform.unit_of_work() as s:
        change_status(s, OFFICE, record_id=current_id, status="revoked", note="处罚决定已被撤销")
    with platform.read() as s, pytest.raises(InvalidInput) as gone:
        notices.notice_for_key(s, OFFICE, settings, "XZCF", NO)
    assert gone.value.code == "record_not_active"
    with platform.read() as s:
        with pytest.raises(NotFound):
            notices.notice_for_key(s, OFFICE, settings, "XZCF", "豫交执罚〔2026〕不存在号")
        with pytest.raises(NotFound):
            notices.repair_notice(s, settings, 999_999)


def test_only_penalties_have_a_notice(platform: Database, settings: Settings, penalty: CreditRecord) -> None:
    with platform.unit_of_work() as s:
        record = s.get(CreditRecord, penalty.id)
        assert record is not None
        record.category = "XZXK"  # the same row as a licence
    with platform.read() as s, pytest.raises(InvalidInput) as err:
        notices.repair_notice(s, settings, penalty.id)
    assert err.value.code == "repair_notice_not_applicable"


def test_the_credit_office_and_the_reporting_unit_may_have_it(
    platform: Database, settings: Settings, penalty: CreditRecord
) -> None:
    with platform.read() as s:
        assert notices.notice_for_key(s, OFFICER, settings, "XZCF", NO).record_id == penalty.id  # 执法局 reported it
        for actor, code in ((CITY_OFFICER, "not_own_record"), (VIEWER, "role_required")):
            with pytest.raises(PermissionDenied) as err:
                notices.notice_for_key(s, actor, settings, "XZCF", NO)
            assert err.value.code == code


def test_the_penalty_system_fetches_it_with_its_decision(
    platform: Database, settings: Settings, penalty: CreditRecord
) -> None:
    with platform.unit_of_work() as s:
        _, own = auth.create_api_client(s, SYSTEM, "执法系统", penalty.department_code, ["XZCF"], [SCOPE_SUBMIT])
        _, other = auth.create_api_client(s, SYSTEM, "郑州系统", "410100-jtj", ["XZCF"], [SCOPE_SUBMIT])
        _, reader = auth.create_api_client(s, SYSTEM, "查询系统", penalty.department_code, [], [SCOPE_READ])
    client = TestClient(create_app(settings, platform))
    path = f"/api/v1/records/XZCF/{NO}/repair-notice"
    ok = client.get(path, headers={"X-API-Key": own})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["decision_no"] == NO
    assert body["record_id"] == penalty.id
    assert body["text"].startswith("信用修复告知书")
    assert dt.date.fromisoformat(body["repair_opens_on"]) > DECIDED
    assert client.get(path, headers={"X-API-Key": other}).json()["code"] == "not_own_record"
    assert client.get(path, headers={"X-API-Key": reader}).json()["code"] == "scope_required"
    assert client.get(path.replace("告知-1", "不存在"), headers={"X-API-Key": own}).status_code == 404
    assert client.get(f"/api/v1/records/行政处罚/{NO}/repair-notice", headers={"X-API-Key": own}).status_code == 200


def test_the_console_offers_it_on_the_record_page_and_the_cli_prints_it(
    platform: Database,
    settings: Settings,
    penalty: CreditRecord,
    monkeypatch: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    with platform.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    client = TestClient(create_app(settings, platform))
    login(client, MANAGER)
    page = client.get("/console/records", params={"category": "XZCF", "key": NO})
    assert page.status_code == 200
    assert 'id="repair-notice"' in page.text
    download = client.get("/console/records/repair-notice", params={"category": "XZCF", "key": NO})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="repair-notice-{penalty.id}.txt"'
    assert download.content.decode("utf-8-sig").startswith("信用修复告知书\r\n")
    assert "http://testserver/apply?record=" in download.content.decode("utf-8-sig")  # the request's address
    for name, value in {
        "TRANSPORT_CREDIT_DATABASE_URL": settings.effective_database_url,
        "TRANSPORT_CREDIT_DATA_DIR": str(settings.data_dir),
        "TRANSPORT_CREDIT_PII_KEY": settings.pii_key.get_secret_value(),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # the CLI reads the environment again (and the next test after this one)
    request.addfinalizer(get_settings.cache_clear)
    runner = CliRunner()
    printed = runner.invoke(cli, ["applications", "repair-notice", NO])
    assert printed.exit_code == 0, printed.output
    assert NO in printed.output
    assert "可以申请信用修复" in printed.output
    target = tmp_path / "告知书.txt"
    written = runner.invoke(cli, ["applications", "repair-notice", NO, "--out", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    unknown = runner.invoke(cli, ["applications", "repair-notice", "豫交执罚〔2026〕不存在号"])
    assert unknown.exit_code != 0
    assert "未找到该记录" in unknown.output
