"""The monthly report (信用交通月报): collection, quality, use, handling and sharing of one month, by department
and by city, with the indicators of the 信用交通省 system. Grouped queries, one per source table."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from transport_credit.auth.models import Department
from transport_credit.campaigns.service import CampaignMonth, month_figures
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.service import active_catalog
from transport_credit.commitments import rules as commitment_rules
from transport_credit.commitments import service as commitment_service
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, Actor
from transport_credit.db.base import utcnow
from transport_credit.disclosure.rules import load_policy
from transport_credit.exchange import rules as exchange_rules
from transport_credit.exchange.models import ExchangePackage, ExchangeReceipt, ExchangeRejection
from transport_credit.identifiers.regions import region_name
from transport_credit.incentives import service as xinyi
from transport_credit.ingest.models import QuarantineRow
from transport_credit.lists.cases import published_in_quarter, quarter_of
from transport_credit.lists.models import CreditCheck, Effect, ListEntry, TypicalCase
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring import report as rules
from transport_credit.monitoring.coverage import measure as measure_coverage
from transport_credit.monitoring.gaps import number_gaps
from transport_credit.monitoring.report import Indicator, UnitFigures
from transport_credit.portal.models import PortalApplication, PortalContent
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings

DUAL_PUBLICITY = ("XZXK", "XZCF")


@dataclass(frozen=True)
class ApplicationFigures:
    received: int
    decided: int
    transferred: int  # of those received, transferred by other platforms (转办: 信用中国, 信用交通 …)
    decided_on_time: int
    open_overdue: int  # still open, and past their deadline at the month's end (today, for the current month)
    # Verification by the providing units (信息提供单位核实) of objections
    verified: int = 0  # findings reported in the month
    verified_on_time: int = 0
    # department name → objections awaiting its finding past the deadline at the month's end (for the 通报)
    verification_overdue: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ListFigures:
    listed: dict[str, int]  # list type → entries published in the month
    removed: dict[str, int]  # removal reason → entries that left a list in the month


@dataclass
class MonthlyReport:
    month: str
    start: dt.date
    end: dt.date  # exclusive
    province: str
    generated_at: dt.datetime
    totals: UnitFigures
    departments: list[UnitFigures]
    cities: list[UnitFigures]
    by_category: dict[str, int]
    applications: ApplicationFigures
    lists: ListFigures
    packages: dict[str, int]  # target name → packages generated for the month
    indicators: list[Indicator]
    category_names: dict[str, str] = field(default_factory=dict)
    xinyi_granted: dict[str, int] = field(default_factory=dict)  # 信易+ scenario → benefits granted in the month
    campaigns: list[CampaignMonth] = field(default_factory=list)  # 专项治理 under way in the month


def _qualified_expr(session: Session) -> Any:
    """1 when the record is a 合格记录 under its category's threshold (the catalog's, default 0.6)."""
    R = CreditRecord
    categories = active_catalog(session).categories()
    whens = [(R.category == c.code, R.quality_score > c.quality_threshold) for c in categories]
    return case(*[(and_(cond, above), 1) for cond, above in whens], else_=0)


def monthly_report(session: Session, actor: Actor, settings: Settings, month: str) -> MonthlyReport:
    """The report of ``month`` (YYYY-MM; the current month gives the figures so far)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    start, end = rules.month_bounds(month)
    t0, t1 = rules.utc_bounds(start, end)
    departments = list(session.scalars(select(Department).order_by(Department.code)))
    units = {d.code: UnitFigures(d.code, d.name) for d in departments}

    def unit(code: str) -> UnitFigures:
        return units.setdefault(code, UnitFigures(code, code))

    R = CreditRecord
    dual = and_(R.category.in_(DUAL_PUBLICITY), R.revision == 1, R.on_time.is_not(None))
    by_category: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(
            R.department_code,
            R.category,
            func.count(),
            func.sum(case((dual, 1), else_=0)),
            func.sum(case((and_(dual, R.on_time.is_(True)), 1), else_=0)),
            func.sum(_qualified_expr(session)),
        )
        .where(R.reported_at >= t0, R.reported_at < t1)
        .group_by(R.department_code, R.category)
    )
    for dept, category, n, dual_n, on_time_n, qualified_n in rows:
        u = unit(dept)
        u.received += int(n)
        u.dual_reported += int(dual_n or 0)
        u.on_time += int(on_time_n or 0)
        u.qualified += int(qualified_n or 0)
        by_category[category] += int(n)
    Q = QuarantineRow
    for dept, n in session.execute(
        select(Q.department_code, func.count()).where(Q.created_at >= t0, Q.created_at < t1).group_by(Q.department_code)
    ):
        unit(dept).rejected += int(n)
    X, XR = ExchangeRejection, ExchangeReceipt
    for dept, n in session.execute(
        select(X.department_code, func.count())
        .join(XR, XR.id == X.receipt_id)
        .where(XR.created_at >= t0, XR.created_at < t1)
        .group_by(X.department_code)
    ):
        unit(dept).returned += int(n)
    C = CreditCheck
    for dept, n in session.execute(
        select(C.department_code, func.count()).where(C.checked_at >= t0, C.checked_at < t1).group_by(C.department_code)
    ):
        unit(dept).checks += int(n)
    goals = rules.indicator_targets(settings.province)
    coverage = measure_coverage(session, start, end, goals.check_window_days)
    for dept, (checked, licensed) in coverage.by_department().items():
        unit(dept).licences += licensed
        unit(dept).licences_checked += checked
    E = Effect
    for dept, n in session.execute(
        select(E.department_code, func.count())
        .where(E.executed_on >= start, E.executed_on < end)
        .group_by(E.department_code)
    ):
        unit(dept).effects += int(n)

    numbers = number_gaps(session, actor, year=start.year)
    for sequence in numbers.sequences:
        unit(sequence.department_code).unreported += sequence.missing_count
    regions = {d.code: d.region_code for d in departments}
    totals = UnitFigures("total", "全省")
    for u in units.values():
        totals.add(u)
    config = load_province(settings.province)
    city_names = {c: region_name(c) or c for c in config.cities}
    cities = rules.ranked(rules.by_city([(regions.get(c, ""), u) for c, u in units.items()], city_names))
    reporting = {c.code for c in cities if c.received > 0}

    A = PortalApplication
    today = min(end - dt.timedelta(days=1), rules_today())
    decided_on = func.coalesce(A.decide_due, A.accept_due)
    on_time_decisions = 0
    for decided_at, due in session.execute(
        select(A.decided_at, decided_on).where(A.decided_at >= t0, A.decided_at < t1)
    ):
        if due is None or (decided_at is not None and decided_at.astimezone(rules.CST).date() <= due):
            on_time_decisions += 1
    verified = on_time_verified = 0
    for verified_at, verify_due in session.execute(
        select(A.verified_at, A.verify_due).where(A.verified_at >= t0, A.verified_at < t1)
    ):
        verified += 1
        if verify_due is None or (verified_at is not None and verified_at.astimezone(rules.CST).date() <= verify_due):
            on_time_verified += 1
    names = {d.code: d.name for d in departments}
    awaiting = session.execute(  # at the month's end: accepted by then, no finding by then, past its deadline
        select(A.verify_department, func.count())
        .where(
            A.verify_department.is_not(None),
            A.accepted_at < t1,
            or_(A.verified_at.is_(None), A.verified_at >= t1),
            A.verify_due < today,
        )
        .group_by(A.verify_department)
    )
    applications = ApplicationFigures(
        verified=verified,
        verified_on_time=on_time_verified,
        verification_overdue={names.get(str(d), str(d)): int(n) for d, n in awaiting},
        received=count_rows(session, A, A.submitted_at >= t0, A.submitted_at < t1),
        transferred=count_rows(session, A, A.submitted_at >= t0, A.submitted_at < t1, A.channel == "transfer"),
        decided=count_rows(session, A, A.decided_at >= t0, A.decided_at < t1),
        decided_on_time=on_time_decisions,
        open_overdue=count_rows(
            session,
            A,
            A.submitted_at < t1,
            case(
                (A.status == "received", A.accept_due < today),
                (A.status == "accepted", A.decide_due < today),
                else_=False,
            ),
        ),
    )
    L = ListEntry
    listed = dict(
        session.execute(
            select(L.list_type, func.count()).where(L.listed_at >= t0, L.listed_at < t1).group_by(L.list_type)
        ).all()
    )
    removed = dict(
        session.execute(
            select(L.removal_reason, func.count())
            .where(L.removed_at >= t0, L.removed_at < t1)
            .group_by(L.removal_reason)
        ).all()
    )
    targets = exchange_rules.targets(settings.province)
    P = ExchangePackage
    generated = dict(session.execute(select(P.target, func.count()).where(P.period == month).group_by(P.target)).all())
    packages = {t.name: int(generated.get(t.code, 0)) for t in targets.values()}
    year, quarter = quarter_of(start)
    cases = published_in_quarter(session, year, quarter)
    mondays = rules.week_starts(start, end, rules_today())
    per_week = goals.publications_per_week or 1
    weekly = rules.weeks_with(mondays, _publication_days(session, mondays), per_week) if mondays else 0
    commitment_list = commitment_rules.commitment_matters(settings.province)
    approval_commitments, licences = commitment_service.handling_counts(session, commitment_list, start, end)
    facts = rules.MonthFacts(
        dual_reported=totals.dual_reported,
        on_time=totals.on_time,
        received=totals.received,
        qualified=totals.qualified,
        cities_reporting=len(reporting & set(config.cities)),
        cities_total=len(config.cities),
        packages=packages,
        cases_published=cases,
        cases_required=list_rules(settings.province).cases.min_per_quarter,
        quarter_label=f"{year}年第{quarter}季度",
        weeks_published=(weekly, len(mondays)),
        commitment_matters=commitment_rules.licensing_matter_share(commitment_list, list_rules(settings.province)),
        approval_commitments=approval_commitments,
        licences=licences,
        dual_by_domain=_dual_by_domain(session, list(goals.domain_on_time_rates), t0, t1),
        unreported_numbers=numbers.missing if goals.unreported_numbers is not None else None,
        licences_checked=(totals.licences_checked, totals.licences),
        matters_checked=len(coverage.matter_checks),
        **_xinyi_facts(session, settings, today),
    )
    catalog = active_catalog(session)
    return MonthlyReport(
        month=f"{start:%Y-%m}",
        start=start,
        end=end,
        province=config.name,
        generated_at=utcnow(),
        totals=totals,
        departments=rules.ranked(u for u in units.values() if u.code in regions),
        cities=cities,
        by_category=dict(sorted(by_category.items())),
        applications=applications,
        lists=ListFigures({str(k): int(v) for k, v in listed.items()}, {str(k): int(v) for k, v in removed.items()}),
        packages=packages,
        indicators=rules.indicators(facts, goals),
        category_names={c.code: c.name for c in catalog.categories()},
        xinyi_granted={u.scenario.name: u.granted for u in xinyi.usage(session, settings, f"{start:%Y-%m}")},
        campaigns=month_figures(session, start, end, today),
    )


