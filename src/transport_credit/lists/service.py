"""List entry use cases (对象清单): propose, notify, object, publish, reject, remove, expire, import national lists.

Every step checks its actor's role, moves the entry through ``lifecycle`` (pure), and writes an audit entry with
actor, basis and time in the caller's transaction. Publication and removal also write the credit record revision
(HMD 红名单 / HEIMD 黑名单 / ZDGZ 重点关注名单) that the credit check and the public portal read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit import audit
from transport_credit.auth.models import Department
from transport_credit.calendar.service import build_calendar
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.identifiers.citizen_id import mask_id_number
from transport_credit.identifiers.normalize import normalize_code
from transport_credit.identifiers.uscc import check_uscc
from transport_credit.lists import lifecycle
from transport_credit.lists.models import ListEntry
from transport_credit.lists.rules import LIST_TYPE_LABELS, RECORD_CATEGORY, ListKind, list_rules
from transport_credit.records.service import write_revision
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import pii_keys
from transport_credit.subjects.service import KIND_LABELS, find_subject

_CST = dt.timezone(dt.timedelta(hours=8))
MAX_PAGE = 500
_PREFIX = {"red": "HMD", "black": "HEIMD", "watch": "ZDGZ"}


def today_cst() -> dt.date:
    """Today in China Standard Time (list periods and deadlines are Chinese calendar dates)."""
    return dt.datetime.now(_CST).date()


@dataclass(frozen=True)
class EntryView:
    id: int
    entry_no: str
    list_code: str
    list_name: str
    list_type: str
    list_type_label: str
    subject_id: int
    subject_name: str
    domain: str | None
    origin: str
    criterion_code: str | None
    state: str
    state_label: str
    reason: str
    basis: str
    department_code: str
    proposed_by: str
    proposed_at: dt.datetime
    notice_no: str | None
    notified_at: dt.datetime | None
    objection_deadline: dt.date | None
    objection_status: str | None
    listed_at: dt.datetime | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    removed_at: dt.datetime | None
    removal_reason: str | None
    removal_basis: str | None
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EntryDetail:
    entry: EntryView
    notice_text: str | None
    objection_text: str | None
    history: list[dict[str, Any]]  # audit entries of this entry, oldest first


def _view(e: ListEntry) -> EntryView:
    rules = list_rules()
    kind = rules.list_kinds.get(e.list_code)
    return EntryView(
        id=e.id,
        entry_no=e.entry_no,
        list_code=e.list_code,
        list_name=kind.name if kind else e.list_code,
        list_type=e.list_type,
        list_type_label=LIST_TYPE_LABELS.get(e.list_type, e.list_type),
        subject_id=e.subject_id,
        subject_name=e.subject_name,
        domain=e.domain,
        origin=e.origin,
        criterion_code=e.criterion_code,
        state=e.state,
        state_label=lifecycle.STATE_LABELS.get(e.state, e.state),
        reason=e.reason,
        basis=e.basis,
        department_code=e.department_code,
        proposed_by=e.proposed_by,
        proposed_at=e.proposed_at,
        notice_no=e.notice_no,
        notified_at=e.notified_at,
        objection_deadline=e.objection_deadline,
        objection_status=e.objection_status,
        listed_at=e.listed_at,
        valid_from=e.valid_from,
        valid_until=e.valid_until,
        removed_at=e.removed_at,
        removal_reason=e.removal_reason,
        removal_basis=e.removal_basis,
        evidence=list(e.evidence or []),
    )


def _state(e: ListEntry) -> lifecycle.EntryState:
    return lifecycle.EntryState(
        state=e.state,  # type: ignore[arg-type]
        objection_deadline=e.objection_deadline,
        objection_pending=e.objection_status == "pending",
        valid_from=e.valid_from,
        valid_until=e.valid_until,
        removal_reason=e.removal_reason,  # type: ignore[arg-type]
    )


def _apply(e: ListEntry, s: lifecycle.EntryState) -> None:
    e.state = s.state
    e.objection_deadline = s.objection_deadline
    e.valid_from = s.valid_from
    e.valid_until = s.valid_until
    e.removal_reason = s.removal_reason
    e.updated_at = utcnow()


def _entry(session: Session, entry_id: int, *, lock: bool = False) -> ListEntry:
    stmt = select(ListEntry).where(ListEntry.id == entry_id)
    if lock:
        stmt = stmt.with_for_update()
    e = session.scalar(stmt)
    if e is None:
        raise NotFound("未找到该名单条目", code="entry_not_found")
    return e


def _department(session: Session, code: str) -> Department:
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise NotFound(f"部门 {code} 不存在", code="department_not_found")
    return dept


def _decider(actor: Actor) -> None:
    actor.require_role(ROLE_CREDIT_OFFICE)


def _text(value: str | None, what: str, code: str, limit: int = 4000) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{what}", code=code)
    if len(text) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 字", code=code)
    return text


def _new_entry_no(list_type: str, today: dt.date) -> str:
    return f"{_PREFIX[list_type]}-{today:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


def _open_entry(session: Session, subject_id: int, list_code: str) -> ListEntry | None:
    return session.scalar(
        select(ListEntry).where(
            ListEntry.subject_id == subject_id,
            ListEntry.list_code == list_code,
            ListEntry.state.in_(lifecycle.OPEN_STATES),
        )
    )


# --- reads ------------------------------------------------------------------------------------------------------


def list_entries(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    list_code: str | None = None,
    subject_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[EntryView], int]:
    """Entries newest first, with the total count (officials)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE} 之间", code="invalid_page")
    if state is not None and state not in lifecycle.STATES:
        raise InvalidInput(f"未知的状态「{state}」", code="invalid_state")
    cond = []
    if state:
        cond.append(ListEntry.state == state)
    if list_code:
        list_rules().list_kind(list_code)
        cond.append(ListEntry.list_code == list_code)
    if subject_id is not None:
        cond.append(ListEntry.subject_id == subject_id)
    total = int(session.scalar(select(func.count()).select_from(ListEntry).where(*cond)) or 0)
    rows = session.scalars(
        select(ListEntry)
        .where(*cond)
        .order_by(ListEntry.updated_at.desc(), ListEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_view(e) for e in rows], total


def state_counts(session: Session, actor: Actor) -> dict[str, int]:
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)
    return {s: int(n) for s, n in session.execute(select(ListEntry.state, func.count()).group_by(ListEntry.state))}


