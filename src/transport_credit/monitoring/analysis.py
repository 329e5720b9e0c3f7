"""信用监测分析 (seed 004): trends, frequent problems (高发问题) and the 诚信地图 of a window of months, computed
from the platform's own records and lists for the credit office and the department's leadership.

- **Trend**: per month (China Standard Time, by decision date), the 行政处罚 decisions (and how many were serious),
  the 行政许可 decisions, and the red / black / watch list entries published; the last month against the month
  before (环比) and the same month a year earlier (同比). A month still under way is compared with the same days
  of those months (1st to today's day of the month), not with whole months.
- **高发问题**: the violation types (违法行为类型) with the most penalties in the window, the subjects they concern,
  and their tendency: the last ``compare_months`` against the months before (rules in ``trends.py``).
- **诚信地图**: per city (地市, by the subject's registered region), the subjects, the window's penalties per 1,000
  subjects, and the red- and black-listed subjects in publicity today, shaded by rate.

A domain (领域) narrows penalties, licences and list entries to that domain. Revoked records (撤销) are not
counted; corrected records count once (their current revision); repaired ones still count (the violation
happened, the repair ended its publicity). Read-only: no audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from transport_credit.catalog.loader import load_province
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, Actor
from transport_credit.common.errors import InvalidInput
from transport_credit.db.base import utcnow
from transport_credit.identifiers.regions import region_name
from transport_credit.lists.models import ListEntry
from transport_credit.monitoring import report as rules
from transport_credit.monitoring import trends
from transport_credit.monitoring.trends import Change
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

PENALTY = "XZCF"
LICENCE = "XZXK"
LIST_TYPES = ("black", "red", "watch")
OTHER_REGION = "other"
OTHER_REGION_NAME = "省外及地区不明"


@dataclass(frozen=True)
class MonthPoint:
    month: str
    penalties: int
    serious: int
    licences: int
    black: int  # list entries published in the month
    red: int
    watch: int


@dataclass(frozen=True)
class Hotspot:
    rank: int
    domain: str | None
    violation_type: str
    cases: int
    subjects: int
    serious: int
    share: float | None  # of the window's penalties
    recent: int  # cases in the last ``compare_months``
    earlier: int  # cases in the ``compare_months`` before
    tendency: str

    @property
    def tendency_label(self) -> str:
        return trends.TENDENCY_LABELS[self.tendency]


@dataclass(frozen=True)
class RegionFigures:
    code: str
    name: str
    subjects: int
    penalties: int
    serious: int
    black: int  # subjects on the black list in publicity today
    red: int
    rate: float | None  # penalties per 1,000 subjects
    level: int | None  # shade on the map, 0..heat_levels-1
    tile: tuple[int, int] | None  # (row, column) on the province's tile map, when configured


@dataclass(frozen=True)
class Headline:
    name: str
    current: int
    month_on_month: Change
    year_on_year: Change


@dataclass(frozen=True)
class CreditAnalysis:
    province: str
    end_month: str
    months: list[str]
    start: dt.date
    end: dt.date  # exclusive
    domain: str | None
    domains: list[str]  # the domains one can choose (catalog)
    trend: list[MonthPoint]
    headlines: list[Headline]  # 行政处罚, 其中严重, 行政许可 in the last month
    totals: MonthPoint  # the window's sums (month = "合计")
    hotspots: list[Hotspot]
    untyped_penalties: int  # penalties in the window without a violation type (a data-quality signal)
    recent_months: tuple[str, str]  # the periods a tendency compares (first month, last month)
    earlier_months: tuple[str, str]
    regions: list[RegionFigures]
    tiles: bool  # the province has a tile map
    heat_levels: int
    today: dt.date
    partial_month: bool  # the end month is under way: its changes compare the same days of the earlier months
    rules_version: str
    generated_at: dt.datetime


def credit_analysis(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    end_month: str,
    months: int | None = None,
    domain: str | None = None,
    today: dt.date | None = None,
) -> CreditAnalysis:
    """The analysis of the ``months`` months ending with ``end_month`` (YYYY-MM), optionally for one domain."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    cfg = trends.analysis_rules()
    window = trends.window_months(end_month, months or cfg.default_months, cfg)
    domains = _domains(session)
    domain = (domain or "").strip() or None
    if domain is not None and domain not in domains:
        raise InvalidInput(f"未知的领域「{domain}」；可选：{'、'.join(domains)}", code="unknown_domain")
    start = trends.month_start(window[0])
    end = rules.month_bounds(window[-1])[1]
    day = today or dt.datetime.now(rules.CST).date()

    # the decisions by month: the window, plus the year before its last month (同比) when that lies outside
    year_before = trends.shift_month(end_month, -12)
    counted_from = min(start, trends.month_start(year_before))
    by_day = _decisions_by_day(session, counted_from, end, domain)
    decisions = _sum_by_month(by_day)
    listed = _listed_by_month(session, start, end, domain)
    trend = [
        MonthPoint(
            m,
            decisions[m][0],
            decisions[m][1],
            decisions[m][2],
            listed[m]["black"],
            listed[m]["red"],
            listed[m]["watch"],
        )
        for m in window
    ]
    totals = MonthPoint(
        "合计",
        sum(p.penalties for p in trend),
        sum(p.serious for p in trend),
        sum(p.licences for p in trend),
        sum(p.black for p in trend),
        sum(p.red for p in trend),
        sum(p.watch for p in trend),
    )
    before = trends.shift_month(end_month, -1)
    partial = day.day if f"{day:%Y-%m}" == end_month else None  # the month under way: compare the same days
    month_now = _sum_month(by_day, end_month, partial)
    month_before = _sum_month(by_day, before, partial)
    year_ago = _sum_month(by_day, year_before, partial)
    headlines = [
        Headline(name, month_now[i], Change(month_now[i], month_before[i]), Change(month_now[i], year_ago[i]))
        for i, name in enumerate(("行政处罚", "其中严重失信", "行政许可"))
    ]

    recent_from = trends.shift_month(end_month, -(cfg.compare_months - 1))
    earlier_from = trends.shift_month(end_month, -(2 * cfg.compare_months - 1))
    earlier_to = trends.shift_month(end_month, -cfg.compare_months)
    hotspots, untyped = _hotspots(
        session,
        start,
        end,
        trends.month_start(recent_from),
        trends.month_start(earlier_from),
        domain,
        totals.penalties,
        cfg,
    )
    config = load_province(settings.province)
    regions = _regions(session, config.cities, config.map_tiles, start, end, domain, day, cfg.heat_levels)
    return CreditAnalysis(
        province=config.name,
        end_month=end_month,
        months=window,
        start=start,
        end=end,
        domain=domain,
        domains=domains,
        trend=trend,
        headlines=headlines,
        totals=totals,
        hotspots=hotspots,
        untyped_penalties=untyped,
        recent_months=(recent_from, end_month),
        earlier_months=(earlier_from, earlier_to),
        regions=regions,
        tiles=bool(config.map_tiles),
        heat_levels=cfg.heat_levels,
        today=day,
        partial_month=partial is not None,
        rules_version=cfg.version,
        generated_at=utcnow(),
    )


