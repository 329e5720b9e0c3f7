"""Who may submit which categories for which department, and whose figures one may look at: tables of cases."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from transport_credit.auth.permissions import can_submit, department_view_scope, require_submit
from transport_credit.common.actor import (
    ROLE_ADMIN,
    ROLE_CREDIT_OFFICE,
    ROLE_DATA_OFFICER,
    ROLE_VIEWER,
    SYSTEM,
    Actor,
)
from transport_credit.common.errors import PermissionDenied


@dataclass
class Dept:
    code: str
    categories: list[str] = field(default_factory=list)
    active: bool = True


YZC = Dept("hn-yzc", ["road_transport_penalty", "road_transport_licence"])  # 运输处
ZFJ = Dept("hn-zfj", ["enforcement_penalty"])  # 执法局
OLD = Dept("hn-old", ["road_transport_penalty"], active=False)


def account(*roles: str, dept: str | None = "hn-yzc") -> Actor:
    return Actor(name="u", kind="account", department_code=dept, roles=frozenset(roles))


def client(categories: set[str] | None, dept: str = "hn-yzc", *roles: str) -> Actor:
    return Actor(
        name="审批系统#1",
        kind="api_client",
        department_code=dept,
        roles=frozenset(roles or {ROLE_DATA_OFFICER}),
        categories=None if categories is None else frozenset(categories),
    )


CASES = [
    # (case, actor, category, department, allowed, code)
    ("officer, own dept, sourced", account(ROLE_DATA_OFFICER), "road_transport_penalty", YZC, True, None),
    (
        "officer, own dept, not sourced",
        account(ROLE_DATA_OFFICER),
        "enforcement_penalty",
        YZC,
        False,
        "category_not_sourced",
    ),
    ("officer, other dept", account(ROLE_DATA_OFFICER), "enforcement_penalty", ZFJ, False, "other_department"),
    (
        "officer without dept",
        account(ROLE_DATA_OFFICER, dept=None),
        "enforcement_penalty",
        ZFJ,
        False,
        "other_department",
    ),
    ("viewer", account(ROLE_VIEWER), "road_transport_penalty", YZC, False, "submit_not_allowed"),
    ("no roles", account(), "road_transport_penalty", YZC, False, "submit_not_allowed"),
    ("credit office, any dept", account(ROLE_CREDIT_OFFICE, dept="hn-fgc"), "enforcement_penalty", ZFJ, True, None),
    (
        "credit office, not sourced",
        account(ROLE_CREDIT_OFFICE),
        "enforcement_penalty",
        YZC,
        False,
        "category_not_sourced",
    ),
    ("admin, any dept", account(ROLE_ADMIN, dept=None), "road_transport_licence", YZC, True, None),
    ("admin, not sourced", account(ROLE_ADMIN), "unknown_category", YZC, False, "category_not_sourced"),
    ("system", SYSTEM, "enforcement_penalty", ZFJ, True, None),
    ("system, not sourced", SYSTEM, "road_transport_penalty", ZFJ, False, "category_not_sourced"),
    ("inactive dept", account(ROLE_ADMIN), "road_transport_penalty", OLD, False, "department_inactive"),
    ("client, in scope", client({"road_transport_penalty"}), "road_transport_penalty", YZC, True, None),
    (
        "client, out of scope",
        client({"road_transport_penalty"}),
        "road_transport_licence",
        YZC,
        False,
        "category_out_of_scope",
    ),
    ("client, empty scope", client(set()), "road_transport_penalty", YZC, False, "category_out_of_scope"),
    ("client, unscoped key", client(None), "road_transport_licence", YZC, True, None),
    (
        "client, scope not sourced",
        client({"enforcement_penalty"}),
        "enforcement_penalty",
        YZC,
        False,
        "category_not_sourced",
    ),
    ("client, other dept", client({"enforcement_penalty"}), "enforcement_penalty", ZFJ, False, "other_department"),
    (
        "client with admin role gets no more",
        client({"enforcement_penalty"}, "hn-yzc", ROLE_ADMIN),
        "enforcement_penalty",
        ZFJ,
        False,
        "other_department",
    ),
]


@pytest.mark.parametrize(
    ("actor", "category", "department", "allowed", "code"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_submit_permissions(actor: Actor, category: str, department: Dept, allowed: bool, code: str | None) -> None:
    assert can_submit(actor, category, department) is allowed
    if allowed:
        require_submit(actor, category, department)
    else:
        with pytest.raises(PermissionDenied) as excinfo:
            require_submit(actor, category, department)
        assert excinfo.value.code == code
        assert excinfo.value.status == 403
        assert any("\u4e00" <= ch <= "\u9fff" for ch in excinfo.value.message)


VIEW_CASES = [
    ("credit office, all", account(ROLE_CREDIT_OFFICE), None, None, None),
    ("credit office, one department", account(ROLE_CREDIT_OFFICE), "hn-zfj", "hn-zfj", None),
    ("viewer, one department", account(ROLE_VIEWER), "hn-zfj", "hn-zfj", None),
    ("admin, all", account(ROLE_ADMIN), None, None, None),
    ("data officer: their own, unasked", account(ROLE_DATA_OFFICER), None, "hn-yzc", None),
    ("data officer: their own, asked", account(ROLE_DATA_OFFICER), "hn-yzc", "hn-yzc", None),
    ("data officer: another", account(ROLE_DATA_OFFICER), "hn-zfj", None, "other_department"),
    ("data officer without a department", account(ROLE_DATA_OFFICER, dept=None), None, None, "role_required"),
    ("no role", account(), None, None, "role_required"),
    ("a key: its own department", client(None), None, "hn-yzc", None),
]


@pytest.mark.parametrize(
    ("actor", "asked", "scope", "code"), [c[1:] for c in VIEW_CASES], ids=[c[0] for c in VIEW_CASES]
)
def test_department_view_scope(actor: Actor, asked: str | None, scope: str | None, code: str | None) -> None:
    if code is None:
        assert department_view_scope(actor, asked, "核查情况") == scope
    else:
        with pytest.raises(PermissionDenied) as refused:
            department_view_scope(actor, asked, "核查情况")
        assert refused.value.code == code
        assert "核查情况" in refused.value.message
