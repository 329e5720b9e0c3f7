"""Credit records (信用记录): one row per revision, nothing deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class CreditRecord(Base):
    """A revision of a credit record.

    A record is identified by (category, natural key); every change is a new revision and the previous one is
    marked not current. Revocation and repair are states of a revision, never deletions.
    """

    __tablename__ = "credit_records"
    __table_args__ = (
        Index("uq_credit_records_key_rev", "category", "natural_key", "revision", unique=True),
        Index("ix_credit_records_subject", "subject_id", "category"),
        # Only rows with warnings are looked up by batch (the batch page lists them): a small partial index.
        Index(
            "ix_credit_records_batch_warned",
            "batch_id",
            sqlite_where=text("warnings IS NOT NULL"),
            postgresql_where=text("warnings IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    natural_key: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # active / revoked / repaired / superseded
    # No foreign keys on this hot, append-only table: the pipeline resolves subject and batch ids in the same
    # transaction, and per-row referential checks cost more than the insert itself during bulk imports.
    subject_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(Integer)
    source_row: Mapped[int | None] = mapped_column(Integer)
    department_code: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[dt.date | None] = mapped_column(Date)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    report_deadline: Mapped[dt.date | None] = mapped_column(Date)  # 7 working days after decision (双公示)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)  # calendar fallback used
    severity: Mapped[str | None] = mapped_column(String(10))  # minor / general / serious
    publicity_rule_version: Mapped[str | None] = mapped_column(String(40))
    publicity_start: Mapped[dt.date | None] = mapped_column(Date)
    publicity_min_end: Mapped[dt.date | None] = mapped_column(Date)  # earliest repair date
    publicity_end: Mapped[dt.date | None] = mapped_column(Date)
    quality_score: Mapped[float] = mapped_column(Float)
    content_hash: Mapped[str] = mapped_column(String(32))
    # Normalised values, personal data only masked. Plain JSON (text) rather than JSONB on PostgreSQL: records are
    # written in bulk and read whole; parsing into JSONB would double the cost of COPY (see docs/architecture.md).
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    pii_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)  # AES-GCM of the clear personal fields
    warnings: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