def _domains(session: Session) -> list[str]:
    catalog = active_catalog(session)
    if not catalog.has_category(PENALTY):
        return []
    return [d.name for d in catalog.category(PENALTY).domains]


def _counted(domain: str | None) -> list[Any]:
    """The records an analysis counts: current revisions, not revoked, of the domain when one is chosen."""
    R = CreditRecord
    conditions: list[Any] = [R.is_current.is_(True), R.status != "revoked"]
    if domain is not None:
        conditions.append(R.data["domain"].as_string() == domain)
    return conditions


def _decisions_by_day(session: Session, start: dt.date, end: dt.date, domain: str | None) -> dict[dt.date, list[int]]:
    """Decision date → [penalties, serious penalties, licences], from one grouped query (dialect-neutral: the
    months are summed here)."""
    R = CreditRecord
    out: defaultdict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = session.execute(
        select(R.category, R.decision_date, R.severity, func.count())
        .where(
            R.category.in_((PENALTY, LICENCE)),
            R.decision_date >= start,
            R.decision_date < end,
            *_counted(domain),
        )
        .group_by(R.category, R.decision_date, R.severity)
    )
    for category, day, severity, n in rows:
        if day is None:  # not reached: the query bounds the decision date
            continue
        figures = out[day]
        if category == PENALTY:
            figures[0] += int(n)
            if severity == "serious":
                figures[1] += int(n)
        else:
            figures[2] += int(n)
    return out


def _sum_by_month(by_day: dict[dt.date, list[int]]) -> defaultdict[str, list[int]]:
    out: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, figures in by_day.items():
        month = out[f"{day:%Y-%m}"]
        for i, n in enumerate(figures):
            month[i] += n
    return out


def _sum_month(by_day: dict[dt.date, list[int]], month: str, through_day: int | None) -> list[int]:
    """A month's figures, or only those of its days 1..``through_day`` (the same days as a month under way)."""
    first = trends.month_start(month)
    total = [0, 0, 0]
    for day, figures in by_day.items():
        if (day.year, day.month) == (first.year, first.month) and (through_day is None or day.day <= through_day):
            for i, n in enumerate(figures):
                total[i] += n
    return total


def _listed_by_month(
    session: Session, start: dt.date, end: dt.date, domain: str | None
) -> defaultdict[str, dict[str, int]]:
    """Month (CST) → list type → entries published in it."""
    L = ListEntry
    t0, t1 = rules.utc_bounds(start, end)
    conditions: list[Any] = [L.listed_at >= t0, L.listed_at < t1, L.list_type.in_(LIST_TYPES)]
    if domain is not None:
        conditions.append(L.domain == domain)
    out: defaultdict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LIST_TYPES, 0))
    for listed_at, list_type in session.execute(select(L.listed_at, L.list_type).where(*conditions)):
        if listed_at is not None:
            out[f"{listed_at.astimezone(rules.CST):%Y-%m}"][list_type] += 1
    return out


