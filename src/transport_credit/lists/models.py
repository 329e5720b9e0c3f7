"""Tables of the lists package: list entries, credit checks, effects (成效清单) and typical cases (典型案例)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class ListEntry(Base):
    """One subject on one list (对象清单), from proposal to removal.

    ``state`` follows ``lists.lifecycle``: proposed → notified → listed → removed, or rejected before listing.
    Published entries are also written as credit records (HMD / HEIMD / ZDGZ) for readers outside this package.
    """

    __tablename__ = "list_entries"
    __table_args__ = (
        Index("ix_list_entries_subject", "subject_id", "state"),
        Index("ix_list_entries_state", "state", "valid_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_no: Mapped[str] = mapped_column(String(40), unique=True)  # 认定文号 / 编号
    list_code: Mapped[str] = mapped_column(String(40))  # list kind code from data/lists (black, red, …)
    list_type: Mapped[str] = mapped_column(String(10))  # red / black / watch
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    subject_name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(16))  # auto / manual / national
    criterion_code: Mapped[str | None] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)  # 列入事由
    basis: Mapped[str] = mapped_column(Text)  # 认定依据
    department_code: Mapped[str] = mapped_column(String(64))  # 认定部门
    evidence: Mapped[list[str]] = mapped_column(JSONType, default=list)  # record keys that met the criterion
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    notice_no: Mapped[str | None] = mapped_column(String(60))
    notice_text: Mapped[str | None] = mapped_column(Text)  # 告知书
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    objection_deadline: Mapped[dt.date | None] = mapped_column(Date)  # last day to object (working days)
    objection_text: Mapped[str | None] = mapped_column(Text)
    objection_status: Mapped[str | None] = mapped_column(String(16))  # pending / upheld / dismissed
    listed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    removal_reason: Mapped[str | None] = mapped_column(String(16))  # expired / repaired / corrected / revoked
    removal_basis: Mapped[str | None] = mapped_column(Text)
    record_key: Mapped[str | None] = mapped_column(String(200))  # natural key of the published credit record
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditCheck(Base):
    """One credit check (信用核查) by a business system or an official, and what it answered."""

    __tablename__ = "credit_checks"
    # Append-only at thousands of rows a second: the only index is check_no's (time-ordered, so it grows at its end).

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_no: Mapped[str] = mapped_column(String(32), unique=True)  # public id given to the caller
    subject_id: Mapped[int] = mapped_column(Integer)
    matter_code: Mapped[str] = mapped_column(String(40))
    department_code: Mapped[str] = mapped_column(String(64))  # 核查部门
    caller: Mapped[str] = mapped_column(String(120))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lists: Mapped[str | None] = mapped_column(String(40))  # list types found, e.g. "black,watch"
    measure_codes: Mapped[str | None] = mapped_column(Text)  # applicable measure codes, comma-separated
    warned: Mapped[bool] = mapped_column(Boolean, default=False)  # 重大失信主体警示 raised
    feedback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Effect(Base):
    """One line of the effect list (成效清单): a measure applied (or not) to a subject by a department."""

    __tablename__ = "effects"
    __table_args__ = (Index("ix_effects_dept_date", "department_code", "executed_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("credit_checks.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    subject_name: Mapped[str] = mapped_column(String(200))  # 被执行主体 (public form)
    measure_code: Mapped[str] = mapped_column(String(60))
    measure_name: Mapped[str] = mapped_column(String(300))  # 执行措施
    measure_kind: Mapped[str] = mapped_column(String(12))  # incentive / punishment
    applied: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[str | None] = mapped_column(Text)
    department_code: Mapped[str] = mapped_column(String(64))  # 执行部门
    executed_on: Mapped[dt.date] = mapped_column(Date)  # 执行时间
    matter_code: Mapped[str] = mapped_column(String(40))
    matter_name: Mapped[str] = mapped_column(String(200))  # 具体事项
    details: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TypicalCase(Base):
    """A typical case of joint reward or punishment (典型案例), drafted by the credit office and published."""

    __tablename__ = "typical_cases"
    __table_args__ = (Index("ix_typical_cases_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))  # reward / punishment
    domain: Mapped[str | None] = mapped_column(String(40))
    region_code: Mapped[str | None] = mapped_column(String(6))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    subject_name: Mapped[str | None] = mapped_column(String(200))  # public form (persons masked)
    effect_id: Mapped[int | None] = mapped_column(ForeignKey("effects.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("list_entries.id"))
    status: Mapped[str] = mapped_column(String(12))  # draft / published / withdrawn
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the shared platforms are told
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
