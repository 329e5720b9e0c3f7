"""Early warnings (信用预警)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class CreditWarning(Base):
    """One warning about one subject.

    The same (kind, subject, rule, fingerprint) raised again while the warning is open counts another occurrence
    instead of adding a row, so a rule scan or repeated credit checks never flood the list. ``id`` only grows: the
    feed is polled with ``after_id``.
    """

    __tablename__ = "credit_warnings"
    __table_args__ = (
        Index("ix_credit_warnings_subject", "subject_id", "kind"),
        Index("ix_credit_warnings_open", "status", "kind", "rule_code", "subject_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # grade_drop / penalty_burst / blacklisted / ...
    rule_code: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10), default="yellow")  # red / orange / yellow
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fingerprint: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / handled / dismissed
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    region_code: Mapped[str | None] = mapped_column(String(6))
    raised_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by: Mapped[str | None] = mapped_column(String(120))
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handling_note: Mapped[str | None] = mapped_column(Text)
