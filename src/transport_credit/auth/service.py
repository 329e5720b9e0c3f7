"""Use cases of the auth package: departments, accounts, API clients, sign-in.

Services take the caller's ``Session`` and an ``Actor``, check permissions, never commit, and record every
write in the audit log. Messages for people are Chinese; every error carries a stable ``code``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record
from transport_credit.audit.rules import find_personal_info
from transport_credit.auth import keys
from transport_credit.auth.models import Account, ApiClient, Department
from transport_credit.auth.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    password_policy_violation,
    verify_password,
)
from transport_credit.auth.schema import API_SCOPES, DepartmentSpec
from transport_credit.common.actor import ALL_ROLES, ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from transport_credit.db.base import utcnow

# One message for every failed sign-in, so it never tells whether the account exists.
LOGIN_FAILED = "用户名或密码错误"
API_KEY_INVALID = "API 密钥无效"
# last_used_at is refreshed at most this often: a write on every API call would make the row a hot spot.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{2,63}$")
_DEPARTMENT_FIELDS = ("name", "kind", "level", "region_code", "parent_code", "uscc", "categories")


# --- departments (部门) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentSyncResult:
    """Department codes created, updated (or reactivated) and left as they were by :func:`sync_departments`."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def sync_departments(session: Session, actor: Actor, departments: Sequence[DepartmentSpec]) -> DepartmentSyncResult:
    """Create or update departments by ``code`` from a province configuration (admin).

    Departments missing from ``departments`` are left alone (never deleted: records refer to them).
    A listed department that was deactivated is reactivated. Every ``parent_code`` must name a department in
    ``departments`` or already in the database.
    """
    actor.require_role(ROLE_ADMIN)
    codes = [spec.code for spec in departments]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise InvalidInput(f"部门编码重复：{'、'.join(duplicates)}", code="duplicate_department")
    existing = {d.code: d for d in session.scalars(select(Department).where(Department.code.in_(codes)))}
    known = set(codes) | set(session.scalars(select(Department.code)))
    for spec in departments:
        if spec.parent_code is not None and (spec.parent_code == spec.code or spec.parent_code not in known):
            raise InvalidInput(
                f"部门 {spec.code} 的上级部门 {spec.parent_code} 不存在", code="unknown_parent_department"
            )

    result = DepartmentSyncResult()
    for spec in departments:
        wanted = {
            "name": spec.name,
            "kind": spec.kind,
            "level": spec.level,
            "region_code": spec.region_code,
            "parent_code": spec.parent_code,
            "uscc": spec.uscc,
            "categories": list(spec.categories),
        }
        dept = existing.get(spec.code)
        if dept is None:
            dept = Department(code=spec.code, active=True, **wanted)
            session.add(dept)
            session.flush()
            record(
                session,
                actor,
                "department.create",
                "department",
                spec.code,
                {k: wanted[k] for k in ("name", "kind", "level", "region_code", "parent_code", "categories")},
            )
            result.created.append(spec.code)
            continue
        changed = [name for name in _DEPARTMENT_FIELDS if getattr(dept, name) != wanted[name]]
        if not dept.active:
            changed.append("active")
        if not changed:
            result.unchanged.append(spec.code)
            continue
        for name in _DEPARTMENT_FIELDS:
            setattr(dept, name, wanted[name])
        dept.active = True
        session.flush()
        # Field names only: values such as the USCC are not needed to follow the change.
        record(session, actor, "department.update", "department", spec.code, {"changed": changed})
        result.updated.append(spec.code)
    return result


def list_departments(session: Session, *, include_inactive: bool = False) -> list[Department]:
    """All departments ordered by code (active ones unless ``include_inactive``)."""
    stmt = select(Department).order_by(Department.code)
    if not include_inactive:
        stmt = stmt.where(Department.active.is_(True))
    return list(session.scalars(stmt))


def get_department(session: Session, code: str) -> Department:
    """The department with ``code``; :class:`NotFound` otherwise."""
    dept = session.scalars(select(Department).where(Department.code == code)).one_or_none()
    if dept is None:
        raise NotFound(f"部门 {code} 不存在", code="department_not_found")
    return dept


# --- accounts (用户) ------------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_password_policy(password: str) -> None:
    """Raise :class:`InvalidInput` unless ``password`` has ≥ 10 characters with letters and digits."""
    violation = password_policy_violation(password)
    if violation is not None:
        code, message = violation
        raise InvalidInput(message, code=code)


