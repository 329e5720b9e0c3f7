"""Use cases of the auth package: departments, accounts, API clients, sign-in.

Services take the caller's ``Session`` and an ``Actor``, check permissions, never commit, and record every
write in the audit log. Messages for people are Chinese; every error carries a stable ``code``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record
from transport_credit.audit.rules import find_personal_info
from transport_credit.auth import keys, policy
from transport_credit.auth.models import Account, ApiClient, Department
from transport_credit.auth.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    password_policy_violation,
    verify_password,
)
from transport_credit.auth.policy import PasswordState
from transport_credit.auth.schema import API_SCOPES, DepartmentSpec
from transport_credit.common.actor import ALL_ROLES, ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from transport_credit.db.base import utcnow

# One message for every failed sign-in, so it never tells whether the account exists.
LOGIN_FAILED = "用户名或密码错误"
API_KEY_INVALID = "API 密钥无效"
# last_used_at is refreshed at most this often: a write on every API call would make the row a hot spot.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)
_CHINA = dt.timezone(dt.timedelta(hours=8))  # lock times are told in Beijing time

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
    *,
    temporary: bool = False,
) -> Account:
    """Create a console account (admin). Usernames are stored lower-case and are unique. ``temporary``: the
    password was chosen by the administrator for someone else; it must be changed at the first sign-in, within the
    policy's ``temporary_hours``."""
    actor.require_role(ROLE_ADMIN)
    username = normalize_username(username)
    if not _USERNAME.match(username):
        raise InvalidInput(
            "用户名须为 3–64 位小写字母、数字、下划线、点或连字符，且以字母或数字开头", code="invalid_username"
        )
    if find_personal_info(username) is not None:
        raise InvalidInput("用户名不能使用手机号或身份证号", code="username_is_personal_info")
    display_name = check_display_name(display_name)
    check_password_policy(password)
    role_list = check_roles(roles)
    dept = account_department(session, department_code, role_list)
    if session.scalars(select(Account.id).where(Account.username == username)).first() is not None:
        raise Conflict(f"用户名 {username} 已存在", code="username_taken")

    account = Account(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        department_id=dept.id if dept is not None else None,
        roles=role_list,
        active=True,
        password_changed_at=utcnow(),
        must_change_password=temporary,
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
        {"username": username, "department_code": department_code, "roles": role_list, "temporary": temporary},
    )
    return account


def check_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 100:
        raise InvalidInput("姓名不能为空，且不超过 100 个字符", code="invalid_display_name")
    return display_name


def check_roles(roles: Sequence[str]) -> list[str]:
    role_list = sorted(set(roles))
    unknown = [r for r in role_list if r not in ALL_ROLES]
    if not role_list or unknown:
        raise InvalidInput(f"角色无效：{'、'.join(unknown) or '未指定角色'}", code="invalid_role")
    return role_list


