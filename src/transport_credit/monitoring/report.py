"""The monthly report (信用交通月报): pure rules — month bounds, rates, the city a unit belongs to, rankings and
the indicators of the 信用交通省 system the platform can measure itself (targets in ``data/monitoring/``)."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from transport_credit.common.datafiles import load_for_province
from transport_credit.common.errors import InvalidInput
from transport_credit.identifiers.regions import get_region

CST = dt.timezone(dt.timedelta(hours=8))
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
PROVINCE_LEVEL = "省直"


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → (first day, first day of the next month); :class:`InvalidInput` otherwise."""
    m = _MONTH_RE.match(month.strip()) if isinstance(month, str) else None
    if m is None or not (2000 <= int(m.group(1)) <= 2100 and 1 <= int(m.group(2)) <= 12):
        raise InvalidInput("月份格式应为 YYYY-MM（2000–2100 年）", code="invalid_month")
    year, mon = int(m.group(1)), int(m.group(2))
    start = dt.date(year, mon, 1)
    end = dt.date(year + 1, 1, 1) if mon == 12 else dt.date(year, mon + 1, 1)
    return start, end


def this_month() -> str:
    """The current month in China Standard Time, ``YYYY-MM`` (the default of the monthly pages and commands)."""
    return f"{dt.datetime.now(CST):%Y-%m}"


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Days in China Standard Time as UTC instants (timestamps are stored in UTC)."""
    return (
        dt.datetime.combine(start, dt.time(), CST).astimezone(dt.UTC),
        dt.datetime.combine(end, dt.time(), CST).astimezone(dt.UTC),
    )


def rate(part: int, whole: int) -> float | None:
    """``part / whole``; ``None`` when there is nothing to measure (shown as "—", never as 0% or 100%)."""
    return None if whole == 0 else part / whole


def city_of(region_code: str) -> str | None:
    """The prefecture-level unit (地市) a department's region belongs to: a city itself, a county's city, or a
    province-administered county-level unit (济源 419001) on its own; ``None`` for the province level."""
    region = get_region(region_code)
    if region is None:
        code = region_code.strip()
        return None if code.endswith("0000") else code[:4] + "00"
    if region.level == "province":
        return None
    if region.level == "city":
        return region.code
    parent = get_region(region.parent) if region.parent else None
    return region.code if parent is None or parent.level == "province" else parent.code


@dataclass
class UnitFigures:
    """What one department (or city, summed) did in the month."""

    code: str
    name: str
    received: int = 0  # record revisions received (归集)
    dual_reported: int = 0  # first reports of 行政许可 / 行政处罚 decisions whose deadline is known
    on_time: int = 0  # of those, reported within 7 working days
    qualified: int = 0  # records above their category's quality threshold (合格记录)
    rejected: int = 0  # rows rejected into quarantine
    returned: int = 0  # records the receiving platforms sent back (退回) in the month's receipts
    unreported: int = 0  # decision numbers of the month's year missing, not explained (文书号核查, 疑似漏报)
    checks: int = 0  # credit checks made (逢批必查)
    licences: int = 0  # 行政许可 decided in the month (current, not revoked)
    licences_checked: int = 0  # of those, whose applicant was checked before the decision (查询办)
    effects: int = 0  # effects reported (成效清单)
    rank: int | None = None

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.dual_reported)

    @property
    def qualified_rate(self) -> float | None:
        return rate(self.qualified, self.received)

    @property
    def check_rate(self) -> float | None:
        return rate(self.licences_checked, self.licences)

    def add(self, other: UnitFigures) -> None:
        for name in (
            "received",
            "dual_reported",
            "on_time",
            "qualified",
            "rejected",
            "returned",
            "unreported",
            "checks",
            "licences",
            "licences_checked",
            "effects",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _sort_key(u: UnitFigures) -> tuple[float, float, int, str]:
    on_time = u.on_time_rate if u.on_time_rate is not None else -1.0
    qualified = u.qualified_rate if u.qualified_rate is not None else -1.0
    return (-on_time, -qualified, -u.received, u.code)


def ranked(units: Iterable[UnitFigures]) -> list[UnitFigures]:
    """Units ordered by 双公示 on-time rate, then qualified rate, then volume; units that received nothing come
    last without a rank (there is nothing to rank them on). Equal rates share a rank."""
    items = sorted(units, key=_sort_key)
    previous: tuple[float, float] | None = None
    position = 0
    for i, u in enumerate(items, start=1):
        if u.received == 0 and u.dual_reported == 0:
            u.rank = None
            continue
        key = _sort_key(u)[:2]
        if key != previous:
            position, previous = i, key
        u.rank = position
    return items


def by_city(units: Sequence[tuple[str, UnitFigures]], names: dict[str, str]) -> list[UnitFigures]:
    """Department figures summed per city (``(region code, figures)`` pairs); the province level is one line."""
    cities: dict[str, UnitFigures] = {}
    for region_code, u in units:
        city = (city_of(region_code) if region_code else None) or PROVINCE_LEVEL
        target = cities.setdefault(city, UnitFigures(city, names.get(city, city)))
        target.add(u)
    return list(cities.values())


# --- indicators --------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IndicatorTargets(_Strict):
    kind: Literal["monitoring_indicators"]
    version: str
    province: str | None = None  # a province's own targets replace the platform's default
    dual_on_time_rate: float = Field(ge=0, le=1)
    qualified_rate: float | None = Field(default=None, ge=0, le=1)
    city_coverage: float = Field(ge=0, le=1)
    # 领域 (the records' domain field) → on-time target for the 双公示 decisions of that domain, where a province sets
    # stricter ones for some domains (seed 004: 道路运输 and 水路运输 80% against 70% overall).
    domain_on_time_rates: dict[str, float] = Field(default_factory=dict)
    # 主动公开频次: the website publishes credit information on at least this many days each week (seed 002: 每周至少
    # 1 次); None: no such indicator.
    publications_per_week: int | None = Field(default=None, ge=1, le=7)
    # 瞒报: decision numbers missing from the year's sequences (文书号核查, monitoring/gaps.py) at most this many
    # (seed 001: 瞒报率清零 → 0); None: no such indicator.
    unreported_numbers: int | None = Field(default=None, ge=0)
    # 逢批必查 / 信用查询办率: the share of 行政许可 decisions whose applicant was checked (信用核查) in the
    # ``check_window_days`` before the decision, the decision day included (seed 004: 查询办率 100%); None: shown
    # without a target. ``checked_matters``: matters with at least one check in the month (seed 004: 15 个事项).
    check_coverage_rate: float | None = Field(default=None, ge=0, le=1)
    check_window_days: int = Field(default=30, ge=0, le=366)
    checked_matters: int | None = Field(default=None, ge=0)
    # 设区市“信易行”应用覆盖率: the share of the province's cities where a scenario of the 信易+ list's
    # ``coverage_family`` runs at the month's end (seed 004: 100%); None: shown without a target.
    xinyi_city_coverage: float | None = Field(default=None, ge=0, le=1)

    @field_validator("domain_on_time_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not 0 <= v <= 1 or not k.strip()]
        if bad:
            raise ValueError(f"领域及时率目标应在 0 与 1 之间：{'、'.join(bad)}")
        return value


def _monitoring_dir() -> Path:
    return Path(str(resources.files("transport_credit") / "data" / "monitoring"))


def load_indicator_targets(directory: Path, province: str | None) -> IndicatorTargets:
    """The targets in force for ``province`` among the ``indicators*.yaml`` files of ``directory``: the province's
    own file if there is one, else the platform's default (the newest version of either)."""
    return load_for_province(
        directory, "indicators*.yaml", IndicatorTargets, "月报指标文件", "indicators_invalid", province
    )


