"""Typical cases of joint rewards and punishments (联合奖惩典型案例).

The credit office drafts a case from an effect (成效清单 line) or a list entry, edits it and publishes it; the
indicator of the 信用交通省 system asks for at least ``min_per_quarter`` published cases a quarter (2 in Henan and
Ningxia, see ``data/lists/cases.yaml``). The public portal reads published cases through
:func:`published_cases` and :func:`get_published_case` (stable interface).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit import audit
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.identifiers.citizen_id import mask_name
from transport_credit.lists.models import Effect, ListEntry, TypicalCase
from transport_credit.lists.rules import list_rules
from transport_credit.subjects.models import Subject

CaseKind = Literal["reward", "punishment"]
CASE_KINDS: tuple[str, ...] = ("reward", "punishment")
CASE_KIND_LABELS = {"reward": "守信激励", "punishment": "失信惩戒"}
MAX_PAGE = 200
MIN_YEAR, MAX_YEAR = 2000, 2100  # the years whose case indicators can be asked for


@dataclass(frozen=True)
class CaseView:
    """A typical case as the public sees it (subject name in its public form)."""

    id: int
    title: str
    summary: str
    body: str
    kind: str  # 'reward' | 'punishment'
    domain: str | None
    region_code: str | None
    published_at: dt.datetime | None
    subject_name: str | None
    status: str = "published"


def public_subject_name(subject: Subject | None, name: str | None = None) -> str | None:
    """Organisations keep their name; a natural person's name is masked (张*)."""
    if subject is None:
        return name
    return mask_name(subject.name) if subject.kind == "person" else subject.name


def _view(case: TypicalCase) -> CaseView:
    return CaseView(
        id=case.id,
        title=case.title,
        summary=case.summary,
        body=case.body,
        kind=case.kind,
        domain=case.domain,
        region_code=case.region_code,
        published_at=case.published_at,
        subject_name=case.subject_name,
        status=case.status,
    )


# --- public reads (no actor: published cases are public) -----------------------------------------------------


def published_cases(session: Session, *, limit: int, offset: int) -> list[CaseView]:
    """Published cases, newest first."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE} 之间，偏移量不能为负", code="invalid_page")
    stmt = (
        select(TypicalCase)
        .where(TypicalCase.status == "published")
        .order_by(TypicalCase.published_at.desc(), TypicalCase.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_view(c) for c in session.scalars(stmt)]


def count_published_cases(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(TypicalCase.status == "published")) or 0)


def get_published_case(session: Session, case_id: int) -> CaseView:
    """One published case; :class:`NotFound` for drafts, withdrawn or unknown cases."""
    case = session.get(TypicalCase, case_id)
    if case is None or case.status != "published":
        raise NotFound("未找到该典型案例", code="case_not_found")
    return _view(case)


# --- the credit office's work ----------------------------------------------------------------------------------


def list_cases(session: Session, actor: Actor, *, status: str | None = None, limit: int = 100) -> list[CaseView]:
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    stmt = select(TypicalCase).order_by(TypicalCase.id.desc()).limit(min(max(limit, 1), 1000))
    if status:
        stmt = stmt.where(TypicalCase.status == status)
    return [_view(c) for c in session.scalars(stmt)]


def get_case(session: Session, actor: Actor, case_id: int) -> CaseView:
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    case = session.get(TypicalCase, case_id)
    if case is None:
        raise NotFound("未找到该典型案例", code="case_not_found")
    return _view(case)


def _check_text(title: str, summary: str, body: str) -> tuple[str, str, str]:
    title, summary, body = title.strip(), summary.strip(), body.strip()
    if not title or len(title) > 200:
        raise InvalidInput("案例标题不能为空，且不超过 200 字", code="invalid_title")
    if not summary or len(summary) > 1000:
        raise InvalidInput("案例摘要不能为空，且不超过 1000 字", code="invalid_summary")
    if not body or len(body) > 20000:
        raise InvalidInput("案例正文不能为空，且不超过 20000 字", code="invalid_body")
    return title, summary, body


def draft_case(
    session: Session,
    actor: Actor,
    *,
    title: str,
    summary: str,
    body: str,
    kind: str | None = None,
    effect_id: int | None = None,
    entry_id: int | None = None,
    domain: str | None = None,
    subject_id: int | None = None,
) -> CaseView:
    """Draft a case (credit office), from an effect, a list entry, or free text (optionally about a subject). Kind
    and subject follow the source when one is given."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    title, summary, body = _check_text(title, summary, body)
    subject: Subject | None = None
    region: str | None = None
    if effect_id is not None:
        effect = session.get(Effect, effect_id)
        if effect is None:
            raise NotFound("未找到该成效记录", code="effect_not_found")
        subject = session.get(Subject, effect.subject_id)
        kind = kind or ("reward" if effect.measure_kind == "incentive" else "punishment")
    if entry_id is not None:
        entry = session.get(ListEntry, entry_id)
        if entry is None:
            raise NotFound("未找到该名单条目", code="entry_not_found")
        if entry.state not in ("listed", "removed"):
            raise Conflict("只能以已公布的名单条目编写案例", code="entry_not_published")
        subject = subject or session.get(Subject, entry.subject_id)
        kind = kind or ("reward" if entry.list_type == "red" else "punishment")
        domain = domain or entry.domain
    if subject is None and subject_id is not None:
        subject = session.get(Subject, subject_id)
        if subject is None:
            raise NotFound("未找到该信用主体", code="subject_not_found")
    if kind not in CASE_KINDS:
        raise InvalidInput("案例类型应为 reward（守信激励）或 punishment（失信惩戒）", code="invalid_case_kind")
    if subject is not None:
        region = subject.region_code
    case = TypicalCase(
        title=title,
        summary=summary,
        body=body,
        kind=kind,
        domain=domain,
        region_code=region,
        subject_id=subject.id if subject else None,
        subject_name=public_subject_name(subject),
        effect_id=effect_id,
        entry_id=entry_id,
        status="draft",
        created_by=actor.label,
    )
    session.add(case)
    session.flush()
    audit.record(session, actor, "case.draft", "typical_case", str(case.id), {"kind": kind, "title": title})
    return _view(case)


