"""Helpers for evaluation, supervision and warning tests: subjects and credit records written straight to the
database (the import pipeline is tested elsewhere), and the reference records for the pure rules."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.db.base import utcnow
from transport_credit.evaluation.rules import Rec
from transport_credit.identifiers.uscc import uscc_check_char
from transport_credit.records.models import CreditRecord
from transport_credit.subjects.models import Subject

OFFICE = Actor("office", "account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
OFFICER = Actor("officer", "account", department_code="410000-ysc", roles=frozenset({ROLE_DATA_OFFICER}))
VIEWER = Actor("viewer", "account", department_code="410000-zfj", roles=frozenset({ROLE_VIEWER}))
_serial = itertools.count(1)


def uscc(n: int, region: str = "410100") -> str:
    body = f"91{region}{n:09d}"
    return body + uscc_check_char(body)


def subject(session: Session, n: int, *, kind: str = "org", region: str = "410102", name: str | None = None) -> Subject:
    s = Subject(
        kind=kind,
        name=name or (f"测试{n}运输有限公司" if kind != "person" else f"驾驶员{n}"),
        uscc=uscc(n, region[:4] + "00") if kind != "person" else None,
        person_key=f"pk{n:010d}" if kind == "person" else None,
        id_masked="4101**********123X" if kind == "person" else None,
        region_code=region,
    )
    session.add(s)
    session.flush()
    return s


def record(
    session: Session,
    subject_id: int,
    category: str,
    decided: dt.date,
    data: dict[str, Any] | None = None,
    *,
    severity: str | None = None,
    status: str = "active",
    publicity: tuple[dt.date | None, dt.date | None] = (None, None),
    created_at: dt.datetime | None = None,
) -> CreditRecord:
    n = next(_serial)
    r = CreditRecord(
        category=category,
        natural_key=f"T-{category}-{n}",
        revision=1,
        is_current=True,
        status=status,
        subject_id=subject_id,
        batch_id=0,
        department_code="410000-zfj",
        decision_date=decided,
        reported_at=utcnow(),
        deadline_estimated=False,
        severity=severity,
        publicity_start=publicity[0],
        publicity_end=publicity[1],
        quality_score=1.0,
        content_hash=f"{n:032d}",
        data=dict(data or {}),
        created_at=created_at or utcnow(),
    )
    session.add(r)
    session.flush()
    return r


def licence(session: Session, subject_id: int, decided: dt.date, domain: str, subdomain: str) -> CreditRecord:
    return record(session, subject_id, "XZXK", decided, {"domain": domain, "subdomain": subdomain})


def penalty(
    session: Session,
    subject_id: int,
    decided: dt.date,
    *,
    penalty_type: str = "罚款",
    fine: float | None = 0.5,
    violation: str = "未按规定随车携带道路运输证",
    severity: str = "general",
    domain: str = "道路运输",
    subdomain: str = "道路货物运输",
    valid_until: str | None = None,
    created_at: dt.datetime | None = None,
) -> CreditRecord:
    data: dict[str, Any] = {
        "penalty_type": penalty_type,
        "violation_type": violation,
        "domain": domain,
        "subdomain": subdomain,
    }
    if fine is not None:
        data["fine_amount"] = fine
    if valid_until:
        data["valid_until"] = valid_until
    return record(session, subject_id, "XZCF", decided, data, severity=severity, created_at=created_at)


def as_rec(r: CreditRecord) -> Rec:
    return Rec(
        id=r.id,
        category=r.category,
        status=r.status,
        decision_date=r.decision_date,
        data=dict(r.data),
        severity=r.severity,
        department_code=r.department_code,
        publicity_start=r.publicity_start,
        publicity_end=r.publicity_end,
    )


def records_of(session: Session, subject_id: int) -> list[Rec]:
    rows = session.scalars(
        select(CreditRecord).where(CreditRecord.subject_id == subject_id, CreditRecord.is_current.is_(True))
    ).all()
    return [as_rec(r) for r in rows]
