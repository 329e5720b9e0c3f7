"""Tables of the work ledger (创建工作台账): the loaded tasks and the responsible units' monthly progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class LedgerTask(Base):
    """One task of a year's ledger, as loaded from a ledger file (a later load of the year updates it)."""

    __tablename__ = "ledger_tasks"
    __table_args__ = (Index("uq_ledger_tasks_year_code", "year", "code", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    level1: Mapped[str] = mapped_column(String(200))  # 一级指标
    level2: Mapped[str] = mapped_column(String(200))  # 二级指标
    score: Mapped[float | None] = mapped_column(Float)
    task: Mapped[str] = mapped_column(Text)
    due: Mapped[str] = mapped_column(String(10))  # YYYY-MM or 持续推进
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # the due month's last day
    lead: Mapped[list[Any]] = mapped_column(JSON)  # department codes (or city_bureaus)
    support: Mapped[list[Any]] = mapped_column(JSON)
    responsible_text: Mapped[str] = mapped_column(String(500))
    indicator: Mapped[str | None] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)  # order in the ledger file
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: dropped by a later version of the ledger
    ledger_name: Mapped[str] = mapped_column(String(200))
    ledger_version: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerProgress(Base):
    """A responsible unit's progress on a task in a month (进展情况); reported again, it is replaced (audited)."""

    __tablename__ = "ledger_progress"
    __table_args__ = (Index("uq_ledger_progress", "task_id", "month", "department_code", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("ledger_tasks.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    department_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # not_started / in_progress / done / blocked
    note: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(120))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
