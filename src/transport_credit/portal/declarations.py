"""信用信息自主申报 — self-declared credit information (seed 004: "开通自主申报渠道，鼓励从业企业自主自愿补充完善并
更新相关信用信息"). A subject (an organisation or individual business with a USCC) declares information about itself
on the website — an award (表彰奖励) … — with a statement of where it can be checked:

    received ──adopt──▶ adopted (a record of the category, written through the import pipeline)
        └────reject──▶ rejected (不予采纳, with the reason the applicant reads)

The declared fields are checked at submission with the catalog's own rules (the import pipeline runs on the row in
a savepoint that is rolled back), so the applicant sees the same Chinese messages a department's file would get.
Adoption writes the record as the credit office (source unit: the office), with 【主体自主申报，经…核实采纳】 in its
remarks, so readers of the credit file know where it came from. Which categories may be declared, their fields and
the deadline are data (``data/declarations/declarations.yaml``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.auth.models import Department
from transport_credit.calendar.service import build_calendar
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.schema import FieldDef, SubjectBinding
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, Actor
from transport_credit.common.datafiles import load_yaml_model
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.disclosure.rules import china_today
from transport_credit.ingest.service import push_records
from transport_credit.portal import handling, rules
from transport_credit.portal.models import CreditDeclaration
from transport_credit.portal.service import protect_contact, unused_tracking_no
from transport_credit.records.models import CreditRecord
from transport_credit.reminders import service as reminders
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

DeclarationStatus = Literal["received", "adopted", "rejected"]
STATUS_LABELS: dict[str, str] = {
    "received": "已提交，待核实",
    "adopted": "已核实采纳，已记入信用档案",
    "rejected": "不予采纳",
}
DECLARING_KINDS = ("org", "individual_business")  # subjects with a USCC (persons go to the counter)
STATEMENT_MIN, STATEMENT_MAX = 10, 2000
MAX_VALUE = 2000


class DeclarableCategory(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    fields: list[str] = Field(min_length=1)  # what the subject fills in
    # Filled by the platform on adoption: the credit office as the source unit, and the origin in the remarks.
    source_unit_field: str
    source_uscc_field: str
    remarks_field: str
    # The values a subject may choose of an enumerated field (信用承诺: 主动型 and 行业自律型 only; the others come
    # from approvals), fields the platform sets to a constant, the fields naming the credit office (承诺受理单位),
    # and the field numbered with the declaration's tracking number (a 主动型 commitment has no issued number).
    choices: dict[str, list[str]] = Field(default_factory=dict)
    fixed: dict[str, str] = Field(default_factory=dict)
    office_name_fields: list[str] = Field(default_factory=list)
    office_uscc_fields: list[str] = Field(default_factory=list)
    numbered: str | None = None


class DeclarationRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["declaration_rules"]
    version: str
    decide_workdays: int = Field(ge=1, le=60)
    categories: dict[str, DeclarableCategory]


@functools.cache
def declaration_rules() -> DeclarationRules:
    path = Path(str(resources.files("transport_credit") / "data" / "declarations" / "declarations.yaml"))
    return load_yaml_model(path, DeclarationRules, "自主申报规则文件", "declaration_file_invalid")


@dataclass(frozen=True)
class DeclarationForm:
    category: str
    category_name: str
    fields: list[FieldDef]  # in the order of the rules file
    decide_workdays: int
    subject: SubjectBinding  # the catalog's subject fields of the category
    declarable: DeclarableCategory


def declaration_forms(session: Session) -> list[DeclarationForm]:
    """The categories a subject may declare, with the catalog's definitions of the fields it fills in."""
    cfg = declaration_rules()
    catalog = active_catalog(session)
    forms = []
    for code, declarable in cfg.categories.items():
        if not catalog.has_category(code):
            continue
        cat = catalog.category(code)
        by_key = {f.key: f for f in cat.fields}
        fields = [by_key[k] for k in declarable.fields if k in by_key]
        forms.append(DeclarationForm(code, cat.name, fields, cfg.decide_workdays, cat.subject, declarable))
    return forms


def _form(session: Session, category: str) -> DeclarationForm:
    for form in declaration_forms(session):
        if form.category == category:
            return form
    raise InvalidInput("请选择可以自主申报的信息类别", code="category_not_declarable")