def account_department(session: Session, department_code: str | None, roles: Sequence[str]) -> Department | None:
    """The department an account with ``roles`` is put in: active, and required for data officers."""
    if ROLE_DATA_OFFICER in roles and department_code is None:
        raise InvalidInput("数据报送员必须属于一个部门", code="department_required")
    dept = get_department(session, department_code) if department_code is not None else None
    if dept is not None and not dept.active:
        raise InvalidInput(f"部门 {dept.code} 已停用", code="department_inactive")
    return dept


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in. ``actor`` is None when it failed, with ``code`` and ``message`` saying why; the
    failure's effect on the account (its count of wrong passwords, a lock) is written to the caller's session, which
    the caller commits like any other write. ``credential_state`` says whether the password may be used (policy.py):
    anything but ``ok`` lets the user do nothing but change it."""

    actor: Actor | None
    code: str | None = None
    message: str | None = None
    credential_state: PasswordState = "ok"


def _locked_message(until: dt.datetime) -> str:
    local = until.astimezone(_CHINA).strftime("%H:%M")
    return f"连续登录失败次数过多，账号已临时锁定，请于 {local} 后再试，或联系系统管理员解锁"


class _UnknownNames:
    """Wrong passwords for usernames that do not exist, counted in this process like an account's, so that the lock
    message does not tell existing accounts from others (bounded: the oldest names are forgotten first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._state: dict[str, tuple[int, dt.datetime | None]] = {}
        self._lock = threading.Lock()

    def locked_until(self, name: str, now: dt.datetime) -> dt.datetime | None:
        with self._lock:
            until = self._state.get(name, (0, None))[1]
        return until if policy.is_locked(until, now) else None

    def fail(self, name: str, now: dt.datetime, rules: policy.LoginPolicy) -> dt.datetime | None:
        with self._lock:
            failures, until = self._state.pop(name, (0, None))
            outcome = policy.after_failed_login(0 if policy.is_locked(until, now) else failures, now, rules)
            self._state[name] = (outcome.failures, outcome.locked_until)
            while len(self._state) > self.limit:
                del self._state[next(iter(self._state))]
        return outcome.locked_until


_unknown_names = _UnknownNames()


def sign_in(session: Session, username: str, password: str, *, now: dt.datetime | None = None) -> SignIn:
    """Check a username and password (console sign-in) under the security policy.

    - Unknown user, wrong password, inactive account or inactive department all fail with the same
      ``invalid_credentials`` after the same argon2 work (an unknown user is checked against a dummy hash), so
      neither the message nor the timing says which accounts exist.
    - ``max_failures`` consecutive wrong passwords lock the account for ``lock_minutes`` (``account_locked``,
      audited as ``auth.lock``); while locked, no password is checked. Unknown usernames are locked alike.
    - A temporary password (set by an administrator) older than ``temporary_hours`` fails with
      ``temporary_password_expired``.
    - Success resets the count, records the sign-in, and says whether the password must be changed first.
    A hash made with old parameters is replaced on success.
    """
    rules = policy.security_policy()
    now = now or utcnow()
    name = normalize_username(username)
    account = session.scalars(select(Account).where(Account.username == name)).one_or_none()
    if account is None:
        if (until := _unknown_names.locked_until(name, now)) is not None:
            return SignIn(None, "account_locked", _locked_message(until))
        verify_password(dummy_hash(), password)
        until = _unknown_names.fail(name, now, rules.login)
        if until is not None:
            return SignIn(None, "account_locked", _locked_message(until))
        return SignIn(None, "invalid_credentials", LOGIN_FAILED)
    if policy.is_locked(account.locked_until, now):
        assert account.locked_until is not None
        return SignIn(None, "account_locked", _locked_message(account.locked_until))
    if not verify_password(account.password_hash, password):
        outcome = policy.after_failed_login(account.failed_logins, now, rules.login)
        account.failed_logins, account.locked_until = outcome.failures, outcome.locked_until
        session.flush()
        if outcome.locked_until is not None:
            record(
                session,
                POLICY_ACTOR,
                "auth.lock",
                "account",
                str(account.id),
                {"until": outcome.locked_until.isoformat(), "failures": rules.login.max_failures},
            )
            return SignIn(None, "account_locked", _locked_message(outcome.locked_until))
        return SignIn(None, "invalid_credentials", LOGIN_FAILED)
    dept = session.get(Department, account.department_id) if account.department_id is not None else None
    if not account.active or (dept is not None and not dept.active):
        return SignIn(None, "invalid_credentials", LOGIN_FAILED)
    state = policy.password_state(account.password_changed_at, account.must_change_password, now, rules.password)
    if state == "temporary_expired":
        return SignIn(None, "temporary_password_expired", "初始密码或重置的密码已过有效期，请联系系统管理员重新设置")

    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.previous_login_at, account.failures_before_login = account.last_login_at, account.failed_logins
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    actor = _actor_of(account, dept)
    session.flush()
    record(session, actor, "auth.login", "account", str(account.id))
    return SignIn(actor, credential_state=state)


def _actor_of(account: Account, dept: Department | None) -> Actor:
    return Actor(
        name=account.username,
        kind="account",
        department_code=dept.code if dept is not None else None,
        roles=frozenset(account.roles),
    )


# The actor of what the platform does to an account by itself (a lock after wrong passwords).
POLICY_ACTOR = Actor(name="security_policy", kind="system", roles=frozenset({ROLE_ADMIN}))


@dataclass(frozen=True)
class ConsoleUser:
    """A signed-in console user as read on each request: the actor, and whether the password must be changed."""

    actor: Actor
    credential_state: PasswordState
    expires_in_days: int | None = None  # the password expires within the policy's warn_days (0: today)
    previous_login_at: dt.datetime | None = None  # 上次登录: the sign-in before this session's
    failures_before_login: int = 0  # wrong passwords typed between that sign-in and this one


def session_user(session: Session, username: str, *, now: dt.datetime | None = None) -> ConsoleUser:
    """The signed-in console user, read afresh from the database (no password check, no audit entry).

    Front doors with a session (the console) call this on every request, so an account or department that was
    deactivated, or whose roles changed, takes effect at once, and so does a password reset by an administrator
    (the next request asks for a new password). Raises :class:`Unauthenticated` otherwise.
    """
    account = session.scalars(select(Account).where(Account.username == normalize_username(username))).one_or_none()
    if account is None or not account.active:
        raise Unauthenticated("登录已失效，请重新登录", code="session_invalid")
    dept = session.get(Department, account.department_id) if account.department_id is not None else None
    if dept is not None and not dept.active:
        raise Unauthenticated("登录已失效，请重新登录", code="session_invalid")
    rules = policy.security_policy()
    moment = now or utcnow()
    state = policy.password_state(account.password_changed_at, account.must_change_password, moment, rules.password)
    if state == "temporary_expired":
        raise Unauthenticated("登录已失效，请重新登录", code="session_invalid")
    left = policy.days_to_expiry(account.password_changed_at, moment, rules.password) if state == "ok" else None
    return ConsoleUser(_actor_of(account, dept), state, left, account.previous_login_at, account.failures_before_login)


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
    category_list, scope_list = _client_rights(dept, categories, scopes)

    new_key = _unused_key(session)
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
    return client_actor(client, dept.code)


def client_actor(client: ApiClient, department_code: str) -> Actor:
    """The actor a business system acts as: its batches and checks are recorded under this actor's label
    (``api_client:<name>#<id>``; the credit check's fast lane builds the same actor from a row)."""
    return Actor(
        name=f"{client.name}#{client.id}",
        kind="api_client",
        department_code=department_code,
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


def activate_api_client(session: Session, actor: Actor, client_id: int) -> ApiClient:
    """Switch a client's key on again (admin, credit office). Idempotent. Its department must be active."""
    client = get_api_client(session, actor, client_id)
    if client.active:
        return client
    dept = session.get(Department, client.department_id)
    if dept is None or not dept.active:
        raise InvalidInput("该接入系统所属部门已停用，不能启用", code="department_inactive")
    client.active = True
    session.flush()
    record(session, actor, "api_client.activate", "api_client", str(client.id), {"key_prefix": client.key_prefix})
    return client


def _client_rights(dept: Department, categories: Sequence[str], scopes: Sequence[str]) -> tuple[list[str], list[str]]:
    """A client's categories (ones its department is a source for) and scopes (known, at least one)."""
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
    return category_list, scope_list


def update_api_client_rights(
    session: Session, actor: Actor, client_id: int, *, categories: Sequence[str], scopes: Sequence[str]
) -> ApiClient:
    """Change what a client's key may do (admin, credit office): its scopes and the categories it may submit, under
    the same rules as at registration. The key stays; the change applies to its next call in this process and
    within ``api_key_recheck_seconds`` in others. Audited with the old and new rights."""
    client = get_api_client(session, actor, client_id)
    dept = session.get(Department, client.department_id)
    assert dept is not None
    category_list, scope_list = _client_rights(dept, categories, scopes)
    old = {"categories": list(client.categories), "scopes": list(client.scopes)}
    if old == {"categories": category_list, "scopes": scope_list}:
        return client
    client.categories, client.scopes = category_list, scope_list
    keys.verified_keys.invalidate_client(client.id)
    session.flush()
    record(
        session,
        actor,
        "api_client.update",
        "api_client",
        str(client.id),
        {"from": old, "to": {"categories": category_list, "scopes": scope_list}},
    )
    return client


def rotate_api_key(session: Session, actor: Actor, client_id: int) -> tuple[ApiClient, str]:
    """Replace a client's key (admin, credit office): the new key is returned once, the old one stops working at
    once in this process and within ``api_key_recheck_seconds`` in others (keys.py). For a key that leaked, or a
    routine change; the client keeps its history, scopes and categories."""
    client = get_api_client(session, actor, client_id)
    new_key = _unused_key(session)
    old_prefix = client.key_prefix
    keys.verified_keys.invalidate_client(client.id)
    client.key_prefix, client.key_hash = new_key.prefix, new_key.key_hash
    session.flush()
    record(
        session,
        actor,
        "api_client.rotate_key",
        "api_client",
        str(client.id),
        {"old_key_prefix": old_prefix, "key_prefix": new_key.prefix},
    )
    return client, new_key.plaintext


def _unused_key(session: Session) -> keys.NewKey:
    new_key = keys.generate_key()
    while session.scalars(select(ApiClient.id).where(ApiClient.key_prefix == new_key.prefix)).first() is not None:
        new_key = keys.generate_key()  # 36^8 prefixes: a collision is rare, but the column is unique
    return new_key


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
