"""文书号连续性核查 (decision-number gaps, 疑似漏报): use cases over the records and the departments' explanations.

For a year, every sequence of decision numbers (department, category, prefix, year) of the 双公示 categories is read
from the current records (revoked ones still hold their number), and its holes are listed: numbers that are in the
department's open 问题数据 (rejected, waiting for correction) are told apart from numbers never received (疑似漏报),
and the numbers the department explained (说明: voided, reserved, not public …) leave the count. A data officer sees
and explains their own department's; the credit office every department's. Rules: ``monitoring/numbering.py``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.auth.models import Department
from transport_credit.auth.permissions import department_view_scope
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.ingest.models import QuarantineRow
from transport_credit.monitoring import numbering as rules
from transport_credit.monitoring.models import NumberGapNote
from transport_credit.records.models import CreditRecord

SequenceKey = tuple[str, str, str, int]  # department, category, prefix, year


@dataclass(frozen=True)
class NoteView:
    id: int
    serial_from: int
    serial_to: int
    reason: str
    reason_label: str
    note: str | None
    created_by: str
    created_at: dt.datetime


@dataclass
class SequenceGaps:
    """One sequence of decision numbers and its holes."""

    department_code: str
    department_name: str
    category: str
    category_name: str
    prefix: str
    year: int
    numbers: int  # distinct serials received
    first: int
    last: int
    missing: list[rules.Gap]  # never received, not explained (疑似漏报)
    missing_count: int
    rejected: int  # serials in open 问题数据: reported, rejected, waiting for correction
    explained: int  # serials explained by the department
    jumps: list[rules.Gap]  # holes longer than the rules' longest_gap (跳号)
    notes: list[NoteView] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.prefix}〔{self.year}〕"


@dataclass(frozen=True)
class GapReport:
    year: int
    sequences: list[SequenceGaps]  # with holes or jumps, most missing first
    checked: int  # sequences checked (with at least min_numbers numbers)
    unrecognised: dict[str, int]  # department → current records of the year whose number does not parse
    listed_ranges: int

    @property
    def missing(self) -> int:
        return sum(s.missing_count for s in self.sequences)


def _scope(actor: Actor, department_code: str | None) -> str | None:
    """The department the actor may look at (None: all)."""
    return department_view_scope(actor, department_code, "文书号核查结果")


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    # A number of year Y may be decided into the first weeks of Y+1 (a decision dated after the turn of the year
    # under the old year's number) or, rarely, carry a date typed wrong: read a little beyond the year.
    return dt.date(year, 1, 1), dt.date(year + 1, 2, 1)


def number_gaps(session: Session, actor: Actor, *, year: int, department_code: str | None = None) -> GapReport:
    """The holes in the year's decision-number sequences, of one department or (credit office) all."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("年份应在 2000 至 2100 之间", code="invalid_year")
    scope = _scope(actor, department_code)
    cfg = rules.numbering_rules()
    start, end = _year_bounds(year)
    R = CreditRecord
    stmt = select(R.department_code, R.category, R.natural_key, R.decision_date).where(
        R.category.in_(cfg.categories), R.decision_date >= start, R.decision_date < end, R.is_current.is_(True)
    )
    if scope is not None:
        stmt = stmt.where(R.department_code == scope)
    rows = session.execute(stmt).all()
    received, unrecognised = _sequences([(d, c, k, day.year if day else None) for d, c, k, day in rows], year)

    Q = QuarantineRow
    qstmt = select(Q.department_code, Q.category, Q.natural_key).where(
        Q.category.in_(cfg.categories), Q.status == "open", Q.natural_key.is_not(None)
    )
    if scope is not None:
        qstmt = qstmt.where(Q.department_code == scope)
    waiting, _ = _sequences([(d, c, k, None) for d, c, k in session.execute(qstmt) if k], year)

    N = NumberGapNote
    nstmt = select(N).where(N.year == year, N.withdrawn_at.is_(None)).order_by(N.id)
    if scope is not None:
        nstmt = nstmt.where(N.department_code == scope)
    notes: dict[SequenceKey, list[NumberGapNote]] = defaultdict(list)
    for note in session.scalars(nstmt):
        notes[(note.department_code, note.category, note.prefix, note.year)].append(note)

    names = {str(code): str(name) for code, name in session.execute(select(Department.code, Department.name))}
    categories = {c.code: c.name for c in active_catalog(session).categories()}
    out: list[SequenceGaps] = []
    checked = 0
    for key, serials in received.items():
        if len(serials) < cfg.min_numbers:
            continue
        checked += 1
        dept, category, prefix, _year = key
        found = rules.holes(serials, cfg.longest_gap)
        explained = rules.serials_in(found.missing, ((n.serial_from, n.serial_to) for n in notes.get(key, [])))
        rejected = {s for s in waiting.get(key, set()) if any(g.start <= s <= g.end for g in found.missing)}
        missing = rules.without(found.missing, explained | rejected)
        if not found.missing and not found.jumps:
            continue
        out.append(
            SequenceGaps(
                department_code=dept,
                department_name=names.get(dept, dept),
                category=category,
                category_name=categories.get(category, category),
                prefix=prefix,
                year=year,
                numbers=len(serials),
                first=min(serials),
                last=max(serials),
                missing=missing,
                missing_count=sum(g.size for g in missing),
                rejected=len(rejected - explained),
                explained=len(explained),
                jumps=found.jumps,
                notes=[_note_view(n, cfg) for n in notes.get(key, [])],
            )
        )
    out.sort(key=lambda s: (-s.missing_count, -len(s.jumps), s.department_code, s.category, s.prefix))
    return GapReport(year, out, checked, unrecognised, cfg.listed_ranges)


