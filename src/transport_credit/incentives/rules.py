"""Rules of the 信易+ scenarios (守信激励应用场景): the scenario list as data, who qualifies for a scenario, and which
cities a family of scenarios covers on a day. Pure: no I/O but reading the shipped file.

A scenario applies one incentive measure of the measure list (措施清单): a subject qualifies when the measure's lists
or grades match its published entries and valid grades, its kind is in the scenario's audience, and it is on none
of the excluded lists (a black- or watch-listed subject is not 守信, whatever its grade).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.common.datafiles import load_for_province, shipped_path
from transport_credit.common.errors import InvalidInput
from transport_credit.lists.matching import SubjectStatus, measure_reasons
from transport_credit.lists.rules import LIST_TYPE_LABELS, ListRules, SubjectKind

ListType = Literal["red", "black", "watch"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Family(_Strict):
    """信易批, 信易行, 交通信易货, 交通信易保 …"""

    code: str = Field(pattern=r"^[A-Z]{2,8}$")
    name: str = Field(min_length=1, max_length=40)
    summary: str


class Scenario(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9\-]{1,39}$")
    family: str
    name: str = Field(min_length=1, max_length=100)
    audience: tuple[SubjectKind, ...] = Field(min_length=1)  # the subject kinds it serves
    benefit: str
    provider: str  # who grants it (a department, 高速公司, a platform company, an insurer …)
    measure: str  # the incentive measure of the measure list it applies
    matter: str | None = None  # the check matter at which the provider checks; None: the measure's own matters
    how_to_apply: str
    excluded_lists: tuple[ListType, ...] = ("black", "watch")


class XinyiDocument(_Strict):
    kind: Literal["xinyi_scenarios"]
    name: str
    version: str
    province: str | None = None  # a province's own file replaces the platform's for that province
    effective_from: dt.date
    coverage_family: str | None = None  # the family whose city coverage the monthly report measures
    families: tuple[Family, ...] = Field(min_length=1)
    scenarios: tuple[Scenario, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> XinyiDocument:
        families = [f.code for f in self.families]
        codes = [s.code for s in self.scenarios]
        for what, seen in (("family", families), ("scenario", codes)):
            dup = sorted({c for c in seen if seen.count(c) > 1})
            if dup:
                raise ValueError(f"duplicate {what} codes: {', '.join(dup)}")
        stray = sorted({s.family for s in self.scenarios} - set(families))
        if stray:
            raise ValueError(f"scenarios name unknown families: {', '.join(stray)}")
        if self.coverage_family is not None and self.coverage_family not in families:
            raise ValueError(f"coverage_family {self.coverage_family} is not a family")
        return self

    def scenario(self, code: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.code == code), None)

    def family(self, code: str) -> Family:
        return next(f for f in self.families if f.code == code)

    def by_family(self) -> list[tuple[Family, list[Scenario]]]:
        return [(f, [s for s in self.scenarios if s.family == f.code]) for f in self.families]

    def measure_scenarios(self) -> dict[str, list[Scenario]]:
        out: dict[str, list[Scenario]] = {}
        for s in self.scenarios:
            out.setdefault(s.measure, []).append(s)
        return out


def check_against(doc: XinyiDocument, rules: ListRules) -> None:
    """Every scenario names an incentive measure of the measure list and, where it names one, a check matter to
    which that measure applies."""
    problems: list[str] = []
    for s in doc.scenarios:
        measure = rules.measures.get(s.measure)
        if measure is None:
            problems.append(f"{s.code}: 措施 {s.measure} 不在措施清单中")
            continue
        if measure.kind != "incentive":
            problems.append(f"{s.code}: 措施 {s.measure} 不是守信激励措施")
        if s.matter is not None:
            matter = rules.matters.get(s.matter)
            if matter is None:
                problems.append(f"{s.code}: 核查事项 {s.matter} 不在事项清单中")
            elif s.matter not in measure.matters and matter.kind not in measure.matter_kinds:
                problems.append(f"{s.code}: 措施 {s.measure} 不适用于核查事项 {s.matter}")
    if problems:
        raise InvalidInput("信易+场景清单有误：" + "；".join(problems), code="xinyi_invalid")


def load_xinyi(directory: Path, province: str | None) -> XinyiDocument:
    """The scenario list in force for ``province`` among the ``xinyi*.yaml`` files of ``directory``."""
    return load_for_province(directory, "xinyi*.yaml", XinyiDocument, "信易+场景清单", "xinyi_invalid", province)


@functools.cache
def xinyi_scenarios(province: str | None = None) -> XinyiDocument:
    """The shipped scenario list for ``province`` (read once: package data does not change while the platform runs)."""
    return load_xinyi(shipped_path("incentives"), province)


# --- who qualifies ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    scenario: Scenario
    eligible: bool
    reasons: tuple[str, ...]  # why it qualifies (列入红名单, 信用等级 AA（…）)
    blockers: tuple[str, ...]  # why it does not, when it otherwise would or never can (列入黑名单, 不面向自然人)


_KIND_LABELS = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}


def eligibility(rules: ListRules, scenario: Scenario, status: SubjectStatus, subject_kind: str) -> Eligibility:
    """Whether a subject of ``subject_kind`` in ``status`` (its published list entries and valid grades) qualifies
    for ``scenario``."""
    blockers: list[str] = []
    if subject_kind not in scenario.audience:
        blockers.append(f"本场景不面向{_KIND_LABELS.get(subject_kind, subject_kind)}")
    blockers += [f"列入{LIST_TYPE_LABELS[t]}" for t in scenario.excluded_lists if t in status.list_types]
    measure = rules.measures.get(scenario.measure)
    reasons = tuple(measure_reasons(rules, measure, status)) if measure is not None else ()
    return Eligibility(scenario, bool(reasons) and not blockers, reasons, tuple(blockers))


def conditions(rules: ListRules, scenario: Scenario) -> list[str]:
    """Who qualifies, in words, for the website (列入红名单；道路运输企业信用评价 AA 级 …)."""
    measure = rules.measures.get(scenario.measure)
    if measure is None:
        return []
    out = []
    for ref in measure.lists:
        label = LIST_TYPE_LABELS.get(ref) or (rules.list_kinds[ref].name if ref in rules.list_kinds else ref)
        out.append(f"列入{label}")
    for g in measure.grades:
        levels = "、".join(g.grades)
        out += [f"{model} {levels} 级" for model in g.models] or [f"信用评价 {levels} 级"]
    return out


# --- where it runs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    """A scenario running in a region (a city, or the whole province) from ``started_on`` until ``ended_on``."""

    scenario: str
    region_code: str
    started_on: dt.date
    ended_on: dt.date | None = None

    def running_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


def covered_cities(
    launches: Iterable[Launch],
    scenario_family: Mapping[str, str],
    family: str,
    cities: Collection[str],
    province_code: str,
    day: dt.date,
) -> set[str]:
    """The ``cities`` where at least one scenario of ``family`` runs on ``day``: launched in the city itself or in one
    of its counties (the first four digits of the region code, 济源-like directly administered units by their own
    code), or for the whole province."""
    out: set[str] = set()
    for launch in launches:
        if scenario_family.get(launch.scenario) != family or not launch.running_on(day):
            continue
        if launch.region_code == province_code:
            return set(cities)
        out |= {c for c in cities if launch.region_code == c or (c.endswith("00") and launch.region_code[:4] == c[:4])}
    return out


def overlaps(a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None) -> bool:
    """Whether two periods (``None``: open-ended) share a day."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)
