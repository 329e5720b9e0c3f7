"""The officials' console (政务端) through FastAPI's test client: sign-in, CSRF, import, quarantine, subjects."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from console_kit import (
    BAD_DATE,
    CITY_DEPT,
    ID18_RE,
    MANAGER,
    OFFICER,
    PASSWORD,
    PenaltyFile,
    csrf_of,
    login,
    upload,
)
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from transport_credit.auth.models import Account
from transport_credit.db.uow import Database
from transport_credit.ingest.models import QuarantineRow
from transport_credit.settings import Settings
from transport_credit.web.session import SESSION_COOKIE, SessionSigner, new_session

PAGES = ["/console/import", "/console/batches", "/console/quarantine", "/console/subjects", "/console/catalog"]


# --- sign-in ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/console/audit", "/console/subjects/1", "/console"])
def test_pages_require_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_login_redirects_back_to_the_page_asked_for(client: TestClient) -> None:
    first = client.get("/console/batches?category=XZCF", follow_redirects=False)
    target = first.headers["location"]
    page = client.get(target)
    assert 'value="/console/batches?category=XZCF"' in page.text
    response = client.post(
        "/console/login",
        data={
            "username": OFFICER,
            "password": PASSWORD,
            "next": "/console/batches?category=XZCF",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/batches?category=XZCF"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=28800" in cookie


def test_login_refuses_an_open_redirect(client: TestClient) -> None:
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": OFFICER, "password": PASSWORD, "next": "//evil.example/x", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console"  # the 工作台


def _failed_login(client: TestClient, username: str, password: str) -> str:
    page = client.get("/console/login")
    response = client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 401
    match = re.search(r'<div class="alert alert-error" role="alert" id="login-error">(.*?)</div>', response.text)
    assert match
    return match.group(1)


def test_login_failure_is_the_same_for_unknown_user_and_wrong_password(client: TestClient) -> None:
    unknown = _failed_login(client, "nobody.here", PASSWORD)
    wrong = _failed_login(client, OFFICER, "wrong-password-1")
    assert unknown == wrong == "用户名或密码错误"
    assert client.get("/console/import", follow_redirects=False).status_code == 303  # still signed out


def test_login_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/console/login")
    response = client.post("/console/login", data={"username": OFFICER, "password": PASSWORD})
    assert response.status_code == 403
    assert "页面已过期" in response.text
    assert client.get("/console/import", follow_redirects=False).status_code == 303


def test_post_with_a_wrong_csrf_token_is_refused(client: TestClient, penalty_file: PenaltyFile) -> None:
    login(client)
    with penalty_file.path.open("rb") as fh:
        response = client.post(
            "/console/import",
            data={"category": "XZCF", "department": CITY_DEPT, "csrf_token": "forged"},
            files={"file": (penalty_file.path.name, fh, "text/csv")},
        )
    assert response.status_code == 403
    assert "页面已过期或来源无法验证" in response.text
    assert client.get("/console/batches").text.count("/console/batches/B") == 0  # nothing imported


def test_logout_needs_csrf_and_ends_the_session(client: TestClient) -> None:
    login(client)
    assert client.post("/console/logout", data={}).status_code == 403
    page = client.get("/console/import")
    response = client.post("/console/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/console/import", follow_redirects=False).status_code == 303


def test_a_tampered_or_expired_cookie_is_refused(client: TestClient, settings: Settings) -> None:
    signer = SessionSigner(settings.secret_key.get_secret_value())
    forged = SessionSigner("another-secret").dumps(new_session(MANAGER, None, ("admin",)))
    client.cookies.set(SESSION_COOKIE, forged, path="/console")
    assert client.get("/console/audit", follow_redirects=False).status_code == 303
    old = signer.dumps(new_session(OFFICER, CITY_DEPT, ("data_officer",)), now=0)
    client.cookies.set(SESSION_COOKIE, old, path="/console")
    assert client.get("/console/import", follow_redirects=False).status_code == 303


def test_a_deactivated_account_is_signed_out_at_once(client: TestClient, platform: Database) -> None:
    login(client)
    assert client.get("/console/import").status_code == 200
    with platform.unit_of_work() as session:
        account = session.scalars(select(Account).where(Account.username == OFFICER)).one()
        account.active = False
    assert client.get("/console/import", follow_redirects=False).status_code == 303


def test_every_page_renders_for_the_credit_office(client: TestClient) -> None:
    login(client, MANAGER)
    for path in [*PAGES, "/console/audit"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "交通运输信用信息平台 · 河南" in response.text
        assert '<main id="main"' in response.text
    assert "社会公开" in client.get("/console/catalog").text
    assert "政务共享" in client.get("/console/catalog").text


def test_audit_is_for_the_credit_office_only(client: TestClient) -> None:
    login(client)
    assert "/console/audit" not in client.get("/console/import").text
    response = client.get("/console/audit")
    assert response.status_code == 403
    assert "无权" in response.text


def test_audit_chain_verification(client: TestClient) -> None:
    login(client, MANAGER)
    page = client.get("/console/audit")
    assert "auth.login" in page.text
    response = client.post("/console/audit/verify", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200
    assert "校验通过" in response.text


def test_unknown_console_page_is_a_chinese_404(client: TestClient) -> None:
    login(client)
    response = client.get("/console/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text


# --- import ----------------------------------------------------------------------------------------------------


def test_import_gb18030_file_shows_rejected_row_in_chinese(client: TestClient, penalty_file: PenaltyFile) -> None:
    login(client)
    html = upload(client, penalty_file.path)
    assert "文件已导入" in html
    assert re.search(r'data-count="rejected">1<', html)
    assert re.search(r'data-count="accepted">\d+<', html)
    assert f"第 {penalty_file.bad_row} 行" in html
    assert "处罚决定日期" in html  # the field, by its Chinese name
    assert "日期" in html
    assert "invalid_date" in html
    assert "gb18030" in html
    assert "下载待更正表格" in html
    assert not ID18_RE.search(html)


def test_reimporting_the_same_file_says_already_imported(client: TestClient, penalty_file: PenaltyFile) -> None:
    login(client)
    upload(client, penalty_file.path)
    html = upload(client, penalty_file.path)
    assert "该文件已经导入过" in html


def test_upload_is_kept_under_data_dir(client: TestClient, penalty_file: PenaltyFile, settings: Settings) -> None:
    login(client)
    upload(client, penalty_file.path)
    kept = list((settings.data_dir / "uploads").iterdir())
    assert len(kept) == 1
    assert kept[0].name.startswith("B")
    assert kept[0].suffix == ".csv"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("", b"", "请选择要上传的文件"),
        ("report.pdf", b"%PDF-1.4", "不支持的文件类型"),
        ("empty.csv", b"", "上传的文件是空文件"),
        ("blank.csv", b"\r\n\r\n", "文件为空"),
        ("broken.xlsx", b"PK\x03\x04 truncated", "Excel"),
        ("random.csv", "完全无关,的内容\n1,2\n".encode("gb18030"), "表头"),
    ],
)
def test_bad_uploads_get_a_chinese_message_not_a_500(
    client: TestClient, settings: Settings, name: str, content: bytes, message: str
) -> None:
    login(client)
    form = client.get("/console/import")
    response = client.post(
        "/console/import",
        data={"category": "XZCF", "department": CITY_DEPT, "csrf_token": csrf_of(form.text)},
        files={"file": (name, io.BytesIO(content), "application/octet-stream")},
    )
    assert 400 <= response.status_code < 500, response.text
    assert message in response.text
    uploads = settings.data_dir / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())  # a refused file is not kept


def test_missing_form_fields_get_a_chinese_message(client: TestClient) -> None:
    login(client)
    form = client.get("/console/import")
    response = client.post("/console/import", data={"csrf_token": csrf_of(form.text)})
    assert response.status_code == 422
    assert "请选择信用信息类别" in response.text


def test_officer_cannot_submit_for_another_department(client: TestClient, penalty_file: PenaltyFile) -> None:
    login(client)
    form = client.get("/console/import")
    assert "410200-jtj" not in form.text  # only the officer's own department is offered
    with penalty_file.path.open("rb") as fh:
        response = client.post(
            "/console/import",
            data={"category": "XZCF", "department": "410200-jtj", "csrf_token": csrf_of(form.text)},
            files={"file": (penalty_file.path.name, fh, "text/csv")},
        )
    assert response.status_code == 403
    assert "只能报送本部门" in response.text


# --- quarantine -----------------------------------------------------------------------------------------------


def _batch_no(html: str) -> str:
    match = re.search(r"批次号 (B\w+)", html)
    assert match
    return match.group(1)


def test_template_download_and_resubmission(
    client: TestClient, penalty_file: PenaltyFile, platform: Database, tmp_path: Path
) -> None:
    login(client)
    batch_no = _batch_no(upload(client, penalty_file.path))
    response = client.get(f"/console/quarantine/template?category=XZCF&batch={batch_no}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = rows[0]
    assert header[0] == "问题数据编号"
    assert header[-1] == "错误说明"
    assert len(rows) == 2
    date_col = header.index("处罚决定日期")
    assert rows[1][date_col] == BAD_DATE

    # Fix the date and upload the corrected template: the quarantined row is marked resubmitted.
    rows[1][date_col] = "2026/01/05"
    fixed = tmp_path / "更正.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(["" if v is None else str(v) for v in r])
    wb.save(fixed)
    html = upload(client, fixed)
    assert re.search(r'data-count="rejected">0<', html)
    with platform.read() as session:
        statuses = list(session.scalars(select(QuarantineRow.status)))
    assert statuses == ["resubmitted"]


def test_quarantine_list_filters_and_dismiss(client: TestClient, penalty_file: PenaltyFile, platform: Database) -> None:
    login(client)
    batch_no = _batch_no(upload(client, penalty_file.path))
    page = client.get(f"/console/quarantine?category=XZCF&batch={batch_no}")
    assert page.status_code == 200
    assert "共 1 条" in page.text
    assert '<span class="issue-field">处罚决定日期</span>' in page.text  # the category's own field name
    assert client.get("/console/quarantine?category=XZXK").text.count('name="ids"') == 0
    qid = re.search(r'name="ids" value="(\d+)"', page.text)
    assert qid
    # No reason: refused with a message, nothing closed.
    refused = client.post(
        "/console/quarantine/dismiss", data={"ids": qid.group(1), "reason": " ", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 422
    assert "请填写关闭原因" in refused.text
    # Without the token: refused.
    assert client.post("/console/quarantine/dismiss", data={"ids": qid.group(1), "reason": "测试"}).status_code == 403
    done = client.post(
        "/console/quarantine/dismiss",
        data={"ids": qid.group(1), "reason": "测试数据", "csrf_token": csrf_of(page.text), "category": "XZCF"},
    )
    assert done.status_code == 200
    assert "已关闭 1 条问题数据" in done.text
    with platform.read() as session:
        assert list(session.scalars(select(QuarantineRow.status))) == ["dismissed"]


def test_quarantine_with_unknown_category_is_a_404_page(client: TestClient) -> None:
    login(client)
    response = client.get("/console/quarantine?category=NOPE")
    assert response.status_code == 404
    assert "没有类别" in response.text


# --- subjects ------------------------------------------------------------------------------------------------


def test_subject_page_shows_masked_id_and_never_the_full_number(client: TestClient, penalty_file: PenaltyFile) -> None:
    login(client)
    upload(client, penalty_file.path)
    page = client.get("/console/subjects")
    response = client.post(
        "/console/subjects",
        data={"q": penalty_file.person_id, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert penalty_file.person_id not in location
    html = client.get(location).text
    assert penalty_file.person_name in html
    assert 'id="id-masked"' in html
    assert "自然人" in html
    assert penalty_file.person_id not in html
    assert not ID18_RE.search(html)
    assert "行政处罚" in html
    assert "修订记录" in html
    history = re.search(r'href="(/console/records\?[^"]+)"', html)
    assert history
    revisions = client.get(history.group(1).replace("&amp;", "&"))
    assert revisions.status_code == 200
    assert "第 1 版" in revisions.text
    assert not ID18_RE.search(revisions.text)


def test_subject_search_by_name_lists_hits(client: TestClient, penalty_file: PenaltyFile) -> None:
    login(client)
    upload(client, penalty_file.path)
    page = client.get("/console/subjects")
    response = client.post("/console/subjects", data={"q": "郑州", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200
    assert "查询结果" in response.text
    assert "/console/subjects/" in response.text
    short = client.post("/console/subjects", data={"q": "郑", "csrf_token": csrf_of(page.text)})
    assert short.status_code == 422
    assert "至少 2 个字符" in short.text


def test_unknown_subject_is_a_404_page(client: TestClient) -> None:
    login(client)
    response = client.get("/console/subjects/999999")
    assert response.status_code == 404
    assert "未找到该信用主体" in response.text
    assert client.get("/console/subjects/abc").status_code == 422


def test_static_assets_are_served_locally(client: TestClient) -> None:
    assert client.get("/console/static/console.css").status_code == 200
    assert client.get("/console/static/console.js").status_code == 200
    login(client)
    assert client.get("/console/static/..%2Fsession.py").status_code == 404
    html = client.get("/console/import").text
    assert "http://" not in html
    assert "https://" not in html