def get_entry(session: Session, actor: Actor, entry_id: int) -> EntryDetail:
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)
    e = _entry(session, entry_id)
    history = [
        {"at": a.at, "actor": a.actor, "action": a.action, "details": a.details}
        for a in reversed(
            audit.list_entries(session, _AUDIT_READER, target_type="list_entry", target_id=str(e.id), limit=1000)
        )
    ]
    return EntryDetail(_view(e), e.notice_text, e.objection_text, history)


_AUDIT_READER = Actor(name="lists", kind="system", roles=frozenset({ROLE_CREDIT_OFFICE}))


# --- proposal -----------------------------------------------------------------------------------------------------


def propose_entry(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    subject_code: str | None = None,
    subject_id: int | None = None,
    list_code: str,
    reason: str,
    basis: str | None = None,
    domain: str | None = None,
    department_code: str | None = None,
    criterion_code: str | None = None,
    evidence: Sequence[str] = (),
    origin: str = "manual",
) -> EntryView:
    """Propose a subject for a list (manual: credit office or a department's data officer; auto: the system)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER)
    rules = list_rules(settings.province)
    kind = rules.list_kind(list_code)
    if kind.national:
        raise InvalidInput("部级下发的名单只能通过文件导入，不能在本平台提出", code="national_list")
    reason = _text(reason, "列入事由", "reason_required")
    subject = _subject(session, settings, subject_code, subject_id)
    dept_code = department_code or actor.department_code
    if not dept_code:
        raise InvalidInput("请指定认定部门", code="department_required")
    if actor.kind != "system" and ROLE_CREDIT_OFFICE not in actor.roles and dept_code != actor.department_code:
        raise PermissionDenied("只能以本部门名义提出列入建议", code="other_department")
    _department(session, dept_code)
    if _open_entry(session, subject.id, list_code) is not None:
        raise Conflict(f"该主体已在「{kind.name}」的办理或公布中", code="entry_exists")
    today = today_cst()
    e = ListEntry(
        entry_no=_new_entry_no(kind.type, today),
        list_code=kind.code,
        list_type=kind.type,
        subject_id=subject.id,
        subject_name=subject.name,
        domain=domain,
        origin=origin,
        criterion_code=criterion_code,
        state="proposed",
        reason=reason,
        basis=(basis or "").strip() or kind.basis,
        department_code=dept_code,
        evidence=list(evidence),
        proposed_by=actor.label[:120],
        proposed_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(e)
    session.flush()
    audit.record(
        session,
        actor,
        "list_entry.propose",
        "list_entry",
        str(e.id),
        {"list": kind.code, "subject_id": subject.id, "origin": origin, "criterion": criterion_code, "basis": e.basis},
    )
    return _view(e)


def _subject(session: Session, settings: Settings, code: str | None, subject_id: int | None) -> Subject:
    if subject_id is not None:
        s = session.get(Subject, subject_id)
        if s is None:
            raise NotFound("未找到该信用主体", code="subject_not_found")
        return s
    if not code or not code.strip():
        raise InvalidInput("请输入统一社会信用代码或证件号码", code="code_required")
    found = find_subject(session, settings, code)
    if found is None:
        raise NotFound("未找到该信用主体", code="subject_not_found")
    return found


# --- notice and objection ---------------------------------------------------------------------------------------------


def render_notice(template: str, values: dict[str, str]) -> str:
    """The notice (告知书) text: ``$placeholders`` of the template filled in (pure)."""
    return Template(template).safe_substitute(values)


def notify_entry(
    session: Session, actor: Actor, settings: Settings, entry_id: int, *, today: dt.date | None = None
) -> EntryDetail:
    """Review passed: issue the prior notice and open the objection window (working days)."""
    _decider(actor)
    e = _entry(session, entry_id, lock=True)
    rules = list_rules(settings.province)
    kind = rules.list_kind(e.list_code)
    today = today or today_cst()
    days = rules.objection_days(kind)
    deadline = build_calendar(session).add_workdays(today, days).date
    new = lifecycle.notify(_state(e), objection_deadline=deadline, today=today)
    subject = session.get(Subject, e.subject_id)
    assert subject is not None
    dept = _department(session, e.department_code)
    notice_no = f"GZ-{e.entry_no}"
    e.notice_no = notice_no
    e.notice_text = render_notice(
        rules.notice_template,
        {
            "notice_no": notice_no,
            "subject_name": subject.name,
            "subject_code": subject.uscc or subject.id_masked or "",
            "list_name": kind.name,
            "reason": e.reason,
            "basis": e.basis,
            "authority": dept.name,
            "notice_date": f"{today:%Y年%m月%d日}",
            "objection_deadline": f"{deadline:%Y年%m月%d日}",
            "objection_workdays": str(days),
            "period_months": str(kind.period_months),
        },
    )
    e.notified_at = utcnow()
    e.objection_status = None
    _apply(e, new)
    session.flush()
    audit.record(
        session,
        actor,
        "list_entry.notify",
        "list_entry",
        str(e.id),
        {"notice_no": notice_no, "objection_deadline": deadline, "workdays": days},
    )
    return get_entry(session, actor, e.id)


def file_objection(
    session: Session, actor: Actor, entry_id: int, text: str, *, today: dt.date | None = None
) -> EntryView:
    """Record the subject's objection (异议) received within the window (entered by an official)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER)
    body = _text(text, "异议内容", "objection_required")
    e = _entry(session, entry_id, lock=True)
    new = lifecycle.object_to(_state(e), today=today or today_cst())
    _apply(e, new)
    e.objection_status = "pending"
    e.objection_text = body
    session.flush()
    audit.record(session, actor, "list_entry.object", "list_entry", str(e.id), {"length": len(body)})
    return _view(e)


