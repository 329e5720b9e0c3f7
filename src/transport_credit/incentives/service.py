"""Use cases of the 信易+ scenarios: the credit office records where a scenario runs (launch, end); the website and
the console show the scenarios with their cities; the monthly report measures the cities a family covers; a subject
learns which benefits it qualifies for; the office sees what the providers granted (their feedback on the credit
check, i.e. the effect list's lines of the scenarios' measures)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.disclosure.rules import china_today
from transport_credit.identifiers.regions import region_name
from transport_credit.incentives import rules
from transport_credit.incentives.models import XinyiLaunch
from transport_credit.lists import checks
from transport_credit.lists.matching import SubjectStatus
from transport_credit.lists.models import Effect
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring.report import city_of, month_bounds
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

PROVIDER_MAX = 200
NOTE_MAX = 1000


def scenarios(settings: Settings) -> rules.XinyiDocument:
    """The province's scenario list, checked against its measure and matter lists."""
    doc = rules.xinyi_scenarios(settings.province)
    rules.check_against(doc, list_rules(settings.province))
    return doc


# --- launches -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LaunchView:
    id: int
    scenario_code: str
    scenario_name: str
    family: str
    region_code: str
    region_name: str
    provider: str
    started_on: dt.date
    ended_on: dt.date | None
    note: str
    running: bool  # on the day the view was made for


def _region_label(code: str, province_code: str, province_name: str) -> str:
    return f"{province_name}（全省）" if code == province_code else region_name(code) or code


def _check_region(settings: Settings, code: str) -> str:
    config = load_province(settings.province)
    code = code.strip()
    if code == config.code or code in config.cities:
        return code
    if len(code) == 6 and code.isdigit() and city_of(code) in config.cities:
        return code  # a county of one of the cities
    raise InvalidInput(f"地区代码 {code} 不是本省、本省设区市或其所辖县（市、区）", code="xinyi_region")


def launch(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    scenario_code: str,
    region_code: str,
    provider: str,
    started_on: dt.date,
    note: str = "",
) -> XinyiLaunch:
    """Record that a scenario runs in a region from ``started_on`` (the province's code: everywhere)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    doc = scenarios(settings)
    scenario = doc.scenario(scenario_code.strip())
    if scenario is None:
        raise InvalidInput(f"信易+场景 {scenario_code} 不存在", code="xinyi_unknown_scenario")
    region = _check_region(settings, region_code)
    provider = provider.strip()
    if not provider or len(provider) > PROVIDER_MAX:
        raise InvalidInput(f"请填写提供服务的单位（不超过 {PROVIDER_MAX} 字）", code="xinyi_provider")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"说明不超过 {NOTE_MAX} 字", code="xinyi_note")
    same = session.scalars(
        select(XinyiLaunch).where(XinyiLaunch.scenario_code == scenario.code, XinyiLaunch.region_code == region)
    )
    for other in same:
        if rules.overlaps(started_on, None, other.started_on, other.ended_on):
            raise Conflict(
                f"该场景在此地区已有 {other.started_on:%Y-%m-%d} 起的上线记录，请先登记其结束日期",
                code="xinyi_launch_overlap",
            )
    row = XinyiLaunch(
        scenario_code=scenario.code,
        region_code=region,
        provider=provider,
        started_on=started_on,
        ended_on=None,
        note=note.strip(),
        recorded_by=actor.label[:120],
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "xinyi.launch",
        "xinyi_launch",
        str(row.id),
        {"scenario": scenario.code, "region": region, "provider": provider, "started_on": started_on.isoformat()},
    )
    return row


def end_launch(session: Session, actor: Actor, launch_id: int, *, ended_on: dt.date, reason: str) -> XinyiLaunch:
    """Record the last day a scenario ran in the region (a stopped service no longer counts for coverage)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    row = session.get(XinyiLaunch, launch_id)
    if row is None:
        raise NotFound("上线记录不存在", code="xinyi_launch_not_found")
    if row.ended_on is not None:
        raise Conflict(f"该记录已于 {row.ended_on:%Y-%m-%d} 结束", code="xinyi_launch_ended")
    if ended_on < row.started_on:
        raise InvalidInput("结束日期不能早于上线日期", code="xinyi_end_before_start")
    reason = reason.strip()
    if not reason or len(reason) > NOTE_MAX:
        raise InvalidInput("请说明结束原因", code="xinyi_end_reason")
    row.ended_on = ended_on
    row.note = f"{row.note}\n{ended_on:%Y-%m-%d} 结束：{reason}".strip()
    session.flush()
    audit(
        session, actor, "xinyi.end", "xinyi_launch", str(row.id), {"ended_on": ended_on.isoformat(), "reason": reason}
    )
    return row


