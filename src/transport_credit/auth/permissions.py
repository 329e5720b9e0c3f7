"""Who may submit which credit records for which department (报送权限). Pure functions, no I/O.

The rules, in order:

1. A department may only submit the catalog categories it is a source for (数据来源单位), whoever acts for it;
   an inactive department submits nothing.
2. An API client (接入系统) submits only for its own department and only the categories its key is scoped to;
   roles never widen that.
3. Admin (系统管理员) and credit office (信用办) accounts, and the system itself, may submit for any department.
4. A data officer (数据报送员) may submit for their own department only.
5. Nobody else may submit.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import PermissionDenied


class DepartmentLike(Protocol):
    """What the rules need of a department (the ORM ``Department`` fits)."""

    @property
    def code(self) -> str: ...

    @property
    def categories(self) -> Collection[str]: ...


def submit_denial(actor: Actor, category_code: str, department: DepartmentLike) -> tuple[str, str] | None:
    """``None`` if ``actor`` may submit ``category_code`` for ``department``, else ``(code, Chinese message)``."""
    if not getattr(department, "active", True):
        return "department_inactive", f"部门 {department.code} 已停用，不能报送信用信息"
    if category_code not in department.categories:
        return (
            "category_not_sourced",
            f"部门 {department.code} 不是信用信息类别「{category_code}」的数据来源单位，不能报送该类信息",
        )
    if actor.kind == "api_client":
        if actor.department_code != department.code:
            return "other_department", "接入系统只能报送本单位的信用信息"
        if actor.categories is not None and category_code not in actor.categories:
            return "category_out_of_scope", f"该接入系统的密钥未获授权报送信用信息类别「{category_code}」"
        return None
    if actor.has_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE):
        return None
    if ROLE_DATA_OFFICER in actor.roles:
        if actor.department_code != department.code:
            return "other_department", "数据报送员只能报送本部门的信用信息"
        return None
    return "submit_not_allowed", "当前用户没有报送信用信息的权限"


def can_submit(actor: Actor, category_code: str, department: DepartmentLike) -> bool:
    """Whether ``actor`` may submit records of ``category_code`` on behalf of ``department``."""
    return submit_denial(actor, category_code, department) is None


def require_submit(actor: Actor, category_code: str, department: DepartmentLike) -> None:
    """Raise :class:`PermissionDenied` (Chinese message, stable code) unless :func:`can_submit`."""
    denial = submit_denial(actor, category_code, department)
    if denial is not None:
        code, message = denial
        raise PermissionDenied(message, code=code)


def department_view_scope(actor: Actor, department_code: str | None, what: str) -> str | None:
    """The department whose figures ``actor`` may look at, for a page or report on ``what`` (e.g. 文书号核查结果):
    the credit office, administrators and viewers see any department (``None``: all, or the one asked for); a data
    officer sees their own only (asked for another: refused)."""
    if actor.has_role(ROLE_CREDIT_OFFICE, ROLE_ADMIN, ROLE_VIEWER):
        return department_code
    if actor.has_role(ROLE_DATA_OFFICER) and actor.department_code:
        if department_code not in (None, actor.department_code):
            raise PermissionDenied(f"只能查看本单位的{what}", code="other_department")
        return actor.department_code
    raise PermissionDenied(f"当前用户无权查看{what}", code="role_required")
