"""Credit subjects and their credit file (信用档案 / 一户式)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import InvalidInput, NotFound
from transport_credit.identifiers.citizen_id import check_citizen_id
from transport_credit.identifiers.normalize import normalize_code
from transport_credit.records.models import CreditRecord
from transport_credit.records.views import Audience, visible_data
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject, SubjectAlias
from transport_credit.subjects.pii import pii_keys

KIND_LABELS = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}


def find_subject(session: Session, settings: Settings, code: str) -> Subject | None:
    """By USCC, an old identifier (工商注册号, 组织机构代码 …), or a citizen ID number (via its keyed hash)."""
    value = normalize_code(code)
    if not value:
        return None
    subject = session.scalar(select(Subject).where(Subject.uscc == value))
    if subject is not None:
        return subject
    alias = session.scalar(select(SubjectAlias.subject_id).where(SubjectAlias.value == value).limit(1))
    if alias is not None:
        return session.get(Subject, alias)
    if len(value) in (15, 18) and check_citizen_id(value).status != "malformed":
        normalized = check_citizen_id(value).normalized
        key = pii_keys(settings.pii_key.get_secret_value()).keyed_hash(normalized)
        return session.scalar(select(Subject).where(Subject.person_key == key))
    return None


@dataclass
class RecordView:
    category: str
    category_name: str
    natural_key: str
    revision: int
    status: str
    is_current: bool
    decision_date: dt.date | None
    reported_at: dt.datetime
    on_time: bool | None
    severity: str | None
    publicity_start: dt.date | None
    publicity_end: dt.date | None
    quality_score: float
    department_code: str
    batch_id: int
    fields: dict[str, Any]
    warnings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SubjectFile:
    id: int
    kind: str
    kind_label: str
    name: str
    uscc: str | None
    id_masked: str | None
    region_code: str | None
    legal_representative: str | None
    aliases: dict[str, list[str]]
    counts: dict[str, int]
    records: list[RecordView]


def _view(record: CreditRecord, category_name: str, fields: dict[str, Any]) -> RecordView:
    return RecordView(
        category=record.category,
        category_name=category_name,
        natural_key=record.natural_key,
        revision=record.revision,
        status=record.status,
        is_current=record.is_current,
        decision_date=record.decision_date,
        reported_at=record.reported_at,
        on_time=record.on_time,
        severity=record.severity,
        publicity_start=record.publicity_start,
        publicity_end=record.publicity_end,
        quality_score=record.quality_score,
        department_code=record.department_code,
        batch_id=record.batch_id,
        fields=fields,
        warnings=list(record.warnings or []),
    )


def subject_file(
    session: Session,
    actor: Actor,
    settings: Settings,
    code: str,
    *,
    category: str | None = None,
    include_history: bool = False,
    limit: int = 500,
) -> SubjectFile:
    """A subject's credit file for officials (政务共享 view: public and shared fields, personal data masked)."""
    actor.require_role(ROLE_VIEWER, ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    if not code or not code.strip():
        raise InvalidInput("请输入统一社会信用代码或证件号码", code="code_required")
    subject = find_subject(session, settings, code)
    if subject is None:
        raise NotFound("未找到该信用主体", code="subject_not_found")
    return build_file(
        session, subject, audience="government", category=category, include_history=include_history, limit=limit
    )


def subject_file_by_id(
    session: Session,
    actor: Actor,
    subject_id: int,
    *,
    category: str | None = None,
    include_history: bool = False,
    limit: int = 500,
) -> SubjectFile:
    """The credit file of the subject with this internal id (links from search results: no ID number in URLs)."""
    actor.require_role(ROLE_VIEWER, ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("未找到该信用主体", code="subject_not_found")
    return build_file(
        session, subject, audience="government", category=category, include_history=include_history, limit=limit
    )


def build_file(
    session: Session,
    subject: Subject,
    *,
    audience: Audience,
    category: str | None = None,
    include_history: bool = False,
    limit: int = 500,
) -> SubjectFile:
    catalog = active_catalog(session)
    R = CreditRecord
    cond = [R.subject_id == subject.id]
    if not include_history:
        cond.append(R.is_current.is_(True))
    if category:
        cond.append(R.category == category)
    stmt = select(R).where(*cond).order_by(R.decision_date.desc(), R.natural_key, R.revision.desc()).limit(limit)
    records = []
    for r in session.scalars(stmt):
        try:
            cat = catalog.category(r.category)
        except KeyError:
            continue
        records.append(_view(r, cat.name, visible_data(cat, r.data, audience)))
    counts: dict[str, int] = defaultdict(int)
    for cat_code, n in session.execute(
        select(R.category, func.count()).where(R.subject_id == subject.id, R.is_current.is_(True)).group_by(R.category)
    ):
        counts[cat_code] = n
    aliases: dict[str, list[str]] = defaultdict(list)
    for kind, value in session.execute(
        select(SubjectAlias.kind, SubjectAlias.value).where(SubjectAlias.subject_id == subject.id)
    ):
        aliases[kind].append(value)
    return SubjectFile(
        id=subject.id,
        kind=subject.kind,
        kind_label=KIND_LABELS.get(subject.kind, subject.kind),
        name=subject.name,
        uscc=subject.uscc,
        id_masked=subject.id_masked,
        region_code=subject.region_code,
        legal_representative=subject.legal_representative,
        aliases=dict(aliases),
        counts=dict(counts),
        records=records,
    )


def record_history(session: Session, actor: Actor, category: str, natural_key: str) -> list[RecordView]:
    """Every revision of one record, newest first."""
    actor.require_role(ROLE_VIEWER, ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    catalog = active_catalog(session)
    cat = catalog.category(category)
    R = CreditRecord
    rows = session.scalars(
        select(R).where(R.category == cat.code, R.natural_key == natural_key).order_by(R.revision.desc())
    ).all()
    if not rows:
        raise NotFound("未找到该记录", code="record_not_found")
    return [_view(r, cat.name, visible_data(cat, r.data, "government")) for r in rows]


@dataclass
class SubjectHit:
    id: int
    kind: str
    name: str
    uscc: str | None
    id_masked: str | None
    region_code: str | None


def search_subjects(session: Session, actor: Actor, q: str, *, limit: int = 20) -> list[SubjectHit]:
    """Officials' quick search: code prefix or name substring."""
    actor.require_role(ROLE_VIEWER, ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    text = q.strip()
    if len(text) < 2:
        raise InvalidInput("请输入至少 2 个字符", code="query_too_short")
    code = normalize_code(text)
    S = Subject
    stmt = (
        select(S)
        .where(or_(S.uscc.startswith(code), S.name.contains(text, autoescape=True)))
        .order_by(S.name)
        .limit(min(limit, 100))
    )
    return [SubjectHit(s.id, s.kind, s.name, s.uscc, s.id_masked, s.region_code) for s in session.scalars(stmt)]
