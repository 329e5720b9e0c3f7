"""信用评价后评估 (evaluation review) of a run: how many of the model's score rules (指标) found anything — the
指标利用率 seed 004 measures (≥ 70%, ``data/review/evaluation.yaml``) — and how the grades moved against the
model's previous periodic run (a large move is flagged for review: a changed source of data, a mistaken rule, a
population missed; seed 002's 评价结果计算有误或评价对象遗漏).

Read from the run's explanation rows (``evaluation_hits``: one per subject, the applied rules as JSON), so the review
says exactly what the run applied. ``grade_shifts`` and ``rule_use`` are pure and tested from tables.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.common.actor import Actor
from transport_credit.common.datafiles import load_yaml_model, shipped_path
from transport_credit.common.errors import NotFound
from transport_credit.evaluation import service
from transport_credit.evaluation.models import EvaluationHits, EvaluationRun
from transport_credit.settings import Settings

KIND_LABELS = {"deduction": "扣分", "bonus": "加分"}


class ReviewRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["evaluation_review"]
    version: str
    rule_use_target: float | None = Field(default=None, ge=0, le=1)
    shift_alert: float = Field(gt=0, le=1)


@functools.cache
def review_rules() -> ReviewRules:
    return load_yaml_model(
        shipped_path("review", "evaluation.yaml"), ReviewRules, "评价后评估规则文件", "review_rules_invalid"
    )


@dataclass(frozen=True)
class RuleUse:
    code: str
    name: str
    kind: str  # 扣分 / 加分
    points: float
    subjects: int  # subjects the rule applied to
    matches: int  # records it matched, over those subjects


@dataclass(frozen=True)
class GradeShift:
    grade: str
    label: str
    count: int
    share: float | None
    previous_count: int | None
    previous_share: float | None
    change: float | None  # share now − share before (None without a previous run)
    flagged: bool


@dataclass(frozen=True)
class RunReview:
    run_id: int
    model_code: str
    model_name: str
    period: str
    subjects: int
    rules: list[RuleUse]  # in the model's order
    used: int
    use_rate: float | None
    target: float | None
    previous_run_id: int | None
    previous_period: str | None
    grades: list[GradeShift]

    @property
    def met(self) -> bool | None:
        return None if self.use_rate is None or self.target is None else self.use_rate >= self.target

    @property
    def unused(self) -> list[RuleUse]:
        return [r for r in self.rules if r.subjects == 0]


def rule_use(rule_codes: Sequence[str], applied: Mapping[str, int]) -> tuple[int, float | None]:
    """(rules that applied to at least one subject, their share of the model's rules; None for a model without
    score rules)."""
    used = sum(1 for code in rule_codes if applied.get(code, 0) > 0)
    return used, (used / len(rule_codes) if rule_codes else None)


def grade_shifts(
    grades: Sequence[str],
    labels: Mapping[str, str],
    now: Mapping[str, int],
    before: Mapping[str, int] | None,
    alert: float,
) -> list[GradeShift]:
    """Each grade's count and share now and in the previous run; flagged when the share moved by ``alert`` or more."""
    total = sum(now.get(g, 0) for g in grades)
    total_before = sum(before.get(g, 0) for g in grades) if before is not None else 0
    out = []
    for g in grades:
        n = now.get(g, 0)
        share = n / total if total else None
        prev = before.get(g, 0) if before is not None else None
        prev_share = prev / total_before if prev is not None and total_before else None
        change = share - prev_share if share is not None and prev_share is not None else None
        flagged = change is not None and abs(change) >= alert - 1e-9
        out.append(GradeShift(g, labels.get(g, g), n, share, prev, prev_share, change, flagged))
    return out


def run_review(session: Session, actor: Actor, settings: Settings, run_id: int) -> RunReview:
    """The review of one evaluation run (the roles that read runs)."""
    actor.require_role(*service.READ_ROLES)
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound("评价批次不存在", code="evaluation_run_not_found")
    model = service.get_model(session, actor, settings, run.model_code, run.model_version).model
    subjects: dict[str, int] = {}
    matches: dict[str, int] = {}
    for (hits,) in session.execute(
        select(EvaluationHits.hits).where(EvaluationHits.run_id == run.id, EvaluationHits.source == "rules")
    ):
        for code, (_kind, count, *_rest) in orjson.loads(hits).items():
            subjects[code] = subjects.get(code, 0) + 1
            matches[code] = matches.get(code, 0) + int(count)
    rules = [
        RuleUse(
            r.code, r.name, KIND_LABELS.get(r.kind, r.kind), r.points, subjects.get(r.code, 0), matches.get(r.code, 0)
        )
        for r in model.rules
    ]
    used, rate = rule_use([r.code for r in model.rules], subjects)
    cfg = review_rules()
    previous = None
    if run.kind == "periodic":
        previous = session.execute(
            select(EvaluationRun.id, EvaluationRun.period, EvaluationRun.grade_counts)
            .where(
                EvaluationRun.model_code == run.model_code,
                EvaluationRun.kind == "periodic",
                EvaluationRun.period < run.period,
            )
            .order_by(EvaluationRun.period.desc(), EvaluationRun.id.desc())
            .limit(1)
        ).first()
    return RunReview(
        run_id=run.id,
        model_code=run.model_code,
        model_name=model.name,
        period=run.period,
        subjects=run.subject_count,
        rules=rules,
        used=used,
        use_rate=rate,
        target=cfg.rule_use_target,
        previous_run_id=int(previous[0]) if previous else None,
        previous_period=str(previous[1]) if previous else None,
        grades=grade_shifts(
            [str(g) for g in model.grades],
            {str(k): str(v) for k, v in model.grade_labels.items()},
            {str(k): int(v) for k, v in (run.grade_counts or {}).items()},
            {str(k): int(v) for k, v in (previous[2] or {}).items()} if previous else None,
            cfg.shift_alert,
        ),
    )
