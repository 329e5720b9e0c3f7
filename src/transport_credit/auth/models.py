"""Departments, accounts and API clients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class Department(Base):
    """A unit that submits or uses credit information (厅机关处室, 直属单位, 市县交通运输局)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # 部门类型: office, highway, transport, enforcement, …
    level: Mapped[str] = mapped_column(String(16))  # province / city / county
    region_code: Mapped[str] = mapped_column(String(6))
    parent_code: Mapped[str | None] = mapped_column(String(64))
    uscc: Mapped[str | None] = mapped_column(String(18))
    # Catalog category codes this unit is a source for (数据来源单位).
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Account(Base):
    """A person who signs in to the console."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Security policy (auth/policy.py): consecutive wrong passwords and the lock they led to; when the password was
    # set (None: before the policy, never expires) and whether an administrator set it (temporary: change at once).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Shown to the user after signing in (上次登录): the sign-in before this one, and the wrong passwords typed since.
    previous_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failures_before_login: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiClient(Base):
    """A business system that pushes records or calls checks with its own key (hashed with argon2)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
