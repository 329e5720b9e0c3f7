"""Use cases of the public website: content (credit office), credit reports, applications, open-data exports.

The public use cases (issue a report, verify it, submit an application) need no account; content management and
the application inbox require the credit-office role. The caller owns the transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from transport_credit.audit.events import record as audit
from transport_credit.calendar.service import build_calendar
from transport_credit.catalog.rules import publicity_window
from transport_credit.catalog.schema import Severity
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.cells import spreadsheet_text
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.disclosure import service as disclosure
from transport_credit.disclosure.rules import CHINA_TZ, china_today, load_policy, scrub_text
from transport_credit.disclosure.service import PublicRecord
from transport_credit.identifiers.citizen_id import mask_name, mask_phone
from transport_credit.lists import service as lists_service
from transport_credit.lists.models import ListEntry
from transport_credit.lists.rules import RECORD_CATEGORY
from transport_credit.portal import handling, pdf, rules
from transport_credit.portal.models import CreditDeclaration, CreditReport, PortalApplication, PortalContent
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status
from transport_credit.reminders import service as reminders
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import pii_keys

# --- content (政策文件 / 通知公告) ------------------------------------------------------------------------------


@dataclass
class ContentInput:
    kind: str
    title: str
    body: str
    doc_no: str | None = None
    issuer: str | None = None
    summary: str | None = None
    published_on: dt.date | None = None


def _check_content(data: ContentInput) -> None:
    errors: dict[str, str] = {}
    if data.kind not in rules.CONTENT_KINDS:
        errors["kind"] = "请选择栏目（政策文件或通知公告）"
    if not (2 <= len(data.title.strip()) <= 200):
        errors["title"] = "标题应为 2–200 个字符"
    if not data.body.strip() or len(data.body) > 100_000:
        errors["body"] = "正文不能为空，且不超过 100000 个字符"
    if any("\x00" in (v or "") for v in (data.title, data.body, data.summary, data.doc_no, data.issuer)):
        errors["body"] = "内容含有无效字符"
    if data.summary and len(data.summary) > 500:
        errors["summary"] = "摘要不超过 500 个字符"
    if data.doc_no and len(data.doc_no) > 100:
        errors["doc_no"] = "文号不超过 100 个字符"
    if data.issuer and len(data.issuer) > 200:
        errors["issuer"] = "发布机关不超过 200 个字符"
    if errors:
        raise InvalidInput("内容填写有误：" + "；".join(errors.values()), code="invalid_content", details=errors)


def create_content(session: Session, actor: Actor, data: ContentInput, *, publish: bool = False) -> PortalContent:
    """A new policy document or notice (draft, or published at once)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    _check_content(data)
    now = utcnow()
    item = PortalContent(
        kind=data.kind,
        title=data.title.strip(),
        doc_no=(data.doc_no or "").strip() or None,
        issuer=(data.issuer or "").strip() or None,
        summary=scrub_text((data.summary or "").strip()) or None,
        body=scrub_text(data.body.strip()),
        status="published" if publish else "draft",
        published_on=(data.published_on or now.date()) if publish else data.published_on,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    audit(
        session,
        actor,
        "portal.content.create",
        "portal_content",
        str(item.id),
        {"kind": item.kind, "status": item.status},
    )
    return item


def update_content(session: Session, actor: Actor, content_id: int, data: ContentInput) -> PortalContent:
    actor.require_role(ROLE_CREDIT_OFFICE)
    item = session.get(PortalContent, content_id)
    if item is None:
        raise NotFound("未找到该内容", code="content_not_found")
    _check_content(data)
    item.kind = data.kind
    item.title = data.title.strip()
    item.doc_no = (data.doc_no or "").strip() or None
    item.issuer = (data.issuer or "").strip() or None
    item.summary = scrub_text((data.summary or "").strip()) or None
    item.body = scrub_text(data.body.strip())
    if data.published_on:
        item.published_on = data.published_on
    item.updated_at = utcnow()
    audit(session, actor, "portal.content.update", "portal_content", str(item.id), {"kind": item.kind})
    return item


def set_content_status(session: Session, actor: Actor, content_id: int, status: str) -> PortalContent:
    """Publish (发布) or withdraw (撤回) a content item."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    if status not in ("published", "withdrawn"):
        raise InvalidInput("无效的状态", code="invalid_status")
    item = session.get(PortalContent, content_id)
    if item is None:
        raise NotFound("未找到该内容", code="content_not_found")
    if item.status == status:
        raise Conflict("内容已是该状态", code="content_status_unchanged")
    item.status = status
    if status == "published" and item.published_on is None:
        item.published_on = utcnow().date()
    item.updated_at = utcnow()
    audit(
        session,
        actor,
        f"portal.content.{'publish' if status == 'published' else 'withdraw'}",
        "portal_content",
        str(item.id),
    )
    return item


def all_content(session: Session, actor: Actor, *, limit: int = 200) -> list[PortalContent]:
    """Every content item for the console, newest first."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    return list(session.scalars(select(PortalContent).order_by(PortalContent.id.desc()).limit(limit)))


def get_content(session: Session, actor: Actor, content_id: int) -> PortalContent:
    actor.require_role(ROLE_CREDIT_OFFICE)
    item = session.get(PortalContent, content_id)
    if item is None:
        raise NotFound("未找到该内容", code="content_not_found")
    return item


def published_content(
    session: Session, kind: str | None = None, *, limit: int = 20, offset: int = 0
) -> list[PortalContent]:
    """Published items (public), newest first."""
    if kind is not None and kind not in rules.CONTENT_KINDS:
        raise InvalidInput("无效的栏目", code="invalid_content_kind")
    C = PortalContent
    stmt = select(C).where(C.status == "published")
    if kind:
        stmt = stmt.where(C.kind == kind)
    stmt = stmt.order_by(C.published_on.desc(), C.id.desc()).offset(max(0, offset)).limit(max(1, min(limit, 100)))
    return list(session.scalars(stmt))


def published_item(session: Session, content_id: int) -> PortalContent:
    item = session.get(PortalContent, content_id)
    if item is None or item.status != "published":
        raise NotFound("该内容不存在或已撤回", code="content_not_found")
    return item


# --- credit reports (信用报告) -------------------------------------------------------------------------------------


@dataclass
class IssuedReport:
    code: str
    filename: str
    pdf: bytes
    report: CreditReport


def issue_report(
    session: Session,
    settings: Settings,
    subject_id: int,
    *,
    base_url: str,
    issuer: str,
    font: Path | None = None,
    today: dt.date | None = None,
) -> IssuedReport:
    """Generate a subject's credit report; store its SHA-256 and signature under a new verification code."""
    today = today or china_today()
    subject = disclosure.public_subject(session, subject_id, today=today, per_section=pdf.MAX_PER_SECTION)
    font_path = pdf.find_font(font)
    code = rules.new_report_code()
    while session.scalar(select(CreditReport.id).where(CreditReport.code == code)) is not None:
        code = rules.new_report_code()
    issued_at = utcnow().replace(microsecond=0)
    meta = pdf.ReportMeta(
        code=code,
        verify_url=f"{base_url.rstrip('/')}/verify/{code}",
        issuer=issuer,
        as_of=today,
        issued_at=issued_at,
    )
    shown = [r.id for _c, _t, records in subject.sections for r in records]
    data = pdf.render_report(subject, meta, font_path, frozenset(records_under_objection(session, shown)))
    digest = hashlib.sha256(data).hexdigest()
    secret = settings.secret_key.get_secret_value()
    report = CreditReport(
        code=code,
        subject_id=subject.id,
        subject_name=subject.name,
        subject_code=subject.uscc,
        issued_at=issued_at,
        as_of=today,
        sha256=digest,
        size=len(data),
        signature=rules.report_signature(secret, code, digest, subject.id, today),
        summary={title: subject.counts.get(c, 0) for c, title, _r in subject.sections},
    )
    session.add(report)
    session.flush()
    return IssuedReport(code=code, filename=f"信用报告_{code}.pdf", pdf=data, report=report)


MSG_FILE_OK = "核验通过：文件与本网站出具的报告完全一致，未被篡改"
MSG_FILE_ALTERED = "核验未通过：文件与本网站出具的报告不一致，可能已被修改"


@dataclass
class Verification:
    """Outcome of checking a report: ``genuine`` (code known, signature valid, and the file — if given — matches)."""

    code: str
    found: bool
    genuine: bool
    file_checked: bool
    file_matches: bool | None
    report: CreditReport | None
    message: str


def verify_report(session: Session, settings: Settings, raw_code: str, pdf_bytes: bytes | None = None) -> Verification:
    """Check a verification code, and optionally an uploaded PDF against the stored hash."""
    code = rules.normalize_report_code(raw_code)
    if code is None:
        raise InvalidInput("验证码格式不正确（形如 XY-XXXX-XXXX-XXXX）", code="invalid_report_code")
    report = session.scalar(select(CreditReport).where(CreditReport.code == code))
    if report is None:
        return Verification(code, False, False, pdf_bytes is not None, None, None, "未找到该验证码对应的信用报告")
    secret = settings.secret_key.get_secret_value()
    signed = rules.signature_ok(secret, code, report.sha256, report.subject_id, report.as_of, report.signature)
    if not signed:
        return Verification(
            code, True, False, pdf_bytes is not None, None, report, "报告登记信息校验失败，请联系信用办"
        )
    if pdf_bytes is None:
        return Verification(code, True, True, False, None, report, "验证码有效：本网站出具过该信用报告")
    matches = hashlib.sha256(pdf_bytes).hexdigest() == report.sha256
    if matches:
        return Verification(code, True, True, True, True, report, "核验通过：文件与本网站出具的报告完全一致，未被篡改")
    return Verification(
        code, True, False, True, False, report, "核验未通过：文件与本网站出具的报告不一致，可能已被修改"
    )


# --- applications (异议 / 信用修复) -------------------------------------------------------------------------------


@dataclass
class ApplicationInput:
    kind: str
    subject_id: int
    applicant_name: str
    contact: str
    reason: str
    record_id: int | None = None


def submit_application(
    session: Session, settings: Settings, data: ApplicationInput, *, today: dt.date | None = None
) -> PortalApplication:
    """Store an objection or repair application and return it with its tracking number (受理编号)."""
    errors = rules.check_application(data.kind, data.applicant_name, data.contact, data.reason)
    if errors:
        raise InvalidInput("申请填写有误：" + "；".join(errors.values()), code="invalid_application", details=errors)
    today = today or china_today()
    subject = disclosure.public_subject(session, data.subject_id, today=today, per_section=1)
    record: PublicRecord | None = None
    if data.record_id is not None:
        record = disclosure.public_record(session, data.record_id, today=today)
        if record.subject_id != subject.id:
            raise InvalidInput("所选信息不属于该信用主体", code="record_subject_mismatch")
    handling.require_repairable(data.kind, record.category if record else None)
    return new_application(
        session,
        settings,
        kind=data.kind,
        subject_id=subject.id,
        record=(record.id, record.category, record.title) if record else None,
        applicant_name=data.applicant_name,
        contact=data.contact,
        reason=data.reason,
        day=today,
    )


def new_application(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    subject_id: int,
    record: tuple[int, str, str] | None,
    applicant_name: str,
    contact: str,
    reason: str,
    day: dt.date,
    channel: str = "website",
    source: str | None = None,
    source_ref: str | None = None,
) -> PortalApplication:
    """Store a checked application received on ``day`` (``record``: id, category, title), due for acceptance
    within the handling rules in force that day; the caller commits."""
    rule_set = handling.rule_set_on(handling.handling_rules(settings.province), day)
    accept_due = build_calendar(session).add_workdays(day, rule_set.limits(kind).accept_workdays)
    tracking = unused_tracking_no(session, PortalApplication, kind, day)
    contact_masked, contact_cipher = protect_contact(settings, contact)
    app = PortalApplication(
        tracking_no=tracking,
        kind=kind,
        subject_id=subject_id,
        record_id=record[0] if record else None,
        record_category=record[1] if record else None,
        record_title=record[2][:200] if record else None,
        applicant_name=applicant_name.strip(),
        contact_masked=contact_masked,
        contact_cipher=contact_cipher,
        reason=reason.strip(),
        status="received",
        submitted_at=utcnow(),
        rules_version=rule_set.version,
        accept_due=accept_due.date,
        deadline_estimated=accept_due.estimated,
        channel=channel,
        source=source,
        source_ref=source_ref,
        received_on=day if channel != "website" else None,
    )
    session.add(app)
    session.flush()
    reminders.application_reminder(session, settings, app, "received")
    return app


def received_on(app: PortalApplication) -> dt.date:
    """The day an application was received: a transfer's day of receipt, else its submission (China time)."""
    return app.received_on or app.submitted_at.astimezone(CHINA_TZ).date()


def unused_tracking_no(
    session: Session, model: type[PortalApplication] | type[CreditDeclaration], kind: str, day: dt.date
) -> str:
    """A new tracking number (受理编号) of ``kind`` that no row of ``model`` has yet."""
    tracking = rules.new_tracking_no(kind, day)
    while session.scalar(select(model.id).where(model.tracking_no == tracking)) is not None:
        tracking = rules.new_tracking_no(kind, day)
    return tracking


def protect_contact(settings: Settings, contact: str) -> tuple[str, bytes]:
    """An applicant's telephone as stored: masked for officials, and encrypted (personal data, never public)."""
    phone = contact.strip().replace(" ", "")
    return mask_phone(phone), pii_keys(settings.pii_key.get_secret_value()).encrypt(phone.encode("utf-8"))


def application_status(session: Session, tracking_no: str) -> PortalApplication:
    """Public status look-up by tracking number."""
    app = session.scalar(select(PortalApplication).where(PortalApplication.tracking_no == tracking_no.strip().upper()))
    if app is None:
        raise NotFound("未找到该受理编号", code="application_not_found")
    return app


INBOX_VIEWS: dict[str, str] = {"open": "办理中", "overdue": "已逾期", "closed": "已办结", "all": "全部"}


def _overdue(today: dt.date) -> ColumnElement[bool]:
    A = PortalApplication
    return or_(
        and_(A.status == "received", A.accept_due < today),
        and_(A.status == "accepted", A.decide_due < today),
    )


def _view_condition(view: str, today: dt.date) -> list[ColumnElement[bool]]:
    A = PortalApplication
    if view == "open":
        return [A.status.in_(handling.OPEN_STATUSES)]
    if view == "overdue":
        return [_overdue(today)]
    if view == "closed":
        return [A.status.not_in(handling.OPEN_STATUSES)]
    if view == "all":
        return []
    raise InvalidInput("未知的申请筛选条件", code="invalid_view", details={"allowed": list(INBOX_VIEWS)})


def application_inbox(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    view: str = "all",
    limit: int = 100,
    offset: int = 0,
    today: dt.date | None = None,
) -> tuple[list[PortalApplication], int]:
    """Applications for the credit office with the total: open ones by deadline (the most urgent first), the
    others newest first. ``view``: open, overdue, closed or all."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    A = PortalApplication
    day = today or china_today()
    cond = _view_condition(view, day)
    if kind:
        cond.append(A.kind == kind)
    total = session.scalar(select(func.count()).select_from(A).where(*cond)) or 0
    due = case((A.status == "received", A.accept_due), (A.status == "accepted", A.decide_due))
    order = [due.asc().nulls_first(), A.id] if view in ("open", "overdue") else [A.id.desc()]
    rows = session.scalars(select(A).where(*cond).order_by(*order).offset(offset).limit(limit))
    return list(rows), int(total)


def inbox_counts(session: Session, actor: Actor, *, today: dt.date | None = None) -> dict[str, int]:
    """How many applications each inbox view holds."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    A = PortalApplication
    day = today or china_today()
    is_open = A.status.in_(handling.OPEN_STATUSES)
    row = session.execute(
        select(
            func.count(),
            func.count().filter(is_open),
            func.count().filter(_overdue(day)),
        ).select_from(A)
    ).one()
    total, open_, overdue = (int(x or 0) for x in row)
    return {"open": open_, "overdue": overdue, "closed": total - open_, "all": total}


def application_detail(session: Session, actor: Actor, application_id: int) -> PortalApplication:
    actor.require_role(ROLE_CREDIT_OFFICE)
    app = session.get(PortalApplication, application_id)
    if app is None:
        raise NotFound("未找到该申请", code="application_not_found")
    return app


def application_contact(session: Session, actor: Actor, settings: Settings, application_id: int) -> str:
    """The applicant's phone number in clear, for the credit office to call back (audited)."""
    app = application_detail(session, actor, application_id)
    audit(session, actor, "portal.application.contact_view", "portal_application", app.tracking_no)
    return pii_keys(settings.pii_key.get_secret_value()).decrypt(app.contact_cipher).decode("utf-8")


LIST_RECORD_CATEGORIES = frozenset({RECORD_CATEGORY["black"], RECORD_CATEGORY["watch"]})

# --- handling: 受理, 不予受理, 办结 (portal/handling.py) ------------------------------------------------------------


@dataclass(frozen=True)
class RecordChoice:
    """A current record of the applicant's subject, offered when the application names none."""

    id: int
    category: str
    category_name: str
    natural_key: str
    decision_date: dt.date | None
    status: str
    publicity_end: dt.date | None


def _locked_application(session: Session, application_id: int) -> PortalApplication:
    app = session.scalar(select(PortalApplication).where(PortalApplication.id == application_id).with_for_update())
    if app is None:
        raise NotFound("未找到该申请", code="application_not_found")
    return app


def record_choices(session: Session, actor: Actor, application_id: int) -> list[RecordChoice]:
    """The subject's current records an outcome may concern (repair: only dishonest records), newest first."""
    app = application_detail(session, actor, application_id)
    R = CreditRecord
    cond = [R.subject_id == app.subject_id, R.is_current.is_(True), R.status == "active"]
    if app.kind == "repair":
        cond.append(R.category.in_(handling.REPAIRABLE_CATEGORIES))
    rows = session.scalars(select(R).where(*cond).order_by(R.decision_date.desc().nulls_last(), R.id.desc()).limit(100))
    catalog = active_catalog(session)
    names = {c.code: c.name for c in catalog.categories()}
    return [
        RecordChoice(
            r.id,
            r.category,
            names.get(r.category, r.category),
            r.natural_key,
            r.decision_date,
            r.status,
            r.publicity_end,
        )
        for r in rows
    ]


def application_record_keys(session: Session, actor: Actor, application_id: int) -> dict[int, tuple[str, str]]:
    """(category, natural key) of the record revisions the application names (applied for, written by the outcome),
    by id: the console links to their history."""
    app = application_detail(session, actor, application_id)
    ids = [i for i in (app.record_id, app.result_record_id) if i is not None]
    if not ids:
        return {}
    R = CreditRecord
    return {
        r.id: (r.category, r.natural_key)
        for r in session.execute(select(R.id, R.category, R.natural_key).where(R.id.in_(ids)))
    }


def accept_application(
    session: Session,
    actor: Actor,
    settings: Settings,
    application_id: int,
    *,
    record_id: int | None = None,
    today: dt.date | None = None,
) -> PortalApplication:
    """受理: the decision is then due within the rule set's ``decide_workdays``. An application that names no record
    may be given one here (``record_id``, of the applicant's subject). An objection naming a record is sent to the
    department that reported it for verification (核实), due within ``verify_workdays``."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    app = _locked_application(session, application_id)
    status = handling.accept(app.status)
    named = _decision_record(session, app, record_id) if app.record_id is None and record_id is not None else None
    app.status = status
    _name_record(app, named)
    day = today or china_today()
    rule_set = handling.rule_set_on(handling.handling_rules(settings.province), received_on(app))
    limits = rule_set.limits(app.kind)
    calendar = build_calendar(session)
    due = calendar.add_workdays(day, limits.decide_workdays)
    app.decide_due = due.date
    app.deadline_estimated = app.deadline_estimated or due.estimated
    if app.kind == "objection" and limits.verify_workdays is not None and app.record_id is not None:
        record = session.get(CreditRecord, app.record_id)
        if record is not None:
            verify_due = calendar.add_workdays(day, limits.verify_workdays)
            app.verify_department = record.department_code
            app.verify_due = verify_due.date
            app.deadline_estimated = app.deadline_estimated or verify_due.estimated
    app.rules_version = rule_set.version
    app.accepted_at = utcnow()
    app.handled_by = actor.label[:120]
    session.flush()
    audit(
        session,
        actor,
        "portal.application.accept",
        "portal_application",
        app.tracking_no,
        {
            "decide_due": app.decide_due,
            "record": app.record_id,
            "verify_department": app.verify_department,
            "verify_due": app.verify_due,
        },
    )
    reminders.application_reminder(session, settings, app, "accepted")
    return app


def _name_record(app: PortalApplication, record: CreditRecord | None) -> None:
    if record is not None:
        app.record_id = record.id
        app.record_category = record.category
        app.record_title = record.natural_key[:200]


def refuse_application(
    session: Session, actor: Actor, settings: Settings, application_id: int, *, reply: str
) -> PortalApplication:
    """不予受理, with the reason the applicant will read."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    text = handling.check_reply(reply)
    app = _locked_application(session, application_id)
    app.status = handling.refuse(app.status)
    app.reply = text
    app.decided_at = utcnow()
    app.handled_by = actor.label[:120]
    session.flush()
    audit(session, actor, "portal.application.refuse", "portal_application", app.tracking_no, {"reply": text})
    reminders.application_reminder(session, settings, app, "refused")
    return app


def _record_facts(session: Session, record: CreditRecord) -> handling.RecordFacts:
    R = CreditRecord
    current_status = record.status
    if not record.is_current:
        current_status = (
            session.scalar(
                select(R.status).where(
                    R.category == record.category, R.natural_key == record.natural_key, R.is_current.is_(True)
                )
            )
            or "superseded"
        )
    return handling.RecordFacts(
        category=record.category,
        status=record.status,
        is_current=record.is_current,
        severity=record.severity,
        publicity_min_end=_minimum_end(session, record),
        publicity_end=record.publicity_end,
        current_status=current_status,
    )


def repair_opens_on(session: Session, record_id: int) -> dt.date | None:
    """The day a credit repair of this record can be granted (its minimum publicity period has passed), for the
    website to tell the subject before it applies; None for a record no repair applies to."""
    record = session.get(CreditRecord, record_id)
    if record is None or record.category not in handling.REPAIRABLE_CATEGORIES:
        return None
    return _minimum_end(session, record)


def _minimum_end(session: Session, record: CreditRecord) -> dt.date | None:
    """The end of the record's minimum publicity period: as the import stored it, else (records written by a
    service, such as published list entries) from the publicity rule set of its decision date and severity."""
    if record.publicity_min_end is not None:
        return record.publicity_min_end
    start = record.publicity_start or record.decision_date
    if start is None or record.severity not in ("minor", "general", "serious"):
        return None
    catalog = active_catalog(session)
    family = catalog.category(record.category).publicity_family if catalog.has_category(record.category) else None
    if family is None:
        return None
    window = publicity_window(catalog.publicity_rule_sets(family), cast(Severity, record.severity), start)
    return window.min_end


def _decision_record(session: Session, app: PortalApplication, record_id: int | None) -> CreditRecord | None:
    """The record the outcome concerns: the application's own, else the one the official chose (of the subject)."""
    chosen = app.record_id if app.record_id is not None else record_id
    if chosen is None:
        return None
    record = session.get(CreditRecord, chosen)
    if record is None or record.subject_id != app.subject_id:
        raise InvalidInput("所选信息不属于该信用主体", code="record_subject_mismatch")
    return record


def decide_application(
    session: Session,
    actor: Actor,
    settings: Settings,
    application_id: int,
    *,
    outcome: str,
    reply: str,
    record_id: int | None = None,
    obligations_met: bool = False,
    commitment_made: bool = False,
    today: dt.date | None = None,
) -> PortalApplication:
    """办结 an accepted application. ``repaired`` ends the record's publication today and ``revoked`` withdraws it
    (a listed black/watch-list entry leaves its list with the same reason, through the list's own lifecycle);
    ``corrected`` requires the corrected revision the providing unit reported; ``dismissed`` and ``denied`` leave
    the record as it is. The reply is what the applicant reads on the website."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    text = handling.check_reply(reply)
    app = _locked_application(session, application_id)
    result = handling.decide(app.kind, app.status, outcome)
    day = today or china_today()
    record = _decision_record(session, app, record_id)
    facts = _record_facts(session, record) if record is not None else None
    problem = handling.verification_problem(
        result, app.verify_department, app.verification
    ) or handling.outcome_problem(result, facts, day, obligations_met=obligations_met, commitment_made=commitment_made)
    if problem is not None:
        raise InvalidInput(problem.message, code=problem.code)
    result_record: int | None = None
    new_status = handling.record_status_after(result)
    if record is not None and new_status is not None:
        result_record = _end_record(session, actor, settings, app, record, result, text, day)
    elif record is not None and result == "corrected":
        R = CreditRecord
        result_record = session.scalar(
            select(R.id).where(
                R.category == record.category, R.natural_key == record.natural_key, R.is_current.is_(True)
            )
        )
    app.status = result
    app.reply = text
    app.decided_at = utcnow()
    app.handled_by = actor.label[:120]
    if app.record_id is None:
        _name_record(app, record)
    app.result_record_id = result_record
    session.flush()
    audit(
        session,
        actor,
        "portal.application.decide",
        "portal_application",
        app.tracking_no,
        {"outcome": result, "record": record.id if record else None, "result_record": result_record, "reply": text},
    )
    reminders.application_reminder(session, settings, app, "decided")
    return app


def records_under_objection(session: Session, record_ids: Sequence[int]) -> set[int]:
    """Of these (published, current) record ids, those with an accepted objection still being handled (异议处理中):
    the public pages mark them, as the credit platforms do, so a reader knows the information is disputed. Matched
    by category and natural key, so a record corrected meanwhile stays marked until the decision."""
    if not record_ids:
        return set()
    A, R = PortalApplication, CreditRecord
    disputed = aliased(CreditRecord)
    open_objection = (
        select(A.id)
        .join(disputed, disputed.id == A.record_id)
        .where(
            A.kind == "objection",
            A.status == "accepted",
            disputed.category == R.category,
            disputed.natural_key == R.natural_key,
        )
        .exists()
    )
    return set(session.scalars(select(R.id).where(R.id.in_(set(record_ids)), open_objection)))


def keys_under_objection(session: Session, subject_id: int) -> set[tuple[str, str]]:
    """(category, natural key) of the subject's records with an accepted objection still being handled: the
    console's credit file marks them like the public pages do."""
    A, R = PortalApplication, CreditRecord
    rows = session.execute(
        select(R.category, R.natural_key)
        .join(A, A.record_id == R.id)
        .where(A.subject_id == subject_id, A.kind == "objection", A.status == "accepted")
    )
    return {(str(c), str(k)) for c, k in rows}


def subject_applications(
    session: Session, actor: Actor, subject_id: int, *, limit: int = 50
) -> list[PortalApplication]:
    """The subject's objection and repair applications, newest first (the credit office's view of a credit file)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    A = PortalApplication
    return list(session.scalars(select(A).where(A.subject_id == subject_id).order_by(A.id.desc()).limit(limit)))


# --- verification by the providing unit (信息提供单位核实) ---------------------------------------------------------


VERIFICATION_VIEWS: dict[str, str] = {"open": "待核实", "done": "已反馈", "all": "全部"}


@dataclass(frozen=True)
class VerificationTask:
    """An objection as the providing unit sees it: the record, the applicant's statement, the deadline. No contact
    details; a natural person's name masked."""

    id: int
    tracking_no: str
    status: str
    subject_id: int
    subject_name: str
    record_id: int | None
    record_category: str | None
    record_title: str | None
    applicant: str
    reason: str
    accepted_at: dt.datetime | None
    department: str
    verify_due: dt.date | None
    verification: str | None
    verification_note: str | None
    verified_at: dt.datetime | None
    verified_by: str | None
    reply: str | None


def _verification_scope(actor: Actor) -> str | None:
    """The department whose verifications the actor handles; ``None``: every department (credit office, admin)."""
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    if actor.has_role(ROLE_CREDIT_OFFICE, ROLE_ADMIN):
        return None
    if not actor.department_code:
        raise PermissionDenied("账号未关联单位，不能核实异议信息", code="no_department")
    return actor.department_code


def _task(app: PortalApplication, subject: Subject | None) -> VerificationTask:
    assert app.verify_department is not None
    person = subject is not None and subject.kind == "person"
    name = subject.name if subject is not None else ""
    return VerificationTask(
        id=app.id,
        tracking_no=app.tracking_no,
        status=app.status,
        subject_id=app.subject_id,
        subject_name=mask_name(name) if person else name,
        record_id=app.record_id,
        record_category=app.record_category,
        record_title=app.record_title,
        applicant=mask_name(app.applicant_name),
        reason=app.reason,
        accepted_at=app.accepted_at,
        department=app.verify_department,
        verify_due=app.verify_due,
        verification=app.verification,
        verification_note=app.verification_note,
        verified_at=app.verified_at,
        verified_by=app.verified_by,
        reply=app.reply,
    )


def verification_queue(
    session: Session, actor: Actor, *, view: str = "open", limit: int = 100, offset: int = 0
) -> tuple[list[VerificationTask], int]:
    """Objections sent to the actor's department for verification, with the total: awaited ones by deadline, the
    answered ones newest first. The credit office sees every department's."""
    department = _verification_scope(actor)
    A = PortalApplication
    cond: list[ColumnElement[bool]] = [A.verify_department.is_not(None)]
    if department is not None:
        cond.append(A.verify_department == department)
    if view == "open":
        cond += [A.status == "accepted", A.verification.is_(None)]
    elif view == "done":
        cond.append(A.verification.is_not(None))
    elif view != "all":
        raise InvalidInput("未知的核实筛选条件", code="invalid_view", details={"allowed": list(VERIFICATION_VIEWS)})
    total = session.scalar(select(func.count()).select_from(A).where(*cond)) or 0
    order = [A.verify_due.asc().nulls_last(), A.id] if view == "open" else [A.id.desc()]
    rows = list(session.scalars(select(A).where(*cond).order_by(*order).offset(offset).limit(limit)))
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_({a.subject_id for a in rows})))}
    return [_task(a, subjects.get(a.subject_id)) for a in rows], int(total)


