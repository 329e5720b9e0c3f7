"""Automatic proposals: entry criteria (data) run as set queries over the current credit records.

Each criterion's conditions compile to SQL on the stored record data (``json_extract`` on SQLite, ``->>`` on
PostgreSQL, through SQLAlchemy's JSON operators), grouped by subject and counted within the window; subjects that
meet the count and have no open entry on that list get a proposal (origin ``auto``) for an official to review.
``matching.record_matches`` is the same rule in Python (the tests check they agree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.lists import lifecycle
from transport_credit.lists.models import ListEntry
from transport_credit.lists.rules import Condition, Criterion, list_rules
from transport_credit.lists.service import office_department, propose_entry, today_cst
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

MAX_EVIDENCE = 20


def condition_sql(cond: Condition) -> Any:
    """``cond`` as a SQL expression on ``credit_records.data``."""
    col = CreditRecord.data[cond.field]
    if cond.op == "contains_any":
        text = col.as_string()
        return or_(*[text.contains(v, autoescape=True) for v in cond.values])
    if cond.op == "equals_any":
        return col.as_string().in_(list(cond.values))
    number = cast(col.as_float(), Float)
    return number >= cond.number if cond.op == "gte" else number <= cond.number


@dataclass(frozen=True)
class Candidate:
    subject_id: int
    count: int
    evidence: tuple[str, ...]


def candidates(session: Session, criterion: Criterion, today: dt.date) -> list[Candidate]:
    """Subjects meeting ``criterion`` on ``today`` (one grouped query, then the evidence keys of those few)."""
    return matching_subjects(
        session,
        criterion.source_category,
        criterion.conditions,
        criterion.subject_kinds,
        window_days=criterion.window_days,
        min_count=criterion.min_count,
        today=today,
    )


def matching_subjects(
    session: Session,
    category: str,
    conditions: Sequence[Condition],
    subject_kinds: Sequence[str],
    *,
    window_days: int,
    min_count: int,
    today: dt.date,
) -> list[Candidate]:
    """Subjects of ``subject_kinds`` with at least ``min_count`` current, active ``category`` records decided in the
    ``window_days`` up to ``today`` that meet every condition, with (up to ``MAX_EVIDENCE``) their records' keys."""
    R = CreditRecord
    since = today - dt.timedelta(days=window_days)
    where = and_(
        R.category == category,
        R.is_current.is_(True),
        R.status == "active",
        R.decision_date > since,
        R.decision_date <= today,
        *[condition_sql(c) for c in conditions],
    )
    stmt = (
        select(R.subject_id, func.count())
        .join(Subject, Subject.id == R.subject_id)
        .where(where, Subject.kind.in_(subject_kinds))
        .group_by(R.subject_id)
        .having(func.count() >= min_count)
    )
    found = [(int(s), int(n)) for s, n in session.execute(stmt)]
    out = []
    for subject_id, n in found:
        keys = session.scalars(
            select(R.natural_key).where(where, R.subject_id == subject_id).order_by(R.decision_date).limit(MAX_EVIDENCE)
        ).all()
        out.append(Candidate(subject_id, n, tuple(keys)))
    return out


@dataclass
class ProposalRun:
    proposed: list[int] = field(default_factory=list)  # entry ids
    skipped_open: int = 0  # subjects already with an open entry on the list
    by_criterion: dict[str, int] = field(default_factory=dict)


def propose_automatic(
    session: Session, actor: Actor, settings: Settings, *, today: dt.date | None = None
) -> ProposalRun:
    """Run every criterion and propose the subjects that meet it (credit office / the system)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    day = today or today_cst()
    rules = list_rules(settings.province)
    run = ProposalRun()
    dept = office_department(session)
    for criterion in rules.criteria.values():
        kind = rules.list_kinds[criterion.list]
        found = candidates(session, criterion, day)
        open_ids = set(
            session.scalars(
                select(ListEntry.subject_id).where(
                    ListEntry.list_code == kind.code, ListEntry.state.in_(lifecycle.OPEN_STATES)
                )
            )
        )
        n = 0
        for c in found:
            if c.subject_id in open_ids:
                run.skipped_open += 1
                continue
            view = propose_entry(
                session,
                actor,
                settings,
                subject_id=c.subject_id,
                list_code=kind.code,
                reason=f"{criterion.name}（{criterion.window_days} 天内符合条件的记录 {c.count} 条）",
                basis=criterion.basis,
                domain=criterion.domain,
                department_code=dept,
                criterion_code=criterion.code,
                evidence=[f"{criterion.source_category}:{k}" for k in c.evidence],
                origin="auto",
            )
            open_ids.add(c.subject_id)
            run.proposed.append(view.id)
            n += 1
        run.by_criterion[criterion.code] = n
    return run