def create_account(
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    department_code: str | None,
    roles: Sequence[str],
) -> Account:
    """Create a console account (admin). Usernames are stored lower-case and are unique."""
    actor.require_role(ROLE_ADMIN)
    username = normalize_username(username)
    if not _USERNAME.match(username):
        raise InvalidInput(
            "用户名须为 3–64 位小写字母、数字、下划线、点或连字符，且以字母或数字开头", code="invalid_username"
        )
    if find_personal_info(username) is not None:
        raise InvalidInput("用户名不能使用手机号或身份证号", code="username_is_personal_info")
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 100:
        raise InvalidInput("姓名不能为空，且不超过 100 个字符", code="invalid_display_name")
    check_password_policy(password)
    role_list = sorted(set(roles))
    unknown = [r for r in role_list if r not in ALL_ROLES]
    if not role_list or unknown:
        raise InvalidInput(f"角色无效：{'、'.join(unknown) or '未指定角色'}", code="invalid_role")
    if ROLE_DATA_OFFICER in role_list and department_code is None:
        raise InvalidInput("数据报送员必须属于一个部门", code="department_required")
    dept = get_department(session, department_code) if department_code is not None else None
    if dept is not None and not dept.active:
        raise InvalidInput(f"部门 {dept.code} 已停用", code="department_inactive")
    if session.scalars(select(Account.id).where(Account.username == username)).first() is not None:
        raise Conflict(f"用户名 {username} 已存在", code="username_taken")

    account = Account(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        department_id=dept.id if dept is not None else None,
        roles=role_list,
        active=True,
    )
    session.add(account)
    session.flush()
    # No display name in the log: it is a person's name.
    record(
        session,
        actor,
        "account.create",
        "account",
        str(account.id),
        {"username": username, "department_code": department_code, "roles": role_list},
    )
    return account


def authenticate(session: Session, username: str, password: str) -> Actor:
    """Check a username and password and return the account's actor; record the sign-in.

    Unknown user, wrong password, inactive account or inactive department all raise the same
    :class:`Unauthenticated` after the same argon2 work (an unknown user is checked against a dummy hash),
    so neither the message nor the timing says which accounts exist. A hash made with old parameters is
    replaced on success.
    """
    account = session.scalars(select(Account).where(Account.username == normalize_username(username))).one_or_none()
    if account is None:
        verify_password(dummy_hash(), password)
        raise Unauthenticated(LOGIN_FAILED, code="invalid_credentials")
    if not verify_password(account.password_hash, password) or not account.active:
        raise Unauthenticated(LOGIN_FAILED, code="invalid_credentials")
    dept = session.get(Department, account.department_id) if account.department_id is not None else None
    if dept is not None and not dept.active:
        raise Unauthenticated(LOGIN_FAILED, code="invalid_credentials")

    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.last_login_at = utcnow()
    actor = Actor(
        name=account.username,
        kind="account",
        department_code=dept.code if dept is not None else None,
        roles=frozenset(account.roles),
    )
    session.flush()
    record(session, actor, "auth.login", "account", str(account.id))
    return actor


def session_actor(session: Session, username: str) -> Actor:
    """The actor of a signed-in console user, read afresh from the database (no password check, no audit entry).

    Front doors with a session (the console) call this on every request, so an account or department that was
    deactivated, or whose roles changed, takes effect at once. Raises :class:`Unauthenticated` otherwise.
    """
    account = session.scalars(select(Account).where(Account.username == normalize_username(username))).one_or_none()
    if account is None or not account.active:
        raise Unauthenticated("登录已失效，请重新登录", code="session_invalid")
    dept = session.get(Department, account.department_id) if account.department_id is not None else None
    if dept is not None and not dept.active:
        raise Unauthenticated("登录已失效，请重新登录", code="session_invalid")
    return Actor(
        name=account.username,
        kind="account",
        department_code=dept.code if dept is not None else None,
        roles=frozenset(account.roles),
    )


# --- API clients (接入系统) -------------------------------------------------------------------------


