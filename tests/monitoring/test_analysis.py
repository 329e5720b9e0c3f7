"""The credit monitoring analysis (信用监测分析) on the real database: penalties and licences imported through the
real pipeline (CSV in GB18030), a revoked and a corrected record, list entries published through the lifecycle;
trend, changes, frequent problems with their tendency, the 诚信地图 by the subjects' cities, domain filter, rights."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lists"))
sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
sys.path.insert(0, str(Path(__file__).parents[1]))

from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, login
from ingest_kit import XZXK_HEADERS, import_table, licence_row, penalty_row, uscc
from lists_kit import OFFICE, VIEWER
from lists_kit import OFFICER as DATA_OFFICER

from browser_kit import launch, serve, shot
from transport_credit.bootstrap import initialize
from transport_credit.common.errors import InvalidInput, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.lists import service as lists
from transport_credit.monitoring import analysis, trends
from transport_credit.monitoring.report import CST
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status
from transport_credit.settings import Settings

LONG_AGO = dt.date(2020, 1, 6)


def _day(month: str, day: int) -> str:
    return f"{month[:4]}/{month[5:]}/{day:02d}"


@pytest.fixture
def month(db: Database, settings: Settings, tmp_path: Path) -> str:
    """The current month M with penalties in M, M-1, M-4 and M-12, licences in M-1, one revoked penalty, one
    corrected; 郑州 and 洛阳 subjects; one black- and one red-listed subject."""
    initialize(db, settings)
    m = f"{dt.datetime.now(CST):%Y-%m}"
    prev, m4, m12 = trends.shift_month(m, -1), trends.shift_month(m, -4), trends.shift_month(m, -12)
    luoyang = "410300"
    rows = [
        # M: three 超限运输 (one serious: a fine of 6 万元), one subject in 洛阳
        penalty_row(1, decision_date=_day(m, 1)),
        penalty_row(2, decision_date=_day(m, 1), fine_amount="6"),
        penalty_row(3, decision_date=_day(m, 1), uscc=uscc(3, region=luoyang)),
        # M-1: two 超限运输 (one revoked below), one 违法分包 in 公路建设
        penalty_row(4, decision_date=_day(prev, 1)),
        penalty_row(5, decision_date=_day(prev, 1)),
        penalty_row(6, decision_date=_day(prev, 1), violation_type="违法分包", domain="公路建设", subdomain="公路施工"),
        # M-4: 水路运输; M-12: 超限运输 (the year before, for 同比)
        penalty_row(
            8, decision_date=_day(m4, 5), violation_type="未按规定配备船员", domain="水路运输", subdomain="水路货物运输"
        ),
        penalty_row(9, decision_date=_day(m12, 1)),
    ]
    import_table(db, settings, tmp_path / "penalties.csv", rows)
    # a correction of penalty 1 (same decision number, new content): counted once
    import_table(
        db,
        settings,
        tmp_path / "fix.csv",
        [penalty_row(1, decision_date=_day(m, 1), penalty_content="罚款人民币3000元")],
    )
    # day 1 of each month, so that "the same days" of a month under way always include them
    licences = [licence_row(n, decision_date=f"{prev}-01", valid_from=f"{prev}-01") for n in (1, 2)]
    licences.append(licence_row(3, decision_date=f"{prev}-28", valid_from=f"{prev}-28"))  # late in M-1
    import_table(
        db, settings, tmp_path / "licences.csv", licences, XZXK_HEADERS, category="行政许可", department="410000-ghc"
    )
    with db.unit_of_work() as s:
        revoked = s.scalar(
            select(CreditRecord.id).where(
                CreditRecord.natural_key == penalty_row(5)["decision_no"], CreditRecord.is_current
            )
        )
        assert revoked is not None
        change_status(s, OFFICE, record_id=revoked, status="revoked", note="异议成立，撤销")
    for code, list_code in ((uscc(2), "black"), (uscc(3, region=luoyang), "red")):
        with db.unit_of_work() as s:
            entry = lists.propose_entry(
                s, OFFICE, settings, subject_code=code, list_code=list_code, reason="事由", domain="道路运输"
            )
            lists.notify_entry(s, OFFICE, settings, entry.id, today=LONG_AGO)
            lists.publish_entry(s, OFFICE, settings, entry.id)
    return m


def _run(db: Database, settings: Settings, m: str, **kwargs: object) -> analysis.CreditAnalysis:
    with db.unit_of_work() as s:
        return analysis.credit_analysis(s, OFFICE, settings, end_month=m, **kwargs)  # type: ignore[arg-type]


def test_trend_and_changes(db: Database, settings: Settings, month: str) -> None:
    a = _run(db, settings, month)
    assert a.months[-1] == month
    assert len(a.months) == trends.analysis_rules().default_months
    by_month = {p.month: p for p in a.trend}
    now, prev = by_month[month], by_month[trends.shift_month(month, -1)]
    assert (now.penalties, now.serious, now.licences) == (3, 1, 0)  # the correction counts once
    assert (prev.penalties, prev.licences) == (2, 3)  # the revoked decision does not count
    assert by_month[trends.shift_month(month, -4)].penalties == 1
    assert trends.shift_month(month, -12) not in by_month  # outside the 12-month window …
    penalties, serious, licences = a.headlines
    assert (penalties.current, penalties.month_on_month.previous, penalties.year_on_year.previous) == (3, 2, 1)
    assert trends.change_text(penalties.year_on_year) == "+200.0%"  # … but measured for 同比
    assert (serious.current, serious.month_on_month.previous) == (1, 0)
    assert trends.change_text(serious.month_on_month) == "新增"
    assert (licences.current, licences.month_on_month.previous) == (0, 3 if a.today.day >= 28 else 2)
    assert a.totals.penalties == sum(p.penalties for p in a.trend) == 6
    # the two list entries were published today, in the current month
    assert (now.black, now.red, now.watch) == (1, 1, 0)
    assert (a.totals.black, a.totals.red) == (1, 1)


def test_a_month_under_way_is_compared_with_the_same_days(db: Database, settings: Settings, month: str) -> None:
    first = trends.month_start(month)
    with db.unit_of_work() as s:
        under_way = analysis.credit_analysis(s, OFFICE, settings, end_month=month, today=first)
        after = analysis.credit_analysis(s, OFFICE, settings, end_month=month, today=first + dt.timedelta(days=40))
    assert under_way.partial_month
    assert not after.partial_month
    # on the 1st, the month before counts its 1st only: two licences (the one of the 28th is later in its month)
    assert under_way.headlines[2].month_on_month.previous == 2
    assert after.headlines[2].month_on_month.previous == 3  # the month is over: whole months


def test_frequent_problems(db: Database, settings: Settings, month: str) -> None:
    a = _run(db, settings, month)
    first = a.hotspots[0]
    # 超限运输: M has 3 and M-1 one (one revoked); the M-12 case is outside the window
    assert (first.violation_type, first.domain, first.cases, first.serious) == ("超限运输", "道路运输", 4, 1)
    assert first.share == pytest.approx(4 / 6)
    assert (first.recent, first.earlier) == (4, 0)  # the last three months against the three before
    assert first.tendency == "steady"
    assert first.tendency_label == "平稳"
    assert [(h.rank, h.violation_type) for h in a.hotspots] == [
        (1, "超限运输"),
        (2, "未按规定配备船员"),
        (3, "违法分包"),
    ]
    assert a.untyped_penalties == 0  # the national catalog makes the type mandatory: a row without one is rejected
    assert a.recent_months == (trends.shift_month(month, -2), month)
    assert a.earlier_months == (trends.shift_month(month, -5), trends.shift_month(month, -3))
    ship = a.hotspots[1]
    assert (ship.recent, ship.earlier, ship.tendency) == (0, 1, "steady")  # one case: too few for a tendency


def test_credit_map_by_the_subjects_cities(db: Database, settings: Settings, month: str) -> None:
    a = _run(db, settings, month)
    by_code = {r.code: r for r in a.regions}
    zz, ly = by_code["410100"], by_code["410300"]
    assert (zz.name, ly.name) == ("郑州市", "洛阳市")
    # 洛阳: the penalised organisation (also licensee 3) and licensees 1 and 2 (by registered region)
    assert ly.subjects == 3
    assert ly.penalties == 1
    assert ly.red == 1
    assert ly.black == 0
    assert zz.penalties == 5
    assert zz.serious == 1
    assert zz.black == 1
    assert zz.rate == pytest.approx(zz.penalties * 1000 / zz.subjects)
    kaifeng = by_code["410200"]
    assert (kaifeng.subjects, kaifeng.rate, kaifeng.level) == (0, None, None)  # no subjects: no rate, not 0
    assert max(r.level for r in a.regions if r.level is not None) == a.heat_levels - 1
    assert zz.tile == (2, 2)
    assert a.tiles
    assert sum(r.subjects for r in a.regions) == _subjects(db)


def _subjects(db: Database) -> int:
    from sqlalchemy import func

    from transport_credit.subjects.models import Subject

    with db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(Subject)) or 0)


def test_domain_narrows_every_figure(db: Database, settings: Settings, month: str) -> None:
    a = _run(db, settings, month, domain="公路建设")
    assert a.domain == "公路建设"
    assert a.totals.penalties == 1
    assert a.totals.licences == 0
    assert [h.violation_type for h in a.hotspots] == ["违法分包"]
    assert (a.totals.black, a.totals.red) == (0, 0)  # the list entries are 道路运输
    assert sum(r.penalties for r in a.regions) == 1
    road = _run(db, settings, month, domain="道路运输")
    assert road.totals.penalties == 4
    assert road.totals.licences == 3
    assert road.totals.black == 1


def test_window_and_domain_are_checked(db: Database, settings: Settings, month: str) -> None:
    short = _run(db, settings, month, months=1)
    assert short.months == [month]
    top = short.hotspots[0]
    assert top.cases == 3
    assert (top.recent, top.earlier) == (4, 0)
    with pytest.raises(InvalidInput) as err:
        _run(db, settings, month, domain="航空运输")
    assert err.value.code == "unknown_domain"
    assert "道路运输" in err.value.message
    with pytest.raises(InvalidInput) as err:
        _run(db, settings, month, months=trends.analysis_rules().max_months + 1)
    assert err.value.code == "invalid_window"


def test_who_may_see_it(db: Database, settings: Settings, month: str) -> None:
    with db.unit_of_work() as s:
        assert analysis.credit_analysis(s, VIEWER, settings, end_month=month).totals.penalties == 6
        with pytest.raises(PermissionDenied):
            analysis.credit_analysis(s, DATA_OFFICER, settings, end_month=month)


def test_an_empty_platform_gives_zeros_and_no_rates(db: Database, settings: Settings) -> None:
    initialize(db, settings)
    with db.unit_of_work() as s:
        a = analysis.credit_analysis(s, OFFICE, settings, end_month="2026-06")
    assert a.totals.penalties == 0
    assert a.hotspots == []
    assert a.untyped_penalties == 0
    assert all(r.rate is None and r.level is None for r in a.regions)
    assert [trends.change_text(h.month_on_month) for h in a.headlines] == ["—", "—", "—"]


# --- front doors: console page, CLI, browser --------------------------------------------------------------------


def _accounts(db: Database) -> None:
    from transport_credit.auth import service as auth
    from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM

    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])


def test_console_page(db: Database, settings: Settings, month: str, cheap_hashing: None) -> None:
    from fastapi.testclient import TestClient

    from transport_credit.server import create_app

    _accounts(db)
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        login(client, MANAGER)
        home = client.get("/console")
        assert 'href="/console/analysis"' in home.text  # in the navigation
        page = client.get("/console/analysis", params={"end_month": month})
        assert page.status_code == 200
        assert "信用监测分析" in page.text
        assert 'id="chart-penalties"' in page.text
        assert "<rect" in page.text
        assert "超限运输" in page.text
        assert "违法分包" in page.text
        assert 'id="tile-map"' in page.text
        assert "郑州" in page.text
        odd = client.get("/console/analysis", params={"end_month": month, "months": 7})
        assert '<option value="7" selected>近 7 个月</option>' in odd.text  # the window asked for stays chosen
        road = client.get("/console/analysis", params={"end_month": month, "domain": "公路建设", "months": 6})
        assert road.status_code == 200
        assert "违法分包" in road.text
        assert "超限运输" not in road.text
        unknown = client.get("/console/analysis", params={"domain": "航空运输"})
        assert unknown.status_code == 422
        assert "未知的领域" in unknown.text
        assert client.get("/console/analysis", params={"end_month": "2026-13"}).status_code == 422
        assert client.get("/console/analysis", params={"end_month": "x"}).status_code == 422
        assert client.get("/console/analysis", params={"months": "0"}).status_code == 422
        xlsx = client.get("/console/analysis/xlsx", params={"end_month": month, "domain": "道路运输"})
        assert xlsx.status_code == 200
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["概况", "趋势", "高发问题", "各地市"]
        assert "领域：道路运输" in str(book["概况"]["A1"].value)
        assert [c.value for c in book["趋势"][1]][:3] == ["月份", "行政处罚", "其中严重"]
        assert book["趋势"].cell(book["趋势"].max_row, 1).value == "合计"
        assert book["趋势"].cell(book["趋势"].max_row, 2).value == 4
        assert book["高发问题"]["C2"].value == "超限运输"
        assert 'id="xlsx"' in client.get("/console/analysis").text
        login(client, OFFICER)
        assert client.get("/console/analysis/xlsx").status_code == 403
        assert 'href="/console/analysis"' not in client.get("/console").text
        assert client.get("/console/analysis").status_code == 403


def test_cli(db: Database, settings: Settings, month: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from transport_credit.cli.main import app as cli
    from transport_credit.settings import get_settings

    monkeypatch.setenv("TRANSPORT_CREDIT_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TRANSPORT_CREDIT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRANSPORT_CREDIT_PII_KEY", settings.pii_key.get_secret_value())
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["report", "analysis", "--end-month", month, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["totals"]["penalties"] == 6
        assert data["hotspots"][0]["violation_type"] == "超限运输"
        assert data["hotspots"][0]["tendency_label"] == "平稳"
        assert data["headlines"][0]["year_on_year"]["ratio"] == pytest.approx(2.0)
        text = runner.invoke(cli, ["report", "analysis", "--end-month", month, "--domain", "公路建设"])
        assert text.exit_code == 0, text.output
        assert "领域：公路建设" in text.output
        assert "违法分包" in text.output
        assert "洛阳市" in text.output
        out_file = tmp_path / "analysis.xlsx"
        saved = runner.invoke(cli, ["report", "analysis", "--end-month", month, "--xlsx", str(out_file)])
        assert saved.exit_code == 0, saved.output
        assert out_file.read_bytes()[:2] == b"PK"
        assert "已保存" in saved.output
        rebuilt = runner.invoke(cli, ["report", "analysis", "--end-month", month, "--rebuild", "--json"])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert json.loads(rebuilt.output)["totals"] == data["totals"]  # rebuilt from the records: the same figures
        bad = runner.invoke(cli, ["report", "analysis", "--domain", "航空运输"])
        assert bad.exit_code != 0
        assert "未知的领域" in bad.output
        assert "Traceback" not in bad.output
    finally:
        get_settings.cache_clear()


@pytest.mark.browser
def test_analysis_in_a_browser(db: Database, settings: Settings, month: str, cheap_hashing: None) -> None:
    from playwright.sync_api import expect

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from console_kit import MANAGER, PASSWORD

    from transport_credit.server import create_app

    _accounts(db)
    with serve(create_app(settings, db)) as base, launch() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        try:
            p = context.new_page()
            p.goto(f"{base}/console/login")
            p.get_by_label("用户名").fill(MANAGER)
            p.get_by_label("密码").fill(PASSWORD)
            p.get_by_role("button", name="登录").click()
            p.locator("nav a", has_text="监测分析").click()
            expect(p.locator("h1")).to_have_text("信用监测分析")
            # the bars are drawn: the current month's penalty bar has a height, its serious foot too
            bars = p.locator("#chart-penalties .chart-value")
            expect(bars).to_have_count(len(trends.window_months(month, 12, trends.analysis_rules())))
            assert float(bars.last.get_attribute("height") or 0) > 0
            assert p.locator("#chart-penalties .chart-part").count() >= 1
            box = p.locator("#chart-penalties svg").bounding_box()
            assert box is not None
            assert box["width"] > 600
            expect(p.locator("#hotspots tbody tr").first).to_contain_text("超限运输")
            # the tile map: 郑州 is shaded, 开封 (no subjects) is not
            expect(p.locator(".tile", has_text="郑州")).to_have_class("tile heat-4")
            expect(p.locator(".tile", has_text="开封")).to_have_class("tile heat-none")
            shot(p, "console-analysis")
            p.get_by_label("领域", exact=True).select_option("公路建设")
            p.get_by_role("button", name="查看").click()
            expect(p.locator("#hotspots tbody tr")).to_have_count(1)
            expect(p.locator("#hotspots")).to_contain_text("违法分包")
            expect(p.get_by_label("领域", exact=True)).to_have_value("公路建设")
        finally:
            context.close()


def test_a_violation_type_that_looks_like_a_formula_stays_text_in_the_workbook(
    db: Database, settings: Settings, month: str
) -> None:
    from transport_credit.common.actor import SYSTEM
    from transport_credit.records.service import write_revision

    with db.unit_of_work() as s:
        subject = s.scalar(select(CreditRecord.subject_id).limit(1))
        assert subject is not None
        for n in range(3):
            key = f"豫交执罚〔2026〕公式-{n}号"
            write_revision(
                s,
                SYSTEM,
                settings,
                category="XZCF",
                natural_key=key,
                subject_id=subject,
                department_code="410000-zfj",
                data={"decision_no": key, "violation_type": '=HYPERLINK("http://x")', "domain": "道路运输"},
                decision_date=trends.month_start(month),
            )
    a = _run(db, settings, month)
    book = load_workbook(io.BytesIO(analysis.to_xlsx(a)))
    cells = [row[2] for row in book["高发问题"].iter_rows(min_row=2)]
    formula = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert formula.data_type == "s"
    assert str(formula.value).startswith("'=")
