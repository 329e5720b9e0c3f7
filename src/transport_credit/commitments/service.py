"""Figures of the commitment route for the monthly report (seed 002's two rankings)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.commitments.rules import CommitmentMatters
from transport_credit.records.models import CreditRecord

COMMITMENT = "XYCN"
LICENCE = "XZXK"


def handling_counts(session: Session, doc: CommitmentMatters, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(commitments of the approval types, licences) decided in ``[start, end)``: seed 002's "办理省级交通运输行政许可
    时运用告知承诺和容缺受理的数量占办理总量的比例". Current revisions, revoked ones left out (a correction counts
    once; a revoked licence or commitment was not a handling)."""
    R = CreditRecord
    in_month = (R.is_current.is_(True), R.status != "revoked", R.decision_date >= start, R.decision_date < end)
    commitments = session.scalar(
        select(func.count())
        .select_from(R)
        .where(
            R.category == COMMITMENT,
            *in_month,
            R.data["commitment_type"].as_string().in_(doc.approval_commitment_types),
        )
    )
    licences = session.scalar(select(func.count()).select_from(R).where(R.category == LICENCE, *in_month))
    return int(commitments or 0), int(licences or 0)
