"""The facts of the credit monitoring analysis stay equal to a direct count of the records, whatever happens
between two refreshes: new decisions, corrections (also ones that move a decision to another month), revocations
and repairs, on the real database (property test), and a refresh rebuilds only the months that changed."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))

from ingest_kit import uscc

from transport_credit.bootstrap import initialize
from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.monitoring import facts
from transport_credit.monitoring.models import AnalysisDaily, AnalysisMonth, AnalysisMonthly
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status, write_revision
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

CITIES = load_province("henan").cities
MONTHS = [(m, d) for m, d in ((3, 2), (3, 30), (4, 15), (6, 1), (7, 7), (8, 8))]  # (month, day) of an example's year
TYPES = ["超限运输", "违法分包", ""]
DOMAINS = ["道路运输", "公路建设"]
REGIONS = ["410100", "410300", "410102", "650100"]  # 郑州, 洛阳, a district of 郑州, outside the province


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    initialize(db, settings)
    with db.unit_of_work() as s:
        for i, region in enumerate(REGIONS):
            s.add(
                Subject(kind="org", name=f"测试运输{i}号有限公司", uscc=uscc(900 + i, region[:6]), region_code=region)
            )
    return db


def _subject_ids(db: Database) -> list[int]:
    with db.read() as s:
        return list(s.scalars(select(Subject.id).where(Subject.name.like("测试运输%")).order_by(Subject.id)))


def _direct(db: Database) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    """What the facts must say, counted straight from the records."""
    R = CreditRecord
    daily: Counter[tuple[object, ...]] = Counter()
    monthly: Counter[tuple[object, ...]] = Counter()
    memo: dict[str | None, str] = {}
    with db.read() as s:
        for category, day, severity, data, region in s.execute(
            select(R.category, R.decision_date, R.severity, R.data, Subject.region_code)
            .join(Subject, Subject.id == R.subject_id)
            .where(R.category.in_(facts.CATEGORIES), R.is_current.is_(True), R.status != "revoked")
        ):
            serious, domain = severity == "serious", data.get("domain") or ""
            daily[(category, day, serious, domain)] += 1
            city = facts.city_key(region, set(CITIES), memo)
            monthly[(category, f"{day:%Y-%m}", serious, domain, (data.get("violation_type") or "").strip(), city)] += 1
    return daily, monthly


def _facts(db: Database) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    D, F = AnalysisDaily, AnalysisMonthly
    with db.read() as s:
        daily = Counter(
            {
                (c, d, sv, dom): n
                for c, d, sv, dom, n in s.execute(select(D.category, D.day, D.serious, D.domain, D.records))
            }
        )
        monthly = Counter(
            {
                (c, m, sv, dom, vt, city): n
                for c, m, sv, dom, vt, city, n in s.execute(
                    select(F.category, F.month, F.serious, F.domain, F.violation_type, F.city, F.records)
                )
            }
        )
    return daily, monthly


def _refresh(db: Database) -> list[tuple[str, str]]:
    with db.unit_of_work() as s:
        return facts.refresh(s, CITIES)


STEP = st.one_of(
    st.tuples(
        st.just("decide"),
        st.integers(0, 5),  # the decision number: the same number again is a correction
        st.sampled_from(MONTHS),
        st.sampled_from(TYPES),
        st.sampled_from(DOMAINS),
        st.integers(0, len(REGIONS) - 1),
        st.sampled_from(["general", "serious"]),
    ),
    st.tuples(st.sampled_from(["revoke", "repair"]), st.integers(0, 5)),
    st.tuples(st.just("refresh")),
)


@hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(STEP, max_size=10), run=st.uuids(), year=st.integers(2030, 2099))
@example(  # a correction that moves a decision into a month not built yet
    steps=[
        ("decide", 0, (3, 2), "超限运输", "道路运输", 0, "general"),
        ("refresh",),
        ("decide", 0, (6, 1), "超限运输", "道路运输", 0, "general"),
    ],
    run=uuid.UUID(int=1),
    year=2098,
)
def test_facts_equal_a_direct_count_after_any_changes(
    platform: Database, settings: Settings, steps: list[tuple[object, ...]], run: object, year: int
) -> None:
    """Each example works in a year of its own, so its months start unbuilt, as on a live platform."""
    db = platform
    subjects = _subject_ids(db)
    prefix = f"豫交执罚〔2026〕{str(run)[:8]}-"
    for step in steps:
        if step[0] == "refresh":
            _refresh(db)
        elif step[0] == "decide":
            _, n, (month, mday), vt, domain, who, severity = step  # type: ignore[misc]
            key = f"{prefix}{n}号"
            with db.unit_of_work() as s:
                write_revision(
                    s,
                    SYSTEM,
                    settings,
                    category="XZCF",
                    natural_key=key,
                    subject_id=subjects[int(who)],  # type: ignore[call-overload]
                    department_code="410000-zfj",
                    data={"decision_no": key, "violation_type": vt, "domain": domain, "penalty_content": str(step)},
                    decision_date=dt.date(year, month, mday),
                    severity=str(severity),
                )
        else:
            action, n = step
            with db.unit_of_work() as s:
                record = s.scalar(
                    select(CreditRecord.id).where(
                        CreditRecord.natural_key == f"{prefix}{n}号", CreditRecord.is_current.is_(True)
                    )
                )
                if record is not None:
                    status = "revoked" if action == "revoke" else "repaired"
                    change_status(s, SYSTEM, record_id=record, status=status, note="测试")
    _refresh(db)
    assert _facts(db) == _direct(db)
    assert _refresh(db) == []  # nothing changed since: nothing rebuilt


def test_a_refresh_rebuilds_only_the_changed_months_and_rebuild_starts_over(
    platform: Database, settings: Settings
) -> None:
    db = platform
    subject = _subject_ids(db)[0]

    def decide(key: str, day: dt.date) -> None:
        with db.unit_of_work() as s:
            write_revision(
                s,
                SYSTEM,
                settings,
                category="XZCF",
                natural_key=key,
                subject_id=subject,
                department_code="410000-zfj",
                data={"decision_no": key, "violation_type": "超限运输", "domain": "道路运输", "remarks": str(day)},
                decision_date=day,
            )

    decide("K1", dt.date(2026, 3, 5))
    decide("K2", dt.date(2026, 4, 5))
    assert _refresh(db) == [("XZCF", "2026-03"), ("XZCF", "2026-04")]
    decide("K3", dt.date(2026, 4, 9))
    assert _refresh(db) == [("XZCF", "2026-04")]
    decide("K1", dt.date(2026, 5, 1))  # a correction moves K1 from March to May: March is rebuilt too
    assert _refresh(db) == [("XZCF", "2026-03"), ("XZCF", "2026-05")]
    assert _facts(db) == _direct(db)
    with db.unit_of_work() as s:
        rebuilt = facts.rebuild(s, CITIES)
        assert rebuilt == [("XZCF", "2026-03"), ("XZCF", "2026-04"), ("XZCF", "2026-05")]
        assert s.scalar(select(func.count()).select_from(AnalysisMonth)) == 3
    assert _facts(db) == _direct(db)


def test_a_correction_committed_late_still_rebuilds_the_month_it_left(platform: Database, settings: Settings) -> None:
    """PostgreSQL: a correction moving K1 from March to May is still being written (its id drawn) when a new May
    decision commits with a larger id and the facts are refreshed. When the correction commits, May's rows changed,
    but the correction's id is below May's largest built id: the refresh must still find it and rebuild March, which
    otherwise kept counting K1's superseded revision. (SQLite writes one transaction at a time.)"""
    db = platform
    if db.dialect == "sqlite":
        pytest.skip("SQLite writes one transaction at a time: no record commits below a visible id")
    subject = _subject_ids(db)[0]

    def decide(s: Session, key: str, day: dt.date, department: str = "410000-zfj") -> None:
        write_revision(
            s,
            SYSTEM,
            settings,
            category="XZCF",
            natural_key=key,
            subject_id=subject,
            department_code=department,
            data={"decision_no": key, "violation_type": "超限运输", "domain": "道路运输", "remarks": str(day)},
            decision_date=day,
        )

    with db.unit_of_work() as s:
        decide(s, "K1", dt.date(2096, 3, 5))
    _refresh(db)
    with db.unit_of_work() as slow:
        decide(slow, "K1", dt.date(2096, 5, 2))  # the correction: its id is drawn now
        slow.flush()
        with db.unit_of_work() as s:
            decide(s, "K2", dt.date(2096, 5, 9), "410100-jtj")  # commits first, with a larger id (another
            # department: records written by services share a batch per department and day, which the correction's
            # transaction has locked)
        assert _refresh(db) == [("XZCF", "2096-05")]
    assert _refresh(db) == [("XZCF", "2096-03"), ("XZCF", "2096-05")]
    assert _facts(db) == _direct(db)
    assert _refresh(db) == []
