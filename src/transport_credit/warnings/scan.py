"""Early-warning rules as data, evaluated set-based.

* ``grade_drop`` and the evaluation's escalations are checked on each evaluation run (:func:`warn_for_run`);
* ``penalty_burst`` (N penalties within M days), ``blacklisted`` (newly listed) and ``commitment_breached`` are
  found by one grouped query each over the current credit records (:func:`scan`), typically run daily.

Hits are few compared with subjects; each becomes a warning through :func:`raise_warning`, which never duplicates
an open warning (same rule, subject and fingerprint).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import InvalidInput
from transport_credit.evaluation.models import EvaluationResult, EvaluationRun
from transport_credit.evaluation.schema import EvaluationModelDef
from transport_credit.records.models import CreditRecord
from transport_credit.warnings.schema import WarningRule, WarningRules
from transport_credit.warnings.service import raise_warning


@cache
def rules() -> WarningRules:
    """The shipped warning rules (``data/warnings/default.yaml``)."""
    entry = resources.files("transport_credit").joinpath("data", "warnings", "default.yaml")
    text = entry.read_text("utf-8")
    try:
        return WarningRules.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = " → ".join(str(p) for p in first["loc"])
        raise InvalidInput(f"warnings/default.yaml: {loc}: {first['msg']}", code="warning_rules_invalid") from exc


def rules_sha256() -> str:
    entry = resources.files("transport_credit").joinpath("data", "warnings", "default.yaml")
    return hashlib.sha256(entry.read_bytes()).hexdigest()


def _of_kind(kind: str) -> list[WarningRule]:
    return [r for r in rules().rules if r.kind == kind]


def warn_for_run(session: Session, actor: Actor, run_id: int, model: EvaluationModelDef) -> int:
    """Warnings for the results of one evaluation run: sharp grade drops and escalations. Returns how many."""
    raised = 0
    run = session.get(EvaluationRun, run_id)
    assert run is not None
    R = EvaluationResult
    for rule in _of_kind("grade_drop"):
        assert rule.min_levels is not None
        rows = session.execute(
            select(R.subject_id, R.previous_grade, R.grade, R.adjustment)
            .where(
                R.run_id == run_id, R.previous_level.isnot(None), R.grade_level - R.previous_level >= rule.min_levels
            )
            .order_by(R.subject_id)
        ).all()
        for subject_id, prev, grade, adjustment in rows:
            raise_warning(
                session,
                kind="grade_drop",
                subject_id=subject_id,
                rule_code=rule.code,
                message=f"{model.name}等级由{prev}降为{grade}",
                details={
                    "model": model.code,
                    "period": run.period,
                    "from": prev,
                    "to": grade,
                    "run_id": run_id,
                    "adjustment": adjustment,
                },
                actor=actor,
                level=rule.level,
                fingerprint=f"{model.code}:{run.period}:{grade}",
            )
            raised += 1
    escalations = [e for e in model.constraints.escalations if e.warning]
    if escalations:
        esc_rows = session.execute(
            select(R.subject_id, R.grade).where(R.run_id == run_id, R.adjustment == "escalation").order_by(R.subject_id)
        ).all()
        for subject_id, grade in esc_rows:
            raise_warning(
                session,
                kind="repeat_poor",
                subject_id=subject_id,
                rule_code=f"{model.code}:escalation",
                message=f"{model.name}连续两个周期评价结果较差，本期评为{grade}，建议列入黑名单",
                details={"model": model.code, "period": run.period, "grade": grade, "run_id": run_id},
                actor=actor,
                level="red",
                fingerprint=f"{model.code}:{run.period}",
            )
            raised += 1
    return raised


def scan(session: Session, actor: Actor, *, as_of: dt.date | None = None) -> dict[str, int]:
    """Run the record-based warning rules as of ``as_of``; returns the number of warnings per rule code."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER)
    as_of = as_of or dt.date.today()
    C = CreditRecord
    counts: dict[str, int] = {}
    for rule in _of_kind("penalty_burst"):
        assert rule.days is not None
        assert rule.min_count is not None
        since = as_of - dt.timedelta(days=rule.days - 1)
        rows = session.execute(
            select(C.subject_id, func.count(), func.max(C.decision_date))
            .where(
                C.category.in_(rule.categories),
                C.is_current.is_(True),
                C.status == "active",
                C.decision_date >= since,
                C.decision_date <= as_of,
            )
            .group_by(C.subject_id)
            .having(func.count() >= rule.min_count)
            .order_by(C.subject_id)
        ).all()
        for subject_id, n, last in rows:
            raise_warning(
                session,
                kind="penalty_burst",
                subject_id=subject_id,
                rule_code=rule.code,
                message=f"{rule.days}天内受到{n}次行政处罚（预警阈值{rule.min_count}次）",
                details={"count": int(n), "days": rule.days, "since": since.isoformat(), "last": str(last)},
                actor=actor,
                level=rule.level,
                fingerprint=f"{since.isoformat()[:7]}",
            )
        counts[rule.code] = len(rows)
    for rule in _of_kind("blacklisted"):
        assert rule.days is not None
        since = as_of - dt.timedelta(days=rule.days - 1)
        listed = session.execute(
            select(C.subject_id, C.natural_key, C.decision_date, C.category)
            .where(
                C.category.in_(rule.categories),
                C.is_current.is_(True),
                C.status == "active",
                func.coalesce(C.publicity_start, C.decision_date) >= since,
                func.coalesce(C.publicity_start, C.decision_date) <= as_of,
            )
            .order_by(C.subject_id, C.natural_key)
        ).all()
        for subject_id, key, decided, category in listed:
            raise_warning(
                session,
                kind="blacklisted",
                subject_id=subject_id,
                rule_code=rule.code,
                message=f"新列入黑名单（认定文号 {key}）",
                details={"natural_key": key, "category": category, "decision_date": str(decided)},
                actor=actor,
                level=rule.level,
                fingerprint=key,
            )
        counts[rule.code] = len(listed)
    for rule in _of_kind("commitment_breached"):
        assert rule.days is not None
        assert rule.field
        assert rule.any_of
        since = as_of - dt.timedelta(days=rule.days - 1)
        breached = session.execute(
            select(C.subject_id, C.natural_key, C.decision_date)
            .where(
                C.category.in_(rule.categories),
                C.is_current.is_(True),
                C.status == "active",
                C.data[rule.field].as_string().in_(rule.any_of),
                C.created_at >= dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC),
            )
            .order_by(C.subject_id, C.natural_key)
        ).all()
        for subject_id, key, decided in breached:
            raise_warning(
                session,
                kind="commitment_breached",
                subject_id=subject_id,
                rule_code=rule.code,
                message=f"信用承诺（编号 {key}）未履约",
                details={"natural_key": key, "decision_date": str(decided)},
                actor=actor,
                level=rule.level,
                fingerprint=key,
            )
        counts[rule.code] = len(breached)
    return counts
