"""Working-day schedules loaded by an administrator (override or extend the built-in data)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class CalendarYear(Base):
    """One year's State Council schedule: holidays (放假) and make-up working days (调休上班)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    holidays: Mapped[list[str]] = mapped_column(JSONType)  # ISO dates that are days off though weekdays
    workdays: Mapped[list[str]] = mapped_column(JSONType)  # ISO dates that are working days though weekend
    source: Mapped[str] = mapped_column(String(200))
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