def create_api_client(
    session: Session,
    actor: Actor,
    name: str,
    department_code: str,
    categories: Sequence[str],
    scopes: Sequence[str],
) -> tuple[ApiClient, str]:
    """Register a business system and return it with its key in plain text (admin, credit office).

    The plain key is shown once and never stored. ``categories`` must be categories the department is a
    source for; an empty list lets the key submit nothing (a check-only system). ``scopes`` ⊆ ``API_SCOPES``.
    """
    actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("接入系统名称不能为空，且不超过 100 个字符", code="invalid_name")
    dept = get_department(session, department_code)
    if not dept.active:
        raise InvalidInput(f"部门 {dept.code} 已停用", code="department_inactive")
    category_list = list(dict.fromkeys(categories))
    not_sourced = [c for c in category_list if c not in dept.categories]
    if not_sourced:
        raise InvalidInput(
            f"部门 {dept.code} 不是以下信用信息类别的数据来源单位：{'、'.join(not_sourced)}",
            code="category_not_sourced",
        )
    scope_list = list(dict.fromkeys(scopes))
    bad_scopes = [s for s in scope_list if s not in API_SCOPES]
    if not scope_list or bad_scopes:
        raise InvalidInput(f"权限范围无效：{'、'.join(bad_scopes) or '未指定'}", code="invalid_scope")

    new_key = keys.generate_key()
    while session.scalars(select(ApiClient.id).where(ApiClient.key_prefix == new_key.prefix)).first() is not None:
        new_key = keys.generate_key()  # 36^8 prefixes: a collision is rare, but the column is unique
    client = ApiClient(
        name=name,
        key_prefix=new_key.prefix,
        key_hash=new_key.key_hash,
        department_id=dept.id,
        categories=category_list,
        scopes=scope_list,
        active=True,
        created_by=actor.label,
    )
    session.add(client)
    session.flush()
    record(
        session,
        actor,
        "api_client.create",
        "api_client",
        str(client.id),
        {
            "name": name,
            "department_code": dept.code,
            "key_prefix": new_key.prefix,
            "categories": category_list,
            "scopes": scope_list,
        },
    )
    return client, new_key.plaintext


def _client_for_key(session: Session, key: str) -> ApiClient:
    """The client whose key ``key`` is, verified through the cache or argon2; raises :class:`Unauthenticated`."""
    prefix = keys.parse_prefix(key)
    if prefix is None:
        raise Unauthenticated(API_KEY_INVALID, code="invalid_api_key")
    fingerprint = keys.key_fingerprint(key)
    cached = keys.verified_keys.get(fingerprint)
    if cached is not None:
        client_id, key_hash = cached
        client = session.get(ApiClient, client_id, populate_existing=True)
        if client is not None and client.key_prefix == prefix and client.key_hash == key_hash:
            return client
        keys.verified_keys.discard(fingerprint)
    client = session.scalars(select(ApiClient).where(ApiClient.key_prefix == prefix)).one_or_none()
    # An unknown prefix is answered at once: prefixes are not secret, and a dummy argon2 run would only
    # make floods of bad keys cheaper to mount against us.
    if client is None or not keys.verify_key(client.key_hash, key):
        raise Unauthenticated(API_KEY_INVALID, code="invalid_api_key")
    keys.verified_keys.put(fingerprint, client.id, client.key_hash)
    return client


def authenticate_api_key(session: Session, key: str) -> Actor:
    """The actor of a business system calling with ``key``.

    The actor is of kind ``api_client``, belongs to the client's department, holds the role
    ``data_officer`` and is limited to the client's categories. Deactivated clients (or clients of a
    deactivated department) are refused on the next call: ``active`` is read from the database every time.
    """
    client = _client_for_key(session, key)
    dept = session.get(Department, client.department_id, populate_existing=True)
    if not client.active or dept is None or not dept.active:
        raise Unauthenticated("API 密钥已停用", code="api_key_inactive")
    now = utcnow()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION:
        client.last_used_at = now
        session.flush()
    return Actor(
        name=f"{client.name}#{client.id}",
        kind="api_client",
        department_code=dept.code,
        roles=frozenset({ROLE_DATA_OFFICER}),
        categories=frozenset(client.categories),
        scopes=frozenset(client.scopes),
    )


def get_api_client(session: Session, actor: Actor, client_id: int) -> ApiClient:
    """One API client (admin, credit office); :class:`NotFound` otherwise."""
    actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)
    client = session.get(ApiClient, client_id)
    if client is None:
        raise NotFound(f"接入系统 {client_id} 不存在", code="api_client_not_found")
    return client


def deactivate_api_client(session: Session, actor: Actor, client_id: int) -> ApiClient:
    """Switch a client's key off (admin, credit office). Idempotent; the key stops working at once."""
    client = get_api_client(session, actor, client_id)
    keys.verified_keys.invalidate_client(client.id)
    if not client.active:
        return client
    client.active = False
    session.flush()
    record(session, actor, "api_client.deactivate", "api_client", str(client.id), {"key_prefix": client.key_prefix})
    return client


def list_api_clients(
    session: Session, actor: Actor, department_code: str | None = None, *, include_inactive: bool = True
) -> list[ApiClient]:
    """API clients ordered by id, optionally of one department (admin, credit office)."""
    actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)
    stmt = select(ApiClient).order_by(ApiClient.id)
    if department_code is not None:
        stmt = stmt.where(ApiClient.department_id == get_department(session, department_code).id)
    if not include_inactive:
        stmt = stmt.where(ApiClient.active.is_(True))
    return list(session.scalars(stmt))
