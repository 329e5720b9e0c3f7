"""Credit subjects (信用主体) and their old identifiers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class Subject(Base):
    """An organisation, individual business or natural person.

    Organisations are keyed by USCC. Natural persons are keyed by a keyed hash of the ID number (``person_key``);
    the number itself is only stored encrypted (``id_cipher``) plus a masked form for display.
    """

    __tablename__ = "subjects"
    __table_args__ = (Index("ix_subjects_name", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # org / individual_business / person
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    person_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # HMAC-SM3/SHA-256 of ID number
    id_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)  # AES-GCM(nonce || ciphertext)
    id_masked: Mapped[str | None] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_batch_id: Mapped[int | None] = mapped_column(Integer)


class SubjectAlias(Base):
    """Old identifiers kept for look-up: 工商注册号, 组织机构代码, 税务登记号, 事业单位证书号, 社会组织登记证号."""

    __tablename__ = "subject_aliases"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reg_no / org_code / tax_no / institution_no / social_org_no
    value: Mapped[str] = mapped_column(String(40))
