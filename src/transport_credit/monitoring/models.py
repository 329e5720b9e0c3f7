"""Facts of the credit monitoring analysis (信用监测分析): the counted 行政处罚 and 行政许可 records summed per day and
per month, rebuilt month by month when a month's records change (``monitoring/facts.py``). Derived data: it can be
dropped and rebuilt from ``credit_records`` at any time. And the departments' explanations of decision numbers they
did not report (文书号断号说明, ``monitoring/gaps.py``): data of their own."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class AnalysisMonth(Base):
    """A (category, month) whose facts are built, and the state of its source rows when they were built: the
    number of record rows (every revision) decided in the month and the largest record id among them."""

    __tablename__ = "analysis_months"

    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM of the decision date
    source_rows: Mapped[int] = mapped_column(Integer)
    source_max_id: Mapped[int] = mapped_column(Integer)
    # Every record id up to this one was committed when the month was built (records/ids.py): rows above it may be
    # new to the facts. 0 when it could not be told (records were being written): everything is looked at again.
    settled_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AnalysisDaily(Base):
    """Counted records per decision day, severity and domain (the trend, and a month under way's same days)."""

    __tablename__ = "analysis_daily"
    __table_args__ = (Index("ix_analysis_daily_category_day", "category", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    day: Mapped[dt.date] = mapped_column(Date)
    serious: Mapped[bool] = mapped_column(Boolean)
    domain: Mapped[str] = mapped_column(String(40))  # "" when the record names none
    records: Mapped[int] = mapped_column(Integer)


class AnalysisMonthly(Base):
    """Counted records per decision month, severity, domain, violation type and the subject's city (高发问题 and
    the 诚信地图)."""

    __tablename__ = "analysis_monthly"
    __table_args__ = (Index("ix_analysis_monthly_category_month", "category", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))
    serious: Mapped[bool] = mapped_column(Boolean)
    domain: Mapped[str] = mapped_column(String(40))
    violation_type: Mapped[str] = mapped_column(String(200))  # "" when none (licences, or not filled in)
    city: Mapped[str] = mapped_column(String(6))  # the subject's city (地市) code, or "other"
    records: Mapped[int] = mapped_column(Integer)


class NumberGapNote(Base):
    """A department's explanation of decision numbers of one sequence it did not report (voided, reserved, not
    public …): the serials ``serial_from``–``serial_to`` leave the 疑似漏报 count. Never changed; a mistaken note is
    withdrawn (``withdrawn_at``) and the serials count again."""

    __tablename__ = "number_gap_notes"
    __table_args__ = (Index("ix_number_gap_notes_sequence", "department_code", "category", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_code: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(40))
    prefix: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    serial_from: Mapped[int] = mapped_column(Integer)
    serial_to: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(120))
