"""Exchange packages: one row per package generated for a target (全量 once, then 增量)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class ExchangePackage(Base):
    """A package of changed records for a target platform; ``(from_record_id, to_record_id]`` is what it covers."""

    __tablename__ = "exchange_packages"
    __table_args__ = (Index("uq_exchange_packages_target_seq", "target", "sequence", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)  # 1 = the full set, then 2, 3, … per target
    kind: Mapped[str] = mapped_column(String(12))  # full / increment
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM the package reports
    from_record_id: Mapped[int] = mapped_column(Integer)  # exclusive
    to_record_id: Mapped[int] = mapped_column(Integer)  # inclusive
    rows: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType)  # category → {"upsert": n, "withdraw": n}
    directory: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    previous_sha256: Mapped[str | None] = mapped_column(String(64))  # the manifest of the previous package
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
