"""Table of the 信易+ launches: which scenario runs where, since when, by whom (the credit office records them)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class XinyiLaunch(Base):
    """A 信易+ scenario launched in a city (or a county, or the whole province by its code); ended when it stops."""

    __tablename__ = "xinyi_launches"
    __table_args__ = (Index("ix_xinyi_launches_scenario_region", "scenario_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_code: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(6))
    provider: Mapped[str] = mapped_column(String(200))  # who grants the benefit there (公交集团, 高速公司 …)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")  # 实施方案, terms (e.g. 通行费九五折)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