def _sequences(
    rows: Sequence[tuple[str, str, str, int | None]], year: int
) -> tuple[dict[SequenceKey, set[int]], dict[str, int]]:
    """Serials per sequence of ``year`` from (department, category, number, decision year) rows, and per department
    how many numbers of decisions of ``year`` did not parse."""
    sequences: dict[SequenceKey, set[int]] = defaultdict(set)
    unrecognised: dict[str, int] = defaultdict(int)
    if not rows:
        return sequences, unrecognised
    parsed = rules.parse_numbers([k for _, _, k, _ in rows])
    for (dept, category, _, decided), prefix, number_year, serial in zip(
        rows, parsed["prefix"], parsed["year"], parsed["serial"], strict=True
    ):
        if serial is None:
            if decided == year:
                unrecognised[dept] += 1
        elif number_year == year:
            sequences[(dept, category, prefix, year)].add(serial)
    return sequences, unrecognised


def _note_view(n: NumberGapNote, cfg: rules.NumberingRules) -> NoteView:
    return NoteView(
        n.id,
        n.serial_from,
        n.serial_to,
        n.reason,
        cfg.reasons.get(n.reason, n.reason),
        n.note,
        n.created_by,
        n.created_at,
    )


def may_explain(actor: Actor, department_code: str) -> bool:
    """Whether ``actor`` may explain (and withdraw explanations of) ``department_code``'s numbers: the credit office,
    or a data officer of that department."""
    return actor.has_role(ROLE_CREDIT_OFFICE) or (
        actor.has_role(ROLE_DATA_OFFICER) and actor.department_code == department_code
    )


def _require_explainer(actor: Actor, department_code: str) -> None:
    if not may_explain(actor, department_code):
        raise PermissionDenied("只能说明本单位的文书号", code="other_department")


def explain_gap(
    session: Session,
    actor: Actor,
    *,
    department_code: str,
    category: str,
    prefix: str,
    year: int,
    serial_from: int,
    serial_to: int,
    reason: str,
    note: str | None = None,
) -> NoteView:
    """A department explains numbers of one of its sequences it did not report (data officer of the department,
    credit office). The serials must lie within the sequence; the explanation is audited."""
    _require_explainer(actor, department_code)
    cfg = rules.numbering_rules()
    if reason not in cfg.reasons:
        raise InvalidInput(f"说明类型无效，应为：{'、'.join(cfg.reasons.values())}", code="invalid_reason")
    text = (note or "").strip() or None
    if reason == "other" and not text:
        raise InvalidInput("选择「其他」时请写明原因", code="note_required")
    if text is not None and len(text) > 500:
        raise InvalidInput("说明不超过 500 个字符", code="note_too_long")
    if serial_from < 1 or serial_to < serial_from:
        raise InvalidInput("文书号序号范围无效", code="invalid_range")
    report = number_gaps(session, actor, year=year, department_code=department_code)
    sequence = next(
        (s for s in report.sequences if (s.category, s.prefix) == (category, prefix)),
        None,
    )
    if sequence is None:
        raise NotFound("没有找到该文书号序列的断号", code="sequence_not_found")
    if serial_from < sequence.first or serial_to > sequence.last:
        raise InvalidInput(
            f"序号应在该序列已报送的第一个（{sequence.first}）与最后一个（{sequence.last}）之间", code="invalid_range"
        )
    row = NumberGapNote(
        department_code=department_code,
        category=category,
        prefix=prefix,
        year=year,
        serial_from=serial_from,
        serial_to=serial_to,
        reason=reason,
        note=text,
        created_by=actor.label[:120],
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "number_gap.explain",
        "number_gap_note",
        str(row.id),
        {
            "department_code": department_code,
            "category": category,
            "sequence": f"{prefix}〔{year}〕",
            "from": serial_from,
            "to": serial_to,
            "reason": reason,
        },
    )
    return _note_view(row, cfg)


def withdraw_note(session: Session, actor: Actor, note_id: int) -> None:
    """Withdraw a mistaken explanation (its department's data officer, credit office): the serials count again."""
    row = session.get(NumberGapNote, note_id)
    if row is None or row.withdrawn_at is not None:
        raise NotFound(f"说明 {note_id} 不存在或已撤回", code="note_not_found")
    _require_explainer(actor, row.department_code)
    row.withdrawn_at = utcnow()
    row.withdrawn_by = actor.label[:120]
    session.flush()
    audit(
        session, actor, "number_gap.withdraw", "number_gap_note", str(row.id), {"department_code": row.department_code}
    )


# The 工作台 shows the count of unexplained missing numbers; reading every number of the year for it on each visit
# would cost seconds in a large province. A process keeps the count with a watermark of what it depends on (the
# newest record, the explanations in force, the open 问题数据): when none of them moved, the count stands.
_counts: dict[tuple[object, ...], int] = {}
_counts_lock = threading.Lock()


def _watermark(session: Session) -> tuple[object, ...]:
    notes = session.execute(
        select(func.count(), func.max(NumberGapNote.id)).where(NumberGapNote.withdrawn_at.is_(None))
    ).one()
    return (
        str(session.get_bind().engine.url),
        session.scalar(select(func.max(CreditRecord.id))),
        tuple(notes),
        session.scalar(select(func.count()).select_from(QuarantineRow).where(QuarantineRow.status == "open")),
    )


def open_gap_count(session: Session, actor: Actor, year: int) -> int:
    """Unexplained missing numbers of the year in the actor's scope (工作台)."""
    scope = _scope(actor, None)
    key = (year, scope, *_watermark(session))
    with _counts_lock:
        cached = _counts.get(key)
    if cached is not None:
        return cached
    count = number_gaps(session, actor, year=year, department_code=scope).missing
    with _counts_lock:
        if len(_counts) > 256:
            _counts.clear()
        _counts[key] = count
    return count
