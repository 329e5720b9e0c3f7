"""Who performs a use case. Every write records its actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from transport_credit.common.errors import PermissionDenied

ActorKind = Literal["account", "api_client", "system", "cli"]

# Roles (角色)
ROLE_ADMIN = "admin"  # 系统管理员: accounts, departments, calendars, catalog
ROLE_CREDIT_OFFICE = "credit_office"  # 信用办: catalog, lists, repair/objection decisions, all data
ROLE_DATA_OFFICER = "data_officer"  # 数据报送员: submits records for own department
ROLE_VIEWER = "viewer"  # 查询: reads files within government sharing
ALL_ROLES = (ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)


@dataclass(frozen=True)
class Actor:
    """The caller of a service function."""

    name: str
    kind: ActorKind
    department_code: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    # For API clients: the categories the key is scoped to (None = whatever the department may submit).
    categories: frozenset[str] | None = None
    # For API clients: the scopes the key carries (records:submit, credit:check, subjects:read); None = not a key.
    scopes: frozenset[str] | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or ROLE_ADMIN in self.roles or self.kind == "system"

    def require_scope(self, scope: str) -> None:
        """API clients need the scope on their key; people and the system are governed by roles instead."""
        if self.scopes is not None and scope not in self.scopes:
            raise PermissionDenied(f"该接入密钥没有「{scope}」权限", code="scope_required")

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            names = "、".join(roles)
            raise PermissionDenied(f"当前用户无权执行此操作（需要角色：{names}）", code="role_required")


SYSTEM = Actor(name="system", kind="system", roles=frozenset({ROLE_ADMIN}))
