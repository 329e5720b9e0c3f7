"""信用监测分析 (seed 004): trends, frequent problems (高发问题) and the 诚信地图 of a window of months, computed
from the platform's own records and lists for the credit office and the department's leadership.

- **Trend**: per month (China Standard Time, by decision date), the 行政处罚 decisions (and how many were serious),
  the 行政许可 decisions, and the red / black / watch list entries published; the last month against the month
  before (环比) and the same month a year earlier (同比). A month still under way is compared with the same days
  of those months (1st to today's day of the month), not with whole months.
- **高发问题**: the violation types (违法行为类型) with the most penalties in the window, how many were serious,
  and their tendency: the last ``compare_months`` against the months before (rules in ``trends.py``).
- **诚信地图**: per city (地市, by the subject's registered region), the subjects, the window's penalties per 1,000
  subjects, and the red- and black-listed subjects in publicity today, shaded by rate.

A domain (领域) narrows penalties, licences and list entries to that domain. Revoked records (撤销) are not
counted; corrected records count once (their current revision); repaired ones still count (the violation
happened, the repair ended its publicity). The records are read through their facts (``monitoring/facts.py``),
refreshed first in the caller's transaction: derived data only, no audit entry.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.catalog.loader import load_province
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, Actor
from transport_credit.common.cells import spreadsheet_text
from transport_credit.common.errors import InvalidInput
from transport_credit.db.base import utcnow
from transport_credit.identifiers.regions import region_name
from transport_credit.lists.models import ListEntry
from transport_credit.monitoring import facts, trends
from transport_credit.monitoring import report as rules
from transport_credit.monitoring.models import AnalysisDaily, AnalysisMonthly
from transport_credit.monitoring.trends import Change
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

PENALTY = facts.PENALTY
LIST_TYPES = ("black", "red", "watch")
OTHER_REGION = facts.OTHER_CITY
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
    """The analysis of the ``months`` months ending with ``end_month`` (YYYY-MM), optionally for one domain. The
    caller's transaction must be a writable unit of work: the facts of months whose records changed are rebuilt in
    it first (after the permission and input checks)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    cfg = trends.analysis_rules()
    window = trends.window_months(end_month, months or cfg.default_months, cfg)
    domains = _domains(session)
    domain = (domain or "").strip() or None
    if domain is not None and domain not in domains:
        raise InvalidInput(f"未知的领域「{domain}」；可选：{'、'.join(domains)}", code="unknown_domain")
    config = load_province(settings.province)
    facts.refresh(session, config.cities)
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
    hotspots, untyped = _hotspots(session, window, recent_from, earlier_from, domain, totals.penalties, cfg)
    regions = _regions(session, config.cities, config.map_tiles, window, domain, day, cfg.heat_levels)
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


def _decisions_by_day(session: Session, start: dt.date, end: dt.date, domain: str | None) -> dict[dt.date, list[int]]:
    """Decision date → [penalties, serious penalties, licences], from the daily facts."""
    D = AnalysisDaily
    conditions: list[Any] = [D.day >= start, D.day < end]
    if domain is not None:
        conditions.append(D.domain == domain)
    out: defaultdict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for category, day, serious, n in session.execute(
        select(D.category, D.day, D.serious, func.sum(D.records))
        .where(*conditions)
        .group_by(D.category, D.day, D.serious)
    ):
        figures = out[day]
        if category == PENALTY:
            figures[0] += int(n)
            if serious:
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


def _penalty_facts(session: Session, first: str, last: str, domain: str | None, *columns: Any) -> Any:
    """The monthly penalty facts of months ``first``..``last``, summed by ``columns``."""
    F = AnalysisMonthly
    conditions: list[Any] = [F.category == PENALTY, F.month >= first, F.month <= last]
    if domain is not None:
        conditions.append(F.domain == domain)
    return session.execute(select(*columns, func.sum(F.records)).where(*conditions).group_by(*columns))