def _dual_by_domain(
    session: Session, domains: list[str], t0: dt.datetime, t1: dt.datetime
) -> dict[str, tuple[int, int]]:
    """领域 → (on time, reported) of the month's first reports of 双公示 decisions, for the domains with a target."""
    if not domains:
        return {}
    R = CreditRecord
    domain = R.data["domain"].as_string()
    rows = session.execute(
        select(domain, func.count(), func.sum(case((R.on_time.is_(True), 1), else_=0)))
        .where(
            R.category.in_(DUAL_PUBLICITY),
            R.revision == 1,
            R.on_time.is_not(None),
            R.reported_at >= t0,
            R.reported_at < t1,
            domain.in_(domains),
        )
        .group_by(domain)
    )
    return {str(d): (int(on_time or 0), int(n)) for d, n, on_time in rows}


def _publication_days(session: Session, mondays: list[dt.date]) -> set[dt.date]:
    """Days in the weeks of ``mondays`` on which the website published something: credit records of its public lists
    decided then (双公示, lists, commitments: reported for publication; read from the (category, decision date)
    index, without touching the rows), a policy, notice or 政务诚信 item, or a typical case."""
    first, last = mondays[0], mondays[-1] + dt.timedelta(days=7)
    R = CreditRecord
    days: set[dt.date] = set()
    for code in load_policy().public_list_categories():
        days.update(
            d
            for d in session.scalars(
                select(R.decision_date)
                .where(R.category == code, R.decision_date >= first, R.decision_date < last)
                .distinct()
            )
            if d is not None
        )
    C = PortalContent
    days.update(
        d
        for d in session.scalars(
            select(C.published_on).where(C.status == "published", C.published_on >= first, C.published_on < last)
        )
        if d is not None
    )
    T = TypicalCase
    t0 = dt.datetime.combine(first, dt.time(), tzinfo=rules.CST)
    t1 = dt.datetime.combine(last, dt.time(), tzinfo=rules.CST)
    for at in session.scalars(select(T.published_at).where(T.published_at >= t0, T.published_at < t1)):
        if at is not None:
            days.add(at.astimezone(rules.CST).date())
    return days


