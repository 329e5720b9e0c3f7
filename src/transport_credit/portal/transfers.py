"""转办: objection and credit-repair requests transferred by other platforms (信用中国, 信用中国（<省>）, 信用交通;
``data/transfers/sources.yaml``) and the replies to them.

The credit office registers a transferred request with the sending platform's 转办单号 and the day it was received
(:func:`register_transfer`): it becomes an application like one made on this website (the same inbox, steps,
verification by the providing unit and outcomes), its deadlines counted from the day of receipt. Once decided or
refused, its outcome goes back to the platform in a reply file (:func:`export_replies`, GB18030 CSV for the
platform's back office), which marks the applications replied; a reply file can be produced again for the
replied ones (``again``) without marking anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.cells import spreadsheet_text
from transport_credit.common.datafiles import load_yaml_model, shipped_path
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.disclosure.rules import CHINA_TZ, china_today, load_policy
from transport_credit.portal import handling, rules
from transport_credit.portal.models import PortalApplication
from transport_credit.portal.service import new_application
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.service import find_subject

REF_RE = re.compile(r"^[0-9A-Za-z\-_/〔〕\[\]（）()\u4e00-\u9fff]{1,64}$")
OLDEST_DAYS = 366  # a transfer received longer ago than this is most likely a typing mistake
REPLY_HEADERS = (
    "转办单号",
    "来源平台",
    "本平台受理编号",
    "申请类型",
    "信用主体名称",
    "统一社会信用代码",
    "涉及信息",
    "收到日期",
    "办理结果",
    "答复意见",
    "办结日期",
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TransferSource(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str
    operator: str


class TransferSources(_Strict):
    kind: Literal["transfer_sources"]
    version: str
    sources: tuple[TransferSource, ...] = Field(min_length=1)


@functools.cache
def transfer_sources(province: str) -> dict[str, TransferSource]:
    """The platforms that transfer requests, by code, their names completed with the province's short name."""
    doc = load_yaml_model(
        shipped_path("transfers", "sources.yaml"), TransferSources, "转办来源文件", "transfer_sources_invalid"
    )
    short = load_province(province).website_title.split("·")[-1].strip()
    return {s.code: s.model_copy(update={"name": s.name.replace("{province}", short)}) for s in doc.sources}


def source_name(province: str, code: str | None) -> str:
    if code is None:
        return "本网站"
    found = transfer_sources(province).get(code)
    return found.name if found else code


@dataclass
class TransferInput:
    source: str  # a code of transfer_sources
    source_ref: str  # the platform's 转办单号
    received_on: dt.date
    kind: str  # objection / repair
    subject_code: str  # USCC, an old identifier, or a citizen ID number
    applicant_name: str
    contact: str
    reason: str
    record_key: str | None = None  # the decision number (or other natural key) of the record concerned


def check_transfer(
    sources: dict[str, TransferSource], source: str, ref: str, received_on: dt.date, today: dt.date
) -> dict[str, str]:
    """Field errors of the transfer's own fields (field → Chinese message); empty when valid."""
    errors: dict[str, str] = {}
    if source not in sources:
        errors["source"] = "请选择转办来源平台"
    if not REF_RE.match(ref.strip()):
        errors["source_ref"] = "请填写来源平台的转办单号（不超过 64 个字符）"
    if received_on > today:
        errors["received_on"] = "收到日期不能晚于今天"
    elif (today - received_on).days > OLDEST_DAYS:
        errors["received_on"] = "收到日期早于一年前，请核对"
    return errors


