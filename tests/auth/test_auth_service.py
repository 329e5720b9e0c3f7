"""Auth use cases on a real database: departments, accounts, sign-in, API clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from pydantic import ValidationError
from sqlalchemy import select

from transport_credit.audit import list_entries, verify
from transport_credit.auth import keys, passwords
from transport_credit.auth import service as auth
from transport_credit.auth.models import Account, ApiClient
from transport_credit.auth.schema import SCOPE_CHECK, SCOPE_SUBMIT, DepartmentSpec
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from transport_credit.db.uow import Database

ADMIN = Actor(name="admin", kind="account", roles=frozenset({ROLE_ADMIN}))
CREDIT_OFFICE = Actor(name="li", kind="account", department_code="hn-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
OFFICER = Actor(name="zhang", kind="account", department_code="hn-yzc", roles=frozenset({ROLE_DATA_OFFICER}))

SPECS = [
    DepartmentSpec(code="hn-jtt", name="河南省交通运输厅", kind="office", level="province", region_code="410000"),
    DepartmentSpec(
        code="hn-fgc",
        name="厅法规处（信用办）",
        kind="office",
        level="province",
        region_code="410000",
        parent_code="hn-jtt",
    ),
    DepartmentSpec(
        code="hn-yzc",
        name="厅运输处",
        kind="transport",
        level="province",
        region_code="410000",
        parent_code="hn-jtt",
        categories=("road_transport_penalty", "road_transport_licence"),
    ),
    DepartmentSpec(
        code="zz-jtj",
        name="郑州市交通运输局",
        kind="transport",
        level="city",
        region_code="410100",
        uscc="11410100005184347X",
        categories=("road_transport_penalty",),
    ),
]


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """Production argon2 parameters take ~0.2 s a hash here; the tests need many."""
    previous = passwords.get_hasher()
    passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    keys.verified_keys.clear()
    yield
    passwords.set_hasher(previous)
    keys.verified_keys.clear()


@pytest.fixture
def departments(db: Database) -> None:
    with db.unit_of_work() as s:
        auth.sync_departments(s, SYSTEM, SPECS)


# --- departments -------------------------------------------------------------------------------------


def test_sync_departments_upserts_by_code(db: Database) -> None:
    with db.unit_of_work() as s:
        first = auth.sync_departments(s, ADMIN, SPECS)
    assert sorted(first.created) == sorted(d.code for d in SPECS)

    changed = [*SPECS[:3], SPECS[3].model_copy(update={"name": "郑州市交通运输局（新）", "categories": ()})]
    with db.unit_of_work() as s:
        second = auth.sync_departments(s, ADMIN, changed)
    assert second.created == []
    assert second.updated == ["zz-jtj"]
    assert sorted(second.unchanged) == ["hn-fgc", "hn-jtt", "hn-yzc"]

    with db.read() as s:
        zz = auth.get_department(s, "zz-jtj")
        assert zz.name == "郑州市交通运输局（新）"
        assert zz.categories == []
        assert zz.uscc == "11410100005184347X"
        assert [d.code for d in auth.list_departments(s)] == ["hn-fgc", "hn-jtt", "hn-yzc", "zz-jtj"]
        actions = [e.action for e in list_entries(s, ADMIN, target_type="department")]
        assert actions.count("department.create") == 4
        assert actions.count("department.update") == 1
        assert verify(s).ok


def test_sync_departments_checks_input(db: Database) -> None:
    with db.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            auth.sync_departments(s, CREDIT_OFFICE, SPECS)
        with pytest.raises(InvalidInput) as dup:
            auth.sync_departments(s, ADMIN, [SPECS[0], SPECS[0]])
        assert dup.value.code == "duplicate_department"
        with pytest.raises(InvalidInput) as orphan:
            auth.sync_departments(s, ADMIN, [SPECS[1]])
        assert orphan.value.code == "unknown_parent_department"


@pytest.mark.parametrize(
    "bad",
    [
        {"level": "nation"},
        {"region_code": "4101"},
        {"uscc": "123"},
        {"code": "有空格 的编码"},
        {"unexpected": "key"},
    ],
)
def test_department_spec_validation(bad: dict[str, str]) -> None:
    data = {"code": "x", "name": "某单位", "kind": "office", "level": "city", "region_code": "410100", **bad}
    with pytest.raises(ValidationError):
        DepartmentSpec.model_validate(data)


def test_get_unknown_department(db: Database) -> None:
    with db.read() as s, pytest.raises(NotFound, match="部门 nope 不存在") as excinfo:
        auth.get_department(s, "nope")
    assert excinfo.value.code == "department_not_found"


# --- accounts and sign-in -------------------------------------------------------------------------------


def _create_officer(db: Database, username: str = "zhang.san", password: str = "abcdefghij1") -> int:
    with db.unit_of_work() as s:
        return auth.create_account(s, ADMIN, username, "张三", password, "hn-yzc", [ROLE_DATA_OFFICER]).id


def test_create_account_and_sign_in(db: Database, departments: None) -> None:
    account_id = _create_officer(db, username=" Zhang.San ")
    with db.unit_of_work() as s:
        result = auth.sign_in(s, "ZHANG.SAN", "abcdefghij1")
    assert result.credential_state == "ok"
    assert result.actor == Actor(
        name="zhang.san", kind="account", department_code="hn-yzc", roles=frozenset({ROLE_DATA_OFFICER})
    )
    with db.read() as s:
        account = s.get(Account, account_id)
        assert account is not None
        assert account.username == "zhang.san"
        assert account.password_hash.startswith("$argon2id$")
        assert account.last_login_at is not None
        assert dt.datetime.now(dt.UTC) - account.last_login_at < dt.timedelta(minutes=1)
        entries = list_entries(s, ADMIN, target_type="account", target_id=str(account_id))
        assert [e.action for e in entries] == ["auth.login", "account.create"]
        assert "张三" not in str(entries[1].details)  # no personal names in the log
        assert verify(s).ok


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"password": "short1"}, InvalidInput, "password_too_short"),
        ({"password": "abcdefghijk"}, InvalidInput, "password_too_weak"),
        ({"password": "12345678901"}, InvalidInput, "password_too_weak"),
        ({"username": "ab"}, InvalidInput, "invalid_username"),
        ({"username": "张三"}, InvalidInput, "invalid_username"),
        ({"username": "13812345678"}, InvalidInput, "username_is_personal_info"),
        ({"display_name": "  "}, InvalidInput, "invalid_display_name"),
        ({"roles": []}, InvalidInput, "invalid_role"),
        ({"roles": ["superuser"]}, InvalidInput, "invalid_role"),
        ({"department_code": None}, InvalidInput, "department_required"),
        ({"department_code": "nope"}, NotFound, "department_not_found"),
        ({"username": "taken"}, Conflict, "username_taken"),
        ({"actor": CREDIT_OFFICE}, PermissionDenied, "role_required"),
    ],
)
def test_create_account_refuses(
    db: Database, departments: None, kwargs: dict[str, object], error: type[Exception], code: str
) -> None:
    _create_officer(db, username="taken")
    args: dict[str, object] = {
        "actor": ADMIN,
        "username": "li.si",
        "display_name": "李四",
        "password": "abcdefghij1",
        "department_code": "hn-yzc",
        "roles": [ROLE_DATA_OFFICER],
        **kwargs,
    }
    with db.unit_of_work() as s, pytest.raises(error) as excinfo:
        auth.create_account(s, **args)  # type: ignore[arg-type]
    assert getattr(excinfo.value, "code", None) == code


def test_sign_in_does_not_reveal_whether_the_account_exists(
    db: Database, departments: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create_officer(db)
    calls: list[str] = []
    real_verify = passwords.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    failures = []
    for username, password in [("nobody", "abcdefghij1"), ("zhang.san", "wrong-password1"), ("zhang.san", "")]:
        with db.unit_of_work() as s:
            result = auth.sign_in(s, username, password)
        failures.append((result.actor, result.code, result.message))
    assert set(failures) == {(None, "invalid_credentials", "用户名或密码错误")}
    # Same work: one argon2 verification each; the unknown user's against the dummy hash.
    assert len(calls) == 3
    assert calls[0] == passwords.dummy_hash()


def test_inactive_account_cannot_sign_in(db: Database, departments: None) -> None:
    account_id = _create_officer(db)
    with db.unit_of_work() as s:
        account = s.get(Account, account_id)
        assert account is not None
        account.active = False
    with db.unit_of_work() as s:
        result = auth.sign_in(s, "zhang.san", "abcdefghij1")
    assert (result.actor, result.code, result.message) == (None, "invalid_credentials", "用户名或密码错误")


def test_old_hash_is_upgraded_on_sign_in(db: Database, departments: None) -> None:
    account_id = _create_officer(db)
    stronger = PasswordHasher(time_cost=2, memory_cost=32, parallelism=1)
    passwords.set_hasher(stronger)
    with db.unit_of_work() as s:
        assert auth.sign_in(s, "zhang.san", "abcdefghij1").actor is not None
    with db.read() as s:
        account = s.get(Account, account_id)
        assert account is not None
        assert not stronger.check_needs_rehash(account.password_hash)
        assert stronger.verify(account.password_hash, "abcdefghij1")


# --- API clients ----------------------------------------------------------------------------------------


def _create_client(
    db: Database, categories: tuple[str, ...] = ("road_transport_penalty",), actor: Actor = CREDIT_OFFICE
) -> tuple[int, str]:
    with db.unit_of_work() as s:
        client, key = auth.create_api_client(s, actor, "运输审批系统", "hn-yzc", categories, [SCOPE_SUBMIT])
        return client.id, key


def test_api_client_lifecycle(db: Database, departments: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client_id, key = _create_client(db)
    assert keys.parse_prefix(key) is not None

    with db.unit_of_work() as s:
        actor = auth.authenticate_api_key(s, key)
    assert actor == Actor(
        name=f"运输审批系统#{client_id}",
        kind="api_client",
        department_code="hn-yzc",
        roles=frozenset({ROLE_DATA_OFFICER}),
        categories=frozenset({"road_transport_penalty"}),
        scopes=actor.scopes,
    )
    assert actor.scopes is not None
    with db.read() as s:
        stored = s.get(ApiClient, client_id)
        assert stored is not None
        assert actor.scopes == frozenset(stored.scopes)
        assert stored is not None
        assert key not in stored.key_hash
        assert stored.key_prefix == keys.parse_prefix(key)
        assert stored.last_used_at is not None
        assert stored.created_by == "account:li"

    # The second call is served from the cache: no argon2 verification.
    def no_argon2(key_hash: str, key: str) -> bool:
        raise AssertionError("argon2 verify called on a cached key")

    monkeypatch.setattr(keys, "verify_key", no_argon2)
    with db.unit_of_work() as s:
        assert auth.authenticate_api_key(s, key).department_code == "hn-yzc"
    monkeypatch.undo()

    with db.unit_of_work() as s:
        assert [c.id for c in auth.list_api_clients(s, ADMIN)] == [client_id]
        assert auth.list_api_clients(s, ADMIN, "zz-jtj") == []
        auth.deactivate_api_client(s, ADMIN, client_id)
        auth.deactivate_api_client(s, ADMIN, client_id)  # idempotent
        assert auth.list_api_clients(s, ADMIN, include_inactive=False) == []
    with db.unit_of_work() as s, pytest.raises(Unauthenticated) as excinfo:
        auth.authenticate_api_key(s, key)
    assert excinfo.value.code == "api_key_inactive"

    with db.read() as s:
        actions = [e.action for e in list_entries(s, ADMIN, target_type="api_client")]
        assert actions == ["api_client.deactivate", "api_client.create"]
        assert verify(s).ok


def test_deactivation_elsewhere_is_seen_despite_the_cache(db: Database, departments: None) -> None:
    """Another process deactivates the client: this process's cache must not keep the key alive."""
    client_id, key = _create_client(db)
    with db.unit_of_work() as s:
        auth.authenticate_api_key(s, key)
    assert len(keys.verified_keys) == 1
    with db.unit_of_work() as s:
        client = s.get(ApiClient, client_id)
        assert client is not None
        client.active = False  # behind the service's back, as another process would
    with db.unit_of_work() as s, pytest.raises(Unauthenticated):
        auth.authenticate_api_key(s, key)