def rules_today() -> dt.date:
    return dt.datetime.now(rules.CST).date()


def count_rows(session: Session, model: Any, *conditions: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


# --- XLSX ---------------------------------------------------------------------------------------------------------

_UNIT_HEADERS = (
    "排名",
    "单位",
    "归集记录",
    "双公示首报",
    "7个工作日内上报",
    "按时上报率",
    "合格记录",
    "合格率",
    "拒收行",
    "被平台退回",
    "疑似漏报（本年度）",
    "信用核查",
    "许可决定",
    "决定前已核查",
    "查询办率",
    "成效反馈",
)


def _unit_row(u: UnitFigures) -> list[Any]:
    return [
        u.rank if u.rank is not None else "—",
        u.name,
        u.received,
        u.dual_reported,
        u.on_time,
        rules.percent(u.on_time_rate),
        u.qualified,
        rules.percent(u.qualified_rate),
        u.rejected,
        u.returned,
        u.unreported,
        u.checks,
        u.licences,
        u.licences_checked,
        rules.percent(u.check_rate),
        u.effects,
    ]


def to_xlsx(report: MonthlyReport) -> bytes:
    """The report as a workbook: indicators, cities, departments, and the month's other figures."""
    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    assert ws is not None
    ws.title = "指标"
    ws.append([f"{report.province}信用交通月报（{report.month}）"])
    ws.append(["指标", "本月", "目标", "达标"])
    for i in report.indicators:
        ws.append([i.name, i.value, i.target or "—", "—" if i.met is None else ("是" if i.met else "否")])
    for title, units in (("地市", report.cities), ("部门", report.departments)):
        sheet = wb.create_sheet(title)
        sheet.append(list(_UNIT_HEADERS))
        for u in units:
            sheet.append(_unit_row(u))
        sheet.append(_unit_row(report.totals))
    other = wb.create_sheet("其他")
    other.append(["项目", "数量"])
    for code, n in report.by_category.items():
        other.append([f"归集：{report.category_names.get(code, code)}", n])
    a = report.applications
    other.append(["异议与修复申请：收到", a.received])
    other.append(["异议与修复申请：其中转办", a.transferred])
    other.append(["异议与修复申请：办结", a.decided])
    other.append(["异议与修复申请：按期办结", a.decided_on_time])
    other.append(["异议与修复申请：逾期未办结", a.open_overdue])
    other.append(["异议核实：反馈", a.verified])
    other.append(["异议核实：按期反馈", a.verified_on_time])
    for name, n in a.verification_overdue.items():
        other.append([f"异议核实逾期未反馈：{name}", n])
    for kind, n in report.lists.listed.items():
        other.append([f"名单：新公布（{kind}）", n])
    for reason, n in report.lists.removed.items():
        other.append([f"名单：移出（{reason}）", n])
    for name, n in report.packages.items():
        other.append([f"共享交换：{name}", n])
    for name, n in report.xinyi_granted.items():
        other.append([f"信易+：{name}（给予优惠）", n])
    for c in report.campaigns:
        other.append([f"专项治理：{c.name}（治理对象）", c.targets])
        other.append([f"专项治理：{c.name}（本月处置措施）", c.actions])
        other.append([f"专项治理：{c.name}（本月整改销号）", c.finished])
        other.append([f"专项治理：{c.name}（整改逾期）", c.overdue])
    for sheet in wb.worksheets:
        for cell in sheet[1 if sheet.title != "指标" else 2]:
            cell.font = bold
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xinyi_facts(session: Session, settings: Settings, day: dt.date) -> dict[str, Any]:
    """The 信易+ family the report measures and the cities it covers on ``day`` (the month's end, or today)."""
    view = xinyi.coverage(session, settings, day=day)
    family = view.family(view.coverage_family) if view.coverage_family else None
    if family is None:
        return {}
    return {"xinyi_family": family.family.name, "xinyi_cities": (len(family.covered), family.total)}
