"""Account administration (用户管理) and a user's own password (修改密码).

The administrator lists accounts with their state under the security policy (auth/policy.py), edits an account's
name, department and roles, switches it off and on, unlocks it, and resets its password to a temporary one that
must be changed at the next sign-in. Two guards keep the platform administrable: nobody switches off or demotes
their own account, and at least one active administrator remains. Every change is audited without the person's
name (the display name is personal information).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record
from transport_credit.auth import policy
from transport_credit.auth.models import Account, Department
from transport_credit.auth.passwords import generate_password, hash_password, verify_password
from transport_credit.auth.service import (
    account_department,
    check_display_name,
    check_password_policy,
    check_roles,
    create_account,
    normalize_username,
)
from transport_credit.common.actor import ROLE_ADMIN, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow

AccountState = Literal["active", "locked", "temporary", "expired", "inactive"]
STATE_LABELS: dict[str, str] = {
    "active": "正常",
    "locked": "已锁定",
    "temporary": "待修改初始密码",
    "expired": "密码已过期",
    "inactive": "已停用",
}


@dataclass(frozen=True)
class AccountView:
    """An account as the administrator sees it (no password hash)."""

    id: int
    username: str
    display_name: str
    department_code: str | None
    department_name: str | None
    roles: tuple[str, ...]
    active: bool
    state: AccountState
    failed_logins: int
    locked_until: dt.datetime | None
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    password_changed_at: dt.datetime | None


def account_state(account: Account, now: dt.datetime, rules: policy.SecurityPolicy) -> AccountState:
    if not account.active:
        return "inactive"
    if policy.is_locked(account.locked_until, now):
        return "locked"
    pw_state = policy.password_state(account.password_changed_at, account.must_change_password, now, rules.password)
    if pw_state in ("temporary", "temporary_expired"):
        return "temporary"
    return "active" if pw_state == "ok" else "expired"


def _view(account: Account, dept: Department | None, now: dt.datetime, rules: policy.SecurityPolicy) -> AccountView:
    return AccountView(
        id=account.id,
        username=account.username,
        display_name=account.display_name,
        department_code=dept.code if dept is not None else None,
        department_name=dept.name if dept is not None else None,
        roles=tuple(account.roles),
        active=account.active,
        state=account_state(account, now, rules),
        failed_logins=account.failed_logins,
        locked_until=account.locked_until if policy.is_locked(account.locked_until, now) else None,
        created_at=account.created_at,
        last_login_at=account.last_login_at,
        password_changed_at=account.password_changed_at,
    )


def list_accounts(
    session: Session,
    actor: Actor,
    *,
    query: str | None = None,
    department_code: str | None = None,
    now: dt.datetime | None = None,
) -> list[AccountView]:
    """Accounts by username (admin), optionally those whose username or name contains ``query``, or of one
    department."""
    actor.require_role(ROLE_ADMIN)
    stmt = select(Account, Department).outerjoin(Department, Department.id == Account.department_id)
    if query and query.strip():
        text = query.strip().lower()
        stmt = stmt.where(
            or_(
                Account.username.contains(text, autoescape=True),
                func.lower(Account.display_name).contains(text, autoescape=True),
            )
        )
    if department_code:
        stmt = stmt.where(Department.code == department_code)
    rules, moment = policy.security_policy(), now or utcnow()
    return [_view(a, d, moment, rules) for a, d in session.execute(stmt.order_by(Account.username))]


def _account(session: Session, actor: Actor, account_id: int) -> Account:
    actor.require_role(ROLE_ADMIN)
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"账号 {account_id} 不存在", code="account_not_found")
    return account


def get_account(session: Session, actor: Actor, account_id: int, *, now: dt.datetime | None = None) -> AccountView:
    account = _account(session, actor, account_id)
    dept = session.get(Department, account.department_id) if account.department_id is not None else None
    return _view(account, dept, now or utcnow(), policy.security_policy())


def open_account(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    department_code: str | None,
    roles: Sequence[str],
) -> tuple[AccountView, str]:
    """Create an account with a random temporary password (admin), returned once to hand over: the new user
    signs in with it only to choose their own, within the policy's ``temporary_hours``."""
    password = generate_password()
    account = create_account(session, actor, username, display_name, password, department_code, roles, temporary=True)
    return get_account(session, actor, account.id), password


def locked_accounts(session: Session, actor: Actor, *, now: dt.datetime | None = None) -> int:
    """How many accounts are locked after wrong passwords right now (admin)."""
    actor.require_role(ROLE_ADMIN)
    moment = now or utcnow()
    return int(
        session.scalar(
            select(func.count()).select_from(Account).where(Account.active.is_(True), Account.locked_until > moment)
        )
        or 0
    )