def launches(session: Session, settings: Settings, *, day: dt.date | None = None) -> list[LaunchView]:
    """Every recorded launch, running ones first, by scenario and region."""
    day = day or china_today()
    doc = scenarios(settings)
    config = load_province(settings.province)
    out = []
    for row in session.scalars(select(XinyiLaunch).order_by(XinyiLaunch.scenario_code, XinyiLaunch.region_code)):
        scenario = doc.scenario(row.scenario_code)
        out.append(
            LaunchView(
                row.id,
                row.scenario_code,
                scenario.name if scenario else row.scenario_code,
                scenario.family if scenario else "",
                row.region_code,
                _region_label(row.region_code, config.code, config.name),
                row.provider,
                row.started_on,
                row.ended_on,
                row.note,
                rules.Launch(row.scenario_code, row.region_code, row.started_on, row.ended_on).running_on(day),
            )
        )
    out.sort(key=lambda v: (not v.running, v.scenario_code, v.region_code))
    return out


# --- coverage -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyCoverage:
    family: rules.Family
    covered: list[str]  # city codes where one of its scenarios runs
    missing: list[str]
    total: int

    @property
    def rate(self) -> float | None:
        return None if self.total == 0 else len(self.covered) / self.total


@dataclass(frozen=True)
class CoverageView:
    day: dt.date
    families: list[FamilyCoverage]
    coverage_family: str | None
    city_names: dict[str, str]
    # city code → family code → names of the scenarios running there (the console's matrix)
    matrix: dict[str, dict[str, list[str]]]

    def family(self, code: str) -> FamilyCoverage | None:
        return next((f for f in self.families if f.family.code == code), None)


def coverage(session: Session, settings: Settings, *, day: dt.date | None = None) -> CoverageView:
    """Which of the province's cities each family of scenarios covers on ``day`` (default today)."""
    day = day or china_today()
    doc = scenarios(settings)
    config = load_province(settings.province)
    family_of = {s.code: s.family for s in doc.scenarios}
    all_launches = [
        rules.Launch(r.scenario_code, r.region_code, r.started_on, r.ended_on)
        for r in session.execute(
            select(XinyiLaunch.scenario_code, XinyiLaunch.region_code, XinyiLaunch.started_on, XinyiLaunch.ended_on)
        )
    ]
    families = []
    for family in doc.families:
        covered = rules.covered_cities(all_launches, family_of, family.code, config.cities, config.code, day)
        families.append(
            FamilyCoverage(
                family,
                [c for c in config.cities if c in covered],
                [c for c in config.cities if c not in covered],
                len(config.cities),
            )
        )
    matrix: dict[str, dict[str, list[str]]] = {c: defaultdict(list) for c in config.cities}
    for launch_ in all_launches:
        scenario = doc.scenario(launch_.scenario)
        if scenario is None:
            continue
        one = {launch_.scenario: scenario.family}
        for city in rules.covered_cities([launch_], one, scenario.family, config.cities, config.code, day):
            if scenario.name not in matrix[city][scenario.family]:
                matrix[city][scenario.family].append(scenario.name)
    return CoverageView(
        day,
        families,
        doc.coverage_family,
        {c: region_name(c) or c for c in config.cities},
        {c: dict(v) for c, v in matrix.items()},
    )


# --- what the providers granted -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioUsage:
    scenario: rules.Scenario
    granted: int  # measures applied (effect list lines) in the month
    subjects: int  # distinct subjects that received the benefit
    declined: int  # checked and reported as not applied


