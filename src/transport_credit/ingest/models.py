"""Import batches (批次) and the quarantine of rejected rows (问题数据)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class Batch(Base):
    """One submission: a file import or an API push. Written atomically with its rows."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    department_code: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(16))  # file / api / resubmit / declaration
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    file_format: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(20))
    mapping: Mapped[str | None] = mapped_column(String(60))
    catalog_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # completed
    total: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    warned: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    revised: Mapped[int] = mapped_column(Integer, default=0)
    new_subjects: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resubmits_batch_id: Mapped[int | None] = mapped_column(Integer)
    # File-level notes: header row used, ignored columns, mapping chosen.
    notes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class QuarantineRow(Base):
    """A rejected row kept with its raw cells and errors until it is corrected and resubmitted."""

    __tablename__ = "quarantine_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    department_code: Mapped[str] = mapped_column(String(64), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
    # The raw row (original header → cell text), encrypted: rejected rows may hold personal data.
    raw_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    subject_name: Mapped[str | None] = mapped_column(String(200))
    natural_key: Mapped[str | None] = mapped_column(String(200))
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSONType)  # [{field, code, message}]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / resubmitted / dismissed
    resolved_batch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
