"""Tables of the 专项治理 campaigns: the campaign, the subjects it takes on (治理对象), the actions taken on each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, UTCDateTime, utcnow


class Campaign(Base):
    """A campaign opened from a template (专项治理), from ``starts_on`` to ``ends_on``; closed with a summary."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / closed
    summary: Mapped[str | None] = mapped_column(Text)  # 工作总结, when closed
    templates_version: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CampaignTarget(Base):
    """A subject a campaign takes on (治理对象), why, the department responsible for it, and when it was closed."""

    __tablename__ = "campaign_targets"
    __table_args__ = (
        Index("uq_campaign_targets_subject", "campaign_id", "subject_id", unique=True),
        Index("ix_campaign_targets_department", "department_code", "finished_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    subject_name: Mapped[str] = mapped_column(String(200))  # as shown to officials (a person's name masked)
    reason: Mapped[str] = mapped_column(Text)  # 纳入原因 (the rule or the list, with counts)
    evidence: Mapped[list[Any]] = mapped_column(JSON)  # the records' or list entries' keys
    department_code: Mapped[str] = mapped_column(String(64))  # 责任单位
    added_on: Mapped[dt.date] = mapped_column(Date)
    finished_on: Mapped[dt.date | None] = mapped_column(Date)  # 整改销号
    finish_note: Mapped[str | None] = mapped_column(Text)


class CampaignAction(Base):
    """An action taken on a target (约谈, 警示, 限期整改 with its deadline, 公开曝光, 行业禁入)."""

    __tablename__ = "campaign_actions"
    __table_args__ = (Index("ix_campaign_actions_target", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("campaign_targets.id"))
    action: Mapped[str] = mapped_column(String(16))
    taken_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    taken_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 公开曝光: the typical case drafted from it, for the credit office to publish on the website
    case_id: Mapped[int | None] = mapped_column(ForeignKey("typical_cases.id"))
