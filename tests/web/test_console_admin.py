"""The console's administration through FastAPI's test client: accounts (用户管理) with temporary passwords, locks
and their guards, a user's own password, the session's idle time, and the business systems' interfaces (接口监测)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time

import pytest
from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, csrf_of, login
from fastapi.testclient import TestClient
from sqlalchemy import select

from transport_credit.auth import service as auth
from transport_credit.auth.models import Account, ApiClient
from transport_credit.common.actor import ROLE_ADMIN, SYSTEM
from transport_credit.db.base import utcnow
from transport_credit.db.uow import Database
from transport_credit.settings import Settings
from transport_credit.web.session import SESSION_COOKIE, SessionSigner, new_session

ADMIN = "sys.admin"
SECRET_RE = re.compile(r'<code class="mono" id="new-(?:password|key)">([^<]+)</code>')


@pytest.fixture
def admin_client(client: TestClient, platform: Database) -> TestClient:
    with platform.unit_of_work() as session:
        auth.create_account(session, SYSTEM, ADMIN, "系统管理员", PASSWORD, CREDIT_OFFICE, [ROLE_ADMIN])
    login(client, ADMIN)
    return client


def _post(client: TestClient, path: str, data: dict[str, object] | None = None, **kw: object) -> object:
    page = client.get("/console/account/password")  # any page carries the session's token
    return client.post(path, data={"csrf_token": csrf_of(page.text), **(data or {})}, **kw)  # type: ignore[arg-type]


def _secret(html: str) -> str:
    match = SECRET_RE.search(html)
    assert match, "no password or key shown"
    return match.group(1)


def _account_id(db: Database, username: str) -> int:
    with db.read() as session:
        return session.scalars(select(Account.id).where(Account.username == username)).one()


def _sign_out(client: TestClient) -> None:
    page = client.get("/console/account/password")
    client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})


def _login_page(client: TestClient, username: str, password: str) -> tuple[int, str]:
    page = client.get("/console/login")
    r = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    return r.status_code, r.headers.get("location", "") or r.text


# --- accounts ----------------------------------------------------------------------------------------------


def test_a_new_account_gets_a_temporary_password_and_must_change_it(admin_client: TestClient) -> None:
    client = admin_client
    created = _post(
        client,
        "/console/admin/accounts",
        {"username": "Kf.Officer", "display_name": "开封报送员", "department": "410200-jtj", "roles": ["data_officer"]},
    )
    assert created.status_code == 200  # type: ignore[attr-defined]
    html = created.text  # type: ignore[attr-defined]
    temporary = _secret(html)
    assert "kf.officer" in html
    listing = client.get("/console/admin/accounts").text
    assert temporary not in listing  # shown once
    assert "待修改初始密码" in listing

    _sign_out(client)
    status, location = _login_page(client, "kf.officer", temporary)
    assert (status, location) == (303, "/console/account/password")
    # Nothing else is served until the password is changed.
    r = client.get("/console/import", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/console/account/password")
    page = client.get("/console/account/password")
    assert "请先设置您自己的密码" in page.text
    token = csrf_of(page.text)
    bad = client.post(
        "/console/account/password",
        data={"csrf_token": token, "current": temporary, "new": "kaifeng-2026a", "again": "kaifeng-2026b"},
    )
    assert bad.status_code == 422
    assert "两次输入的新密码不一致" in bad.text
    weak = client.post(
        "/console/account/password",
        data={"csrf_token": token, "current": temporary, "new": "short1", "again": "short1"},
    )
    assert weak.status_code == 422
    assert "密码长度不能少于 10 位" in weak.text
    done = client.post(
        "/console/account/password",
        data={"csrf_token": token, "current": temporary, "new": "kaifeng-2026a", "again": "kaifeng-2026a"},
    )
    assert done.status_code == 200
    assert "密码已修改" in done.text
    assert client.get("/console/import").status_code == 200
    _sign_out(client)
    assert _login_page(client, "kf.officer", "kaifeng-2026a") == (303, "/console")


def test_five_wrong_passwords_lock_and_the_administrator_unlocks(
    admin_client: TestClient, client: TestClient, platform: Database, settings: Settings
) -> None:
    with TestClient(admin_client.app) as other:  # the officer's browser
        messages = [_login_page(other, OFFICER, "wrong-password-9")[1] for _ in range(5)]
        assert all("用户名或密码错误" in m for m in messages[:4])
        assert "已临时锁定" in messages[4]
        status, text = _login_page(other, OFFICER, PASSWORD)
        assert status == 401
        assert "已临时锁定" in text

        home = admin_client.get("/console").text
        assert "因连续登录失败被锁定的账号" in home
        officer_id = _account_id(platform, OFFICER)
        detail = admin_client.get(f"/console/admin/accounts/{officer_id}").text
        assert "已锁定" in detail
        r = _post(admin_client, f"/console/admin/accounts/{officer_id}/unlock", follow_redirects=False)
        assert r.status_code == 303  # type: ignore[attr-defined]
        assert "已解除锁定" in admin_client.get(r.headers["location"]).text  # type: ignore[attr-defined]
        assert _login_page(other, OFFICER, PASSWORD) == (303, "/console")


def test_the_work_list_tells_of_the_last_sign_in_and_wrong_passwords_since(client: TestClient) -> None:
    login(client, OFFICER)
    assert "这是您第一次登录" in client.get("/console").text
    _sign_out(client)
    assert _login_page(client, OFFICER, "wrong-password-7")[0] == 401
    assert _login_page(client, OFFICER, "wrong-password-8")[0] == 401
    login(client, OFFICER)
    text = client.get("/console").text
    assert "上次登录：" in text
    assert "此后有 2 次密码输入错误" in text
    _sign_out(client)
    login(client, OFFICER)
    assert "密码输入错误" not in client.get("/console").text


def test_a_reset_sends_a_signed_in_user_to_change_the_password(admin_client: TestClient, platform: Database) -> None:
    with TestClient(admin_client.app) as other:
        login(other, OFFICER)
        assert other.get("/console/import").status_code == 200
        officer_id = _account_id(platform, OFFICER)
        r = _post(admin_client, f"/console/admin/accounts/{officer_id}/reset")
        temporary = _secret(r.text)  # type: ignore[attr-defined]
        # The officer's open session now leads to the password page only.
        nxt = other.get("/console/import", follow_redirects=False)
        assert nxt.headers["location"] == "/console/account/password"
        page = other.get("/console/account/password")
        ok = other.post(
            "/console/account/password",
            data={
                "csrf_token": csrf_of(page.text),
                "current": temporary,
                "new": "zz-new-2026x",
                "again": "zz-new-2026x",
            },
        )
        assert "密码已修改" in ok.text
        assert other.get("/console/import").status_code == 200


def test_editing_and_switching_off_an_account(admin_client: TestClient, platform: Database) -> None:
    officer_id = _account_id(platform, OFFICER)
    r = _post(
        admin_client,
        f"/console/admin/accounts/{officer_id}",
        {"display_name": "郑州报送员", "department": CITY_DEPT, "roles": ["data_officer", "viewer"]},
        follow_redirects=False,
    )
    assert r.status_code == 303  # type: ignore[attr-defined]
    with platform.read() as session:
        account = session.get(Account, officer_id)
        assert account is not None
        assert sorted(account.roles) == ["data_officer", "viewer"]
    off = _post(admin_client, f"/console/admin/accounts/{officer_id}/deactivate")
    assert "账号已停用" in off.text  # type: ignore[attr-defined]
    assert _login_page(admin_client.__class__(admin_client.app), OFFICER, PASSWORD)[0] == 401
    # Refusals are pages with the reason, not server errors.
    admin_id = _account_id(platform, ADMIN)
    own = _post(admin_client, f"/console/admin/accounts/{admin_id}/deactivate")
    assert own.status_code == 403  # type: ignore[attr-defined]
    assert "不能停用自己的账号" in own.text  # type: ignore[attr-defined]
    missing = _post(admin_client, f"/console/admin/accounts/{officer_id}", {"display_name": "", "roles": []})
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert _post(admin_client, "/console/admin/accounts/999999/unlock").status_code == 404  # type: ignore[attr-defined]


def test_only_the_administrator_manages_accounts(client: TestClient) -> None:
    login(client, MANAGER)
    home = client.get("/console").text
    assert "用户管理" not in home
    assert "接口监测" in home
    assert client.get("/console/admin/accounts").status_code == 403
    assert client.get("/console/admin/interfaces").status_code == 200
    _sign_out(client)
    login(client, OFFICER)
    assert client.get("/console/admin/interfaces").status_code == 403
    assert "接口监测" not in client.get("/console").text


def test_the_console_reminds_of_a_password_about_to_expire(client: TestClient, platform: Database) -> None:
    with platform.unit_of_work() as session:
        account = session.scalars(select(Account).where(Account.username == OFFICER)).one()
        account.password_changed_at = utcnow() - dt.timedelta(days=85, hours=1)
    login(client, OFFICER)
    page = client.get("/console/import")
    assert page.status_code == 200
    assert "您的密码4 天后到期" in page.text
    with platform.unit_of_work() as session:
        account = session.scalars(select(Account).where(Account.username == OFFICER)).one()
        account.password_changed_at = utcnow()
    assert "password-expiry" not in client.get("/console/import").text


def test_changing_ones_own_password_needs_the_current_one(client: TestClient) -> None:
    login(client, OFFICER)
    page = client.get("/console/account/password")
    assert "请先设置" not in page.text
    r = client.post(
        "/console/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "current": "not-it-12345",
            "new": "new-pass-2026",
            "again": "new-pass-2026",
        },
    )
    assert r.status_code == 422
    assert "当前密码不正确" in r.text
    no_csrf = client.post(
        "/console/account/password", data={"current": PASSWORD, "new": "new-pass-2026", "again": "new-pass-2026"}
    )
    assert no_csrf.status_code == 403


# --- the session's idle time -------------------------------------------------------------------------------


def test_an_idle_session_ends_and_an_active_one_is_renewed(client: TestClient, settings: Settings) -> None:
    signer = SessionSigner(settings.secret_key.get_secret_value())
    now = time.time()
    base = dataclasses.replace(new_session(OFFICER, CITY_DEPT, ("data_officer",)), signed_in_at=int(now) - 3600)
    idle = signer.dumps(base, now=now - 31 * 60)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, idle, path="/console")
    r = client.get("/console/import", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login")

    recent = signer.dumps(base, now=now - 5 * 60)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, recent, path="/console")
    r = client.get("/console/import", follow_redirects=False)
    assert r.status_code == 200
    renewed = signer.loads(r.cookies.get(SESSION_COOKIE))
    assert renewed is not None
    assert renewed.issued_at >= int(now) - 1  # signed again: the idle time starts over
    assert renewed.signed_in_at == base.signed_in_at  # the sign-in time is kept
    assert renewed.csrf == base.csrf

    old = dataclasses.replace(base, signed_in_at=int(now) - 8 * 3600 - 10)
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, signer.dumps(old, now=now - 10), path="/console")
    assert client.get("/console/import", follow_redirects=False).status_code == 303  # 8 hours at most


# --- interfaces --------------------------------------------------------------------------------------------


def test_registering_rotating_and_switching_off_an_interface(client: TestClient, platform: Database) -> None:
    login(client, MANAGER)
    r = _post(
        client,
        "/console/admin/interfaces",
        {"name": "郑州执法办案系统", "department": CITY_DEPT, "scopes": ["records:submit"], "categories": ["XZCF"]},
    )
    assert r.status_code == 200  # type: ignore[attr-defined]
    first_key = _secret(r.text)  # type: ignore[attr-defined]
    assert "待接入" in r.text  # type: ignore[attr-defined]
    with platform.read() as session:
        client_id = session.scalars(select(ApiClient.id).where(ApiClient.name == "郑州执法办案系统")).one()
    listing = client.get("/console/admin/interfaces").text
    assert "郑州执法办案系统" in listing
    assert first_key not in listing

    api = client.get("/api/v1/subjects/91410100MA0000001X", headers={"X-API-Key": first_key})
    assert api.status_code in (403, 404)  # the key works (no read scope / no such subject), it is not refused

    narrowed = _post(
        client, f"/console/admin/interfaces/{client_id}", {"scopes": ["credit:check"]}, follow_redirects=False
    )
    assert narrowed.status_code == 303  # type: ignore[attr-defined]
    assert "接口权限已保存" in client.get(narrowed.headers["location"]).text  # type: ignore[attr-defined]
    no_scope = client.post("/api/v1/records/XZCF", json={"records": [{"备注": "x"}]}, headers={"X-API-Key": first_key})
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "scope_required")  # the same key, narrowed
    _post(client, f"/console/admin/interfaces/{client_id}", {"scopes": ["records:submit"], "categories": ["XZCF"]})

    rotated = _post(client, f"/console/admin/interfaces/{client_id}/rotate")
    second_key = _secret(rotated.text)  # type: ignore[attr-defined]
    assert second_key != first_key
    assert "原密钥即时失效" in rotated.text  # type: ignore[attr-defined]
    old = client.post("/api/v1/records/XZCF", json={"records": []}, headers={"X-API-Key": first_key})
    assert old.status_code == 401

    off = _post(client, f"/console/admin/interfaces/{client_id}/deactivate", follow_redirects=False)
    assert off.status_code == 303  # type: ignore[attr-defined]
    page = client.get(off.headers["location"]).text  # type: ignore[attr-defined]
    assert "已停用" in page
    refused = client.post("/api/v1/records/XZCF", json={"records": []}, headers={"X-API-Key": second_key})
    assert refused.status_code == 401
    assert refused.json()["code"] == "api_key_inactive"


def test_registering_an_interface_with_bad_input_says_why(client: TestClient) -> None:
    login(client, MANAGER)
    r = _post(client, "/console/admin/interfaces", {"name": "系统", "department": CITY_DEPT, "categories": ["XZCF"]})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "权限范围无效" in r.text  # type: ignore[attr-defined]
    r = _post(
        client,
        "/console/admin/interfaces",
        {"name": "系统", "department": CREDIT_OFFICE, "scopes": ["records:submit"], "categories": ["XZCF"]},
    )
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "不是以下信用信息类别的数据来源单位" in r.text  # type: ignore[attr-defined]