def _hotspots(
    session: Session,
    start: dt.date,
    end: dt.date,
    recent_from: dt.date,
    earlier_from: dt.date,
    domain: str | None,
    total: int,
    cfg: trends.AnalysisRules,
) -> tuple[list[Hotspot], int]:
    """The most frequent violation types of the window, and the number of the window's penalties without one.
    The tendency's earlier period may begin before the window: the query reaches back to it, and counts the
    window's figures only from the window's start."""
    R = CreditRecord
    in_window = R.decision_date >= start
    rows = session.execute(
        select(  # grouped by the labels: PostgreSQL does not match two ``data ->> %(param)s`` as one expression
            R.data["domain"].as_string().label("domain_name"),
            R.data["violation_type"].as_string().label("violation_type"),
            func.sum(case((in_window, 1), else_=0)),
            func.count(func.distinct(case((in_window, R.subject_id), else_=None))),
            func.sum(case((and_(in_window, R.severity == "serious"), 1), else_=0)),
            func.sum(case((R.decision_date >= recent_from, 1), else_=0)),
            func.sum(case((and_(R.decision_date >= earlier_from, R.decision_date < recent_from), 1), else_=0)),
        )
        .where(
            R.category == PENALTY,
            R.decision_date >= min(start, earlier_from),
            R.decision_date < end,
            *_counted(domain),
        )
        .group_by("domain_name", "violation_type")
    ).all()
    untyped = 0
    found: list[tuple[str | None, str, int, int, int, int, int]] = []
    for dom, vt, cases, subjects, serious, recent, earlier in rows:
        cases = int(cases or 0)
        name = (vt or "").strip()
        if not name:
            untyped += cases
        elif cases:
            found.append((dom, name, cases, int(subjects or 0), int(serious or 0), int(recent or 0), int(earlier or 0)))
    found.sort(key=lambda f: (-f[2], -f[4], f[1], f[0] or ""))
    return [
        Hotspot(
            rank=i + 1,
            domain=dom,
            violation_type=name,
            cases=cases,
            subjects=subjects,
            serious=serious,
            share=rules.rate(cases, total),
            recent=recent,
            earlier=earlier,
            tendency=trends.tendency(recent, earlier, cfg),
        )
        for i, (dom, name, cases, subjects, serious, recent, earlier) in enumerate(found[: cfg.hotspot_top])
    ], untyped


def _regions(
    session: Session,
    cities: list[str],
    tiles: dict[str, tuple[int, int]],
    start: dt.date,
    end: dt.date,
    domain: str | None,
    today: dt.date,
    levels: int,
) -> list[RegionFigures]:
    """Per city (and one line for subjects outside the province's cities): subjects, penalties, listed subjects."""
    known = set(cities)
    city_memo: dict[str | None, str] = {}

    def city(region: str | None) -> str:
        if region not in city_memo:
            c = rules.city_of(region) if region else None
            city_memo[region] = c if c in known else OTHER_REGION
        return city_memo[region]

    subjects: defaultdict[str, int] = defaultdict(int)
    for region, n in session.execute(select(Subject.region_code, func.count()).group_by(Subject.region_code)):
        subjects[city(region)] += int(n)
    R = CreditRecord
    penalties: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for region, n, serious in session.execute(
        select(Subject.region_code, func.count(), func.sum(case((R.severity == "serious", 1), else_=0)))
        .select_from(R)
        .join(Subject, Subject.id == R.subject_id)
        .where(R.category == PENALTY, R.decision_date >= start, R.decision_date < end, *_counted(domain))
        .group_by(Subject.region_code)
    ):
        figures = penalties[city(region)]
        figures[0] += int(n)
        figures[1] += int(serious or 0)
    L = ListEntry
    listed_conditions: list[Any] = [
        L.state == "listed",
        L.list_type.in_(("black", "red")),
        L.valid_from <= today,
        L.valid_until >= today,
    ]
    if domain is not None:
        listed_conditions.append(L.domain == domain)
    listed: defaultdict[str, dict[str, set[int]]] = defaultdict(lambda: {"black": set(), "red": set()})
    for region, list_type, subject_id in session.execute(
        select(Subject.region_code, L.list_type, L.subject_id)
        .select_from(L)
        .join(Subject, Subject.id == L.subject_id)
        .where(*listed_conditions)
        .distinct()
    ):
        listed[city(region)][list_type].add(int(subject_id))
    codes = list(cities)
    if subjects[OTHER_REGION] or penalties[OTHER_REGION][0] or any(listed[OTHER_REGION].values()):
        codes.append(OTHER_REGION)
    rates = [trends.per_thousand(penalties[c][0], subjects[c]) for c in codes]
    shades = trends.heat_levels([r if c != OTHER_REGION else None for c, r in zip(codes, rates, strict=True)], levels)
    return [
        RegionFigures(
            code=c,
            name=OTHER_REGION_NAME if c == OTHER_REGION else region_name(c) or c,
            subjects=subjects[c],
            penalties=penalties[c][0],
            serious=penalties[c][1],
            black=len(listed[c]["black"]),
            red=len(listed[c]["red"]),
            rate=rate,
            level=shade,
            tile=tiles.get(c),
        )
        for c, rate, shade in zip(codes, rates, shades, strict=True)
    ]