def resolve_objection(session: Session, actor: Actor, entry_id: int, *, upheld: bool, note: str) -> EntryView:
    """Decide the objection: upheld → not listed; dismissed → may be published once the window closes."""
    _decider(actor)
    note = _text(note, "处理意见", "note_required")
    e = _entry(session, entry_id, lock=True)
    new = lifecycle.resolve_objection(_state(e), upheld=upheld)
    _apply(e, new)
    e.objection_status = "upheld" if upheld else "dismissed"
    session.flush()
    audit.record(
        session, actor, "list_entry.objection_resolved", "list_entry", str(e.id), {"upheld": upheld, "basis": note}
    )
    return _view(e)


def reject_entry(session: Session, actor: Actor, entry_id: int, note: str) -> EntryView:
    """The reviewer declines the proposal (不予列入)."""
    _decider(actor)
    note = _text(note, "不予列入的理由", "note_required")
    e = _entry(session, entry_id, lock=True)
    _apply(e, lifecycle.reject(_state(e)))
    e.removal_basis = note
    session.flush()
    audit.record(session, actor, "list_entry.reject", "list_entry", str(e.id), {"basis": note})
    return _view(e)


# --- publication and removal -----------------------------------------------------------------------------------


def _record_data(session: Session, settings: Settings, e: ListEntry, kind: ListKind) -> dict[str, Any]:
    subject = session.get(Subject, e.subject_id)
    assert subject is not None
    dept = _department(session, e.department_code)
    data: dict[str, Any] = {
        "subject_name": subject.name,
        "subject_kind": KIND_LABELS.get(subject.kind, subject.kind),
        "uscc": subject.uscc,
        "legal_rep": subject.legal_representative,
        "decision_no": e.entry_no,
        "list_name": kind.name,
        "reason": e.reason,
        "basis": e.basis,
        "decision_date": e.valid_from.isoformat() if e.valid_from else None,
        "valid_from": e.valid_from.isoformat() if e.valid_from else None,
        "valid_until": e.valid_until.isoformat() if e.valid_until else None,
        "authority": dept.name,
        "authority_uscc": dept.uscc,
        "source_unit": dept.name,
        "source_unit_uscc": dept.uscc,
        "domain": e.domain,
    }
    if subject.kind == "person" and subject.id_cipher:
        keys = pii_keys(settings.pii_key.get_secret_value())
        data["id_type"] = "01"
        data["id_number"] = keys.decrypt(subject.id_cipher).decode()
    return data