def _verifiable(session: Session, actor: Actor, application_id: int, *, lock: bool = False) -> PortalApplication:
    department = _verification_scope(actor)
    app = _locked_application(session, application_id) if lock else session.get(PortalApplication, application_id)
    # Another department's objection is "not found" for this one: its existence is not theirs to know.
    if app is None or app.verify_department is None or department not in (None, app.verify_department):
        raise NotFound("未找到该核实事项", code="verification_not_found")
    return app


def verification_task(session: Session, actor: Actor, application_id: int) -> VerificationTask:
    app = _verifiable(session, actor, application_id)
    return _task(app, session.get(Subject, app.subject_id))


def submit_verification(
    session: Session, actor: Actor, application_id: int, *, finding: str, note: str
) -> VerificationTask:
    """核实: the providing unit reports whether the record is accurate, with its explanation; the credit office's
    decision then follows the finding. Only the department the objection was sent to (or an administrator)."""
    app = _verifiable(session, actor, application_id, lock=True)
    if actor.department_code != app.verify_department and not actor.has_role(ROLE_ADMIN):
        raise PermissionDenied("只能由信息提供单位反馈核实意见", code="other_department")
    result = handling.verify(app.status, app.verify_department, app.verification, finding)
    text = handling.check_note(note)
    app.verification = result
    app.verification_note = text
    app.verified_at = utcnow()
    app.verified_by = actor.label[:120]
    session.flush()
    audit(
        session,
        actor,
        "portal.application.verify",
        "portal_application",
        app.tracking_no,
        {"finding": result, "note": text, "department": app.verify_department},
    )
    return _task(app, session.get(Subject, app.subject_id))


