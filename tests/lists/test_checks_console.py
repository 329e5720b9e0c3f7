"""The credit check at a window (信用核查 on the console): check an applicant, read the result with its measures and
basis, report what was done, and find the recorded check again; who sees which checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, PERSON_ID, uscc

from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.identifiers.citizen_id import mask_id_number
from transport_credit.lists import service
from transport_credit.lists.effects import effect_list
from transport_credit.server import create_app
from transport_credit.settings import Settings

PASSWORD = "console-pass-2026"
LONG_AGO = service.today_cst() - dt.timedelta(days=40)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Cheap argon2 for the accounts."""


@pytest.fixture
def listed(filled: Database, settings: Settings) -> Database:
    """Org 1 on the black list; accounts of the licensing bureau (道路运输局), of 执法局, and of the credit office."""
    with filled.unit_of_work() as s:
        entry = service.propose_entry(s, OFFICE, settings, subject_code=uscc(1), list_code="black", reason="多次超限")
        service.notify_entry(s, OFFICE, settings, entry.id, today=LONG_AGO)
        service.publish_entry(s, OFFICE, settings, entry.id)
        auth.create_account(s, SYSTEM, "ysj.window", "窗口", PASSWORD, "410000-ysj", [ROLE_DATA_OFFICER])
        auth.create_account(s, SYSTEM, "zfj.officer", "执法", PASSWORD, "410000-zfj", [ROLE_DATA_OFFICER])
        auth.create_account(s, SYSTEM, "xyb", "信用办", PASSWORD, "410000-fgc", [ROLE_CREDIT_OFFICE])
    return filled


@pytest.fixture
def app_client(listed: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, listed), base_url="http://testserver") as c:
        yield c


def _login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    page = client.get("/console/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    return CSRF.search(client.get("/console/checks").text).group(1)  # type: ignore[union-attr]


def test_a_window_officer_checks_reports_and_finds_the_check_again(
    app_client: TestClient, listed: Database, settings: Settings
) -> None:
    token = _login(app_client, "ysj.window")
    form = app_client.get("/console/checks")
    assert "道路运输经营许可" in form.text
    result = app_client.post(
        "/console/checks", data={"csrf_token": token, "subject_code": uscc(1).lower(), "matter_code": "XK-DLYS-JY"}
    )
    assert result.status_code == 200
    assert "黑名单" in result.text
    assert "已向信用办发出重大失信主体警示" in result.text
    check_no = re.search(r'id="check-no">([0-9a-z]+)<', result.text).group(1)  # type: ignore[union-attr]
    measures = re.findall(r'name="measure" value="([A-Z0-9\-]+)"', result.text)
    assert measures, "a black-listed applicant gets measures for a licence"

    first = measures[0]
    done = app_client.post(
        f"/console/checks/{check_no}/feedback",
        data={"csrf_token": token, "measure": measures, f"applied-{first}": "1", f"result-{first}": "不予许可"},
    )
    assert done.status_code == 200
    assert "反馈已登记" in done.text
    assert "已实施：不予许可" in done.text
    # The measures not reported yet can still be reported; the effect list holds the one reported.
    assert (f'value="{first}"' in done.text) is False
    with listed.read() as s:
        lines = effect_list(s, OFFICE, year=service.today_cst().year, month=service.today_cst().month)
        assert [(e.measure_code, e.applied, e.result) for e in lines.effects] == [(first, True, "不予许可")]

    recent = app_client.get("/console/checks")
    assert check_no in recent.text
    # Another department's officer neither lists nor opens it; the credit office does both.
    _login(app_client, "zfj.officer")
    assert check_no not in app_client.get("/console/checks").text
    assert app_client.get(f"/console/checks/{check_no}").status_code == 403
    _login(app_client, "xyb")
    assert check_no in app_client.get("/console/checks").text
    assert app_client.get(f"/console/checks/{check_no}").status_code == 200


def test_mistakes_are_shown_on_the_form(app_client: TestClient) -> None:
    token = _login(app_client, "ysj.window")
    unknown = app_client.post(
        "/console/checks", data={"csrf_token": token, "subject_code": "91410100MA9999999X", "matter_code": "XK-DLYS-JY"}
    )
    assert unknown.status_code == 404
    assert "未找到该信用主体" in unknown.text
    assert 'value="91410100MA9999999X"' in unknown.text  # what was typed stays
    malformed = app_client.post(
        "/console/checks", data={"csrf_token": token, "subject_code": "not a code!", "matter_code": "XK-DLYS-JY"}
    )
    assert malformed.status_code == 422
    no_matter = app_client.post(
        "/console/checks", data={"csrf_token": token, "subject_code": uscc(2), "matter_code": "NOPE"}
    )
    assert no_matter.status_code == 404
    assert app_client.get("/console/checks/0000").status_code == 404
    empty = app_client.post("/console/checks/abc/feedback", data={"csrf_token": token})
    assert empty.status_code == 422  # nothing reported


def test_personal_data_is_masked_on_the_result(app_client: TestClient) -> None:
    token = _login(app_client, "ysj.window")
    result = app_client.post(
        "/console/checks", data={"csrf_token": token, "subject_code": PERSON_ID, "matter_code": "XK-DLYS-JY"}
    )
    assert result.status_code == 200
    assert PERSON_ID not in result.text
    assert mask_id_number(PERSON_ID) in result.text


@pytest.mark.browser
def test_a_window_officer_checks_in_a_browser(listed: Database, settings: Settings) -> None:
    """核查 → the result with the black-list entry and its measures, printable; 提交反馈 → the record page."""
    from playwright.sync_api import expect

    from browser_kit import launch, serve, shot

    with serve(create_app(settings, listed)) as base, launch() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/console/login")
        page.get_by_label("用户名").fill("ysj.window")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("link", name="信用核查").click()
        page.get_by_label("统一社会信用代码 / 身份证号").fill(uscc(1))
        page.get_by_label("办理事项").select_option(label="道路运输经营许可")
        page.get_by_role("button", name="核查").click()
        expect(page.locator("#entries")).to_contain_text("黑名单")
        expect(page.locator("#print")).to_be_visible()  # the print button, once the script has run
        shot(page, "desktop-10-credit-check")
        first = page.locator("#feedback fieldset").first
        first.get_by_label("已实施").check()
        first.get_by_role("textbox").fill("不予许可")
        page.get_by_role("button", name="提交反馈").click()
        expect(page.locator("#done")).to_contain_text("反馈已登记")
        expect(page.locator("#measures")).to_contain_text("已实施：不予许可")
        context.close()
