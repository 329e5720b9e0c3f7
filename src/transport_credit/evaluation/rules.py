"""Pure evaluation rules: one subject's score, grade and explanation from its records.

This is the reference semantics of a model file. The set-based engine (:mod:`transport_credit.evaluation.engine`)
compiles the same semantics into SQL for all subjects at once; tests check that both agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from transport_credit.catalog.rules import MULTI_SEPARATORS
from transport_credit.evaluation.schema import Condition, EvaluationModelDef, GradeBand, Override, RecordMatch

_SEPARATORS = set(MULTI_SEPARATORS)


@dataclass(frozen=True)
class Rec:
    """The parts of a current credit record that rules look at."""

    id: int
    category: str
    status: str
    decision_date: dt.date | None
    data: Mapping[str, Any]
    severity: str | None = None
    department_code: str | None = None
    publicity_start: dt.date | None = None
    publicity_end: dt.date | None = None


@dataclass(frozen=True)
class RuleHit:
    rule_code: str
    rule_kind: str  # deduction / bonus / override
    match_count: int
    points: float
    record_ids: tuple[int, ...]


@dataclass(frozen=True)
class Outcome:
    score: float
    deducted: float
    bonus: float
    tag_points: float
    record_count: int
    score_grade: str
    grade: str
    level: int
    adjustment: str | None
    hits: tuple[RuleHit, ...] = field(default_factory=tuple)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` (negative: back), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def period_window(model: EvaluationModelDef, period: str) -> tuple[dt.date, dt.date]:
    """The window of an annual period ``2025`` or of a rolling period ending on ``2025-06-30``.

    Certificate-cycle models have a window per subject (:func:`cycle_window`); their period names the as-of date.
    """
    if model.period.kind == "annual":
        if not (len(period) == 4 and period.isdigit()):
            raise ValueError("annual period must be a year such as 2025")
        year = int(period)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    end = parse_period_date(period)
    return add_months(end, -model.period.months) + dt.timedelta(days=1), end


def parse_period_date(period: str) -> dt.date:
    if len(period) == 4 and period.isdigit():
        return dt.date(int(period), 12, 31)
    return dt.date.fromisoformat(period)


def cycle_window(anchor: dt.date, as_of: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The certificate cycle containing ``as_of`` (cycles of ``months`` from ``anchor``), ending at ``as_of``."""
    if as_of < anchor:
        return anchor, as_of
    elapsed = (as_of.year - anchor.year) * 12 + as_of.month - anchor.month
    k = elapsed // months
    start = add_months(anchor, k * months)
    if start > as_of:
        start = add_months(anchor, (k - 1) * months)
    return start, as_of


def _values(value: Any, multi: bool) -> list[str]:
    if value is None:
        return []
    text = str(value).strip()
    if not multi:
        return [text]
    parts = [text]
    for sep in _SEPARATORS:
        parts = [p for part in parts for p in part.split(sep)]
    return [p.strip() for p in parts if p.strip()]


def condition_holds(cond: Condition, rec: Rec, multi_fields: frozenset[str]) -> bool:
    if cond.field == "severity":
        raw: Any = rec.severity
    elif cond.field == "department_code":
        raw = rec.department_code
    else:
        raw = rec.data.get(cond.field)
    if cond.any_of is not None:
        if cond.field in multi_fields:
            text = "" if raw is None else str(raw)
            if not any(v in text for v in cond.any_of):
                return False
        elif raw is None or str(raw) not in cond.any_of:
            return False
    if cond.contains_any is not None:
        text = "" if raw is None else str(raw)
        if not any(v in text for v in cond.contains_any):
            return False
    if cond.gte is not None or cond.lt is not None:
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return False
        if cond.gte is not None and number < cond.gte:
            return False
        if cond.lt is not None and number >= cond.lt:
            return False
    return True


def matches(match: RecordMatch, rec: Rec, multi_fields: frozenset[str]) -> bool:
    if rec.category not in match.categories or rec.status not in match.statuses:
        return False
    if match.severity_in is not None and rec.severity not in match.severity_in:
        return False
    return all(condition_holds(c, rec, multi_fields) for c in match.where)


def override_active(o: Override, rec: Rec, as_of: dt.date) -> bool:
    if rec.decision_date is None or rec.decision_date > as_of:
        return False
    if o.active == "publicity":
        start = rec.publicity_start or rec.decision_date
        return start <= as_of and (rec.publicity_end is None or rec.publicity_end >= as_of)
    assert o.min_months is not None
    if rec.decision_date > add_months(as_of, -o.min_months):
        return True
    if o.until_field:
        until = rec.data.get(o.until_field)
        return isinstance(until, str) and until >= as_of.isoformat()
    return False


def band_holds(band: GradeBand, score: float, deducted: float, tags: Mapping[str, float]) -> bool:
    if band.min_score is not None and score < band.min_score:
        return False
    if band.max_deducted is not None and deducted > band.max_deducted:
        return False
    if band.deducted_below is not None and deducted >= band.deducted_below:
        return False
    return all(tags.get(tag, 0.0) < limit for tag, limit in (band.tag_points_below or {}).items())


def score_grade(model: EvaluationModelDef, score: float, deducted: float, tags: Mapping[str, float]) -> str:
    for band in model.bands:
        if band_holds(band, score, deducted, tags):
            return band.grade
    return model.bands[-1].grade


