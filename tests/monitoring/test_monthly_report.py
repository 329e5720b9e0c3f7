"""The monthly report (信用交通月报) on the real database: figures per department and city from records imported
through the real pipeline, checks, applications and packages; rankings; indicators; the XLSX; the rules' tables."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lists"))

from ingest_kit import ZFJ, days_ago, import_table, penalty_row
from lists_kit import OFFICE, OFFICER, VIEWER, uscc

from transport_credit.auth.models import Department
from transport_credit.bootstrap import initialize
from transport_credit.common.actor import ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import InvalidInput, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.exchange import service as exchange
from transport_credit.lists import checks
from transport_credit.monitoring import report as rules
from transport_credit.monitoring import service
from transport_credit.monitoring.report import UnitFigures
from transport_credit.portal import service as portal
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings

ZHENGZHOU = "410100-jtj"


def _on(day: dt.date) -> str:
    return day.strftime("%Y/%m/%d")


@pytest.fixture
def month(db: Database, settings: Settings, tmp_path: Path) -> str:
    """执法局 (province level) reports two decisions in time and one late; 郑州 reports one in time."""
    initialize(db, settings)
    recent, late = days_ago(1), days_ago(40)
    rows = [
        penalty_row(1, decision_date=_on(recent)),
        penalty_row(2, decision_date=_on(recent)),
        penalty_row(3, decision_date=_on(late)),
    ]
    import_table(db, settings, tmp_path / "zfj.csv", rows)
    import_table(db, settings, tmp_path / "zz.csv", [penalty_row(4, decision_date=_on(recent))], department=ZHENGZHOU)
    with db.unit_of_work() as s:
        checks.run_check(
            s, OFFICE, settings, subject_code=uscc(1), matter_code="XK-DLYS-JY", department_code="410000-ysj"
        )
    with db.read() as s:
        reported = s.scalar(select(func.max(CreditRecord.reported_at)))
    assert reported is not None
    return f"{reported.astimezone(rules.CST):%Y-%m}"


def test_figures_by_department_and_city(db: Database, settings: Settings, month: str) -> None:
    with db.read() as s:
        report = service.monthly_report(s, VIEWER, settings, month)
        stored = s.execute(select(CreditRecord.department_code, CreditRecord.quality_score, CreditRecord.on_time)).all()
    units = {u.code: u for u in report.departments}
    zfj, zz = units[ZFJ], units[ZHENGZHOU]
    assert (zfj.received, zfj.dual_reported, zfj.on_time) == (3, 3, 2)
    assert (zz.received, zz.dual_reported, zz.on_time) == (1, 1, 1)
    # the late decision is the one the import flagged late; qualified as the import scored them
    assert sorted(o for d, _, o in stored if d == ZFJ) == [False, True, True]
    assert zfj.qualified == sum(1 for d, q, _ in stored if d == ZFJ and q > 0.6)
    assert (zz.rank, zfj.rank) == (1, 2)  # 100% before 66.7%
    assert units["410000-ysj"].checks == 1
    assert units["410000-ysj"].rank is None  # received nothing: not ranked
    assert report.departments[0].code == ZHENGZHOU
    cities = {c.code: c for c in report.cities}
    assert cities["410100"].name == "郑州市"
    assert cities["410100"].received == 1
    assert cities[rules.PROVINCE_LEVEL].received == 3
    assert (report.totals.received, report.totals.dual_reported, report.totals.on_time) == (4, 4, 3)
    assert report.by_category == {"XZCF": 4}
    indicators = {i.code: i for i in report.indicators}
    assert (indicators["dual_on_time_rate"].value, indicators["dual_on_time_rate"].met) == ("75.0%", False)
    assert indicators["city_coverage"].value == "1/18"
    assert indicators["qualified_rate"].target is None
    assert indicators["exchange:全国交通运输信用信息共享平台"].met is False
    assert indicators["cases_per_quarter"].met is False  # none published


def test_sharing_and_an_empty_month(db: Database, settings: Settings, month: str, tmp_path: Path) -> None:
    with db.unit_of_work() as s:
        exchange.export_package(
            s, OFFICE, settings, "ministry", out_dir=tmp_path, today=dt.date.fromisoformat(month + "-15")
        )
    with db.read() as s:
        report = service.monthly_report(s, OFFICE, settings, month)
        empty = service.monthly_report(s, OFFICE, settings, "2020-02")
    indicators = {i.code: i for i in report.indicators}
    assert indicators["exchange:全国交通运输信用信息共享平台"].value == "已报送"
    assert indicators["exchange:省公共信用信息平台"].value == "未报送"
    assert empty.totals.received == 0
    assert {i.code: i.met for i in empty.indicators}["dual_on_time_rate"] is None  # nothing to measure
    assert {i.code: i.value for i in empty.indicators}["dual_on_time_rate"] == "—"
    assert all(u.rank is None for u in empty.departments)


def test_records_sent_back_by_the_receiving_platforms(
    db: Database, settings: Settings, month: str, tmp_path: Path
) -> None:
    """The month's receipts count per department (被平台退回), in the page's table and the workbook."""
    from python_calamine import CalamineWorkbook

    from transport_credit.exchange import receipts

    with db.unit_of_work() as s:
        package = exchange.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path)
        zfj_ids = s.scalars(select(CreditRecord.id).where(CreditRecord.department_code == ZFJ)).all()
    assert package.rows == 4
    receipt = tmp_path / "receipt.csv"
    receipt.write_text(
        "记录编号,处理结果,原因\n" + "".join(f"{rid},退回,缺少处罚依据\n" for rid in zfj_ids[:2]), encoding="utf-8"
    )
    with db.unit_of_work() as s:
        receipts.import_receipt(s, OFFICE, settings, target="ministry", sequence=1, path=receipt)
    with db.read() as s:
        report = service.monthly_report(s, VIEWER, settings, month)
        earlier = service.monthly_report(s, VIEWER, settings, "2020-02")
    units = {u.code: u for u in report.departments}
    assert (units[ZFJ].returned, units[ZHENGZHOU].returned, report.totals.returned) == (2, 0, 2)
    assert {c.code: c.returned for c in report.cities}[rules.PROVINCE_LEVEL] == 2
    assert earlier.totals.returned == 0
    book = CalamineWorkbook.from_filelike(io.BytesIO(service.to_xlsx(report)))
    departments = book.get_sheet_by_name("部门").to_python()
    column = departments[0].index("被平台退回")
    assert [row[column] for row in departments if row[1] == "全省"] == [2]


def test_the_workbook(db: Database, settings: Settings, month: str) -> None:
    from python_calamine import CalamineWorkbook

    with db.read() as s:
        report = service.monthly_report(s, OFFICE, settings, month)
    book = CalamineWorkbook.from_filelike(io.BytesIO(service.to_xlsx(report)))
    assert book.sheet_names == ["指标", "地市", "部门", "其他"]
    first = book.get_sheet_by_name("指标").to_python()
    assert month in first[0][0]
    assert first[2] == ["双公示信息 7 个工作日内上报率", "75.0%", "100.0%", "否"]
    departments = book.get_sheet_by_name("部门").to_python()
    assert departments[1][:6] == [1, "郑州市交通运输局", 1, 1, 1, "100.0%"]
    assert departments[-1][1] == "全省"


def test_access_and_input(db: Database, settings: Settings) -> None:
    initialize(db, settings)
    with db.read() as s, pytest.raises(PermissionDenied):
        service.monthly_report(s, OFFICER, settings, "2026-10")
    for bad in ("2026-13", "26-10", "2026/10", "", "1999-12"):
        with db.read() as s, pytest.raises(InvalidInput) as exc:
            service.monthly_report(s, OFFICE, settings, bad)
        assert exc.value.code == "invalid_month"


@pytest.mark.parametrize(
    ("region", "city"),
    [
        ("410100", "410100"),  # a city
        ("410102", "410100"),  # a district of it
        ("419001", "419001"),  # 济源: county-level, administered by the province
        ("410000", None),  # the province
        ("410199", "410100"),  # not in the table: by its digits
    ],
)
def test_city_of(region: str, city: str | None) -> None:
    assert rules.city_of(region) == city


def _unit(code: str, received: int, dual: int, on_time: int, qualified: int) -> UnitFigures:
    return UnitFigures(code, code, received=received, dual_reported=dual, on_time=on_time, qualified=qualified)


def test_ranking() -> None:
    units = [
        _unit("a", 10, 10, 9, 10),  # 90% on time
        _unit("b", 10, 10, 10, 5),  # 100%, 50% qualified
        _unit("c", 20, 10, 10, 5),  # 100%, 25% qualified
        _unit("d", 10, 10, 10, 5),  # same rates as b: same rank
        _unit("e", 0, 0, 0, 0),  # nothing received: unranked, last
        _unit("f", 5, 0, 0, 5),  # no 双公示 to measure: after every measured unit
    ]
    ordered = rules.ranked(units)
    assert [(u.code, u.rank) for u in ordered] == [("b", 1), ("d", 1), ("c", 3), ("a", 4), ("f", 5), ("e", None)]


@pytest.mark.parametrize(
    ("part", "whole", "shown"), [(0, 0, "—"), (0, 5, "0.0%"), (3, 4, "75.0%"), (2, 3, "66.7%"), (5, 5, "100.0%")]
)
def test_rates_as_shown(part: int, whole: int, shown: str) -> None:
    assert rules.percent(rules.rate(part, whole)) == shown


def test_console_page_and_command_line(
    db: Database, settings: Settings, month: str, tmp_path: Path, cheap_hashing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, login

    from transport_credit.auth import service as auth
    from transport_credit.cli.main import app as cli
    from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
    from transport_credit.server import create_app
    from transport_credit.settings import get_settings

    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        login(client, MANAGER)
        page = client.get("/console/report", params={"month": month})
        assert page.status_code == 200
        assert f"信用交通月报 · {month}" in page.text
        assert "75.0%" in page.text
        assert "郑州市交通运输局" in page.text
        assert f'href="/console/analysis?end_month={month}"' in page.text  # the month's trend and problems
        xlsx = client.get("/console/report/xlsx", params={"month": month})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert xlsx.content[:2] == b"PK"
        assert client.get("/console/report", params={"month": "2026-13"}).status_code == 422
        assert client.get("/console/report", params={"month": "x"}).status_code == 422
        login(client, OFFICER)
        assert client.get("/console/report").status_code == 403

    monkeypatch.setenv("TRANSPORT_CREDIT_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TRANSPORT_CREDIT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRANSPORT_CREDIT_PII_KEY", settings.pii_key.get_secret_value())
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out_file = tmp_path / "report.xlsx"
        result = runner.invoke(cli, ["report", "monthly", "--month", month, "--json", "--xlsx", str(out_file)])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["totals"]["on_time_rate"] == 0.75
        assert data["cities"][0]["name"] == "郑州市"
        assert out_file.read_bytes()[:2] == b"PK"
        bad = runner.invoke(cli, ["report", "monthly", "--month", "2026-13"])
        assert bad.exit_code == 1
        assert "月份格式应为" in bad.output
    finally:
        get_settings.cache_clear()


def test_verification_by_the_providing_units(db: Database, settings: Settings, month: str) -> None:
    """异议核实 in the month: findings reported (and on time), and the units whose findings are overdue, by name."""

    with db.read() as s:
        records = {r.department_code: (r.id, r.subject_id) for r in s.scalars(select(CreditRecord))}
        zfj_name = s.scalar(select(Department.name).where(Department.code == ZFJ))
    for dept, accepted_on in ((ZFJ, days_ago(30)), (ZHENGZHOU, days_ago(0))):
        record_id, subject_id = records[dept]
        with db.unit_of_work() as s:
            app = portal.submit_application(
                s,
                settings,
                portal.ApplicationInput(
                    kind="objection",
                    subject_id=subject_id,
                    record_id=record_id,
                    applicant_name="赵经理",
                    contact="13812345678",
                    reason="处罚决定书记载的车牌号有误。",
                ),
                today=accepted_on,
            )
            portal.accept_application(s, OFFICE, settings, app.id, today=accepted_on)
            if dept == ZHENGZHOU:
                unit = Actor("郑州报送员", "account", department_code=ZHENGZHOU, roles=frozenset({ROLE_DATA_OFFICER}))
                portal.submit_verification(s, unit, app.id, finding="accurate", note="经核对执法文书，信息无误。")
    with db.read() as s:
        report = service.monthly_report(s, VIEWER, settings, month)
    a = report.applications
    assert (a.verified, a.verified_on_time) == (1, 1)
    assert a.verification_overdue == {zfj_name: 1}  # accepted 30 days ago: due five working days later
    other = load_workbook(io.BytesIO(service.to_xlsx(report)))["其他"]
    cells = {row[0]: row[1] for row in other.iter_rows(values_only=True)}
    assert cells[f"异议核实逾期未反馈：{zfj_name}"] == 1
    assert cells["异议核实：按期反馈"] == 1


D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "today", "mondays"),
    [
        (
            D(2026, 9, 1),
            D(2026, 10, 1),
            D(2026, 11, 25),
            [D(2026, 9, 7), D(2026, 9, 14), D(2026, 9, 21), D(2026, 9, 28)],
        ),
        (D(2026, 6, 1), D(2026, 7, 1), D(2026, 11, 25), [D(2026, 6, d) for d in (1, 8, 15, 22, 29)]),  # a Monday 1st
        (D(2026, 11, 1), D(2026, 12, 1), D(2026, 11, 25), [D(2026, 11, d) for d in (2, 9, 16, 23)]),  # under way
        (D(2026, 11, 1), D(2026, 12, 1), D(2026, 11, 8), [D(2026, 11, 2)]),  # only weeks begun
        (D(2026, 12, 1), D(2027, 1, 1), D(2026, 12, 1), []),  # the week of Nov 30 is November's
    ],
)
def test_the_weeks_a_month_answers_for(start: D, end: D, today: D, mondays: list[D]) -> None:
    assert rules.week_starts(start, end, today) == mondays


@pytest.mark.parametrize(
    ("days", "covered"),
    [
        ([], 0),
        ([D(2026, 9, 7)], 1),  # a Monday counts for its week
        ([D(2026, 9, 13)], 1),  # a Sunday too
        ([D(2026, 9, 6), D(2026, 10, 5)], 0),  # before the first week, after the last
        ([D(2026, 9, 8), D(2026, 9, 9), D(2026, 9, 22), D(2026, 10, 4)], 3),
    ],
)
def test_weeks_with_a_publication(days: list[D], covered: int) -> None:
    mondays = rules.week_starts(D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 25))
    assert rules.weeks_with(mondays, days) == covered


@pytest.mark.parametrize(
    ("days", "at_least", "covered"),
    [
        ([D(2026, 9, 8), D(2026, 9, 9), D(2026, 9, 22)], 2, 1),  # two days in the week of the 7th only
        ([D(2026, 9, 8), D(2026, 9, 8), D(2026, 9, 22)], 2, 0),  # the same day twice is one day
        ([D(2026, 9, 8), D(2026, 9, 9), D(2026, 9, 22)], 1, 2),
    ],
)
def test_weeks_with_several_publication_days(days: list[D], at_least: int, covered: int) -> None:
    mondays = rules.week_starts(D(2026, 9, 1), D(2026, 10, 1), D(2026, 11, 25))
    assert rules.weeks_with(mondays, days, at_least) == covered


def test_weekly_publication_from_records_and_content(db: Database, settings: Settings, tmp_path: Path) -> None:
    """September 2026: penalties decided in the week of the 7th, a notice published in the week of the 21st, a
    draft (not published) in the week of the 14th: 2 of 4 weeks. The month under way counts a typical case
    published today in this week."""
    from transport_credit.lists import cases

    initialize(db, settings)
    rows = [penalty_row(n, decision_date="2026/09/08") for n in (1, 2)]
    import_table(db, settings, tmp_path / "sept.csv", rows)
    with db.unit_of_work() as s:
        notice = portal.ContentInput(kind="notice", title="九月公告", body="公告正文", published_on=D(2026, 9, 22))
        portal.create_content(s, OFFICE, notice, publish=True)
        draft = portal.ContentInput(kind="integrity", title="草稿", body="草稿正文", published_on=D(2026, 9, 15))
        portal.create_content(s, OFFICE, draft)
    with db.read() as s:
        sept = {i.code: i for i in service.monthly_report(s, VIEWER, settings, "2026-09").indicators}
    assert (sept["weekly_publication"].value, sept["weekly_publication"].met) == ("2/4 周", False)
    with db.unit_of_work() as s:
        case = cases.draft_case(
            s, OFFICE, title="典型案例", summary="案例摘要内容", body="案例正文内容" * 5, kind="punishment"
        )
        cases.publish_case(s, OFFICE, case.id)
    today = service.rules_today()
    month = f"{today:%Y-%m}"
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    mondays = rules.week_starts(start, end, today)
    this_week = today - dt.timedelta(days=today.weekday())
    with db.read() as s:
        now = {i.code: i for i in service.monthly_report(s, VIEWER, settings, month).indicators}
    assert now["weekly_publication"].value == f"{int(this_week in mondays)}/{len(mondays)} 周"


_DEFAULT = "kind: monitoring_indicators\nversion: '2026.1'\ndual_on_time_rate: 1.0\ncity_coverage: 1.0\n"
_ZHEJIANG = (
    "kind: monitoring_indicators\nversion: '2026.2'\nprovince: zhejiang\ndual_on_time_rate: 0.7\nqualified_rate: 0.8\n"
    "city_coverage: 1.0\ndomain_on_time_rates: {道路运输: 0.8, 水路运输: 0.8}\n"
)


def test_a_province_sets_its_own_targets(tmp_path: Path) -> None:
    """Seed 004 (浙江): 数据合格率 80%, 及时率 70%, 道路运输 and 水路运输 80%; other provinces keep the default."""
    (tmp_path / "indicators.yaml").write_text(_DEFAULT, encoding="utf-8")
    (tmp_path / "indicators-zhejiang.yaml").write_text(_ZHEJIANG, encoding="utf-8")
    own = rules.load_indicator_targets(tmp_path, "zhejiang")
    assert (own.dual_on_time_rate, own.qualified_rate) == (0.7, 0.8)
    assert own.domain_on_time_rates == {"道路运输": 0.8, "水路运输": 0.8}
    default = rules.load_indicator_targets(tmp_path, "henan")
    assert (default.dual_on_time_rate, default.domain_on_time_rates) == (1.0, {})
    (tmp_path / "indicators-bad.yaml").write_text(
        _ZHEJIANG.replace("province: zhejiang", "province: x").replace("水路运输: 0.8", "水路运输: 80"),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        rules.load_indicator_targets(tmp_path, "zhejiang")
    assert caught.value.code == "indicators_invalid"
    assert "indicators-bad.yaml" in caught.value.message


def test_the_shipped_targets_load() -> None:
    shipped = rules.indicator_targets("henan")
    assert (shipped.province, shipped.dual_on_time_rate, shipped.domain_on_time_rates) == (None, 1.0, {})
    assert shipped.publications_per_week == 1


@pytest.mark.parametrize(
    ("per_week", "weeks", "name", "met"),
    [
        (1, (4, 4), "每周至少 1 次主动公开信用信息", True),
        (2, (3, 4), "每周至少 2 次主动公开信用信息", False),
        (1, (0, 0), "每周至少 1 次主动公开信用信息", None),  # no week begun yet
        (None, (4, 4), None, None),  # a province without the indicator
    ],
)
def test_weekly_publication_indicator(
    per_week: int | None, weeks: tuple[int, int], name: str | None, met: bool | None
) -> None:
    targets = rules.IndicatorTargets.model_validate(
        {
            "kind": "monitoring_indicators",
            "version": "1",
            "dual_on_time_rate": 1,
            "city_coverage": 1,
            "publications_per_week": per_week,
        }
    )
    facts = rules.MonthFacts(10, 10, 10, 10, 1, 1, weeks_published=weeks)
    found = {i.code: i for i in rules.indicators(facts, targets)}.get("weekly_publication")
    if name is None:
        assert found is None
        return
    assert found is not None
    assert (found.name, found.value, found.met) == (name, f"{weeks[0]}/{weeks[1]} 周", met)


@pytest.mark.parametrize(
    ("by_domain", "value", "met"),
    [
        ({"道路运输": (8, 10)}, "80.0%（8/10）", True),
        ({"道路运输": (7, 10)}, "70.0%（7/10）", False),
        ({}, "—", None),  # no decisions of the domain this month: nothing to measure
    ],
)
def test_domain_on_time_indicator(by_domain: dict[str, tuple[int, int]], value: str, met: bool | None) -> None:
    targets = rules.IndicatorTargets.model_validate(
        {
            "kind": "monitoring_indicators",
            "version": "1",
            "dual_on_time_rate": 0.7,
            "city_coverage": 1,
            "domain_on_time_rates": {"道路运输": 0.8},
        }
    )
    facts = rules.MonthFacts(10, 8, 10, 10, 1, 1, dual_by_domain=by_domain)
    found = {i.code: i for i in rules.indicators(facts, targets)}["dual_on_time_rate:道路运输"]
    assert (found.name, found.value, found.target, found.met) == (
        "道路运输领域双公示信息 7 个工作日内上报率",
        value,
        "80.0%",
        met,
    )


def test_domain_targets_measured_from_the_records(
    db: Database, settings: Settings, month: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province with domain targets: the month's 双公示 first reports counted by their 领域."""
    (tmp_path / "indicators.yaml").write_text(_DEFAULT, encoding="utf-8")
    (tmp_path / "indicators-henan.yaml").write_text(_ZHEJIANG.replace("zhejiang", "henan"), encoding="utf-8")
    monkeypatch.setattr(rules, "_monitoring_dir", lambda: tmp_path)
    rules.indicator_targets.cache_clear()
    try:
        with db.read() as s:
            report = service.monthly_report(s, VIEWER, settings, month)
    finally:
        rules.indicator_targets.cache_clear()
    found = {i.code: i for i in report.indicators}
    assert found["dual_on_time_rate"].target == "70.0%"
    road = found["dual_on_time_rate:道路运输"]  # the fixture's four penalties are 道路运输, three on time
    assert (road.value, road.met) == ("75.0%（3/4）", False)
    assert found["dual_on_time_rate:水路运输"].value == "—"
    assert found["qualified_rate"].target == "80.0%"
