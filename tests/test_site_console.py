"""Console pages of the website (信用办): content management and the application inbox."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from portal_kit import LUOYANG_DEPT, PHONE, Seeded, minimum_period_passed, seed_portal
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings

sys.path.insert(0, str(Path(__file__).parent / "web"))
from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, csrf_of, login


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Cheap argon2 parameters for the accounts created here."""


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    seeded = seed_portal(db, settings)
    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    return seeded


@pytest.fixture
def client(seeded: Seeded, db: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def test_credit_office_publishes_a_policy_document(client: TestClient) -> None:
    login(client, MANAGER)
    page = client.get("/console/portal/content")
    assert page.status_code == 200
    assert "门户内容" in page.text
    csrf = csrf_of(page.text)
    bad = client.post("/console/portal/content", data={"csrf_token": csrf, "kind": "policy", "title": "x", "body": ""})
    assert bad.status_code == 422
    assert "标题应为" in bad.text
    r = client.post(
        "/console/portal/content",
        data={
            "csrf_token": csrf,
            "kind": "policy",
            "title": "河南省交通运输信用修复管理办法",
            "doc_no": "豫交文〔2026〕12号",
            "issuer": "河南省交通运输厅",
            "body": "第一条 为规范信用修复工作……\n第二条 本办法适用于……",
            "action": "publish",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    public = client.get("/policies").text
    assert "河南省交通运输信用修复管理办法" in public
    item_id = int(re.search(r'href="/content/(\d+)"', public).group(1))  # type: ignore[union-attr]
    assert "第二条 本办法适用于" in client.get(f"/content/{item_id}").text
    page = client.get("/console/portal/content")
    r = client.post(
        f"/console/portal/content/{item_id}",
        data={"csrf_token": csrf_of(page.text), "action": "withdrawn"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(f"/content/{item_id}").status_code == 404


def test_csrf_is_required(client: TestClient) -> None:
    login(client, MANAGER)
    r = client.post("/console/portal/content", data={"kind": "notice", "title": "通知标题", "body": "正文"})
    assert r.status_code == 403


def test_applications_appear_in_the_inbox(client: TestClient, seeded: Seeded) -> None:
    r = client.post(
        "/apply",
        data={
            "kind": "objection",
            "subject_id": str(seeded.org),
            "record_id": str(seeded.records["penalty"]),
            "applicant_name": "赵经理",
            "contact": PHONE,
            "reason": "处罚决定书中的车辆号牌有误，申请更正。",
        },
    )
    tracking = re.search(r'id="tracking-no" class="mono">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    login(client, MANAGER)
    inbox = client.get("/console/portal/applications")
    assert tracking in inbox.text
    assert PHONE not in inbox.text
    assert "138****5678" in inbox.text
    app_id = int(re.search(r'href="/console/portal/applications/(\d+)"', inbox.text).group(1))  # type: ignore[union-attr]
    detail = client.get(f"/console/portal/applications/{app_id}")
    assert "车辆号牌有误" in detail.text
    assert PHONE not in detail.text
    shown = client.post(f"/console/portal/applications/{app_id}/contact", data={"csrf_token": csrf_of(detail.text)})
    assert PHONE in shown.text  # the credit office may call back; the view is audited


def test_data_officers_cannot_manage_the_site(client: TestClient) -> None:
    login(client, OFFICER)
    assert client.get("/console/portal/applications").status_code == 403
    assert client.get("/console/portal/content").status_code == 403
    assert "门户内容" not in client.get("/console/import").text


def _submit(client: TestClient, seeded: Seeded, kind: str, record: str) -> str:
    r = client.post(
        "/apply",
        data={
            "kind": kind,
            "subject_id": str(seeded.org),
            "record_id": str(seeded.records[record]),
            "applicant_name": "赵经理",
            "contact": PHONE,
            "reason": "已缴清罚款并完成整改，申请停止公示该处罚信息。",
        },
    )
    assert r.status_code == 200, r.text
    return re.search(r'id="tracking-no" class="mono">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]


def _application_id(client: TestClient, tracking: str, view: str = "open") -> int:
    inbox = client.get("/console/portal/applications", params={"view": view})
    row = re.search(rf'href="/console/portal/applications/(\d+)">{tracking}<', inbox.text)
    assert row, f"{tracking} not in the {view} view"
    return int(row.group(1))


def test_credit_office_repairs_a_penalty_and_the_applicant_reads_the_reply(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    tracking = _submit(client, seeded, "repair", "penalty")
    assert client.get(f"/records/{seeded.records['penalty']}").status_code == 200
    login(client, MANAGER)
    app_id = _application_id(client, tracking)
    detail = client.get(f"/console/portal/applications/{app_id}")
    assert "已提交，待受理" in detail.text
    r = client.post(
        f"/console/portal/applications/{app_id}/accept",
        data={"csrf_token": csrf_of(detail.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = client.get(r.headers["location"])
    assert "已受理，办理中" in detail.text
    assert 'id="decide-form"' in detail.text
    reply = "经核实，申请人已缴清罚款并作出信用承诺，准予修复，该信息停止公示。"
    decided_three_days_ago = {
        "csrf_token": csrf_of(detail.text),
        "outcome": "repaired",
        "reply": reply,
        "obligations_met": "1",
        "commitment_made": "1",
    }
    early = client.post(f"/console/portal/applications/{app_id}/decide", data=decided_three_days_ago)
    assert early.status_code == 422
    assert "最短公示期至" in early.text  # a general penalty: three months first
    minimum_period_passed(db, seeded.records["penalty"])
    # The conditions are not confirmed: the page comes back with the message and the reply as typed.
    refused = client.post(
        f"/console/portal/applications/{app_id}/decide",
        data={"csrf_token": csrf_of(detail.text), "outcome": "repaired", "reply": reply, "commitment_made": "1"},
    )
    assert refused.status_code == 422
    assert "已履行行政处罚等法定义务" in refused.text
    assert reply in refused.text
    assert 'value="repaired" id="outcome-repaired" required checked' in refused.text
    done = client.post(
        f"/console/portal/applications/{app_id}/decide",
        data={
            "csrf_token": csrf_of(refused.text),
            "outcome": "repaired",
            "reply": reply,
            "obligations_met": "1",
            "commitment_made": "1",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    result = client.get(done.headers["location"])
    assert "准予修复，已停止公示" in result.text
    assert reply in result.text
    assert 'id="result-record"' in result.text
    for step in ("受理", "办结"):
        assert f"<td>{step}</td>" in result.text
    assert app_id == _application_id(client, tracking, view="closed")
    # The public side: the record is no longer published; the applicant reads the outcome and the reply.
    assert client.get(f"/records/{seeded.records['penalty']}").status_code == 404
    status = client.get("/apply/status", params={"no": tracking})
    assert "准予修复，已停止公示" in status.text
    assert reply in status.text
    assert "赵经理" not in status.text
    assert PHONE not in status.text


def test_refusal_reason_reaches_the_applicant(client: TestClient, seeded: Seeded) -> None:
    tracking = _submit(client, seeded, "objection", "penalty")
    login(client, MANAGER)
    app_id = _application_id(client, tracking)
    detail = client.get(f"/console/portal/applications/{app_id}")
    empty = client.post(
        f"/console/portal/applications/{app_id}/refuse", data={"csrf_token": csrf_of(detail.text), "reply": ""}
    )
    assert empty.status_code == 422
    assert "请填写答复意见" in empty.text
    reason = "申请未说明有误的具体事项，请补充后重新提交。"
    r = client.post(
        f"/console/portal/applications/{app_id}/refuse",
        data={"csrf_token": csrf_of(detail.text), "reply": reason},
        follow_redirects=False,
    )
    assert r.status_code == 303
    again = client.post(f"/console/portal/applications/{app_id}/accept", data={"csrf_token": csrf_of(detail.text)})
    assert again.status_code == 409  # already refused
    assert "不能受理" in again.text
    status = client.get("/apply/status", params={"no": tracking}).text
    assert "不予受理" in status
    assert reason in status
    assert client.get(f"/records/{seeded.records['penalty']}").status_code == 200  # nothing changed


def test_handling_steps_need_the_credit_office(client: TestClient, seeded: Seeded) -> None:
    tracking = _submit(client, seeded, "objection", "penalty")
    login(client, MANAGER)
    app_id = _application_id(client, tracking)
    client.post("/console/logout", data={"csrf_token": csrf_of(client.get("/console/portal/applications").text)})
    login(client, OFFICER)
    csrf = csrf_of(client.get("/console/import").text)
    r = client.post(f"/console/portal/applications/{app_id}/accept", data={"csrf_token": csrf})
    assert r.status_code == 403
    assert client.post(f"/console/portal/applications/{app_id}/nonsense", data={"csrf_token": csrf}).status_code == 422


def _open_data_disputed(client: TestClient) -> tuple[list[str], list[str]]:
    """The document numbers marked 异议处理中 in the site's CSV download and in the public API's JSON export."""
    import csv
    import io

    body = client.get("/disclosures.csv", params={"kind": "XZCF"})
    assert body.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert rows
    assert {r["异议处理中"] for r in rows} <= {"是", "否"}
    exported = client.get("/api/v1/public/export", params={"category": "XZCF", "format": "json"}).json()["items"]
    assert len(exported) == len(rows)
    return (
        [r["文书编号"] for r in rows if r["异议处理中"] == "是"],
        [i["文书编号"] for i in exported if i["异议处理中"] == "是"],
    )


def _logout(client: TestClient) -> None:
    client.post("/console/logout", data={"csrf_token": csrf_of(client.get("/console/import").text)})


def test_the_providing_unit_verifies_an_objection_in_the_console(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    """信息提供单位核实: the credit office accepts, the unit that reported the record (Luoyang) answers on its 异议核实
    page, another unit (Zhengzhou) sees nothing of it, and the decision follows the finding."""
    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "luoyang", "洛阳报送员", PASSWORD, LUOYANG_DEPT, [ROLE_DATA_OFFICER])
    tracking = _submit(client, seeded, "objection", "penalty")
    record_page, subject_page = f"/records/{seeded.records['penalty']}", f"/subjects/{seeded.org}"
    assert 'id="disputed"' not in client.get(record_page).text  # submitted is not yet 异议处理中
    api_record = f"/api/v1/public/records/{seeded.records['penalty']}"
    assert client.get(api_record).json()["under_objection"] is False
    assert _open_data_disputed(client) == ([], [])
    login(client, MANAGER)
    app_id = _application_id(client, tracking)
    detail = client.get(f"/console/portal/applications/{app_id}")
    client.post(f"/console/portal/applications/{app_id}/accept", data={"csrf_token": csrf_of(detail.text)})
    detail = client.get(f"/console/portal/applications/{app_id}")
    assert 'id="verification-pending"' in detail.text
    assert "待信息提供单位核实" in client.get("/console/portal/applications").text  # the inbox says what it waits for
    credit_file = client.get(f"/console/subjects/{seeded.org}").text  # the officials' credit file
    assert credit_file.count('class="pill pill-warn disputed"') == 1
    assert tracking in credit_file.split('id="applications"')[1]  # with the subject's applications
    # Accepted: the public pages mark the record as disputed (the subject's page: that record only).
    assert 'id="disputed"' in client.get(record_page).text
    subject_html = client.get(subject_page).text
    assert subject_html.count("异议处理中</span>") == 1
    assert re.search(
        rf'/records/{seeded.records["penalty"]}">[^<]+</a> <span class="pill pill-warn disputed"', subject_html
    )
    # … and so do the open-data downloads (the site's CSV, the API's JSON): that record only
    title = client.get(api_record).json()["title"]
    assert _open_data_disputed(client) == ([title], [title])
    assert "洛阳市交通运输局" in detail.text  # sent to the record's unit, by name
    early = client.post(
        f"/console/portal/applications/{app_id}/decide",
        data={"csrf_token": csrf_of(detail.text), "outcome": "dismissed", "reply": "经核实，维持原信息。"},
    )
    assert early.status_code == 422
    assert "尚未反馈核实意见" in early.text
    _logout(client)

    login(client, OFFICER)  # Zhengzhou: not its record
    other_file = client.get(f"/console/subjects/{seeded.org}").text
    assert "异议处理中" in other_file  # the mark is for every official reading the file
    assert 'id="applications"' not in other_file  # the applications are the credit office's
    mine = client.get("/console/portal/verifications")
    assert "异议核实" in mine.text  # in the navigation
    assert tracking not in mine.text
    assert client.get(f"/console/portal/verifications/{app_id}").status_code == 404
    _logout(client)

    login(client, "luoyang")
    queue = client.get("/console/portal/verifications")
    assert tracking in queue.text
    page = client.get(f"/console/portal/verifications/{app_id}")
    assert page.status_code == 200
    assert "已缴清罚款并完成整改" in page.text  # the applicant's statement
    assert "赵**" in page.text
    assert "赵经理" not in page.text
    assert PHONE not in page.text
    assert PHONE[-4:] not in page.text  # not even the masked contact
    empty = client.post(
        f"/console/portal/verifications/{app_id}",
        data={"csrf_token": csrf_of(page.text), "finding": "accurate", "note": ""},
    )
    assert empty.status_code == 422
    assert "请填写核实说明" in empty.text
    assert 'value="accurate" id="finding-accurate" required checked' in empty.text
    note = "经调取执法记录核对，处罚决定书记载无误。"
    done = client.post(
        f"/console/portal/verifications/{app_id}",
        data={"csrf_token": csrf_of(page.text), "finding": "accurate", "note": note},
        follow_redirects=False,
    )
    assert done.status_code == 303
    answered = client.get(done.headers["location"])
    assert "经核实，信息准确无误" in answered.text
    assert note in answered.text
    assert 'id="verify-form"' not in answered.text  # once only
    assert tracking not in client.get("/console/portal/verifications").text  # off the open queue
    assert tracking in client.get("/console/portal/verifications", params={"view": "done"}).text
    _logout(client)

    assert "信息提供单位已完成核实，待答复" in client.get("/apply/status", params={"no": tracking}).text
    login(client, MANAGER)
    detail = client.get(f"/console/portal/applications/{app_id}")
    assert note in detail.text
    assert "信息提供单位反馈核实意见" in detail.text  # in the handling trail
    assert 'id="outcome-dismissed"' in detail.text
    assert 'id="outcome-revoked"' not in detail.text  # the finding leaves only what follows from it
    decided = client.post(
        f"/console/portal/applications/{app_id}/decide",
        data={"csrf_token": csrf_of(detail.text), "outcome": "dismissed", "reply": "经信息提供单位核实，维持原信息。"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert 'id="disputed"' not in client.get(record_page).text  # decided: no longer marked
    assert "异议处理中</span>" not in client.get(subject_page).text
    assert client.get(api_record).json()["under_objection"] is False