def _declarable_subject(session: Session, subject_id: int) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("未找到该信用主体", code="subject_not_found")
    if subject.kind not in DECLARING_KINDS or not subject.uscc:
        raise InvalidInput(
            "自主申报面向有统一社会信用代码的企业和个体工商户；自然人请到信用办窗口办理", code="subject_not_declarable"
        )
    return subject


def _office(session: Session, settings: Settings, code: str | None = None) -> Department:
    """The credit office's department: the adopting official's, or the province's."""
    if code is None:
        code = next(d.code for d in load_province(settings.province).departments if d.kind == "credit_office")
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise NotFound("未找到信用办所在部门", code="department_not_found")
    return dept


def _row(form: DeclarationForm, subject: Subject, office: Department, fields: Mapping[str, str]) -> dict[str, str]:
    """The record as the pipeline reads it: the declared fields, the subject's identity in the category's subject
    fields (its kind as the catalog's value for it), the office as source unit, the origin in the remarks."""
    binding, declarable = form.subject, form.declarable
    row = {k: v for k, v in fields.items() if v}
    row[binding.name] = subject.name
    if binding.kind is not None:
        row[binding.kind] = next((label for label, kind in binding.kind_values.items() if kind == subject.kind), "")
    if binding.uscc is not None:
        row[binding.uscc] = subject.uscc or ""
    row[declarable.source_unit_field] = office.name
    row[declarable.source_uscc_field] = office.uscc or ""
    row.update(declarable.fixed)
    for key in declarable.office_name_fields:
        row[key] = office.name
    for key in declarable.office_uscc_fields:
        row[key] = office.uscc or ""
    remark = f"【主体自主申报，经{office.name}核实采纳】"
    row[declarable.remarks_field] = (row.get(declarable.remarks_field, "") + remark).strip()
    return row


def _office_actor(office: Department) -> Actor:
    return Actor("自主申报校验", "system", department_code=office.code, roles=frozenset({ROLE_CREDIT_OFFICE}))


class _DryRun(Exception):
    pass


def _check_fields(
    session: Session, settings: Settings, form: DeclarationForm, subject: Subject, office: Department, fields: Any
) -> dict[str, str]:
    """Field errors of the declared values: the catalog's rules, run by the import pipeline in a savepoint that is
    rolled back (nothing is written), and the natural key not already on record."""
    errors: dict[str, str] = {}
    for f in form.fields:
        allowed = form.declarable.choices.get(f.key)
        if f.mandatory and not fields.get(f.key):
            errors[f.key] = f"请填写「{f.name}」"
        elif len(fields.get(f.key, "")) > MAX_VALUE:
            errors[f.key] = f"「{f.name}」不超过 {MAX_VALUE} 个字"
        elif allowed and fields.get(f.key) and fields[f.key] not in allowed:
            errors[f.key] = f"「{f.name}」可以申报的是：{'、'.join(allowed)}"
    if errors:
        return errors
    keys: list[str] = []
    try:
        with session.begin_nested():
            summary = push_records(
                session,
                _office_actor(office),
                settings,
                category=form.category,
                records=[_row(form, subject, office, fields)],
            )
            keys += [r.natural_key for r in summary.results or [] if r.natural_key]
            for result in summary.results or []:
                for issue in result.errors:
                    errors.setdefault(str(issue["field"]), str(issue["message"]))
            raise _DryRun
    except _DryRun:
        pass
    R = CreditRecord
    for key in keys:  # the natural key as the pipeline builds it from the category's key fields
        if not errors and session.scalar(
            select(func.count()).where(R.category == form.category, R.natural_key == key, R.is_current.is_(True))
        ):
            field = active_catalog(session).category(form.category).natural_key[0]
            errors[field] = "平台已有该文号的信息，无需申报；如信息有误请提出异议"
    return errors


