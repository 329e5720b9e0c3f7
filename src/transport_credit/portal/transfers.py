"""转办: objection and credit-repair requests transferred by other platforms (信用中国, 信用中国（<省>）, 信用交通;
``data/transfers/sources.yaml``) and the replies to them.

The credit office registers a transferred request with the sending platform's 转办单号 and the day it was received
(:func:`register_transfer`): it becomes an application like one made on this website (the same inbox, steps,
verification by the providing unit and outcomes), its deadlines counted from the day of receipt. Once decided or
refused, its outcome goes back to the platform in a reply file (:func:`export_replies`, GB18030 CSV for the
platform's back office), which marks the applications replied; a reply file can be produced again for the
replied ones (``again``) without marking anything.

A connector to the platform (an API key with ``applications:transfer``) does the same over the REST API: it
registers the transfers it receives, reads a transfer's state, fetches the replies waiting (:func:`pending_replies`)
and acknowledges those it delivered (:func:`acknowledge_replies`), which marks them replied.
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
from transport_credit.auth.schema import SCOPE_TRANSFER
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


def _require_handler(actor: Actor) -> None:
    """Officials of the credit office, or a connector's key with the transfer scope."""
    if actor.kind == "api_client":
        actor.require_scope(SCOPE_TRANSFER)
    else:
        actor.require_role(ROLE_CREDIT_OFFICE)


def register_transfer(
    session: Session, actor: Actor, settings: Settings, data: TransferInput, *, today: dt.date | None = None
) -> PortalApplication:
    """Register a transferred request as an application received on ``data.received_on``; the caller commits."""
    _require_handler(actor)
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
    _require_handler(actor)
    P = PortalApplication
    rows = session.execute(
        select(P.source, func.count()).where(*_closed_transfers(), P.replied_at.is_(None)).group_by(P.source)
    )
    return {str(source): int(n) for source, n in rows}


@dataclass(frozen=True)
class TransferView:
    """A transferred application as the sending platform is answered about it."""

    source: str
    source_name: str
    source_ref: str
    tracking_no: str
    kind: str
    kind_label: str
    subject_name: str
    subject_uscc: str | None
    record_title: str | None
    received_on: dt.date | None
    status: str
    status_label: str
    closed: bool  # decided or refused: its reply can go back
    reply: str | None
    decided_on: dt.date | None
    replied_at: dt.datetime | None

    def reply_row(self) -> list[str]:
        """The reply file's line (REPLY_HEADERS)."""
        return [
            spreadsheet_text(self.source_ref),
            self.source_name,
            self.tracking_no,
            self.kind_label,
            spreadsheet_text(self.subject_name),
            self.subject_uscc or "",
            spreadsheet_text(self.record_title or "（主体整体）"),
            self.received_on.isoformat() if self.received_on else "",
            self.status_label,
            spreadsheet_text(self.reply or ""),
            self.decided_on.isoformat() if self.decided_on else "",
        ]


def _views(session: Session, sources: dict[str, TransferSource], apps: list[PortalApplication]) -> list[TransferView]:
    names = {
        int(i): (str(n), u)
        for i, n, u in session.execute(
            select(Subject.id, Subject.name, Subject.uscc).where(Subject.id.in_({a.subject_id for a in apps}))
        )
    }
    out = []
    for a in apps:
        name, uscc = names.get(a.subject_id, ("", None))
        source = sources.get(a.source or "")
        out.append(
            TransferView(
                a.source or "",
                source.name if source else a.source or "",
                a.source_ref or "",
                a.tracking_no,
                a.kind,
                rules.APPLICATION_KINDS.get(a.kind, a.kind),
                name,
                uscc,
                a.record_title,
                a.received_on,
                a.status,
                handling.status_label(a.status),
                a.status not in handling.OPEN_STATUSES,
                a.reply,
                a.decided_at.astimezone(CHINA_TZ).date() if a.decided_at else None,
                a.replied_at,
            )
        )
    return out


def _source(settings: Settings, source: str) -> dict[str, TransferSource]:
    sources = transfer_sources(settings.province)
    if source not in sources:
        raise NotFound("没有该转办来源平台", code="unknown_transfer_source")
    return sources


def transfer_status(session: Session, actor: Actor, settings: Settings, source: str, source_ref: str) -> TransferView:
    """Where a transferred request stands (by the sending platform's 转办单号)."""
    _require_handler(actor)
    sources = _source(settings, source)
    P = PortalApplication
    app = session.scalar(
        select(P).where(P.channel == "transfer", P.source == source, P.source_ref == source_ref.strip())
    )
    if app is None:
        raise NotFound("没有该转办单号的登记", code="transfer_not_found")
    return _views(session, sources, [app])[0]


def pending_replies(session: Session, actor: Actor, settings: Settings, source: str) -> list[TransferView]:
    """The transferred requests of ``source`` decided or refused and not yet replied (nothing is marked)."""
    _require_handler(actor)
    sources = _source(settings, source)
    P = PortalApplication
    apps = list(
        session.scalars(
            select(P).where(*_closed_transfers(), P.source == source, P.replied_at.is_(None)).order_by(P.id)
        )
    )
    return _views(session, sources, apps)


def acknowledge_replies(
    session: Session, actor: Actor, settings: Settings, source: str, tracking_nos: list[str]
) -> list[str]:
    """Mark the replies the connector delivered to ``source`` as replied; returns those newly marked (one already
    marked is left as it is). A number that is not a closed transfer of ``source`` refuses the whole call."""
    _require_handler(actor)
    _source(settings, source)
    wanted = sorted({t.strip() for t in tracking_nos if t.strip()})
    if not wanted:
        raise InvalidInput("请提供已送达答复的受理编号", code="empty_acknowledgement")
    P = PortalApplication
    apps = {
        a.tracking_no: a
        for a in session.scalars(
            select(P).where(*_closed_transfers(), P.source == source, P.tracking_no.in_(wanted)).with_for_update()
        )
    }
    unknown = [t for t in wanted if t not in apps]
    if unknown:
        raise InvalidInput(
            f"以下受理编号不是该平台转办、已办结的申请：{'、'.join(unknown)}",
            code="not_a_closed_transfer",
            details={"tracking_nos": unknown},
        )
    now = utcnow()
    marked = []
    for t in wanted:
        app = apps[t]
        if app.replied_at is None:
            app.replied_at = now
            app.replied_by = actor.label[:120]
            marked.append(t)
    session.flush()
    if marked:  # a repeated acknowledgement changes nothing and is not audited again
        details = {"applications": marked, "again": False}
        audit(session, actor, "portal.transfer.reply", "transfer_source", source, details)
    return marked


def export_replies(
    session: Session, actor: Actor, settings: Settings, source: str, *, again: bool = False
) -> ReplyFile:
    """The reply file to ``source``: its transferred applications decided or refused and not yet replied (marked
    replied now), or with ``again`` the ones already replied (nothing marked). The caller commits."""
    _require_handler(actor)
    sources = _source(settings, source)
    P = PortalApplication
    stmt = select(P).where(*_closed_transfers(), P.source == source).order_by(P.id)
    stmt = stmt.where(P.replied_at.is_not(None)) if again else stmt.where(P.replied_at.is_(None))
    apps = list(session.scalars(stmt.with_for_update()))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REPLY_HEADERS)
    now = utcnow()
    for a, view in zip(apps, _views(session, sources, apps), strict=True):
        w.writerow(view.reply_row())
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
