"""信用修复告知书 ("两书同达"): the notice served with a penalty decision that tells the subject how long the penalty
will be published, from which day it can be repaired, on what conditions and where to apply. Built from the record
(its publicity window as collected, or as the rule set of its decision date gives it) and the template of
``data/notices/repair_notice.yaml``. The penalty system fetches it when it issues the decision (API), an
official prints it from the console's record page."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.datafiles import load_for_province, shipped_path
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.disclosure.rules import china_today
from transport_credit.portal.service import repair_opens_on
from transport_credit.records.models import CreditRecord
from transport_credit.reminders.service import chinese_day
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

SEVERITY_WORDS = {"minor": "轻微", "general": "一般", "serious": "严重"}
NOTICE_CATEGORIES = frozenset({"XZCF"})  # the decisions a 告知书 is served with (lists have their own 告知书)


class RepairNoticeDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    kind: Literal["repair_notice"]
    version: str
    province: str | None = None
    basis: str
    template: str


def load_repair_notice(directory: Path, province: str | None) -> RepairNoticeDocument:
    return load_for_province(
        directory, "repair_notice*.yaml", RepairNoticeDocument, "信用修复告知书模板", "repair_notice_invalid", province
    )


@functools.cache
def repair_notice_template(province: str | None = None) -> RepairNoticeDocument:
    return load_repair_notice(shipped_path("notices"), province)


@dataclass(frozen=True)
class RepairNotice:
    record_id: int
    category: str
    natural_key: str
    subject_name: str
    decision_no: str
    decision_date: dt.date | None
    publicity_start: dt.date | None
    publicity_end: dt.date | None
    repair_opens_on: dt.date | None
    apply_url: str
    text: str
    template_version: str


def _day(value: dt.date | None) -> str:
    if value is None:
        return "—"
    if value >= dt.date(2099, 12, 31):
        return "长期"
    return chinese_day(value)


def repair_notice(
    session: Session, settings: Settings, record_id: int, *, base_url: str | None = None, today: dt.date | None = None
) -> RepairNotice:
    """The 信用修复告知书 of a penalty record (its current revision). The caller has checked that the reader may see
    the record; a person's ID number is masked in the notice as everywhere outside the credit file."""
    record = session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound("未找到该信用记录", code="record_not_found")
    if record.category not in NOTICE_CATEGORIES:
        raise InvalidInput("只有行政处罚信息随决定书送达信用修复告知书", code="repair_notice_not_applicable")
    if not record.is_current or record.status != "active":
        current = session.scalar(
            select(CreditRecord.id).where(
                CreditRecord.category == record.category,
                CreditRecord.natural_key == record.natural_key,
                CreditRecord.is_current.is_(True),
                CreditRecord.status == "active",
            )
        )
        if current is None:
            raise InvalidInput("该信息已不再有效（已撤销、修复或移出公示），无需告知", code="record_not_active")
        record = session.get(CreditRecord, current)
        assert record is not None
    subject = session.get(Subject, record.subject_id)
    assert subject is not None
    config = load_province(settings.province)
    doc = repair_notice_template(settings.province)
    data = record.data or {}
    authority = str(data.get("authority") or data.get("source_unit") or record.department_code)
    code = subject.uscc or subject.id_masked or "—"  # a person's number is stored masked for display
    opens = repair_opens_on(session, record.id)
    base = (base_url or settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    apply_url = f"{base}/apply?record={record.id}&kind=repair"
    values = {
        "subject_name": subject.name,
        "subject_code": code,
        "authority": authority,
        "decision_date": _day(record.decision_date),
        "decision_no": record.natural_key,
        "severity": SEVERITY_WORDS.get(record.severity or "", ""),
        "website": config.website_title,
        "publicity_start": _day(record.publicity_start or record.decision_date),
        "publicity_end": _day(record.publicity_end),
        "min_end": _day(opens),
        "apply_url": apply_url,
        "credit_office": config.credit_office,
        "issued_on": _day(today or china_today()),
    }
    text = Template(doc.template).safe_substitute(values).strip() + "\n"
    return RepairNotice(
        record_id=record.id,
        category=record.category,
        natural_key=record.natural_key,
        subject_name=subject.name,
        decision_no=record.natural_key,
        decision_date=record.decision_date,
        publicity_start=record.publicity_start,
        publicity_end=record.publicity_end,
        repair_opens_on=opens,
        apply_url=apply_url,
        text=text,
        template_version=doc.version,
    )


def notice_for_key(
    session: Session,
    actor: Actor,
    settings: Settings,
    category: str,
    natural_key: str,
    *,
    base_url: str | None = None,
    today: dt.date | None = None,
) -> RepairNotice:
    """The notice of the record ``category``/``natural_key`` for ``actor``: the credit office any record's; a data
    officer (and a business system) those its own department reported, the notice being served by the deciding
    authority with its decision."""
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    R = CreditRecord
    record = session.scalar(
        select(R).where(R.category == category, R.natural_key == natural_key).order_by(R.revision.desc()).limit(1)
    )
    if record is None:
        raise NotFound("未找到该记录", code="record_not_found")
    if not actor.has_role(ROLE_CREDIT_OFFICE) and record.department_code != actor.department_code:
        raise PermissionDenied("只能获取本单位报送的行政处罚信息的信用修复告知书", code="not_own_record")
    return repair_notice(session, settings, record.id, base_url=base_url, today=today)


def notice_file(notice: RepairNotice) -> bytes:
    """The notice as a text file offices open in any editor: UTF-8 with BOM, CRLF line ends."""
    return ("\ufeff" + notice.text.replace("\n", "\r\n")).encode("utf-8")