def _write_record(session: Session, actor: Actor, settings: Settings, e: ListEntry, status: str) -> None:
    kind = list_rules(settings.province).list_kind(e.list_code)
    written = write_revision(
        session,
        actor,
        settings,
        category=RECORD_CATEGORY[e.list_type],
        natural_key=e.entry_no,
        subject_id=e.subject_id,
        department_code=e.department_code,
        data=_record_data(session, settings, e, kind),
        status=status,
        decision_date=e.valid_from,
        publicity_start=e.valid_from,
        publicity_end=e.valid_until,
        severity="serious" if e.list_type == "black" else ("general" if e.list_type == "watch" else None),
    )
    e.record_key = written.natural_key


def publish_entry(
    session: Session,
    actor: Actor,
    settings: Settings,
    entry_id: int,
    *,
    period_months: int | None = None,
    today: dt.date | None = None,
) -> EntryView:
    """List and publish once the objection window closed (credit office); the validity period starts today."""
    _decider(actor)
    e = _entry(session, entry_id, lock=True)
    kind = list_rules(settings.province).list_kind(e.list_code)
    months = period_months or kind.period_months
    if not 1 <= months <= 120:
        raise InvalidInput("有效期应在 1 到 120 个月之间", code="invalid_period")
    today = today or today_cst()
    new = lifecycle.publish(_state(e), today=today, valid_until=lifecycle.add_months(today, months))
    _apply(e, new)
    e.listed_at = utcnow()
    session.flush()
    _write_record(session, actor, settings, e, "active")
    audit.record(
        session,
        actor,
        "list_entry.publish",
        "list_entry",
        str(e.id),
        {"valid_from": e.valid_from, "valid_until": e.valid_until, "basis": e.basis, "record": e.record_key},
    )
    return _view(e)


