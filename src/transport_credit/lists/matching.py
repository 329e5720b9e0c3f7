"""Pure matching: a record against an entry criterion's conditions; a subject's status against the measures.

No I/O. ``criteria.py`` compiles the same conditions to SQL for set-based proposal runs; tests check that both
agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transport_credit.lists.rules import Condition, Criterion, ListRules, Matter, Measure


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def condition_holds(cond: Condition, data: Mapping[str, Any]) -> bool:
    """Whether one record's stored ``data`` meets ``cond`` (missing values never meet a condition)."""
    value = data.get(cond.field)
    if value is None:
        return False
    if cond.op == "contains_any":
        text = value if isinstance(value, str) else str(value)
        return any(v in text for v in cond.values)
    if cond.op == "equals_any":
        return str(value).strip() in cond.values
    number = _number(value)
    if number is None or cond.number is None:
        return False
    return number >= cond.number if cond.op == "gte" else number <= cond.number


def record_matches(criterion: Criterion, data: Mapping[str, Any]) -> bool:
    return all(condition_holds(c, data) for c in criterion.conditions)


def meets_count(criterion: Criterion, matching_records: int) -> bool:
    return matching_records >= criterion.min_count


@dataclass(frozen=True)
class Grade:
    """A valid evaluation result of the subject (from a XYPJ record)."""

    model: str
    grade: str
    domain: str | None = None


@dataclass(frozen=True)
class SubjectStatus:
    """What the measures are matched against: the subject's visible list entries and its valid grades."""

    list_types: frozenset[str] = frozenset()  # red / black / watch
    list_codes: frozenset[str] = frozenset()  # list kind codes, where known
    grades: tuple[Grade, ...] = ()


@dataclass(frozen=True)
class MatchedMeasure:
    measure: Measure
    reasons: tuple[str, ...] = field(default=())  # why it applies (Chinese, for the caller)


def model_name(model: str) -> str:
    """The evaluation model's name without the version the platform's own results carry (道路运输企业信用评价（2024.1）
    → 道路运输企业信用评价): measures name models, not versions."""
    model = model.strip()
    if model.endswith(("）", ")")):
        cut = max(model.rfind("（"), model.rfind("("))
        if cut > 0:
            return model[:cut].strip()
    return model


def _grade_reasons(measure: Measure, grades: Iterable[Grade]) -> list[str]:
    out = []
    for g in grades:
        for rule in measure.grades:
            if g.grade in rule.grades and (not rule.models or model_name(g.model) in rule.models):
                out.append(f"信用等级 {g.grade}（{g.model}）")
                break
    return out


def measure_applies_to_matter(measure: Measure, matter: Matter) -> bool:
    return matter.code in measure.matters or matter.kind in measure.matter_kinds


def applicable_measures(rules: ListRules, status: SubjectStatus, matter: Matter) -> list[MatchedMeasure]:
    """The measures for ``matter`` that apply to a subject in ``status``: by list (type or specific list code) or
    by grade. Punishments first, then incentives, each in data order.

    Subjects share few distinct statuses (most have none), so answers are remembered per rules object, status
    and matter (bounded: the memo starts over past ``MEMO_SIZE`` entries)."""
    memo = rules.match_memo
    key = (status, matter.code)
    found = memo.get(key)
    if found is None:
        found = tuple(_applicable(rules, status, matter))
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = found
    return list(found)


MEMO_SIZE = 4096


def measure_reasons(rules: ListRules, measure: Measure, status: SubjectStatus) -> list[str]:
    """Why ``measure`` applies to a subject in ``status`` (its lists, by type or specific list code, and its grades);
    empty when it does not."""
    from transport_credit.lists.rules import LIST_TYPE_LABELS

    reasons: list[str] = []
    for ref in measure.lists:
        if ref in status.list_types:
            reasons.append(f"列入{LIST_TYPE_LABELS[ref]}")
        elif ref in status.list_codes:
            reasons.append(f"列入{rules.list_kinds[ref].name}")
    reasons.extend(_grade_reasons(measure, status.grades))
    return list(dict.fromkeys(reasons))


def _applicable(rules: ListRules, status: SubjectStatus, matter: Matter) -> list[MatchedMeasure]:
    out: list[MatchedMeasure] = []
    for m in rules.measures.values():
        if not measure_applies_to_matter(m, matter):
            continue
        reasons = measure_reasons(rules, m, status)
        if reasons:
            out.append(MatchedMeasure(m, tuple(reasons)))
    out.sort(key=lambda mm: 0 if mm.measure.kind == "punishment" else 1)
    return out
