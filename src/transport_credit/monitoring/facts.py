"""Facts of the credit monitoring analysis (信用监测分析): the counted 行政处罚 and 行政许可 records summed per day and
per month, so that the analysis reads a few thousand sums instead of grouping millions of records (and their JSON
fields) on every view.

Counted: the current revision of each record (a correction counts once), not revoked (撤销). Repaired records still
count (the violation happened). The facts of a (category, month) are rebuilt from ``credit_records`` when the
month's source rows changed: the number of record rows decided in the month (every revision) or their largest id,
read from the index on (category, decision date, id) without touching the rows. A new revision always adds a row to
the month of its decision; when a correction moves a decision to another month, the month of the previous revision
is rebuilt too (found among the rows above the settled record-id watermark the month was built at, so a correction
that commits late with a smaller id is not missed). Derived data: :func:`rebuild` drops and rebuilds everything
(``tcredit report analysis --rebuild``).

Known limit: the subject's city is the one registered when its month was built; a subject that moves (a new region
code) counts for its new city once a month of its records changes or the facts are rebuilt.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.orm import Session

from transport_credit.common.errors import Conflict
from transport_credit.monitoring import report as rules
from transport_credit.monitoring import trends
from transport_credit.monitoring.models import AnalysisDaily, AnalysisMonth, AnalysisMonthly
from transport_credit.records.ids import settled_max_record_id
from transport_credit.records.models import CreditRecord
from transport_credit.subjects.models import Subject

PENALTY = "XZCF"
LICENCE = "XZXK"
CATEGORIES = (PENALTY, LICENCE)
OTHER_CITY = "other"
LOCK_KEY = 7_301_002  # pg_advisory_xact_lock: one refresh at a time per schema
_IN_CHUNK = 500

MonthKey = tuple[str, str]  # (category, YYYY-MM)


def month_of(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def source_state(session: Session) -> dict[MonthKey, tuple[int, int]]:
    """(category, month) → (record rows decided in it, their largest id), from the covering index."""
    R = CreditRecord
    state: dict[MonthKey, tuple[int, int]] = {}
    rows = session.execute(
        select(R.category, R.decision_date, func.count(), func.max(R.id))
        .where(R.category.in_(CATEGORIES), R.decision_date.is_not(None))
        .group_by(R.category, R.decision_date)
    )
    for category, day, n, top in rows:
        if day is None:  # not reached: the query skips records without a decision date
            continue
        key = (str(category), month_of(day))
        count, largest = state.get(key, (0, 0))
        state[key] = (count + int(n), max(largest, int(top)))
    return state


def _lock(session: Session) -> None:
    """One refresh at a time: on PostgreSQL an advisory lock to the end of the transaction, keyed by schema too;
    SQLite's write transactions (BEGIN IMMEDIATE) are serial already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": LOCK_KEY},
        )


def refresh(session: Session, cities: Collection[str]) -> list[MonthKey]:
    """Rebuild the facts of every (category, month) whose source rows changed since they were built, in the
    caller's transaction; returns the months rebuilt (oldest first)."""
    _lock(session)
    settled = _settled_now(session)  # before the source rows are read: every id up to it is visible to what follows
    state = source_state(session)
    M = AnalysisMonth
    built: dict[MonthKey, tuple[int, int]] = {}
    built_settled: dict[MonthKey, int] = {}
    for c, m, n, top, settled_id in session.execute(
        select(M.category, M.month, M.source_rows, M.source_max_id, M.settled_id)
    ):
        built[(str(c), str(m))] = (int(n), int(top))
        built_settled[(str(c), str(m))] = int(settled_id or 0)
    stale = {k for k, v in state.items() if built.get(k) != v} | {k for k in built if k not in state}
    if not stale:
        return []
    if built:  # the first build covers every month anyway
        stale |= _moved_from(session, [(k, built_settled.get(k, 0)) for k in stale if k in state])
    for key in sorted(stale, key=lambda k: (k[1], k[0])):
        mark = settled if settled is not None else built_settled.get(key, 0)
        _rebuild_month(session, key, state.get(key), set(cities), mark)
    session.flush()
    return sorted(stale, key=lambda k: (k[1], k[0]))


def rebuild(session: Session, cities: Collection[str]) -> list[MonthKey]:
    """Drop every fact and build them again (after a change the refresh cannot see: subjects' regions, a province
    file's cities)."""
    _lock(session)
    for model in (AnalysisDaily, AnalysisMonthly, AnalysisMonth):
        session.execute(delete(model))
    return refresh(session, cities)


