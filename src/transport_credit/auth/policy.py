"""The security policy (账号与接入安全策略) as data, and the pure rules that apply it.

``data/security/policy.yaml`` holds the numbers (GB/T 22239-2019 第三级 names the measures: 登录失败处理, 口令定期更换,
登录连接超时自动退出; seed 004 asks for 接口状态监测). The functions below take the policy and the facts and return a
decision; the services (``auth/service.py``, ``auth/admin.py``, ``monitoring/interfaces.py``) read and write the
database around them. They are tested from tables of cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from transport_credit.common.datafiles import load_yaml_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoginPolicy(_Strict):
    max_failures: int = Field(ge=1, le=100)
    lock_minutes: int = Field(ge=1, le=24 * 60)


class PasswordPolicy(_Strict):
    max_age_days: int | None = Field(default=None, ge=1, le=3660)  # None: passwords do not expire
    temporary_hours: int = Field(ge=1, le=24 * 30)
    warn_days: int = Field(default=7, ge=0, le=366)  # the console says so this many days before expiry


class SessionPolicy(_Strict):
    idle_minutes: int = Field(ge=1, le=24 * 60)
    absolute_hours: int = Field(ge=1, le=24 * 7)


class InterfacePolicy(_Strict):
    silent_days: int = Field(ge=1, le=366)
    reject_rate: float = Field(gt=0, le=1)
    min_records: int = Field(ge=1)
    window_days: int = Field(ge=1, le=366)


class SecurityPolicy(_Strict):
    kind: Literal["security_policy"]
    version: str
    login: LoginPolicy
    password: PasswordPolicy
    session: SessionPolicy
    interfaces: InterfacePolicy


def load_policy(path: Path) -> SecurityPolicy:
    return load_yaml_model(path, SecurityPolicy, "安全策略文件", "security_policy_invalid")


@cache
def security_policy() -> SecurityPolicy:
    """The shipped policy (read once a process)."""
    return load_policy(Path(str(resources.files("transport_credit") / "data" / "security" / "policy.yaml")))


# --- sign-in --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedLogin:
    """What a wrong password does to an account: its new count of consecutive failures, and the lock if it starts."""

    failures: int
    locked_until: dt.datetime | None


def after_failed_login(failures: int, now: dt.datetime, policy: LoginPolicy) -> FailedLogin:
    """One more wrong password after ``failures`` consecutive ones. The ``max_failures``-th locks the account for
    ``lock_minutes`` and starts the count again (the next wrong password after the lock counts as the first)."""
    count = failures + 1
    if count >= policy.max_failures:
        return FailedLogin(0, now + dt.timedelta(minutes=policy.lock_minutes))
    return FailedLogin(count, None)


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


PasswordState = Literal["ok", "temporary", "temporary_expired", "expired"]


def password_state(
    changed_at: dt.datetime | None, must_change: bool, now: dt.datetime, policy: PasswordPolicy
) -> PasswordState:
    """Whether a password that was correct may be used:

    - ``temporary``: set by an administrator (new account, reset); signs in only to change it;
    - ``temporary_expired``: such a password older than ``temporary_hours``; it no longer signs in;
    - ``expired``: the user's own password, older than ``max_age_days``; signs in only to change it;
    - ``ok`` otherwise. A password with no date (accounts older than the policy) counts from ``now``: never expired.
    """
    if must_change:
        if changed_at is not None and now - changed_at > dt.timedelta(hours=policy.temporary_hours):
            return "temporary_expired"
        return "temporary"
    if policy.max_age_days is None or changed_at is None:
        return "ok"
    return "expired" if now - changed_at > dt.timedelta(days=policy.max_age_days) else "ok"


def days_to_expiry(changed_at: dt.datetime | None, now: dt.datetime, policy: PasswordPolicy) -> int | None:
    """Whole days left before a password in use expires, when that is within ``warn_days`` (0: expires today);
    None otherwise (far off, never, or already expired — then ``password_state`` says ``expired``)."""
    if policy.max_age_days is None or changed_at is None:
        return None
    left = changed_at + dt.timedelta(days=policy.max_age_days) - now
    if left < dt.timedelta(0) or left > dt.timedelta(days=policy.warn_days):
        return None
    return left.days


def session_alive(signed_in_at: float, last_seen_at: float, now: float, policy: SessionPolicy) -> bool:
    """A console session lives while it has been used within ``idle_minutes`` and is younger than
    ``absolute_hours``. (A clock a minute behind is tolerated: times are from one server, give or take.)"""
    if signed_in_at > now + 60 or last_seen_at > now + 60:
        return False
    return now - last_seen_at <= policy.idle_minutes * 60 and now - signed_in_at <= policy.absolute_hours * 3600


# --- interfaces (接口状态监测) -----------------------------------------------------------------------------------

InterfaceHealth = Literal["inactive", "new", "never_used", "silent", "rejecting", "ok"]

HEALTH_LABELS: dict[str, str] = {
    "inactive": "已停用",
    "new": "待接入",
    "never_used": "未接入",
    "silent": "接口静默",
    "rejecting": "拒收偏高",
    "ok": "正常",
}
# The states the credit office and the administrator are warned about (工作台).
HEALTH_ALERTS = frozenset({"never_used", "silent", "rejecting"})


def interface_health(
    *,
    active: bool,
    created_at: dt.datetime,
    last_used_at: dt.datetime | None,
    records: int,
    rejected: int,
    now: dt.datetime,
    policy: InterfacePolicy,
) -> InterfaceHealth:
    """The state of one business system's interface over the policy's window.

    In order: a switched-off key is ``inactive``; a key never used ``silent_days`` after it was issued is
    ``never_used`` (until then it is ``new``: a new key is given that long to be put to use); a key not used for
    ``silent_days`` is ``silent``; a system whose records were rejected more than ``reject_rate`` of the time, over
    at least ``min_records`` records, is ``rejecting``; else ``ok``.
    """
    if not active:
        return "inactive"
    silence = dt.timedelta(days=policy.silent_days)
    if last_used_at is None:
        return "never_used" if now - created_at > silence else "new"
    if now - last_used_at > silence:
        return "silent"
    if records >= policy.min_records and rejected > policy.reject_rate * records:
        return "rejecting"
    return "ok"
