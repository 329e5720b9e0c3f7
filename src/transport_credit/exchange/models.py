"""Exchange packages: one row per package generated for a target (全量 once, then 增量), the receivers'
acknowledgements (回执) and the records they sent back (退回)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
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
    # Sent to the exchange directory (前置交换目录, exchange/transfer.py): where, when, by whom (the last time).
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_to: Mapped[str | None] = mapped_column(String(500))
    sent_by: Mapped[str | None] = mapped_column(String(120))
    # Typical cases (典型案例) published or withdrawn up to this time are in this package or an earlier one (targets
    # that receive them); None: the package carries none.
    cases_through: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ExchangeReceipt(Base):
    """The receiving platform's acknowledgement (回执) of one package: how many of its records it took in and how
    many it sent back, with the file it came in (one receipt per package)."""

    __tablename__ = "exchange_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("exchange_packages.id"), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer)  # data lines in the receipt
    accepted: Mapped[int] = mapped_column(Integer)  # records the receiver took in (stated or implied)
    rejected: Mapped[int] = mapped_column(Integer)  # records sent back (退回)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeRejection(Base):
    """A record a receiving platform sent back (退回), for its source department to correct (整改). It is settled
    when a newer revision of the record exists: the next increment carries that revision."""

    __tablename__ = "exchange_rejections"
    __table_args__ = (Index("ix_exchange_rejections_dept", "department_code", "package_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("exchange_receipts.id"), index=True)
    package_id: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[int] = mapped_column(Integer)  # the revision that was sent
    category: Mapped[str] = mapped_column(String(40))
    natural_key: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(String(64))  # the record's source department: who corrects it
    reason: Mapped[str] = mapped_column(Text)