def _hotspots(
    session: Session,
    window: list[str],
    recent_from: str,
    earlier_from: str,
    domain: str | None,
    total: int,
    cfg: trends.AnalysisRules,
) -> tuple[list[Hotspot], int]:
    """The most frequent violation types of the window, and the number of the window's penalties without one.
    The tendency's earlier period may begin before the window: the facts are read from its start, and the
    window's figures counted from the window's first month."""
    F = AnalysisMonthly
    first = min(window[0], earlier_from)
    sums: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # cases, serious, recent, earlier
    untyped = 0
    for dom, vt, month, serious, n in _penalty_facts(
        session, first, window[-1], domain, F.domain, F.violation_type, F.month, F.serious
    ):
        n = int(n)
        if month >= window[0] and not vt:
            untyped += n
        if not vt:
            continue
        figures = sums[(dom, vt)]
        if month >= window[0]:
            figures[0] += n
            if serious:
                figures[1] += n
        if month >= recent_from:
            figures[2] += n
        elif month >= earlier_from:
            figures[3] += n
    found = [(str(dom), str(vt), c, sv, r, e) for (dom, vt), (c, sv, r, e) in sums.items() if c]
    found.sort(key=lambda f: (-f[2], -f[3], f[1], f[0]))
    return [
        Hotspot(
            rank=i + 1,
            domain=dom or None,
            violation_type=vt,
            cases=cases,
            serious=serious,
            share=rules.rate(cases, total),
            recent=recent,
            earlier=earlier,
            tendency=trends.tendency(recent, earlier, cfg),
        )
        for i, (dom, vt, cases, serious, recent, earlier) in enumerate(found[: cfg.hotspot_top])
    ], untyped


def _regions(
    session: Session,
    cities: list[str],
    tiles: dict[str, tuple[int, int]],
    window: list[str],
    domain: str | None,
    today: dt.date,
    levels: int,
) -> list[RegionFigures]:
    """Per city (and one line for subjects outside the province's cities): subjects, penalties, listed subjects."""
    known = set(cities)
    memo: dict[str | None, str] = {}

    def city(region: str | None) -> str:
        return facts.city_key(region, known, memo)

    subjects: defaultdict[str, int] = defaultdict(int)
    for region, n in session.execute(select(Subject.region_code, func.count()).group_by(Subject.region_code)):
        subjects[city(region)] += int(n)
    F = AnalysisMonthly
    penalties: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for code, serious, n in _penalty_facts(session, window[0], window[-1], domain, F.city, F.serious):
        figures = penalties[code if code in known else OTHER_REGION]
        figures[0] += int(n)
        if serious:
            figures[1] += int(n)
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


# --- XLSX ---------------------------------------------------------------------------------------------------------


def to_xlsx(a: CreditAnalysis) -> bytes:
    """The analysis as a workbook: 概况, 趋势, 高发问题, 各地市 (the page's figures, for the leadership's reports)."""
    wb = Workbook()
    bold = Font(bold=True)
    scope = f"，领域：{a.domain}" if a.domain else ""
    ws = wb.active
    assert ws is not None
    ws.title = "概况"
    ws.append([f"{a.province}信用监测分析 {a.months[0]} 至 {a.end_month}（{len(a.months)} 个月{scope}）"])
    ws.append(["指标", a.end_month, "环比", "同比"])
    for h in a.headlines:
        ws.append([h.name, h.current, trends.change_text(h.month_on_month), trends.change_text(h.year_on_year)])
    if a.partial_month:
        ws.append([f"本月截至 {a.today.isoformat()}，环比、同比按同期（1 日至 {a.today.day} 日）比较"])
    ws.append([f"规则版本 {a.rules_version}"])
    trend = wb.create_sheet("趋势")
    trend.append(["月份", "行政处罚", "其中严重", "行政许可", "新列入黑名单", "新列入红名单", "新列入重点关注"])
    for p in [*a.trend, a.totals]:
        trend.append([p.month, p.penalties, p.serious, p.licences, p.black, p.red, p.watch])
    spots = wb.create_sheet("高发问题")
    spots.append(["排名", "领域", "违法行为类型", "处罚数", "占比", "严重失信", "近期", "前期", "趋势"])
    for spot in a.hotspots:
        share = None if spot.share is None else round(spot.share, 4)
        spots.append(
            [
                spot.rank,
                spreadsheet_text(spot.domain or ""),
                spreadsheet_text(spot.violation_type),
                spot.cases,
                share,
                spot.serious,
                spot.recent,
                spot.earlier,
                spot.tendency_label,
            ]
        )
    cities = wb.create_sheet("各地市")
    cities.append(["地市", "主体数", "行政处罚", "其中严重", "每千户处罚", "黑名单主体", "红名单主体"])
    for r in a.regions:
        rate = None if r.rate is None else round(r.rate, 1)
        cities.append([r.name, r.subjects, r.penalties, r.serious, rate, r.black, r.red])
    for sheet in wb.worksheets:
        for cell in sheet[1 if sheet.title != "概况" else 2]:
            cell.font = bold
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