def _end_record(
    session: Session,
    actor: Actor,
    settings: Settings,
    app: PortalApplication,
    record: CreditRecord,
    outcome: str,
    reply: str,
    today: dt.date,
) -> int:
    """Write the revision that ends the record's publication (repaired) or withdraws it (revoked); its id."""
    basis = f"{rules.APPLICATION_KINDS.get(app.kind, app.kind)} {app.tracking_no}：{reply}"[:4000]
    if record.category in LIST_RECORD_CATEGORIES:
        entry_id = session.scalar(
            select(ListEntry.id).where(ListEntry.record_key == record.natural_key, ListEntry.state == "listed")
        )
        if entry_id is not None:
            lists_service.remove_entry(session, actor, settings, entry_id, reason=outcome, basis=basis)
            R = CreditRecord
            current = session.scalar(
                select(R.id).where(
                    R.category == record.category, R.natural_key == record.natural_key, R.is_current.is_(True)
                )
            )
            assert current is not None
            return current
    status = handling.record_status_after(outcome)
    assert status is not None
    written = change_status(
        session,
        actor,
        record_id=record.id,
        status=status,
        note=basis,
        publicity_end=today if outcome == "repaired" else None,
    )
    return written.record_id


# --- open data (开放数据) -------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "信息类别",
    "文书编号",
    "主体名称",
    "主体类别",
    "统一社会信用代码",
    "决定日期",
    "公示截止",
    "决定部门",
    "行业领域",
    "异议处理中",
)


