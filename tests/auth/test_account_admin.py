"""Account security and administration on a real database: lock after wrong passwords, temporary and expired
passwords, the administrator's account management with its guards, and key rotation."""

from __future__ import annotations

import datetime as dt

import pytest

from transport_credit.audit import list_entries, verify
from transport_credit.auth import admin, keys
from transport_credit.auth import service as auth
from transport_credit.auth.models import Account
from transport_credit.auth.schema import SCOPE_CHECK, DepartmentSpec
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from transport_credit.db.base import utcnow
from transport_credit.db.uow import Database

PASSWORD = "abcdefghij1"
SPECS = [
    DepartmentSpec(code="hn-fgc", name="厅法规处（信用办）", kind="office", level="province", region_code="410000"),
    DepartmentSpec(
        code="zz-jtj",
        name="郑州市交通运输局",
        kind="transport",
        level="city",
        region_code="410100",
        categories=("XZCF",),
    ),
]


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Cheap argon2 parameters (tests/conftest.py)."""


@pytest.fixture
def accounts(db: Database) -> dict[str, int]:
    """An administrator (boss), a second administrator (deputy), a data officer (zhang)."""
    with db.unit_of_work() as s:
        auth.sync_departments(s, SYSTEM, SPECS)
        ids = {
            "boss": auth.create_account(s, SYSTEM, "boss", "王局", PASSWORD, "hn-fgc", [ROLE_ADMIN]).id,
            "deputy": auth.create_account(s, SYSTEM, "deputy", "李处", PASSWORD, "hn-fgc", [ROLE_ADMIN]).id,
            "zhang": auth.create_account(s, SYSTEM, "zhang", "张三", PASSWORD, "zz-jtj", [ROLE_DATA_OFFICER]).id,
        }
    return ids


BOSS = Actor(name="boss", kind="account", department_code="hn-fgc", roles=frozenset({ROLE_ADMIN}))
OFFICE = Actor(name="li", kind="account", department_code="hn-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))


def _sign_in(db: Database, username: str, password: str, now: dt.datetime | None = None) -> auth.SignIn:
    with db.unit_of_work() as s:
        return auth.sign_in(s, username, password, now=now)


def _account(db: Database, account_id: int) -> Account:
    with db.read() as s:
        account = s.get(Account, account_id)
        assert account is not None
        s.expunge(account)
        return account


# --- lock after wrong passwords ----------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_and_the_lock_is_kept(db: Database, accounts: dict[str, int]) -> None:
    now = utcnow()
    for attempt in range(1, 5):
        result = _sign_in(db, "zhang", "wrong-pass-1", now)
        assert (result.actor, result.code) == (None, "invalid_credentials")
        assert _account(db, accounts["zhang"]).failed_logins == attempt  # committed by the caller's unit of work
    locked = _sign_in(db, "zhang", "wrong-pass-1", now)
    assert locked.code == "account_locked"
    assert locked.message is not None
    assert "已临时锁定" in locked.message
    until = _account(db, accounts["zhang"]).locked_until
    assert until is not None
    assert abs((until - now) - dt.timedelta(minutes=30)) < dt.timedelta(seconds=1)
    # While locked, even the right password is refused, without being checked.
    assert _sign_in(db, "zhang", PASSWORD, now + dt.timedelta(minutes=29)).code == "account_locked"
    # When the lock ends, the right password works and the count starts again.
    ok = _sign_in(db, "zhang", PASSWORD, now + dt.timedelta(minutes=31))
    assert ok.actor is not None
    assert ok.actor.name == "zhang"
    account = _account(db, accounts["zhang"])
    assert (account.failed_logins, account.locked_until) == (0, None)
    with db.read() as s:
        actions = [e.action for e in list_entries(s, BOSS, target_type="account", target_id=str(accounts["zhang"]))]
        assert actions.count("auth.lock") == 1
        assert verify(s).ok


def test_a_right_password_resets_the_count(db: Database, accounts: dict[str, int]) -> None:
    for _ in range(4):
        _sign_in(db, "zhang", "wrong-pass-1")
    assert _sign_in(db, "zhang", PASSWORD).actor is not None
    for _ in range(4):
        assert _sign_in(db, "zhang", "wrong-pass-1").code == "invalid_credentials"


def test_unknown_usernames_lock_alike(db: Database, accounts: dict[str, int]) -> None:
    name = f"ghost{utcnow().timestamp():.0f}"
    codes = [_sign_in(db, name, "wrong-pass-1").code for _ in range(6)]
    assert codes == ["invalid_credentials"] * 4 + ["account_locked"] * 2
    real = [_sign_in(db, "deputy", "wrong-pass-1").code for _ in range(6)]
    assert real == codes
    assert _sign_in(db, name, "wrong-pass-1").message == _sign_in(db, "deputy", "wrong-pass-1").message


def test_unlock_by_the_administrator(db: Database, accounts: dict[str, int]) -> None:
    for _ in range(5):
        _sign_in(db, "zhang", "wrong-pass-1")
    with db.read() as s:
        assert admin.locked_accounts(s, BOSS) == 1
        assert admin.get_account(s, BOSS, accounts["zhang"]).state == "locked"
    with db.unit_of_work() as s:
        view = admin.unlock_account(s, BOSS, accounts["zhang"])
    assert (view.state, view.locked_until, view.failed_logins) == ("active", None, 0)
    assert _sign_in(db, "zhang", PASSWORD).actor is not None
    with db.read() as s:
        assert admin.locked_accounts(s, BOSS) == 0


# --- temporary and expired passwords -------------------------------------------------------------------------


def test_reset_gives_a_temporary_password_that_must_be_changed(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        view, temporary = admin.reset_password(s, BOSS, accounts["zhang"])
    assert view.state == "temporary"
    assert len(temporary) == 12
    assert _sign_in(db, "zhang", PASSWORD).code == "invalid_credentials"  # the old password is gone
    result = _sign_in(db, "zhang", temporary)
    assert result.actor is not None
    assert result.credential_state == "temporary"
    with db.read() as s:
        assert auth.session_user(s, "zhang").credential_state == "temporary"
        entries = list_entries(s, BOSS, target_type="account", target_id=str(accounts["zhang"]))
        assert "account.password_reset" in [e.action for e in entries]
        assert temporary not in str([e.details for e in entries])
    # The user chooses a password: the restriction ends.
    with db.unit_of_work() as s:
        admin.change_own_password(s, result.actor, temporary, "my-own-pass-42")
    again = _sign_in(db, "zhang", "my-own-pass-42")
    assert again.credential_state == "ok"
    with db.read() as s:
        assert auth.session_user(s, "zhang").credential_state == "ok"


def test_a_temporary_password_expires(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        _view, temporary = admin.reset_password(s, BOSS, accounts["zhang"])
    later = utcnow() + dt.timedelta(hours=73)
    result = _sign_in(db, "zhang", temporary, later)
    assert (result.actor, result.code) == (None, "temporary_password_expired")
    with db.read() as s, pytest.raises(Unauthenticated):
        auth.session_user(s, "zhang", now=later)  # and a session opened with it ends


def test_a_password_older_than_the_policy_must_be_changed(db: Database, accounts: dict[str, int]) -> None:
    later = utcnow() + dt.timedelta(days=91)
    result = _sign_in(db, "zhang", PASSWORD, later)
    assert result.actor is not None
    assert result.credential_state == "expired"
    with db.read() as s:
        assert admin.get_account(s, BOSS, accounts["zhang"], now=later).state == "expired"


def test_open_account_hands_out_a_temporary_password(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        view, temporary = admin.open_account(
            s, BOSS, username="Wang.Wu", display_name="王五", department_code="zz-jtj", roles=[ROLE_DATA_OFFICER]
        )
    assert (view.username, view.state, view.department_name) == ("wang.wu", "temporary", "郑州市交通运输局")
    assert _sign_in(db, "wang.wu", temporary).credential_state == "temporary"


@pytest.mark.parametrize(
    ("current", "new", "code"),
    [
        ("wrong-pass-1", "new-pass-1234", "wrong_password"),
        (PASSWORD, "short1", "password_too_short"),
        (PASSWORD, "onlyletters", "password_too_weak"),
        (PASSWORD, PASSWORD, "password_unchanged"),
        (PASSWORD, "zhang-2026-new", "password_contains_username"),
    ],
)
def test_change_own_password_refuses(db: Database, accounts: dict[str, int], current: str, new: str, code: str) -> None:
    zhang = Actor(name="zhang", kind="account", department_code="zz-jtj", roles=frozenset({ROLE_DATA_OFFICER}))
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as excinfo:
        admin.change_own_password(s, zhang, current, new)
    assert excinfo.value.code == code
    assert _sign_in(db, "zhang", PASSWORD).actor is not None  # unchanged


def test_only_accounts_change_their_password(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        admin.change_own_password(s, SYSTEM, PASSWORD, "new-pass-1234")


# --- administration and its guards -------------------------------------------------------------------------


def test_list_accounts_filters_and_needs_the_administrator(db: Database, accounts: dict[str, int]) -> None:
    with db.read() as s:
        assert [a.username for a in admin.list_accounts(s, BOSS)] == ["boss", "deputy", "zhang"]
        assert [a.username for a in admin.list_accounts(s, BOSS, query="张")] == ["zhang"]
        assert [a.username for a in admin.list_accounts(s, BOSS, query="%")] == []  # a wildcard is a character
        assert [a.username for a in admin.list_accounts(s, BOSS, department_code="zz-jtj")] == ["zhang"]
        with pytest.raises(PermissionDenied):
            admin.list_accounts(s, OFFICE)


def test_update_account_is_audited_without_the_name(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        view = admin.update_account(
            s, BOSS, accounts["zhang"], display_name="张三丰", department_code="hn-fgc", roles=[ROLE_CREDIT_OFFICE]
        )
    assert (view.display_name, view.department_code, view.roles) == ("张三丰", "hn-fgc", (ROLE_CREDIT_OFFICE,))
    with db.read() as s:
        entry = list_entries(s, BOSS, target_type="account", target_id=str(accounts["zhang"]))[0]
        assert entry.action == "account.update"
        assert entry.details["roles"] == {"from": [ROLE_DATA_OFFICER], "to": [ROLE_CREDIT_OFFICE]}
        assert entry.details["department_code"] == {"from": "zz-jtj", "to": "hn-fgc"}
        assert "张" not in str(entry.details)
        # The new roles take effect on the next request.
        assert auth.session_user(s, "zhang").actor.roles == frozenset({ROLE_CREDIT_OFFICE})


def test_a_data_officer_needs_a_department(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as excinfo:
        admin.update_account(
            s, BOSS, accounts["zhang"], display_name="张三", department_code=None, roles=["data_officer"]
        )
    assert excinfo.value.code == "department_required"


def test_deactivation_ends_sessions_and_sign_in(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        assert admin.set_account_active(s, BOSS, accounts["zhang"], False).state == "inactive"
    with db.read() as s, pytest.raises(Unauthenticated):
        auth.session_user(s, "zhang")
    assert _sign_in(db, "zhang", PASSWORD).code == "invalid_credentials"
    with db.unit_of_work() as s:
        admin.set_account_active(s, BOSS, accounts["zhang"], True)
    assert _sign_in(db, "zhang", PASSWORD).actor is not None


def test_nobody_switches_off_or_demotes_themselves(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s, pytest.raises(PermissionDenied) as excinfo:
        admin.set_account_active(s, BOSS, accounts["boss"], False)
    assert excinfo.value.code == "own_account"
    with db.unit_of_work() as s, pytest.raises(PermissionDenied) as excinfo:
        admin.update_account(s, BOSS, accounts["boss"], display_name="王局", department_code=None, roles=["viewer"])
    assert excinfo.value.code == "own_admin_role"
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        admin.reset_password(s, BOSS, accounts["boss"])


def test_the_last_administrator_stays(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        admin.set_account_active(s, BOSS, accounts["deputy"], False)  # boss remains
    # A CLI operator could switch off the last one; the guard refuses.
    cli = Actor(name="root", kind="cli", roles=frozenset({ROLE_ADMIN}))
    with db.unit_of_work() as s, pytest.raises(Conflict) as excinfo:
        admin.set_account_active(s, cli, accounts["boss"], False)
    assert excinfo.value.code == "last_admin"
    with db.unit_of_work() as s, pytest.raises(Conflict):
        admin.update_account(s, cli, accounts["boss"], display_name="王局", department_code=None, roles=["viewer"])
    with db.read() as s:
        assert admin.get_account(s, BOSS, accounts["boss"]).state == "active"


# --- API keys ------------------------------------------------------------------------------------------------


def test_rotating_a_key_stops_the_old_one_at_once(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        client, old_key = auth.create_api_client(s, BOSS, "审批系统", "zz-jtj", [], [SCOPE_CHECK])
        client_id = client.id
    with db.unit_of_work() as s:
        auth.authenticate_api_key(s, old_key)  # verified and cached
    with db.unit_of_work() as s:
        _client, new_key = auth.rotate_api_key(s, OFFICE, client_id)
    assert keys.parse_prefix(new_key) != keys.parse_prefix(old_key)
    with db.unit_of_work() as s, pytest.raises(Unauthenticated):
        auth.authenticate_api_key(s, old_key)
    with db.unit_of_work() as s:
        assert auth.authenticate_api_key(s, new_key).name == f"审批系统#{client_id}"
    with db.read() as s:
        entry = list_entries(s, BOSS, target_type="api_client", target_id=str(client_id))[0]
        assert entry.action == "api_client.rotate_key"
        assert entry.details["old_key_prefix"] == keys.parse_prefix(old_key)
        assert new_key not in str(entry.details)


def test_reactivating_a_key(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        client, key = auth.create_api_client(s, BOSS, "审批系统", "zz-jtj", [], [SCOPE_CHECK])
        auth.deactivate_api_client(s, BOSS, client.id)
        client_id = client.id
    with db.unit_of_work() as s, pytest.raises(Unauthenticated):
        auth.authenticate_api_key(s, key)
    with db.unit_of_work() as s:
        assert auth.activate_api_client(s, BOSS, client_id).active
    with db.unit_of_work() as s:
        assert auth.authenticate_api_key(s, key).kind == "api_client"
    with db.read() as s:
        actions = [e.action for e in list_entries(s, BOSS, target_type="api_client", target_id=str(client_id))]
        assert actions[:2] == ["api_client.activate", "api_client.deactivate"]


def test_a_key_s_rights_change_and_the_key_stays(db: Database, accounts: dict[str, int]) -> None:
    with db.unit_of_work() as s:
        client, key = auth.create_api_client(s, BOSS, "执法系统", "zz-jtj", ["XZCF"], [SCOPE_CHECK])
        client_id = client.id
    with db.unit_of_work() as s:
        assert auth.authenticate_api_key(s, key).scopes == frozenset({SCOPE_CHECK})  # verified and cached
    with db.unit_of_work() as s:
        auth.update_api_client_rights(s, OFFICE, client_id, categories=[], scopes=[SCOPE_CHECK, "records:submit"])
    with db.unit_of_work() as s:
        actor = auth.authenticate_api_key(s, key)  # the same key, its new rights at once
    assert actor.scopes == frozenset({SCOPE_CHECK, "records:submit"})
    assert actor.categories == frozenset()
    with db.read() as s:
        entry = list_entries(s, BOSS, target_type="api_client", target_id=str(client_id))[0]
        assert entry.action == "api_client.update"
        assert entry.details["from"] == {"categories": ["XZCF"], "scopes": [SCOPE_CHECK]}
    for categories, scopes, code in (
        (["XZXK"], [SCOPE_CHECK], "category_not_sourced"),  # 郑州 here is a source of 行政处罚 only
        ([], [], "invalid_scope"),
        ([], ["everything"], "invalid_scope"),
    ):
        with db.unit_of_work() as s, pytest.raises(InvalidInput) as excinfo:
            auth.update_api_client_rights(s, BOSS, client_id, categories=categories, scopes=scopes)
        assert excinfo.value.code == code
    zhang = Actor(name="zhang", kind="account", department_code="zz-jtj", roles=frozenset({ROLE_DATA_OFFICER}))
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        auth.update_api_client_rights(s, zhang, client_id, categories=[], scopes=[SCOPE_CHECK])
