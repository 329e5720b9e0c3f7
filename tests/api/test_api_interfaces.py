"""接口状态监测 over real API traffic: what each business system pushed and checked, and the state it is in."""

from __future__ import annotations

import datetime as dt

import pytest
from api_kit import ORG_USCC, licence
from fastapi.testclient import TestClient

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.db.uow import Database
from transport_credit.monitoring import interfaces
from transport_credit.server import create_app
from transport_credit.settings import Settings

OFFICE = Actor(name="li", kind="account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))


def _h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_interfaces_are_counted_from_their_traffic(
    platform: Database, settings: Settings, licensing_key: str, enforcement_key: str, check_only_key: str
) -> None:
    good = [licence(n) for n in range(1, 20)]
    bad = [licence(n, 许可决定日期="2026-13-45") for n in range(20, 26)]  # 6 of 25 rejected: 24 %
    with TestClient(create_app(settings, platform)) as client:
        r = client.post("/api/v1/records/XZXK", json={"records": good + bad}, headers=_h(licensing_key))
        assert r.status_code == 200, r.text
        assert r.json()["rejected"] == 6
        for _ in range(3):
            r = client.post(
                "/api/v1/checks",
                json={"subject_code": ORG_USCC, "matter_code": "XK-DLYS-JY"},
                headers=_h(check_only_key),
            )
            assert r.status_code == 200, r.text
    # Leaving the client shut the application down: the check log is written.

    with platform.read() as s:
        report = interfaces.interface_report(s, OFFICE)
    by_name = {i.name: i for i in report.interfaces}
    licensing, enforcement, checking = by_name["行政许可系统"], by_name["执法办案系统"], by_name["审批系统"]
    assert (licensing.batches, licensing.records, licensing.rejected) == (1, 25, 6)
    assert licensing.health == "rejecting"
    assert licensing.health_label == "拒收偏高"
    assert licensing.reject_rate == 6 / 25
    assert (checking.checks, checking.batches, checking.health) == (3, 0, "ok")
    assert checking.last_used_at is not None
    assert (enforcement.last_used_at, enforcement.health) == (None, "new")  # issued today, not used yet
    assert report.attention == 1
    assert report.interfaces[0].name == "行政许可系统"  # what needs attention comes first

    # Eight days later, without traffic: the unused key was never put to use, the others fell silent.
    later = utcnow() + dt.timedelta(days=8)
    with platform.read() as s:
        later_report = interfaces.interface_report(s, OFFICE, now=later)
        one = interfaces.interface_status(s, OFFICE, checking.client_id, now=later)
    assert {i.name: i.health for i in later_report.interfaces} == {
        "行政许可系统": "silent",
        "执法办案系统": "never_used",
        "审批系统": "silent",
    }
    assert one.checks == 3  # still inside the 30-day window
    # After the window, the traffic is no longer counted.
    with platform.read() as s:
        much_later = interfaces.interface_status(s, OFFICE, licensing.client_id, now=utcnow() + dt.timedelta(days=31))
    assert (much_later.batches, much_later.records, much_later.checks) == (0, 0, 0)


def test_only_the_credit_office_and_the_administrator_see_interfaces(platform: Database) -> None:
    officer = Actor(name="zz", kind="account", department_code="410100-jtj", roles=frozenset({ROLE_DATA_OFFICER}))
    with platform.read() as s, pytest.raises(PermissionDenied) as excinfo:
        interfaces.interface_report(s, officer)
    assert excinfo.value.code == "role_required"
