"""Tables of the reminder service: the outbox of short messages and the subscriptions of subjects' contacts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class Reminder(Base):
    """One short message to send (the outbox). The number is stored encrypted, with a masked form for officials
    and a keyed hash to count what one number received; the text holds no personal data. ``dedupe_key`` makes
    every reminder happen once however often the scan runs."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_state_due", "state", "due_at"),
        Index("ix_reminders_recipient_created", "recipient_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    ref: Mapped[str | None] = mapped_column(String(64))  # tracking number, subscription number
    recipient_masked: Mapped[str] = mapped_column(String(32))
    recipient_cipher: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM of the number (personal data)
    recipient_key: Mapped[str] = mapped_column(String(64))  # keyed hash of the number
    text: Mapped[str] = mapped_column(Text)  # as officials see it (a verification code replaced by ******)
    text_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)  # the text sent, when it holds a secret
    rules_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending/sending/sent/failed/cancelled
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # a sender holds it until then
    last_error: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str | None] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(100))  # the gateway's message id
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120))  # the official who retried or cancelled it


class ReminderSubscription(Base):
    """A subject's contact asking for its reminders (信用提醒订阅): pending until the number is verified by a code
    sent to it, active until unsubscribed (by the link in every reminder) or ended by the credit office."""

    __tablename__ = "reminder_subscriptions"
    __table_args__ = (Index("ix_reminder_subscriptions_subject_phone", "subject_id", "phone_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_no: Mapped[str] = mapped_column(String(24), unique=True)  # DY20261125-7K3M9Q
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    phone_masked: Mapped[str] = mapped_column(String(32))
    phone_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    phone_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending/active/ended
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribe_token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(200))