def rule_points(points: float, per: str, count: int, cap: float | None) -> float:
    raw = points if per == "once" else points * count
    return min(raw, cap) if cap is not None else raw


def evaluate_subject(
    model: EvaluationModelDef,
    records: Iterable[Rec],
    *,
    window: tuple[dt.date, dt.date],
    as_of: dt.date,
    base_level: int | None = None,
    multi_fields: frozenset[str] = frozenset(),
) -> Outcome:
    """Score and grade one subject.

    ``window`` bounds the decision dates that count for deductions and bonuses (a rule with ``window_months``
    counts from that many months before the window's end); overrides look at records active on ``as_of``.
    ``base_level`` is the grade level of the subject's result for the previous period (``None``: no such result).
    """
    recs = sorted(records, key=lambda r: r.id)  # the result never depends on record order
    start, end = window
    hits: list[RuleHit] = []
    deducted = bonus = 0.0
    tags: dict[str, float] = {}
    matched = 0
    for rule in model.rules:
        lo = add_months(end, -rule.window_months) + dt.timedelta(days=1) if rule.window_months else start
        ids = tuple(
            r.id
            for r in recs
            if r.decision_date is not None and lo <= r.decision_date <= end and matches(rule.match, r, multi_fields)
        )
        if len(ids) < rule.min_count or not ids:
            continue
        pts = rule_points(rule.points, rule.per, len(ids), rule.cap)
        hits.append(RuleHit(rule.code, rule.kind, len(ids), pts, ids))
        matched += len(ids)
        if rule.kind == "deduction":
            deducted += pts
        else:
            bonus += pts
        if rule.tag:
            tags[rule.tag] = tags.get(rule.tag, 0.0) + pts
    if model.bonus_cap is not None:
        bonus = min(bonus, model.bonus_cap)
    score = model.base_score - deducted + bonus
    if model.max_score is not None:
        score = min(score, model.max_score)
    score = max(score, model.min_score)
    by_score = score_grade(model, score, deducted, tags)
    level = model.level(by_score)
    adjustment: str | None = None
    c = model.constraints
    if c.newcomer_grade is not None and base_level is None and level < model.level(c.newcomer_grade):
        # No previous result: the subject starts at the newcomer grade at best (公路施工: a firm new to the
        # province counts as A); deductions can still lower it.
        level = model.level(c.newcomer_grade)
        adjustment = "newcomer"
    if c.max_rise_levels is not None and base_level is not None and level < base_level - c.max_rise_levels:
        level = base_level - c.max_rise_levels
        adjustment = "rise_cap"
    for esc in c.escalations:
        if base_level == model.level(esc.grade) and level == model.level(esc.grade):
            level = max(level, model.level(esc.becomes))
            adjustment = "escalation"
    worst_override: tuple[int, str] | None = None
    for o in model.overrides:
        ids = tuple(r.id for r in recs if matches(o.match, r, multi_fields) and override_active(o, r, as_of))
        if not ids:
            continue
        hits.append(RuleHit(o.code, "override", len(ids), 0.0, ids))
        olevel = model.override_level(o)
        if worst_override is None or olevel > worst_override[0]:
            worst_override = (olevel, o.code)
    if worst_override is not None and worst_override[0] > level:
        level = worst_override[0]
        adjustment = f"override:{worst_override[1]}"
    return Outcome(
        score=round(score, 4),
        deducted=round(deducted, 4),
        bonus=round(bonus, 4),
        tag_points=round(sum(tags.values()), 4),
        record_count=matched,
        score_grade=by_score,
        grade=model.grades[level],
        level=level,
        adjustment=adjustment,
        hits=tuple(hits),
    )


def national_composite(grades: Sequence[str], *, lowest: str = "D", demoted: str = "C") -> str | None:
    """公路施工 national composite of provincial grades: rated D by one province → C nationally, by two → D.

    Without any D the composite is ``None`` (the national platform then uses its ordinary rule, typically the
    provincial grade of the firm's home province).
    """
    d_count = sum(1 for g in grades if g == lowest)
    if d_count >= 2:
        return lowest
    if d_count == 1:
        return demoted
    return None


def level_drop(previous_level: int | None, level: int) -> int:
    """How many levels a grade fell (0 if it rose or stayed)."""
    return 0 if previous_level is None else max(0, level - previous_level)


def explain_adjustment(model: EvaluationModelDef, adjustment: str | None, base_level: int | None) -> str | None:
    """A Chinese sentence for the adjustment applied after the score."""
    if adjustment is None:
        return None
    if adjustment == "newcomer":
        return f"首次参与评价（无上一周期结果），等级最高为{model.constraints.newcomer_grade}级"
    if adjustment == "rise_cap":
        prev = model.grades[base_level] if base_level is not None else "—"
        return f"上一周期为{prev}级，等级每年最多上升{model.constraints.max_rise_levels}级"
    if adjustment == "escalation":
        return "连续两个周期评价结果相同的较低等级，按规定降为更低等级"
    if adjustment.startswith("override:"):
        code = adjustment.split(":", 1)[1]
        names = {o.code: o.name for o in model.overrides}
        return f"{names.get(code, code)}：等级直接确定"
    return adjustment