@functools.cache
def indicator_targets(province: str | None = None) -> IndicatorTargets:
    return load_indicator_targets(_monitoring_dir(), province)


# The codes of the indicators below (a 领域 or a platform follows the colon: dual_on_time_rate:道路运输, exchange:…);
# the work ledger links its tasks to them.
INDICATOR_CODES = frozenset(
    {
        "dual_on_time_rate",
        "qualified_rate",
        "city_coverage",
        "exchange",
        "unreported_numbers",
        "check_coverage_rate",
        "checked_matters",
        "weekly_publication",
        "commitment_matter_share",
        "commitment_handling_share",
        "cases_per_quarter",
        "xinyi_city_coverage",
    }
)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    value: str  # as shown (百分比, 件数, 是/否)
    target: str | None
    met: bool | None  # None: nothing to measure this month, or no target


def week_starts(start: dt.date, end: dt.date, today: dt.date) -> list[dt.date]:
    """The Mondays of the weeks (Monday–Sunday) that begin in ``[start, end)`` and have begun by ``today``: the weeks
    a month answers for (a week that began in the month before belongs to that month)."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    return [
        first + dt.timedelta(weeks=i)
        for i in range(6)
        if first + dt.timedelta(weeks=i) < end and first + dt.timedelta(weeks=i) <= today
    ]


def weeks_with(mondays: Sequence[dt.date], days: Collection[dt.date], at_least: int = 1) -> int:
    """How many of the weeks starting on ``mondays`` hold at least ``at_least`` of ``days`` (distinct days)."""
    return sum(1 for m in mondays if len({d for d in days if m <= d < m + dt.timedelta(days=7)}) >= at_least)


def checked_before(decided_on: dt.date, check_days: Sequence[dt.date], window_days: int) -> bool:
    """Whether one of ``check_days`` (sorted) lies in the ``window_days`` before ``decided_on``, that day included:
    the applicant was checked in the approval (逢批必查). A check after the decision does not count."""
    i = bisect.bisect_right(check_days, decided_on)
    return i > 0 and check_days[i - 1] >= decided_on - dt.timedelta(days=window_days)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class MonthFacts:
    """What the indicators are computed from."""

    dual_reported: int
    on_time: int
    received: int
    qualified: int
    cities_reporting: int
    cities_total: int
    packages: dict[str, int] = field(default_factory=dict)  # target name → packages for the month
    cases_published: int = 0
    cases_required: int = 0
    quarter_label: str = ""
    weeks_published: tuple[int, int] = (0, 0)  # weeks of the month with enough publication days, weeks begun
    commitment_matters: tuple[int, int] = (0, 0)  # licensing matters with a commitment route, licensing matters
    approval_commitments: int = 0  # commitments of the approval types decided in the month
    licences: int = 0  # licences decided in the month
    dual_by_domain: dict[str, tuple[int, int]] = field(default_factory=dict)  # 领域 → (on time, reported)
    unreported_numbers: int | None = None  # the year's decision numbers missing, not explained (疑似漏报)
    licences_checked: tuple[int, int] = (0, 0)  # licences of the month whose applicant was checked before, licences
    matters_checked: int = 0  # matters with at least one credit check in the month
    xinyi_family: str = ""  # the 信易+ family whose city coverage is measured (信易行); "": none
    xinyi_cities: tuple[int, int] = (0, 0)  # cities where it runs at the month's end, cities


def _domain_on_time(domain: str, target: float, facts: MonthFacts) -> Indicator:
    on_time, reported = facts.dual_by_domain.get(domain, (0, 0))
    value = rate(on_time, reported)
    return Indicator(
        f"dual_on_time_rate:{domain}",
        f"{domain}领域双公示信息 7 个工作日内上报率",
        f"{percent(value)}（{on_time}/{reported}）" if reported else percent(value),
        percent(target),
        None if value is None else value >= target,
    )


def _share(code: str, name: str, part: int, whole: int, goal: float | None) -> Indicator:
    """A rate shown with its count (``part/whole``) against an optional target; "—" when there is nothing to
    measure."""
    value = rate(part, whole)
    return Indicator(
        code,
        name,
        f"{percent(value)}（{part}/{whole}）" if whole else percent(value),
        None if goal is None else percent(goal),
        None if goal is None or value is None else value >= goal,
    )


def indicators(facts: MonthFacts, targets: IndicatorTargets) -> list[Indicator]:
    """The month's indicators against their targets."""
    on_time = rate(facts.on_time, facts.dual_reported)
    qualified = rate(facts.qualified, facts.received)
    coverage = rate(facts.cities_reporting, facts.cities_total)
    out = [
        Indicator(
            "dual_on_time_rate",
            "双公示信息 7 个工作日内上报率",
            percent(on_time),
            percent(targets.dual_on_time_rate),
            None if on_time is None else on_time >= targets.dual_on_time_rate,
        ),
        *(_domain_on_time(domain, target, facts) for domain, target in targets.domain_on_time_rates.items()),
        Indicator(
            "qualified_rate",
            "合格记录占比（数据项完整率超过阈值）",
            percent(qualified),
            None if targets.qualified_rate is None else percent(targets.qualified_rate),
            None if qualified is None or targets.qualified_rate is None else qualified >= targets.qualified_rate,
        ),
        Indicator(
            "city_coverage",
            "报送信用信息的地市覆盖率",
            f"{facts.cities_reporting}/{facts.cities_total}",
            percent(targets.city_coverage),
            None if coverage is None else coverage >= targets.city_coverage,
        ),
    ]
    for name, count in facts.packages.items():
        out.append(
            Indicator(f"exchange:{name}", f"向{name}报送月度数据", "已报送" if count else "未报送", "已报送", count > 0)
        )
    if targets.unreported_numbers is not None and facts.unreported_numbers is not None:
        out.append(
            Indicator(
                "unreported_numbers",
                "双公示决定文书号疑似漏报（本年度断号，未说明）",
                f"{facts.unreported_numbers} 个",
                f"不超过 {targets.unreported_numbers} 个",
                facts.unreported_numbers <= targets.unreported_numbers,
            )
        )
    checked, decided = facts.licences_checked
    out.append(
        _share(
            "check_coverage_rate",
            f"行政许可信用查询办率（作出决定前 {targets.check_window_days} 日内核查申请人）",
            checked,
            decided,
            targets.check_coverage_rate,
        )
    )
    out.append(
        Indicator(
            "checked_matters",
            "开展信用核查的事项数",
            f"{facts.matters_checked} 项",
            None if targets.checked_matters is None else f"≥ {targets.checked_matters} 项",
            None if targets.checked_matters is None else facts.matters_checked >= targets.checked_matters,
        )
    )
    weekly, weeks = facts.weeks_published
    if targets.publications_per_week is not None:
        n = targets.publications_per_week
        out.append(
            Indicator(
                "weekly_publication",
                f"每周至少 {n} 次主动公开信用信息",
                f"{weekly}/{weeks} 周",
                "每周",
                None if weeks == 0 else weekly == weeks,
            )
        )
    covered, licensing = facts.commitment_matters
    handled = rate(facts.approval_commitments, facts.licences)
    out += [  # seed 002 ranks provinces by these two; no threshold is set, so no target
        Indicator(
            "commitment_matter_share",
            "行政许可事项中适用告知承诺、容缺受理的事项占比",
            f"{percent(rate(covered, licensing))}（{covered}/{licensing}）",
            None,
            None,
        ),
        Indicator(
            "commitment_handling_share",
            "办理行政许可时运用告知承诺、容缺受理的数量占比",
            f"{percent(handled)}（{facts.approval_commitments}/{facts.licences}）",
            None,
            None,
        ),
    ]
    if facts.xinyi_family:
        running, cities = facts.xinyi_cities
        name = f"设区市“{facts.xinyi_family}”应用覆盖率"
        out.append(_share("xinyi_city_coverage", name, running, cities, targets.xinyi_city_coverage))
    out.append(
        Indicator(
            "cases_per_quarter",
            f"{facts.quarter_label}公开联合奖惩典型案例",
            f"{facts.cases_published} 个",
            f"≥ {facts.cases_required} 个",
            facts.cases_published >= facts.cases_required,
        )
    )
    return out