def test_replaced_key_hash_invalidates_the_cache(db: Database, departments: None) -> None:
    client_id, key = _create_client(db)
    with db.unit_of_work() as s:
        auth.authenticate_api_key(s, key)
    with db.unit_of_work() as s:
        client = s.get(ApiClient, client_id)
        assert client is not None
        client.key_hash = keys.generate_key(client.key_prefix).key_hash  # key rotated elsewhere
    with db.unit_of_work() as s, pytest.raises(Unauthenticated):
        auth.authenticate_api_key(s, key)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "garbage",
        "tc_abcdefgh_" + "a" * 32,  # well formed, unknown prefix
    ],
)
def test_bad_api_keys(db: Database, departments: None, key: str) -> None:
    with db.unit_of_work() as s, pytest.raises(Unauthenticated, match="API 密钥无效"):
        auth.authenticate_api_key(s, key)


def test_wrong_secret_with_a_real_prefix(db: Database, departments: None) -> None:
    _, key = _create_client(db)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    with db.unit_of_work() as s, pytest.raises(Unauthenticated, match="API 密钥无效"):
        auth.authenticate_api_key(s, forged)


@pytest.mark.parametrize(
    ("actor", "department", "categories", "scopes", "error", "code"),
    [
        (OFFICER, "hn-yzc", ["road_transport_penalty"], [SCOPE_SUBMIT], PermissionDenied, "role_required"),
        (ADMIN, "nope", [], [SCOPE_CHECK], NotFound, "department_not_found"),
        (ADMIN, "hn-yzc", ["enforcement_penalty"], [SCOPE_SUBMIT], InvalidInput, "category_not_sourced"),
        (ADMIN, "hn-yzc", [], [], InvalidInput, "invalid_scope"),
        (ADMIN, "hn-yzc", [], ["everything"], InvalidInput, "invalid_scope"),
    ],
)
def test_create_api_client_refuses(
    db: Database,
    departments: None,
    actor: Actor,
    department: str,
    categories: list[str],
    scopes: list[str],
    error: type[Exception],
    code: str,
) -> None:
    with db.unit_of_work() as s, pytest.raises(error) as excinfo:
        auth.create_api_client(s, actor, "系统", department, categories, scopes)
    assert getattr(excinfo.value, "code", None) == code


def test_check_only_client_submits_nothing(db: Database, departments: None) -> None:
    with db.unit_of_work() as s:
        _, key = auth.create_api_client(s, ADMIN, "审批系统", "zz-jtj", [], [SCOPE_CHECK])
    with db.unit_of_work() as s:
        actor = auth.authenticate_api_key(s, key)
    assert actor.categories == frozenset()
    assert actor.department_code == "zz-jtj"


def test_unknown_api_client(db: Database) -> None:
    with db.unit_of_work() as s, pytest.raises(NotFound):
        auth.deactivate_api_client(s, ADMIN, 999)


def test_every_write_is_audited(db: Database, departments: None) -> None:
    _create_officer(db)
    _create_client(db)
    with db.read() as s:
        n_accounts = len(list(s.scalars(select(Account))))
        n_clients = len(list(s.scalars(select(ApiClient))))
        actions = {e.action for e in list_entries(s, ADMIN, limit=1000)}
    assert n_accounts == 1
    assert n_clients == 1
    assert actions == {"department.create", "account.create", "api_client.create"}