def usage(session: Session, settings: Settings, month: str) -> list[ScenarioUsage]:
    """Per scenario, what its providers reported applying in ``month`` (YYYY-MM): the effect list's lines of the
    scenario's measure (at the scenario's check matter where it names one)."""
    doc = scenarios(settings)
    start, end = month_bounds(month)
    E = Effect
    counts: dict[tuple[str, str, bool], tuple[int, int]] = {
        (str(m), str(t), bool(a)): (int(n), int(u))
        for m, t, a, n, u in session.execute(
            select(E.measure_code, E.matter_code, E.applied, func.count(), func.count(func.distinct(E.subject_id)))
            .where(
                E.measure_code.in_({s.measure for s in doc.scenarios}),
                E.executed_on >= start,
                E.executed_on < end,
            )
            .group_by(E.measure_code, E.matter_code, E.applied)
        )
    }
    out = []
    for s in doc.scenarios:
        rows = {k: v for k, v in counts.items() if k[0] == s.measure and (s.matter is None or k[1] == s.matter)}
        granted = sum(v[0] for k, v in rows.items() if k[2])
        subjects = sum(v[1] for k, v in rows.items() if k[2])  # per matter: a subject at two matters counts twice
        declined = sum(v[0] for k, v in rows.items() if not k[2])
        out.append(ScenarioUsage(s, granted, subjects, declined))
    return out


@dataclass(frozen=True)
class ScenarioReach:
    scenario: rules.Scenario
    eligible: int  # subjects that qualify on the day (守信主体 the scenario reaches)
    blocked: int  # subjects that would qualify but are on an excluded list (black, watch)


def reach(session: Session, settings: Settings, *, day: dt.date | None = None) -> list[ScenarioReach]:
    """Per scenario, how many subjects qualify on ``day`` by their published lists and valid grades (the rules of
    :func:`rules.eligibility`, the same the check and the subject page apply), and how many only an excluded list
    keeps out. Reads every subject with a list entry or a grade on record once."""
    doc = scenarios(settings)
    lrules = list_rules(settings.province)
    day = day or china_today()
    eligible = dict.fromkeys((s.code for s in doc.scenarios), 0)
    blocked = dict(eligible)
    # Most subjects share their status with many others (one model's AA, nothing else): decide each once.
    decided: dict[tuple[str, SubjectStatus], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for _subject_id, kind, status in checks.statuses_on_record(session, lrules, day):
        outcome = decided.get((kind, status))
        if outcome is None:
            found = [rules.eligibility(lrules, s, status, kind) for s in doc.scenarios]
            outcome = decided[(kind, status)] = (
                tuple(e.scenario.code for e in found if e.eligible),
                tuple(
                    e.scenario.code
                    for e in found
                    if not e.eligible and e.reasons and e.blockers and kind in e.scenario.audience
                ),
            )
        for code in outcome[0]:
            eligible[code] += 1
        for code in outcome[1]:
            blocked[code] += 1
    return [ScenarioReach(s, eligible[s.code], blocked[s.code]) for s in doc.scenarios]


# --- a subject's benefits -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectBenefits:
    subject_id: int
    subject_kind: str
    eligible: list[rules.Eligibility]
    other: list[rules.Eligibility]  # scenarios of its kind it does not (yet) qualify for


def subject_benefits(
    session: Session, settings: Settings, subject_id: int, *, day: dt.date | None = None
) -> SubjectBenefits:
    """The scenarios the subject qualifies for on ``day`` from its published list entries and valid grades (what the
    providers' credit check will find), and those of its kind it does not."""
    day = day or china_today()
    kind = session.scalar(select(Subject.kind).where(Subject.id == subject_id))
    if kind is None:
        raise NotFound("主体不存在", code="subject_not_found")
    lrules = list_rules(settings.province)
    status = checks.subject_status(session, lrules, subject_id, day)
    assert status is not None  # the subject exists
    doc = scenarios(settings)
    results = [rules.eligibility(lrules, s, status, kind) for s in doc.scenarios if kind in s.audience]
    return SubjectBenefits(subject_id, kind, [e for e in results if e.eligible], [e for e in results if not e.eligible])
