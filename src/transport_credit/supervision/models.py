"""Inspectors, 双随机 tasks, drawn subjects and inspection results."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class Inspector(Base):
    """A law-enforcement inspector in the pool (执法检查人员名录库)."""

    __tablename__ = "supervision_inspectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 执法证号
    name: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(6))
    domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # USCC of a unit the inspector has ties with (former employer, relative's firm): never sent to inspect it.
    conflict_usccs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InspectionTask(Base):
    """A 双随机 task. ``seed`` and ``inputs`` are everything the draw used, so anyone can re-run it."""

    __tablename__ = "inspection_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(6))
    size: Mapped[int] = mapped_column(Integer)
    task_date: Mapped[dt.date] = mapped_column(Date)
    model_code: Mapped[str] = mapped_column(String(80))
    policy_code: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    strata: Mapped[dict[str, Any]] = mapped_column(JSONType)  # grade -> {population, drawn, ratio}
    status: Mapped[str] = mapped_column(String(16), default="drawn")  # drawn / published
    department_code: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InspectionItem(Base):
    """One drawn subject of a task with its inspectors and, later, the inspection result."""

    __tablename__ = "inspection_items"
    __table_args__ = (
        Index("ix_inspection_items_task", "task_id", "position"),
        Index("ix_inspection_items_subject", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(20))  # grade at draw time, or 未评价
    inspector_ids: Mapped[list[int]] = mapped_column(JSONType)
    result: Mapped[str | None] = mapped_column(String(20))  # 未发现问题 / 发现问题已责令整改 / ...
    result_note: Mapped[str | None] = mapped_column(Text)
    inspected_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[str | None] = mapped_column(String(120))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