def publish_case(session: Session, actor: Actor, case_id: int) -> CaseView:
    """Publish a draft (credit office)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    case = session.get(TypicalCase, case_id)
    if case is None:
        raise NotFound("未找到该典型案例", code="case_not_found")
    if case.status == "published":
        raise Conflict("该案例已发布", code="case_already_published")
    case.status = "published"
    case.published_at = utcnow()
    session.flush()
    audit.record(session, actor, "case.publish", "typical_case", str(case.id), {"title": case.title})
    return _view(case)


def withdraw_case(session: Session, actor: Actor, case_id: int, reason: str) -> CaseView:
    """Withdraw a published case (credit office); it no longer shows to the public."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    if not reason.strip():
        raise InvalidInput("请填写撤回原因", code="reason_required")
    case = session.get(TypicalCase, case_id)
    if case is None:
        raise NotFound("未找到该典型案例", code="case_not_found")
    if case.status != "published":
        raise Conflict("只能撤回已发布的案例", code="case_not_published")
    case.status = "withdrawn"
    case.withdrawn_at = utcnow()
    session.flush()
    audit.record(session, actor, "case.withdraw", "typical_case", str(case.id), {"reason": reason.strip()})
    return _view(case)


# --- the "≥ 2 a quarter" indicator -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterIndicator:
    year: int
    quarter: int
    published: int
    required: int

    @property
    def met(self) -> bool:
        return self.published >= self.required

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"


def quarter_bounds(year: int, quarter: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a quarter in UTC+8 (China Standard Time), as UTC datetimes."""
    if not 1 <= quarter <= 4:
        raise InvalidInput("季度应为 1 到 4", code="invalid_quarter")
    cst = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=cst)
    end = dt.datetime(year + 1, 1, 1, tzinfo=cst) if quarter == 4 else dt.datetime(year, 3 * quarter + 1, 1, tzinfo=cst)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_indicators(session: Session, actor: Actor, year: int) -> list[QuarterIndicator]:
    """Published cases per quarter of ``year`` against the required minimum (cases still published or withdrawn
    later both count: they were published in that quarter)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"年份应在 {MIN_YEAR} 到 {MAX_YEAR} 之间", code="invalid_year")
    required = list_rules().cases.min_per_quarter
    return [QuarterIndicator(year, q, published_in_quarter(session, year, q), required) for q in range(1, 5)]


def published_in_quarter(session: Session, year: int, quarter: int) -> int:
    """Cases published in the quarter (still published or withdrawn later: they were published then)."""
    start, end = quarter_bounds(year, quarter)
    T = TypicalCase
    n = session.scalar(
        select(func.count()).where(T.published_at.is_not(None), T.published_at >= start, T.published_at < end)
    )
    return int(n or 0)