def record_row(r: PublicRecord, disputed: Collection[int] = ()) -> dict[str, Any]:
    """The open-data representation of a public record (common columns, then every public field); 异议处理中 says
    是 for the records in ``disputed`` (:func:`open_data_disputed`), as the pages mark them."""
    return {
        "信息类别": r.category_name,
        "文书编号": r.title,
        "主体名称": r.subject_name,
        "主体类别": disclosure.KIND_LABELS.get(r.subject_kind, r.subject_kind),
        "统一社会信用代码": r.uscc or "",
        "决定日期": r.decision_date.isoformat() if r.decision_date else "",
        "公示截止": r.publicity_end.isoformat() if r.publicity_end else "",
        "决定部门": r.department_name or r.department_code,
        "行业领域": r.domain or "",
        "异议处理中": "是" if r.id in disputed else "否",
        "fields": r.fields,
    }


def open_data_disputed(session: Session, records: Sequence[PublicRecord]) -> set[int]:
    """The ids among ``records`` (an open-data download, up to 50,000) with an accepted objection still being
    handled (:func:`records_under_objection`, asked in chunks)."""
    ids = [r.id for r in records]
    out: set[int] = set()
    for i in range(0, len(ids), 1000):
        out |= records_under_objection(session, ids[i : i + 1000])
    return out


def to_csv(records: Sequence[PublicRecord], disputed: Collection[int] = ()) -> bytes:
    """UTF-8 CSV with a BOM (opens correctly in Excel); the union of public fields as extra columns."""
    extra: list[str] = []
    seen: set[str] = set()
    for r in records:
        for name in r.fields:
            if name not in seen and name not in EXPORT_COLUMNS:
                seen.add(name)
                extra.append(name)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*EXPORT_COLUMNS, *extra])
    for r in records:
        row = record_row(r, disputed)
        writer.writerow([row[c] for c in EXPORT_COLUMNS] + [spreadsheet_text(r.fields.get(name)) for name in extra])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_json(records: Sequence[PublicRecord], disputed: Collection[int] = ()) -> bytes:
    policy = load_policy()
    items = [record_row(r, disputed) for r in records]
    return orjson.dumps({"disclosure_policy": policy.version, "count": len(records), "items": items})