def submit_declaration(
    session: Session,
    settings: Settings,
    *,
    subject_id: int,
    category: str,
    fields: Mapping[str, str],
    applicant_name: str,
    contact: str,
    statement: str,
    today: dt.date | None = None,
) -> CreditDeclaration:
    """Store a declaration and return it with its tracking number (受理编号); :class:`InvalidInput`
    (``invalid_declaration``) with field → Chinese message for anything to correct."""
    subject = _declarable_subject(session, subject_id)
    form = _form(session, category)
    values = {f.key: str(fields.get(f.key) or "").strip() for f in form.fields}
    day = today or china_today()
    tracking = unused_tracking_no(session, CreditDeclaration, "declaration", day)
    if form.declarable.numbered:
        values[form.declarable.numbered] = tracking
    errors = rules.check_applicant(applicant_name, contact)
    if "\x00" in "".join(values.values()) + statement:
        errors["statement"] = "申报内容含有无效字符"
    elif not (STATEMENT_MIN <= len(statement.strip()) <= STATEMENT_MAX):
        errors["statement"] = f"请说明信息来源及可供核实的途径（{STATEMENT_MIN}–{STATEMENT_MAX} 个字）"
    office = _office(session, settings)
    if "statement" not in errors:
        errors.update(_check_fields(session, settings, form, subject, office, values))
    if errors:
        raise InvalidInput("申报填写有误：" + "；".join(errors.values()), code="invalid_declaration", details=errors)
    cfg = declaration_rules()
    due = build_calendar(session).add_workdays(day, cfg.decide_workdays)
    contact_masked, contact_cipher = protect_contact(settings, contact)
    declaration = CreditDeclaration(
        tracking_no=tracking,
        subject_id=subject.id,
        category=form.category,
        fields={k: v for k, v in values.items() if v},
        applicant_name=applicant_name.strip(),
        contact_masked=contact_masked,
        contact_cipher=contact_cipher,
        statement=statement.strip(),
        status="received",
        submitted_at=utcnow(),
        rules_version=cfg.version,
        decide_due=due.date,
        deadline_estimated=due.estimated,
    )
    session.add(declaration)
    session.flush()
    reminders.declaration_reminder(session, settings, declaration, "received")
    return declaration


def declaration_status(session: Session, tracking_no: str) -> CreditDeclaration:
    """Public status look-up by tracking number."""
    found = session.scalar(
        select(CreditDeclaration).where(CreditDeclaration.tracking_no == tracking_no.strip().upper())
    )
    if found is None:
        raise NotFound("未找到该受理编号", code="declaration_not_found")
    return found


VIEWS: dict[str, str] = {"open": "待核实", "closed": "已办结", "all": "全部"}