def register_transfer(
    session: Session, actor: Actor, settings: Settings, data: TransferInput, *, today: dt.date | None = None
) -> PortalApplication:
    """Register a transferred request as an application received on ``data.received_on``; the caller commits."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    day = today or china_today()
    sources = transfer_sources(settings.province)
    errors = check_transfer(sources, data.source, data.source_ref, data.received_on, day)
    errors.update(rules.check_application(data.kind, data.applicant_name, data.contact, data.reason))
    if errors:
        raise InvalidInput("转办申请登记有误：" + "；".join(errors.values()), code="invalid_transfer", details=errors)
    ref = data.source_ref.strip()
    P = PortalApplication
    existing = session.scalar(select(P.tracking_no).where(P.source == data.source, P.source_ref == ref))
    if existing is not None:
        raise Conflict(
            f"该转办单已登记（受理编号 {existing}）", code="transfer_registered", details={"tracking_no": existing}
        )
    subject = find_subject(session, settings, data.subject_code)
    if subject is None:
        raise NotFound("平台上没有该代码的信用主体，请核对统一社会信用代码或证件号码", code="subject_not_found")
    record = _record(session, subject, (data.record_key or "").strip()) if (data.record_key or "").strip() else None
    handling.require_repairable(data.kind, record.category if record else None)
    app = new_application(
        session,
        settings,
        kind=data.kind,
        subject_id=subject.id,
        record=(record.id, record.category, record.natural_key) if record else None,
        applicant_name=data.applicant_name,
        contact=data.contact,
        reason=data.reason,
        day=data.received_on,
        channel="transfer",
        source=data.source,
        source_ref=ref,
    )
    audit(
        session,
        actor,
        "portal.application.transfer",
        "portal_application",
        app.tracking_no,
        {"source": data.source, "source_ref": ref, "received_on": data.received_on, "kind": data.kind},
    )
    return app


def _record(session: Session, subject: Subject, key: str) -> CreditRecord:
    """The subject's current record with this decision number (or other natural key), of a category the
    website publishes."""
    R = CreditRecord
    categories = [s.code for s in load_policy().sections]
    found = session.scalars(
        select(R)
        .where(R.subject_id == subject.id, R.natural_key == key, R.is_current.is_(True), R.category.in_(categories))
        .order_by(R.id)
    ).first()
    if found is None:
        raise NotFound(f"该主体没有文书号为「{key}」的信用信息，请核对", code="record_not_found")
    return found


@dataclass(frozen=True)
class ReplyFile:
    name: str
    body: bytes
    count: int


def _closed_transfers() -> tuple[ColumnElement[bool], ...]:
    P = PortalApplication
    return (P.channel == "transfer", P.source.is_not(None), P.status.not_in(sorted(handling.OPEN_STATUSES)))


def awaiting_reply(session: Session, actor: Actor) -> dict[str, int]:
    """Source code → transferred applications decided or refused and not yet replied to the source."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    P = PortalApplication
    rows = session.execute(
        select(P.source, func.count()).where(*_closed_transfers(), P.replied_at.is_(None)).group_by(P.source)
    )
    return {str(source): int(n) for source, n in rows}


def export_replies(
    session: Session, actor: Actor, settings: Settings, source: str, *, again: bool = False
) -> ReplyFile:
    """The reply file to ``source``: its transferred applications decided or refused and not yet replied (marked
    replied now), or with ``again`` the ones already replied (nothing marked). The caller commits."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    sources = transfer_sources(settings.province)
    if source not in sources:
        raise NotFound("没有该转办来源平台", code="unknown_transfer_source")
    P = PortalApplication
    stmt = select(P).where(*_closed_transfers(), P.source == source).order_by(P.id)
    stmt = stmt.where(P.replied_at.is_not(None)) if again else stmt.where(P.replied_at.is_(None))
    apps = list(session.scalars(stmt.with_for_update()))
    names = {
        int(i): (str(n), u)
        for i, n, u in session.execute(
            select(Subject.id, Subject.name, Subject.uscc).where(Subject.id.in_({a.subject_id for a in apps}))
        )
    }
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REPLY_HEADERS)
    now = utcnow()
    for a in apps:
        name, uscc = names.get(a.subject_id, ("", None))
        decided = a.decided_at.astimezone(CHINA_TZ).date().isoformat() if a.decided_at else ""
        w.writerow(
            [
                spreadsheet_text(a.source_ref or ""),
                sources[source].name,
                a.tracking_no,
                rules.APPLICATION_KINDS.get(a.kind, a.kind),
                spreadsheet_text(name),
                uscc or "",
                spreadsheet_text(a.record_title or "（主体整体）"),
                a.received_on.isoformat() if a.received_on else "",
                handling.status_label(a.status),
                spreadsheet_text(a.reply or ""),
                decided,
            ]
        )
        if not again:
            a.replied_at = now
            a.replied_by = actor.label[:120]
    session.flush()
    audit(
        session,
        actor,
        "portal.transfer.reply",
        "transfer_source",
        source,
        {"applications": [a.tracking_no for a in apps], "again": again},
    )
    stamp = dt.datetime.now(CHINA_TZ).strftime("%Y%m%d%H%M")
    return ReplyFile(f"transfer-replies-{source}-{stamp}.csv", buf.getvalue().encode("gb18030"), len(apps))
