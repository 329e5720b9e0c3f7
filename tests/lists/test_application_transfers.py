"""转办: requests transferred by 信用中国 / 信用交通 registered by the credit office, handled like the website's
applications with deadlines from the day of receipt, and replied to their platform in a GB18030 file; the console
pages; the monthly report's count."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, OFFICER, PERSON_ID, import_table, penalty_row, person_penalty_row, uscc
from sqlalchemy import select

from transport_credit import audit
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, SYSTEM
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.lists import service as lists
from transport_credit.monitoring import service as monitoring
from transport_credit.portal import service as portal
from transport_credit.portal import transfers
from transport_credit.portal.models import PortalApplication
from transport_credit.server import create_app
from transport_credit.settings import Settings

TODAY = lists.today_cst()
PENALTY = penalty_row(
    21, decision_no="豫交执罚〔2026〕转-1号", decision_date=(TODAY - dt.timedelta(days=30)).isoformat()
)
PERSON_PENALTY = person_penalty_row(22, PERSON_ID, decision_no="豫交执罚〔2026〕转-2号")


def _transfer(**overrides: object) -> transfers.TransferInput:
    values: dict[str, object] = {
        "source": "creditchina",
        "source_ref": "XYZG-2026-000123",
        "received_on": TODAY,
        "kind": "objection",
        "subject_code": uscc(21),
        "applicant_name": "赵经理",
        "contact": "13812345678",
        "reason": "处罚决定书记载的车牌号有误，申请更正。",
        "record_key": PENALTY["decision_no"],
    }
    values.update(overrides)
    return transfers.TransferInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def penalties(platform: Database, settings: Settings, tmp_path: Path) -> Database:
    summary = import_table(platform, settings, tmp_path / "p.csv", [PENALTY, PERSON_PENALTY])
    assert summary.accepted + summary.warned == 2, summary
    return platform


def _register(db: Database, settings: Settings, data: transfers.TransferInput, **kw: object) -> PortalApplication:
    with db.unit_of_work() as s:
        app = transfers.register_transfer(s, OFFICE, settings, data, **kw)  # type: ignore[arg-type]
        s.flush()
        s.expunge(app)
        return app


def test_the_sources_are_data_named_for_the_province(settings: Settings) -> None:
    sources = transfers.transfer_sources(settings.province)
    assert [s.name for s in sources.values()] == ["信用中国", "信用中国（河南）", "信用交通"]
    assert transfers.transfer_sources("ningxia")["creditchina_local"].name == "信用中国（宁夏）"
    assert transfers.source_name(settings.province, None) == "本网站"


def test_a_transfer_is_an_application_due_from_the_day_it_was_received(penalties: Database, settings: Settings) -> None:
    """Received on the day before the National Day holiday, registered later: acceptance is due two working
    days after the holiday, as for an application made on the website that day."""
    app = _register(penalties, settings, _transfer(received_on=dt.date(2026, 9, 30)), today=dt.date(2026, 10, 9))
    assert (app.channel, app.source, app.source_ref, app.received_on) == (
        "transfer",
        "creditchina",
        "XYZG-2026-000123",
        dt.date(2026, 9, 30),
    )
    assert app.accept_due == dt.date(2026, 10, 9)
    assert (app.kind, app.status, app.record_title, app.record_category) == (
        "objection",
        "received",
        PENALTY["decision_no"],
        "XZCF",
    )
    assert app.contact_masked == "138****5678"
    with penalties.read() as s:
        [entry] = audit.list_entries(s, OFFICE, target_type="portal_application", target_id=app.tracking_no)
        assert entry.action == "portal.application.transfer"
        assert entry.details["source_ref"] == "XYZG-2026-000123"
        assert "13812345678" not in str(entry.details)
        assert "赵经理" not in str(entry.details)
    # acceptance: the decision is due in working days, under the rules in force on the day of receipt
    with penalties.unit_of_work() as s:
        accepted = portal.accept_application(s, OFFICE, settings, app.id)
        assert accepted.verify_department == "410000-zfj"  # the objection goes to the providing unit as usual
        assert accepted.rules_version == "2026-04"


def test_a_person_by_id_number_and_a_whole_subject(penalties: Database, settings: Settings) -> None:
    app = _register(
        penalties,
        settings,
        _transfer(source="transport_credit", source_ref="JT-9", kind="repair", subject_code=PERSON_ID, record_key=""),
    )
    assert (app.record_id, app.kind) == (None, "repair")
    with penalties.read() as s:
        person = portal.application_detail(s, OFFICE, app.id)
        assert person.subject_id is not None


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"source": "weibo"}, InvalidInput, "invalid_transfer"),
        ({"source_ref": " "}, InvalidInput, "invalid_transfer"),
        ({"source_ref": "X" * 65}, InvalidInput, "invalid_transfer"),
        ({"received_on": TODAY + dt.timedelta(days=1)}, InvalidInput, "invalid_transfer"),
        ({"received_on": TODAY - dt.timedelta(days=400)}, InvalidInput, "invalid_transfer"),
        ({"contact": "12345"}, InvalidInput, "invalid_transfer"),
        ({"reason": "短"}, InvalidInput, "invalid_transfer"),
        ({"subject_code": uscc(99)}, NotFound, "subject_not_found"),
        ({"record_key": "豫交执罚〔2026〕不存在号"}, NotFound, "record_not_found"),
    ],
)
def test_a_wrong_transfer_is_refused_clearly(
    penalties: Database, settings: Settings, overrides: dict[str, object], error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as refused, penalties.unit_of_work() as s:
        transfers.register_transfer(s, OFFICE, settings, _transfer(**overrides))
    assert refused.value.code == code  # type: ignore[attr-defined]
    with penalties.read() as s:
        assert s.scalar(select(PortalApplication.id)) is None  # nothing half-registered


def test_one_registration_per_transfer_and_the_credit_office_only(penalties: Database, settings: Settings) -> None:
    first = _register(penalties, settings, _transfer())
    with pytest.raises(Conflict) as twice, penalties.unit_of_work() as s:
        transfers.register_transfer(s, OFFICE, settings, _transfer(reason="重复转办的同一申请，请核对。"))
    assert twice.value.code == "transfer_registered"
    assert first.tracking_no in twice.value.message
    _register(penalties, settings, _transfer(source="creditchina_local"))  # the same number from another platform
    with pytest.raises(PermissionDenied), penalties.unit_of_work() as s:
        transfers.register_transfer(s, OFFICER, settings, _transfer(source_ref="OTHER-1"))


def test_replies_go_back_to_each_platform_once(penalties: Database, settings: Settings) -> None:
    decided = _register(penalties, settings, _transfer())
    refused = _register(penalties, settings, _transfer(source_ref="XYZG-2026-000124", record_key=""))
    open_one = _register(penalties, settings, _transfer(source_ref="XYZG-2026-000125"))
    other = _register(penalties, settings, _transfer(source="transport_credit", source_ref="JT-1"))
    with penalties.unit_of_work() as s:
        portal.accept_application(s, OFFICE, settings, decided.id)
        app = s.get(PortalApplication, decided.id)
        assert app is not None
        app.verification = "accurate"  # the providing unit confirmed the record
        portal.decide_application(
            s, OFFICE, settings, decided.id, outcome="dismissed", reply="经核实，信息准确，维持原信息。"
        )
        portal.refuse_application(s, OFFICE, settings, refused.id, reply="转办材料不全，不予受理，请补充后重新申请。")
        portal.refuse_application(s, OFFICE, settings, other.id, reply="非本部门职责范围，不予受理。")
    with penalties.read() as s:
        assert transfers.awaiting_reply(s, OFFICE) == {"creditchina": 2, "transport_credit": 1}
    with penalties.unit_of_work() as s:
        reply = transfers.export_replies(s, OFFICE, settings, "creditchina")
    assert reply.count == 2
    rows = list(csv.reader(io.StringIO(reply.body.decode("gb18030"))))
    assert tuple(rows[0]) == transfers.REPLY_HEADERS
    by_ref = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_ref) == {"XYZG-2026-000123", "XYZG-2026-000124"}  # not the one still open, nor the other platform's
    answered = by_ref["XYZG-2026-000123"]
    assert answered["来源平台"] == "信用中国"
    assert answered["办理结果"] == "异议不成立，维持原信息"
    assert answered["答复意见"] == "经核实，信息准确，维持原信息。"
    assert answered["统一社会信用代码"] == uscc(21)
    assert answered["涉及信息"] == PENALTY["decision_no"]
    assert answered["办结日期"] == TODAY.isoformat()
    assert by_ref["XYZG-2026-000124"]["涉及信息"] == "（主体整体）"
    with penalties.unit_of_work() as s:
        assert transfers.export_replies(s, OFFICE, settings, "creditchina").count == 0  # replied once
        again = transfers.export_replies(s, OFFICE, settings, "creditchina", again=True)
        assert again.count == 2
        assert transfers.awaiting_reply(s, OFFICE) == {"transport_credit": 1}
        replied = s.get(PortalApplication, decided.id)
        assert replied is not None
        assert replied.replied_at is not None
        assert replied.replied_by == OFFICE.label
        still_open = s.get(PortalApplication, open_one.id)
        assert still_open is not None
        assert still_open.replied_at is None
        with pytest.raises(NotFound):
            transfers.export_replies(s, OFFICE, settings, "nowhere")
        with pytest.raises(PermissionDenied):
            transfers.export_replies(s, OFFICER, settings, "creditchina")
    with penalties.read() as s:
        report = monitoring.monthly_report(s, OFFICE, settings, f"{TODAY:%Y-%m}")
    assert (report.applications.received, report.applications.transferred) == (4, 4)


def test_console_registration_inbox_and_reply(penalties: Database, settings: Settings, cheap_hashing: None) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from console_kit import CREDIT_OFFICE, MANAGER, PASSWORD, csrf_of, login

    with penalties.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    with TestClient(create_app(settings, penalties), base_url="http://testserver") as client:
        login(client, MANAGER)
        inbox = client.get("/console/portal/applications")
        assert 'id="register-transfer"' in inbox.text
        form = client.get("/console/portal/applications/transfer")
        assert form.status_code == 200
        assert "信用中国（河南）" in form.text
        fields = {
            "csrf_token": csrf_of(form.text),
            "source": "creditchina",
            "source_ref": "XYZG-2026-000777",
            "received_on": TODAY.isoformat(),
            "kind": "objection",
            "subject_code": uscc(21).lower(),  # typed in lower case
            "record_key": PENALTY["decision_no"],
            "applicant_name": "赵经理",
            "contact": "13812345678",
            "reason": "处罚决定书记载的车牌号有误，申请更正。",
        }
        bad = client.post("/console/portal/applications/transfer", data={**fields, "received_on": "2026-02-30"})
        assert bad.status_code == 422
        assert "收到日期格式应为" in bad.text
        assert 'value="XYZG-2026-000777"' in bad.text  # what was typed is kept
        done = client.post("/console/portal/applications/transfer", data=fields, follow_redirects=False)
        assert done.status_code == 303
        detail = client.get(done.headers["location"])
        assert 'id="registered"' in detail.text
        assert "信用中国转办（转办单号 XYZG-2026-000777" in detail.text
        assert "办结后回复" in detail.text
        again = client.post("/console/portal/applications/transfer", data=fields)
        assert again.status_code == 409
        assert "该转办单已登记" in again.text
        listed = client.get("/console/portal/applications")
        assert "信用中国转办" in listed.text
        assert 'id="transfer-replies"' not in listed.text  # nothing decided yet
        app_id = int(done.headers["location"].split("/")[-1].split("?")[0])
        page = client.get(f"/console/portal/applications/{app_id}")
        refused = client.post(
            f"/console/portal/applications/{app_id}/refuse",
            data={"csrf_token": csrf_of(page.text), "reply": "转办材料不全，不予受理，请补充后重新申请。"},
            follow_redirects=False,
        )
        assert refused.status_code == 303
        listed = client.get("/console/portal/applications")
        assert 'id="transfer-replies"' in listed.text
        reply = client.post("/console/portal/transfers/creditchina/reply", data={"csrf_token": csrf_of(listed.text)})
        assert reply.headers["content-type"].startswith("text/csv")
        assert "XYZG-2026-000777" in reply.content.decode("gb18030")
        assert 'id="transfer-replies"' not in client.get("/console/portal/applications").text
        assert "已回复" in client.get(f"/console/portal/applications/{app_id}").text


def test_command_line_replies(penalties: Database, settings: Settings, tmp_path: Path, cli_env: Path) -> None:
    import json

    from typer.testing import CliRunner

    from transport_credit.cli.main import app as cli

    app = _register(penalties, settings, _transfer(source="transport_credit", source_ref="JT-7"))
    with penalties.unit_of_work() as s:
        portal.refuse_application(s, OFFICE, settings, app.id, reply="非本部门职责范围，不予受理。")
    runner = CliRunner()
    listed = runner.invoke(cli, ["applications", "transfer-replies", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == {"transport_credit": 1}
    out_file = tmp_path / "reply.csv"
    done = runner.invoke(cli, ["applications", "transfer-reply", "transport_credit", "--out", str(out_file)])
    assert done.exit_code == 0, done.output
    assert "已导出 1 件" in done.stdout
    assert "JT-7" in out_file.read_bytes().decode("gb18030")
    assert json.loads(runner.invoke(cli, ["applications", "transfer-replies", "--json"]).stdout) == {}
    unknown = runner.invoke(cli, ["applications", "transfer-reply", "nowhere", "--out", str(out_file)])
    assert unknown.exit_code == 1
    assert "没有该转办来源平台" in unknown.output


def test_a_connector_does_it_over_the_api(penalties: Database, settings: Settings) -> None:
    """The connector to 信用中国 registers transfers, reads their state, fetches the replies waiting and
    acknowledges those it delivered; a key without the transfer scope is refused."""
    with penalties.unit_of_work() as s:
        _, key = auth.create_api_client(s, SYSTEM, "信用中国转办对接", "410000-fgc", [], ["applications:transfer"])
        _, other_key = auth.create_api_client(s, SYSTEM, "审批系统", "410000-ysj", [], ["credit:check"])
    body = {
        "source": "creditchina",
        "source_ref": "XYZG/2026/9",  # a slash: the number travels as a query parameter
        "received_on": TODAY.isoformat(),
        "kind": "objection",
        "subject_code": uscc(21),
        "applicant_name": "赵经理",
        "contact": "13812345678",
        "reason": "处罚决定书记载的车牌号有误，申请更正。",
        "record_key": PENALTY["decision_no"],
    }
    with TestClient(create_app(settings, penalties), base_url="http://testserver") as client:
        headers = {"X-API-Key": key}
        made = client.post("/api/v1/transfers", json=body, headers=headers)
        assert made.status_code == 201, made.text
        out = made.json()
        assert (out["status"], out["closed"], out["source_name"], out["record_title"]) == (
            "received",
            False,
            "信用中国",
            PENALTY["decision_no"],
        )
        again = client.post("/api/v1/transfers", json=body, headers=headers)
        assert again.status_code == 409
        assert again.json()["details"]["tracking_no"] == out["tracking_no"]
        refused = client.post("/api/v1/transfers", json=body, headers={"X-API-Key": other_key})
        assert refused.status_code == 403
        bad = client.post("/api/v1/transfers", json={**body, "source_ref": "x2", "contact": "12"}, headers=headers)
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_transfer"
        assert "contact" in bad.json()["details"]
        params = {"source": "creditchina", "source_ref": "XYZG/2026/9"}
        assert (
            client.get("/api/v1/transfers", params=params, headers=headers).json()["tracking_no"] == out["tracking_no"]
        )
        missing = client.get("/api/v1/transfers", params={**params, "source_ref": "nope"}, headers=headers)
        assert missing.status_code == 404
        assert client.get("/api/v1/transfers/replies", params={"source": "creditchina"}, headers=headers).json() == []
        with penalties.unit_of_work() as s:  # the credit office refuses it on the console
            app_id = s.scalar(select(PortalApplication.id).where(PortalApplication.tracking_no == out["tracking_no"]))
            assert app_id is not None
            portal.refuse_application(s, OFFICE, settings, app_id, reply="转办材料不全，不予受理，请补充后重新申请。")
        waiting = client.get("/api/v1/transfers/replies", params={"source": "creditchina"}, headers=headers).json()
        assert [(w["tracking_no"], w["closed"], w["reply"]) for w in waiting] == [
            (out["tracking_no"], True, "转办材料不全，不予受理，请补充后重新申请。")
        ]
        wrong = client.post(
            "/api/v1/transfers/replies/ack",
            json={"source": "creditchina", "tracking_nos": [out["tracking_no"], "NOPE-1"]},
            headers=headers,
        )
        assert wrong.status_code == 422
        assert wrong.json()["details"]["tracking_nos"] == ["NOPE-1"]
        ack = {"source": "creditchina", "tracking_nos": [out["tracking_no"]]}
        done = client.post("/api/v1/transfers/replies/ack", json=ack, headers=headers)
        assert done.json() == {"acknowledged": [out["tracking_no"]]}
        assert client.post("/api/v1/transfers/replies/ack", json=ack, headers=headers).json() == {"acknowledged": []}
        assert client.get("/api/v1/transfers/replies", params={"source": "creditchina"}, headers=headers).json() == []
        state = client.get("/api/v1/transfers", params=params, headers=headers).json()
        assert state["replied_at"] is not None
    with penalties.read() as s:
        assert transfers.awaiting_reply(s, OFFICE) == {}
        [entry] = audit.list_entries(s, OFFICE, action="portal.transfer.reply")
        assert entry.actor.startswith("信用中国转办对接")
        assert entry.details["applications"] == [out["tracking_no"]]