@dataclass(frozen=True)
class DeclarationView:
    """A declaration as the console shows it: the subject by name, the fields by their catalog names."""

    id: int
    tracking_no: str
    subject_id: int
    subject_name: str
    category: str
    category_name: str
    fields: list[tuple[str, str]]  # (catalog name, value) in the order of the form
    summary: str  # what was declared, in a few words (the first declared field of the form that is filled)
    applicant_name: str
    contact_masked: str
    statement: str
    status: str
    submitted_at: dt.datetime
    decide_due: dt.date
    deadline_estimated: bool
    decided_at: dt.datetime | None
    decided_by: str | None
    reply: str | None
    record_id: int | None
    record_key: str | None  # the adopted record's natural key (its history in the console)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _views(session: Session, rows: list[CreditDeclaration]) -> list[DeclarationView]:
    """Views of ``rows``, the subjects' names and the records' keys read in one query each."""
    forms = {f.category: f for f in declaration_forms(session)}
    subjects = select(Subject.id, Subject.name).where(Subject.id.in_({d.subject_id for d in rows}))
    names = {int(i): str(n) for i, n in session.execute(subjects)}
    R = CreditRecord
    records = select(R.id, R.natural_key).where(R.id.in_({d.record_id for d in rows if d.record_id is not None}))
    keys = {int(i): str(k) for i, k in session.execute(records)}
    catalog = active_catalog(session)
    out = []
    for d in rows:
        form = forms.get(d.category)
        labels = (
            {f.key: f.name for f in catalog.category(d.category).fields} if catalog.has_category(d.category) else {}
        )
        order = [f.key for f in form.fields] if form else []
        keyed = sorted(d.fields.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
        out.append(
            DeclarationView(
                id=d.id,
                tracking_no=d.tracking_no,
                subject_id=d.subject_id,
                subject_name=names.get(d.subject_id, str(d.subject_id)),
                category=d.category,
                category_name=form.category_name if form else d.category,
                fields=[(labels.get(k, k), str(v)) for k, v in keyed],
                summary=next((str(v) for k, v in keyed if k != "decision_no"), d.tracking_no),
                applicant_name=d.applicant_name,
                contact_masked=d.contact_masked,
                statement=d.statement,
                status=d.status,
                submitted_at=d.submitted_at,
                decide_due=d.decide_due,
                deadline_estimated=d.deadline_estimated,
                decided_at=d.decided_at,
                decided_by=d.decided_by,
                reply=d.reply,
                record_id=d.record_id,
                record_key=keys.get(d.record_id) if d.record_id is not None else None,
            )
        )
    return out


def list_declarations(session: Session, actor: Actor, view: str = "open") -> list[DeclarationView]:
    """The credit office's queue: waiting ones by deadline, or the decided ones newest first."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    D = CreditDeclaration
    stmt = select(D)
    if view == "open":
        stmt = stmt.where(D.status == "received").order_by(D.decide_due, D.id)
    elif view == "closed":
        stmt = stmt.where(D.status != "received").order_by(D.decided_at.desc(), D.id.desc())
    elif view == "all":
        stmt = stmt.order_by(D.id.desc())
    else:
        raise InvalidInput("未知的视图", code="invalid_view")
    return _views(session, list(session.scalars(stmt.limit(500))))


def get_declaration(session: Session, actor: Actor, declaration_id: int) -> DeclarationView:
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    found = session.get(CreditDeclaration, declaration_id)
    if found is None:
        raise NotFound("未找到该自主申报", code="declaration_not_found")
    return _views(session, [found])[0]


def _locked(session: Session, declaration_id: int) -> CreditDeclaration:
    found = session.scalar(select(CreditDeclaration).where(CreditDeclaration.id == declaration_id).with_for_update())
    if found is None:
        raise NotFound("未找到该自主申报", code="declaration_not_found")
    if found.status != "received":
        raise Conflict(f"该申报已办结（{STATUS_LABELS[found.status]}）", code="declaration_decided")
    return found


def adopt_declaration(
    session: Session, actor: Actor, settings: Settings, declaration_id: int, *, reply: str
) -> CreditDeclaration:
    """核实采纳: the declared information becomes a record of its category (through the import pipeline, as the
    adopting official's credit office), and the applicant reads ``reply``."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    text = handling.check_reply(reply)
    declaration = _locked(session, declaration_id)
    subject = _declarable_subject(session, declaration.subject_id)
    office = _office(session, settings, actor.department_code)
    summary = push_records(
        session,
        actor,
        settings,
        category=declaration.category,
        records=[_row(_form(session, declaration.category), subject, office, declaration.fields)],
        department=office.code,
        channel="declaration",
    )
    problems = [str(issue["message"]) for r in summary.results or [] for issue in r.errors]
    if summary.rejected or problems:  # the catalog changed since submission: nothing is written
        raise InvalidInput(
            "申报信息不符合当前目录要求，无法采纳：" + "；".join(problems), code="declaration_invalid_now"
        )
    R = CreditRecord
    key = next((r.natural_key for r in summary.results or [] if r.natural_key), "")
    declaration.record_id = session.scalar(
        select(R.id).where(R.category == declaration.category, R.natural_key == key, R.is_current.is_(True))
    )
    _decided(session, actor, settings, declaration, "adopted", text)
    return declaration


def reject_declaration(
    session: Session, actor: Actor, settings: Settings, declaration_id: int, *, reply: str
) -> CreditDeclaration:
    """不予采纳, with the reason the applicant will read."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    text = handling.check_reply(reply)
    declaration = _locked(session, declaration_id)
    _decided(session, actor, settings, declaration, "rejected", text)
    return declaration


def _decided(
    session: Session, actor: Actor, settings: Settings, declaration: CreditDeclaration, status: str, reply: str
) -> None:
    """The decision on the row and in the audit log (portal.declaration.adopt / .reject)."""
    declaration.status = status
    declaration.decided_at = utcnow()
    declaration.decided_by = actor.label[:120]
    declaration.reply = reply
    session.flush()
    audit(
        session,
        actor,
        "portal.declaration." + ("adopt" if status == "adopted" else "reject"),
        "credit_declaration",
        declaration.tracking_no,
        {"category": declaration.category, "record": declaration.record_id, "subject": declaration.subject_id},
    )
    reminders.declaration_reminder(session, settings, declaration, "decided")
