"""The security policy's rules (auth/policy.py) from tables of cases, and its data file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from transport_credit.auth import policy
from transport_credit.common.errors import InvalidInput

T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
LOGIN = policy.LoginPolicy(max_failures=5, lock_minutes=30)
PASSWORD = policy.PasswordPolicy(max_age_days=90, temporary_hours=72)
SESSION = policy.SessionPolicy(idle_minutes=30, absolute_hours=8)
INTERFACES = policy.InterfacePolicy(silent_days=7, reject_rate=0.2, min_records=20, window_days=30)


def test_the_shipped_policy_loads_with_its_numbers() -> None:
    rules = policy.security_policy()
    assert rules.kind == "security_policy"
    assert (rules.login.max_failures, rules.login.lock_minutes) == (5, 30)
    assert (rules.session.idle_minutes, rules.session.absolute_hours) == (30, 8)
    assert rules.password.max_age_days == 90


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("kind: security_policy\nversion: x\n", "login"),
        ("kind: other\n", "kind"),
        (": : :\n", "无法读取"),
    ],
)
def test_a_broken_policy_file_is_refused_with_its_name(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as excinfo:
        policy.load_policy(path)
    assert excinfo.value.code == "security_policy_invalid"
    assert "policy.yaml" in excinfo.value.message
    assert fragment in excinfo.value.message


@pytest.mark.parametrize(
    ("failures", "expected_failures", "locks"),
    [
        (0, 1, False),
        (3, 4, False),
        (4, 0, True),  # the 5th wrong password locks, and the count starts again
        (9, 0, True),  # a count above the limit (policy lowered since) locks at once
    ],
)
def test_after_failed_login(failures: int, expected_failures: int, locks: bool) -> None:
    outcome = policy.after_failed_login(failures, T0, LOGIN)
    assert outcome.failures == expected_failures
    assert outcome.locked_until == (T0 + dt.timedelta(minutes=30) if locks else None)


@pytest.mark.parametrize(
    ("locked_until", "now", "locked"),
    [
        (None, T0, False),
        (T0 + dt.timedelta(minutes=1), T0, True),
        (T0, T0, False),  # the lock ends at its time
        (T0 - dt.timedelta(seconds=1), T0, False),
    ],
)
def test_is_locked(locked_until: dt.datetime | None, now: dt.datetime, locked: bool) -> None:
    assert policy.is_locked(locked_until, now) is locked


DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("changed_ago", "must_change", "max_age_days", "state"),
    [
        (None, False, 90, "ok"),  # accounts from before the policy
        (DAY, False, 90, "ok"),
        (90 * DAY, False, 90, "ok"),
        (90 * DAY + HOUR, False, 90, "expired"),
        (900 * DAY, False, None, "ok"),  # expiry switched off
        (HOUR, True, 90, "temporary"),
        (72 * HOUR, True, 90, "temporary"),
        (72 * HOUR + dt.timedelta(seconds=1), True, 90, "temporary_expired"),
        (None, True, 90, "temporary"),
    ],
)
def test_password_state(
    changed_ago: dt.timedelta | None, must_change: bool, max_age_days: int | None, state: str
) -> None:
    rules = policy.PasswordPolicy(max_age_days=max_age_days, temporary_hours=72)
    changed = T0 - changed_ago if changed_ago is not None else None
    assert policy.password_state(changed, must_change, T0, rules) == state


NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("signed_in_ago", "seen_ago", "alive"),
    [
        (0, 0, True),
        (3600, 60, True),
        (3600, 30 * 60, True),
        (3600, 30 * 60 + 1, False),  # idle for longer than 30 minutes
        (8 * 3600, 10, True),
        (8 * 3600 + 1, 10, False),  # older than 8 hours, however active
        (-120, 0, False),  # signed in "in the future"
        (0, -120, False),
        (0, -30, True),  # a clock half a minute off is tolerated
    ],
)
def test_session_alive(signed_in_ago: float, seen_ago: float, alive: bool) -> None:
    assert policy.session_alive(NOW - signed_in_ago, NOW - seen_ago, NOW, SESSION) is alive


@pytest.mark.parametrize(
    ("active", "created_ago", "used_ago", "records", "rejected", "health"),
    [
        (False, 100 * DAY, HOUR, 100, 0, "inactive"),
        (True, DAY, None, 0, 0, "new"),
        (True, 7 * DAY, None, 0, 0, "new"),
        (True, 8 * DAY, None, 0, 0, "never_used"),
        (True, 100 * DAY, 8 * DAY, 0, 0, "silent"),
        (True, 100 * DAY, 7 * DAY, 0, 0, "ok"),
        (True, 100 * DAY, HOUR, 100, 21, "rejecting"),
        (True, 100 * DAY, HOUR, 100, 20, "ok"),  # exactly the share is not more than it
        (True, 100 * DAY, HOUR, 19, 19, "ok"),  # too few records to call it
        (True, 100 * DAY, HOUR, 20, 5, "rejecting"),
        (True, 100 * DAY, 8 * DAY, 100, 90, "silent"),  # silence is told first
    ],
)
def test_interface_health(
    active: bool,
    created_ago: dt.timedelta,
    used_ago: dt.timedelta | None,
    records: int,
    rejected: int,
    health: str,
) -> None:
    last_used = T0 - used_ago if used_ago is not None else None
    got = policy.interface_health(
        active=active,
        created_at=T0 - created_ago,
        last_used_at=last_used,
        records=records,
        rejected=rejected,
        now=T0,
        policy=INTERFACES,
    )
    assert got == health
    assert (got in policy.HEALTH_ALERTS) is (health in ("never_used", "silent", "rejecting"))


@pytest.mark.parametrize(
    ("changed_ago", "max_age_days", "left"),
    [
        (None, 90, None),  # accounts from before the policy
        (DAY, 90, None),  # far off
        (83 * DAY - HOUR, 90, None),  # a little more than 7 days left
        (83 * DAY + HOUR, 90, 6),
        (89 * DAY + HOUR, 90, 0),  # today
        (91 * DAY, 90, None),  # expired: password_state says so
        (89 * DAY, None, None),  # expiry switched off
    ],
)
def test_days_to_expiry(changed_ago: dt.timedelta | None, max_age_days: int | None, left: int | None) -> None:
    rules = policy.PasswordPolicy(max_age_days=max_age_days, temporary_hours=72, warn_days=7)
    changed = T0 - changed_ago if changed_ago is not None else None
    assert policy.days_to_expiry(changed, T0, rules) == left