def _is_self(actor: Actor, account: Account) -> bool:
    return actor.kind == "account" and normalize_username(actor.name) == account.username


def _other_active_admins(session: Session, account: Account) -> int:
    admins = session.scalars(select(Account).where(Account.active.is_(True), Account.id != account.id))
    return sum(1 for a in admins if ROLE_ADMIN in a.roles)


def _keep_an_admin(session: Session, account: Account, message: str) -> None:
    if ROLE_ADMIN in account.roles and account.active and _other_active_admins(session, account) == 0:
        raise Conflict(message, code="last_admin")


def update_account(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    display_name: str,
    department_code: str | None,
    roles: Sequence[str],
) -> AccountView:
    """Change an account's name, department and roles (admin). Audited as ``account.update`` with what changed."""
    account = _account(session, actor, account_id)
    name = check_display_name(display_name)
    role_list = check_roles(roles)
    dept = account_department(session, department_code, role_list)
    if ROLE_ADMIN in account.roles and ROLE_ADMIN not in role_list:
        if _is_self(actor, account):
            raise PermissionDenied("不能取消自己的系统管理员角色", code="own_admin_role")
        _keep_an_admin(session, account, "这是最后一个有效的系统管理员账号，不能取消其管理员角色")
    changes: dict[str, object] = {}
    if sorted(account.roles) != role_list:
        changes["roles"] = {"from": sorted(account.roles), "to": role_list}
        account.roles = role_list
    new_dept_id = dept.id if dept is not None else None
    if account.department_id != new_dept_id:
        old = session.get(Department, account.department_id) if account.department_id is not None else None
        changes["department_code"] = {"from": old.code if old is not None else None, "to": department_code}
        account.department_id = new_dept_id
    if account.display_name != name:
        changes["display_name"] = "changed"  # the name itself is personal information: not in the log
        account.display_name = name
    if changes:
        session.flush()
        record(session, actor, "account.update", "account", str(account.id), {"username": account.username, **changes})
    return get_account(session, actor, account.id)


def set_account_active(session: Session, actor: Actor, account_id: int, active: bool) -> AccountView:
    """Switch an account off (its sessions end on their next request) or on again (admin). Idempotent."""
    account = _account(session, actor, account_id)
    if account.active != active:
        if not active:
            if _is_self(actor, account):
                raise PermissionDenied("不能停用自己的账号", code="own_account")
            _keep_an_admin(session, account, "这是最后一个有效的系统管理员账号，不能停用")
        account.active = active
        session.flush()
        event = "account.activate" if active else "account.deactivate"
        record(session, actor, event, "account", str(account.id), {"username": account.username})
    return get_account(session, actor, account.id)


def unlock_account(session: Session, actor: Actor, account_id: int) -> AccountView:
    """End a lock after wrong passwords before its time (admin). Idempotent."""
    account = _account(session, actor, account_id)
    if account.locked_until is not None or account.failed_logins:
        account.locked_until = None
        account.failed_logins = 0
        session.flush()
        record(session, actor, "account.unlock", "account", str(account.id), {"username": account.username})
    return get_account(session, actor, account.id)


def reset_password(session: Session, actor: Actor, account_id: int) -> tuple[AccountView, str]:
    """Give an account a new random temporary password (admin), returned once to hand over. It signs in only to
    be changed, within the policy's ``temporary_hours``; the account's lock ends with it. Not for one's own account
    (use :func:`change_own_password`)."""
    account = _account(session, actor, account_id)
    if _is_self(actor, account):
        raise PermissionDenied("请在「修改密码」中修改自己的密码", code="own_account")
    password = generate_password()
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()
    account.must_change_password = True
    account.locked_until = None
    account.failed_logins = 0
    session.flush()
    record(session, actor, "account.password_reset", "account", str(account.id), {"username": account.username})
    return get_account(session, actor, account.id), password


def change_own_password(session: Session, actor: Actor, current: str, new: str) -> None:
    """The signed-in user changes their own password: the current one must be right, the new one must meet the
    policy and differ from it. Ends a temporary or expired password's restrictions."""
    if actor.kind != "account":
        raise PermissionDenied("只有用户账号可以修改密码", code="account_required")
    account = session.scalars(select(Account).where(Account.username == normalize_username(actor.name))).one_or_none()
    if account is None or not account.active:
        raise NotFound("账号不存在或已停用", code="account_not_found")
    if not verify_password(account.password_hash, current):
        raise InvalidInput("当前密码不正确", code="wrong_password")
    check_password_policy(new)
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同", code="password_unchanged")
    if account.username in new.lower():
        raise InvalidInput("新密码不能包含用户名", code="password_contains_username")
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    account.must_change_password = False
    session.flush()
    record(session, actor, "account.password_change", "account", str(account.id), {"username": account.username})
