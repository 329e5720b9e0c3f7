"""Tables of the public website: content, issued credit reports, applications from the public."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class PortalContent(Base):
    """A policy document (政策文件) or notice (通知公告) published on the website by the credit office."""

    __tablename__ = "portal_contents"
    __table_args__ = (Index("ix_portal_contents_kind_status", "kind", "status", "published_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # policy / notice
    title: Mapped[str] = mapped_column(String(200))
    doc_no: Mapped[str | None] = mapped_column(String(100))  # 文号, e.g. 豫交文〔2026〕12号
    issuer: Mapped[str | None] = mapped_column(String(200))  # 发布机关
    summary: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # draft / published / withdrawn
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditReport(Base):
    """An issued credit report (信用报告): the SHA-256 of the exact PDF and an HMAC signature over it.

    The PDF itself is not kept: the verification page recomputes the hash of an uploaded file, and the QR code
    leads to the report's summary (subject, date, counts by section) for a paper copy.
    """

    __tablename__ = "credit_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # 验证码, e.g. XY-7K3M-9QPA-2DWE
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    subject_name: Mapped[str] = mapped_column(String(200))  # as printed (public form)
    subject_code: Mapped[str | None] = mapped_column(String(18))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    as_of: Mapped[dt.date] = mapped_column(Date)  # the day whose public information the report shows
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256(secret, code|sha256|subject_id|as_of)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)  # counts by section title


class PortalApplication(Base):
    """An objection (异议) or repair (信用修复) application submitted on the website; reviewed in the console."""

    __tablename__ = "portal_applications"
    __table_args__ = (
        Index("ix_portal_applications_status", "status", "submitted_at"),
        Index("uq_portal_applications_source_ref", "source", "source_ref", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(24), unique=True)  # 受理编号, e.g. YY20261123-7K3M9Q
    kind: Mapped[str] = mapped_column(String(16))  # objection / repair
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_category: Mapped[str | None] = mapped_column(String(40))
    record_title: Mapped[str | None] = mapped_column(String(200))
    applicant_name: Mapped[str] = mapped_column(String(100))  # the applicant (company contact or person)
    contact_masked: Mapped[str] = mapped_column(String(32))
    contact_cipher: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM of the phone number (personal data)
    reason: Mapped[str] = mapped_column(Text)
    # received → accepted → corrected / revoked / dismissed (objection), repaired / denied (repair); or refused
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Handling (portal/handling.py): deadlines in working days from the rule set in force on submission.
    rules_version: Mapped[str | None] = mapped_column(String(40))
    accept_due: Mapped[dt.date | None] = mapped_column(Date)  # 受理期限
    decide_due: Mapped[dt.date | None] = mapped_column(Date)  # 办结期限 (set on acceptance)
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)  # a deadline in a year without schedule
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # refused or decided
    handled_by: Mapped[str | None] = mapped_column(String(120))  # the official of the last step
    reply: Mapped[str | None] = mapped_column(Text)  # 答复意见 (or the reason for refusal), shown to the applicant
    result_record_id: Mapped[int | None] = mapped_column(Integer)  # the revision the outcome wrote or found
    # Verification (核实) by the unit that provided the record, for objections naming one (set on acceptance).
    verify_department: Mapped[str | None] = mapped_column(String(64), index=True)
    verify_due: Mapped[dt.date | None] = mapped_column(Date)
    verification: Mapped[str | None] = mapped_column(String(16))  # accurate / inaccurate
    verification_note: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[str | None] = mapped_column(String(120))
    # 转办: an application transferred by another platform (信用中国, 信用交通 …: portal/transfers.py) rather than
    # submitted on this website; its deadlines run from ``received_on``, and the outcome is replied to the source.
    channel: Mapped[str] = mapped_column(String(16), default="website", server_default="website")  # website/transfer
    source: Mapped[str | None] = mapped_column(String(40))  # the transferring platform's code (data/transfers)
    source_ref: Mapped[str | None] = mapped_column(String(64))  # its 转办单号
    received_on: Mapped[dt.date | None] = mapped_column(Date)  # the day the transfer was received
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the outcome replied to the source
    replied_by: Mapped[str | None] = mapped_column(String(120))


class CreditDeclaration(Base):
    """信用信息自主申报: information a subject declares about itself on the website (表彰奖励 …), kept here until the
    credit office verifies it; adopted, it becomes a record of the catalog category (``record_id``)."""

    __tablename__ = "credit_declarations"
    __table_args__ = (Index("ix_credit_declarations_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(24), unique=True)  # 受理编号 ZB20261124-7K3M9Q
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(40))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)  # field key → the value as declared
    applicant_name: Mapped[str] = mapped_column(String(100))
    contact_masked: Mapped[str] = mapped_column(String(32))
    contact_cipher: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM of the phone number (personal data)
    statement: Mapped[str] = mapped_column(Text)  # 申报说明 (where the information can be checked)
    status: Mapped[str] = mapped_column(String(16))  # received → adopted | rejected
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    rules_version: Mapped[str] = mapped_column(String(40))
    decide_due: Mapped[dt.date] = mapped_column(Date)
    deadline_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    reply: Mapped[str | None] = mapped_column(Text)  # 核实意见, shown to the applicant
    record_id: Mapped[int | None] = mapped_column(Integer)  # the record the adoption wrote