def _settled_now(session: Session) -> int | None:
    """The settled record-id watermark (``records/ids.py``), or ``None`` while records are being written (the
    refresh never waits for an import)."""
    try:
        return settled_max_record_id(session, wait_seconds=0)
    except Conflict:
        return None


def _moved_from(session: Session, months: Iterable[tuple[MonthKey, int]]) -> set[MonthKey]:
    """The months of the previous revisions of the rows that may be new to ``months`` since they were built (ids
    above the watermark settled when they were built), when those lie in another month: a correction that moved
    its decision date. The settled watermark, not the month's largest id: on PostgreSQL a correction still being
    written when the month was built can commit later with a smaller id than rows the build counted."""
    R = CreditRecord
    wanted: list[tuple[str, str, int]] = []
    for (category, month), built_max in months:
        start = trends.month_start(month)
        _, end = rules.month_bounds(month)
        wanted.extend(
            (str(c), str(k), int(rev) - 1)
            for c, k, rev in session.execute(
                select(R.category, R.natural_key, R.revision).where(
                    R.category == category,
                    R.decision_date >= start,
                    R.decision_date < end,
                    R.id > built_max,
                    R.revision > 1,
                )
            )
        )
    moved: set[MonthKey] = set()
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i : i + _IN_CHUNK]
        for category, day in session.execute(
            select(R.category, R.decision_date).where(
                tuple_(R.category, R.natural_key, R.revision).in_(chunk), R.decision_date.is_not(None)
            )
        ):
            if day is not None:
                moved.add((str(category), month_of(day)))
    return moved


def city_key(region: str | None, cities: Collection[str], memo: dict[str | None, str]) -> str:
    """The city (地市) a subject registered in ``region`` counts for, or :data:`OTHER_CITY` (outside ``cities`` or
    no region); ``memo`` caches the answers of one query."""
    if region not in memo:
        city = rules.city_of(region) if region else None
        memo[region] = city if city is not None and city in cities else OTHER_CITY
    return memo[region]


def _rebuild_month(
    session: Session, key: MonthKey, source: tuple[int, int] | None, cities: set[str], settled: int
) -> None:
    category, month = key
    start = trends.month_start(month)
    _, end = rules.month_bounds(month)
    D, F, M = AnalysisDaily, AnalysisMonthly, AnalysisMonth
    session.execute(delete(D).where(D.category == category, D.day >= start, D.day < end))
    session.execute(delete(F).where(F.category == category, F.month == month))
    session.execute(delete(M).where(M.category == category, M.month == month))
    if source is None:  # no records decided in the month any more
        return
    R = CreditRecord
    counted = (
        R.category == category,
        R.decision_date >= start,
        R.decision_date < end,
        R.is_current.is_(True),
        R.status != "revoked",
    )
    domain = R.data["domain"].as_string().label("domain_name")
    daily: defaultdict[tuple[dt.date, bool, str], int] = defaultdict(int)
    for day, severity, dom, n in session.execute(  # grouped by the label: PostgreSQL needs one expression
        select(R.decision_date, R.severity, domain, func.count())
        .where(*counted)
        .group_by(R.decision_date, R.severity, "domain_name")
    ):
        daily[(day, severity == "serious", (dom or "")[:40])] += int(n)
    violation = R.data["violation_type"].as_string().label("violation_type")
    monthly: defaultdict[tuple[bool, str, str, str], int] = defaultdict(int)
    memo: dict[str | None, str] = {}
    for severity, dom, vt, region, n in session.execute(
        select(R.severity, domain, violation, Subject.region_code, func.count())
        .select_from(R)
        .join(Subject, Subject.id == R.subject_id)
        .where(*counted)
        .group_by(R.severity, "domain_name", "violation_type", Subject.region_code)
    ):
        fact = (severity == "serious", (dom or "")[:40], (vt or "").strip()[:200], city_key(region, cities, memo))
        monthly[fact] += int(n)
    session.add_all(
        AnalysisDaily(category=category, day=day, serious=serious, domain=dom, records=n)
        for (day, serious, dom), n in daily.items()
    )
    session.add_all(
        AnalysisMonthly(
            category=category, month=month, serious=serious, domain=dom, violation_type=vt, city=city, records=n
        )
        for (serious, dom, vt, city), n in monthly.items()
    )
    session.add(
        AnalysisMonth(
            category=category, month=month, source_rows=source[0], source_max_id=source[1], settled_id=settled
        )
    )