def remove_entry(
    session: Session, actor: Actor, settings: Settings, entry_id: int, *, reason: str, basis: str
) -> EntryView:
    """Take a listed entry off the list: repaired (信用修复), corrected (更正) or revoked (撤销)."""
    _decider(actor)
    basis = _text(basis, "移出依据", "basis_required")
    e = _entry(session, entry_id, lock=True)
    _apply(e, lifecycle.remove(_state(e), reason=reason))
    e.removed_at = utcnow()
    e.removal_basis = basis
    session.flush()
    _write_record(session, actor, settings, e, lifecycle.RECORD_STATUS_ON_REMOVAL[reason])
    audit.record(session, actor, "list_entry.remove", "list_entry", str(e.id), {"reason": reason, "basis": basis})
    return _view(e)


def expire_entries(session: Session, actor: Actor, settings: Settings, *, today: dt.date | None = None) -> int:
    """Every listed entry whose validity ended leaves the list (run by the job; idempotent). Returns the count."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    day = today or today_cst()
    due = session.scalars(
        select(ListEntry)
        .where(ListEntry.state == "listed", ListEntry.valid_until < day)
        .order_by(ListEntry.id)
        .with_for_update()
    ).all()
    for e in due:
        _apply(e, lifecycle.expire(_state(e), today=day))
        e.removed_at = utcnow()
        e.removal_basis = f"有效期至 {e.valid_until} 届满，自动移出"
        session.flush()
        _write_record(session, actor, settings, e, lifecycle.RECORD_STATUS_ON_REMOVAL["expired"])
        audit.record(
            session,
            actor,
            "list_entry.expire",
            "list_entry",
            str(e.id),
            {"valid_until": e.valid_until, "basis": "有效期届满"},
        )
    return len(due)


# --- national special lists imported from files -------------------------------------------------------------------

NATIONAL_COLUMNS = {
    "subject_name": ("主体名称", "当事人名称", "企业名称", "名称", "行政相对人名称"),
    "code": ("统一社会信用代码", "社会信用代码", "证件号码", "代码"),
    "decision_no": ("认定文号", "文号", "编号"),
    "reason": ("列入事由", "失信行为", "事由", "失信事实"),
    "basis": ("认定依据", "依据"),
    "valid_from": ("列入日期", "有效期自", "认定日期", "公布日期"),
    "valid_until": ("有效期至", "移出日期", "截止日期"),
}


@dataclass
class NationalImportReport:
    list_code: str
    rows: int = 0
    imported: int = 0
    already_listed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _read_table(path: Path, content: bytes) -> list[list[str]]:
    from transport_credit.ingest.readers import detect_encoding, open_rows

    if path.suffix.lower() in (".csv", ".txt"):
        text = content.decode(detect_encoding(content[:65536]))
        return [list(r) for r in csv.reader(io.StringIO(text))]
    opened = open_rows(path, io.BytesIO(content))
    return [list(r) for r in opened.rows]


def _parse_date(value: str) -> dt.date | None:
    text = value.strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def import_national_list(
    session: Session, actor: Actor, settings: Settings, path: Path, content: bytes, *, list_code: str
) -> NationalImportReport:
    """Import a national special list file (CSV / XLSX): each row becomes a listed entry of ``list_code``
    (published with its own validity), written as a HEIMD/HMD record. Rows already listed are skipped; organisations
    unknown to the platform are created from their USCC. All or nothing: a file with errors imports nothing."""
    _decider(actor)
    rules = list_rules(settings.province)
    kind = rules.list_kind(list_code)
    if not kind.national:
        raise InvalidInput(f"「{kind.name}」不是部级下发名单，不能导入", code="not_national_list")
    table = [r for r in _read_table(path, content) if any(c.strip() for c in r)]
    if len(table) < 2:
        raise InvalidInput("文件没有数据行", code="empty_file")
    header = [h.strip().lstrip("*") for h in table[0]]
    cols: dict[str, int] = {}
    for key, names in NATIONAL_COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                cols[key] = i
                break
    missing = [NATIONAL_COLUMNS[k][0] for k in ("subject_name", "code", "reason") if k not in cols]
    if missing:
        raise InvalidInput(f"文件缺少必需的列：{'、'.join(missing)}", code="missing_columns")
    report = NationalImportReport(list_code=kind.code, rows=len(table) - 1)
    today = today_cst()
    dept_code = actor.department_code or office_department(session)

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    planned: list[tuple[Subject, dict[str, Any]]] = []
    for n, row in enumerate(table[1:], start=2):
        name, code, reason = cell(row, "subject_name"), normalize_code(cell(row, "code")), cell(row, "reason")
        valid_from = _parse_date(cell(row, "valid_from")) or today
        valid_until = _parse_date(cell(row, "valid_until")) or lifecycle.add_months(valid_from, kind.period_months)
        if not name or not code or not reason:
            report.errors.append({"row": n, "message": "主体名称、代码、列入事由不能为空"})
            continue
        if valid_until < valid_from:
            report.errors.append({"row": n, "message": "有效期至早于列入日期"})
            continue
        subject = find_subject(session, settings, code)
        if subject is None:
            check = check_uscc(code)
            if check.status == "malformed":
                report.errors.append({"row": n, "message": f"代码 {mask_id_number(code)} 无法识别，且平台无此主体"})
                continue
            subject = Subject(kind="org", name=name, uscc=check.normalized, region_code=check.normalized[2:8])
            session.add(subject)
            session.flush()
        planned.append(
            (
                subject,
                {
                    "reason": reason,
                    "basis": cell(row, "basis") or kind.basis,
                    "no": cell(row, "decision_no"),
                    "from": valid_from,
                    "until": valid_until,
                },
            )
        )
    if report.errors:
        raise InvalidInput(
            f"文件有 {len(report.errors)} 行无法导入，未导入任何数据",
            code="national_rows_invalid",
            details={"errors": report.errors[:100]},
        )
    for subject, item in planned:
        if _open_entry(session, subject.id, kind.code) is not None:
            report.already_listed += 1
            continue
        state = lifecycle.import_listed(valid_from=item["from"], valid_until=item["until"])
        entry_no = (item["no"] or _new_entry_no(kind.type, today))[:40]
        if session.scalar(select(ListEntry.id).where(ListEntry.entry_no == entry_no)) is not None:
            entry_no = _new_entry_no(kind.type, today)
        e = ListEntry(
            entry_no=entry_no,
            list_code=kind.code,
            list_type=kind.type,
            subject_id=subject.id,
            subject_name=subject.name,
            origin="national",
            state="listed",
            reason=item["reason"],
            basis=item["basis"],
            department_code=dept_code,
            evidence=[],
            proposed_by=actor.label[:120],
            proposed_at=utcnow(),
            listed_at=utcnow(),
            updated_at=utcnow(),
        )
        _apply(e, state)
        if lifecycle.is_expired(state, today):
            e.state, e.removal_reason, e.removed_at = "removed", "expired", utcnow()
        session.add(e)
        session.flush()
        _write_record(session, actor, settings, e, "active" if e.state == "listed" else "removed")
        report.imported += 1
    audit.record(
        session,
        actor,
        "list.import_national",
        "list",
        kind.code,
        {"file": path.name, "rows": report.rows, "imported": report.imported, "already": report.already_listed},
    )
    return report


def office_department(session: Session) -> str:
    """The provincial credit office (信用办), else the provincial department's office: the default 认定部门."""
    for kinds in (("credit_office",), ("office",)):
        code = session.scalar(
            select(Department.code)
            .where(Department.kind.in_(kinds), Department.level == "province", Department.active.is_(True))
            .order_by(Department.id)
            .limit(1)
        )
        if code is not None:
            return code
    raise InvalidInput("请指定认定部门", code="department_required")
