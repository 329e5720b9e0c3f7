"""信用查询办率 (逢批必查 coverage) on a real database: licences imported through the real pipeline, checks in the
check log at chosen times, the window before the decision in China time, who sees what, the monthly report's
indicator and columns, the console page and its workbook, the CLI; the rule's table."""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lists"))
sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

sys.path.insert(0, str(Path(__file__).parents[1]))

from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, login
from ingest_kit import GHC, JGC, XZXK_HEADERS, import_table, licence_row, uscc
from lists_kit import OFFICE, VIEWER

from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.cli.main import app as cli
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import InvalidInput, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.lists.checks import check_no_floor
from transport_credit.lists.models import CreditCheck
from transport_credit.monitoring import coverage, service
from transport_credit.monitoring import report as rules
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

MONTH = "2026-09"
CST = rules.CST
GHC_OFFICER = Actor("规划处报送员", "account", department_code=GHC, roles=frozenset({ROLE_DATA_OFFICER}))
D = dt.date


@pytest.mark.parametrize(
    ("decided", "checks", "window", "checked"),
    [
        (D(2026, 9, 10), [D(2026, 9, 7)], 30, True),
        (D(2026, 9, 10), [D(2026, 9, 10)], 30, True),  # the decision day itself
        (D(2026, 9, 10), [D(2026, 8, 11)], 30, True),  # the window's first day
        (D(2026, 9, 10), [D(2026, 8, 10)], 30, False),  # a day too early
        (D(2026, 9, 10), [D(2026, 9, 11)], 30, False),  # after the decision: not 逢批必查
        (D(2026, 9, 10), [D(2026, 8, 1), D(2026, 9, 12)], 30, False),
        (D(2026, 9, 10), [D(2026, 8, 1), D(2026, 9, 1), D(2026, 9, 12)], 30, True),
        (D(2026, 9, 10), [], 30, False),
        (D(2026, 9, 10), [D(2026, 9, 10)], 0, True),
        (D(2026, 9, 10), [D(2026, 9, 9)], 0, False),
    ],
)
def test_checked_before(decided: D, checks: list[D], window: int, checked: bool) -> None:
    assert rules.checked_before(decided, checks, window) is checked


def _at(day: D, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CST).astimezone(dt.UTC)


def _check(db: Database, code: str, at: dt.datetime, matter: str, department: str) -> None:
    """A check of the subject with ``code`` recorded at ``at`` (its id begins with that time, as every check id)."""
    with db.unit_of_work() as s:
        subject_id = s.scalar(select(Subject.id).where(Subject.uscc == code))
        assert subject_id is not None
        s.add(
            CreditCheck(
                check_no=check_no_floor(at) + secrets.token_hex(9),
                subject_id=subject_id,
                matter_code=matter,
                department_code=department,
                caller="account:窗口",
                checked_at=at,
            )
        )


def _licences(n: int, decided: D) -> dict[str, str]:
    return licence_row(n, decision_date=decided.isoformat(), valid_from=decided.isoformat())


@pytest.fixture
def approvals(db: Database, settings: Settings, tmp_path: Path) -> Database:
    """September 2026: 规划处 decides licences 1–4 (and 8, revoked later), 建管处 5 and 6; 7 falls in October.

    - 1: checked three days before (and corrected afterwards: counted once);
    - 2: checked only three days after the decision;
    - 3: checked on the first day of the 30-day window; 4: the day before it;
    - 5: checked at 23:30 China time on the decision day (15:30 UTC, the same day);
    - 6: checked at 00:30 China time the day after (16:30 UTC on the decision day: after it all the same).
    """
    initialize(db, settings)
    ghc = [_licences(1, D(2026, 9, 10)), _licences(2, D(2026, 9, 15))]
    ghc += [_licences(3, D(2026, 9, 20)), _licences(4, D(2026, 9, 20)), _licences(8, D(2026, 9, 12))]
    ghc.append(_licences(7, D(2026, 10, 2)))
    for name, rows, dept in (
        ("ghc", ghc, GHC),
        ("jgc", [_licences(5, D(2026, 9, 30)), _licences(6, D(2026, 9, 30))], JGC),
    ):
        summary = import_table(
            db, settings, tmp_path / f"{name}.csv", rows, XZXK_HEADERS, category="行政许可", department=dept
        )
        assert summary.accepted + summary.warned == len(rows), summary
    corrected = licence_row(
        1, decision_date="2026-09-10", valid_from="2026-09-10", license_content="从事道路旅客运输经营"
    )
    import_table(db, settings, tmp_path / "fix.csv", [corrected], XZXK_HEADERS, category="行政许可", department=GHC)
    with db.unit_of_work() as s:
        revoked = s.scalar(
            select(CreditRecord.id).where(
                CreditRecord.natural_key == licence_row(8)["decision_no"], CreditRecord.is_current.is_(True)
            )
        )
        assert revoked is not None
        change_status(s, OFFICE, record_id=revoked, status="revoked", note="许可决定被依法撤销")
    code = {n: uscc(n, "410300") for n in range(1, 9)}
    _check(db, code[1], _at(D(2026, 9, 7), 10), "XK-DLYS-JY", GHC)
    _check(db, code[2], _at(D(2026, 9, 18), 9), "XK-DLHY", "410000-ysj")
    _check(db, code[3], _at(D(2026, 8, 21), 9), "XK-DLHY", GHC)
    _check(db, code[4], _at(D(2026, 8, 20), 16), "XK-DLHY", GHC)
    _check(db, code[5], _at(D(2026, 9, 30), 23, 30), "XK-DLKY", JGC)
    _check(db, code[6], _at(D(2026, 10, 1), 0, 30), "XK-DLKY", JGC)
    _check(db, code[8], _at(D(2026, 9, 11), 9), "XK-DLYS-JY", GHC)
    return db


def test_coverage_by_department(approvals: Database, settings: Settings) -> None:
    with approvals.read() as s:
        report = coverage.check_coverage(s, OFFICE, settings, MONTH)
    assert (report.window_days, report.target) == (30, 1.0)
    lines = {d.department_code: (d.licences, d.checked) for d in report.departments}
    assert lines == {GHC: (4, 2), JGC: (2, 1)}  # the revoked licence and October's are not counted
    assert (report.licences, report.checked, report.rate) == (6, 3, 0.5)
    assert [d.department_code for d in report.departments] == [GHC, JGC]  # equal rates: more licences first
    missed = [(x.decision_no, x.decided_on, x.checked_after) for x in report.unchecked]
    assert missed == [
        (licence_row(2)["decision_no"], D(2026, 9, 15), D(2026, 9, 18)),
        (licence_row(4)["decision_no"], D(2026, 9, 20), None),
        (licence_row(6)["decision_no"], D(2026, 9, 30), D(2026, 10, 1)),
    ]
    assert report.unchecked_total == 3
    assert report.unchecked[0].subject_name == "洛阳通达2号运输有限公司"
    assert report.unchecked[0].department_name == "河南省交通运输厅规划处"
    # September's checks by matter (August's and October's are not the month's)
    assert [(m.code, m.name, m.checks) for m in report.matters] == [
        ("XK-DLYS-JY", "道路运输经营许可", 2),
        ("XK-DLHY", "道路货物运输经营许可", 1),
        ("XK-DLKY", "道路旅客运输经营许可", 1),
    ]
    with approvals.read() as s:
        first = coverage.check_coverage(s, OFFICE, settings, MONTH, listed=1)
        october = coverage.check_coverage(s, VIEWER, settings, "2026-10")
    assert (len(first.unchecked), first.unchecked_total) == (1, 3)
    assert (october.licences, october.checked, [m.code for m in october.matters]) == (1, 0, ["XK-DLKY"])


def test_a_data_officer_sees_their_own_department(approvals: Database, settings: Settings) -> None:
    with approvals.read() as s:
        own = coverage.check_coverage(s, GHC_OFFICER, settings, MONTH)
        assert [(d.department_code, d.licences, d.checked) for d in own.departments] == [(GHC, 4, 2)]
        assert own.department_code == GHC
        # the matters its own department checked (the 运输局's check of licence 2 is not among them)
        assert [(m.code, m.checks) for m in own.matters] == [("XK-DLYS-JY", 2)]
        with pytest.raises(PermissionDenied) as refused:
            coverage.check_coverage(s, GHC_OFFICER, settings, MONTH, JGC)
        assert refused.value.code == "other_department"
        with pytest.raises(PermissionDenied):
            coverage.check_coverage(s, Actor("nobody", "account"), settings, MONTH)
        with pytest.raises(InvalidInput):
            coverage.check_coverage(s, OFFICE, settings, "2026-13")


def test_the_monthly_report_measures_it(approvals: Database, settings: Settings) -> None:
    with approvals.read() as s:
        report = service.monthly_report(s, VIEWER, settings, MONTH)
    units = {u.code: u for u in report.departments}
    assert (units[GHC].licences, units[GHC].licences_checked, units[GHC].check_rate) == (4, 2, 0.5)
    assert (report.totals.licences, report.totals.licences_checked) == (6, 3)
    indicators = {i.code: i for i in report.indicators}
    rate = indicators["check_coverage_rate"]
    assert (rate.value, rate.target, rate.met) == ("50.0%（3/6）", "100.0%", False)
    assert "30 日内" in rate.name
    matters = indicators["checked_matters"]
    assert (matters.value, matters.target, matters.met) == ("3 项", None, None)
    sheet = load_workbook(io.BytesIO(service.to_xlsx(report)))["部门"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "河南省交通运输厅规划处")
    assert row[header.index("许可决定")] == 4
    assert row[header.index("决定前已核查")] == 2
    assert row[header.index("查询办率")] == "50.0%"


@pytest.mark.parametrize(
    ("target", "matters_goal", "checked", "matters", "met", "matters_met"),
    [
        (1.0, None, (10, 10), 3, True, None),
        (1.0, 15, (9, 10), 15, False, True),
        (None, 15, (9, 10), 14, None, False),
        (1.0, None, (0, 0), 0, None, None),  # no licence this month: nothing to measure
    ],
)
def test_coverage_indicators(
    target: float | None,
    matters_goal: int | None,
    checked: tuple[int, int],
    matters: int,
    met: bool | None,
    matters_met: bool | None,
) -> None:
    goals = rules.indicator_targets("henan").model_copy(
        update={"check_coverage_rate": target, "checked_matters": matters_goal}
    )
    facts = rules.MonthFacts(0, 0, 0, 0, 0, 0, licences_checked=checked, matters_checked=matters)
    found = {i.code: i for i in rules.indicators(facts, goals)}
    assert found["check_coverage_rate"].met is met
    assert found["checked_matters"].met is matters_met
    assert found["checked_matters"].value == f"{matters} 项"


def test_console_page_workbook_and_command_line(
    approvals: Database, settings: Settings, tmp_path: Path, cheap_hashing: None, cli_env: Path
) -> None:
    with approvals.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
    with TestClient(create_app(settings, approvals), base_url="http://testserver") as client:
        login(client, MANAGER)
        page = client.get("/console/checks/coverage", params={"month": MONTH})
        assert page.status_code == 200
        assert "信用查询办率（逢批必查）· 2026-09" in page.text
        assert "50.0%" in page.text
        assert "目标 100.0%" in page.text
        assert licence_row(4)["decision_no"] in page.text
        assert "决定后才核查（2026-09-18）" in page.text
        assert licence_row(1)["decision_no"] not in page.text  # checked in time: not listed
        one = client.get("/console/checks/coverage", params={"month": MONTH, "department": JGC})
        assert licence_row(6)["decision_no"] in one.text
        assert licence_row(2)["decision_no"] not in one.text
        report = client.get("/console/report", params={"month": MONTH})
        assert f"/console/checks/coverage?month={MONTH}&amp;department={GHC}" in report.text
        xlsx = client.get("/console/checks/coverage/xlsx", params={"month": MONTH})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(xlsx.content))
        rows = list(book["未核查的许可"].iter_rows(values_only=True))
        assert rows[0][0] == "许可决定文书号"
        assert [r[0] for r in rows[1:]] == [licence_row(n)["decision_no"] for n in (2, 4, 6)]
        assert rows[1][4] == "2026-09-18"
        totals = list(book["各单位查询办率"].iter_rows(values_only=True))[-1]
        assert totals == ("合计", 6, 3, "50.0%")
        assert client.get("/console/checks/coverage", params={"month": "2026-13"}).status_code == 422
        login(client, OFFICER)  # 郑州's data officer: their own department, which decided nothing
        own = client.get("/console/checks/coverage", params={"month": MONTH})
        assert own.status_code == 200
        assert "没有作出的行政许可决定" in own.text
        assert licence_row(2)["decision_no"] not in own.text
        assert client.get("/console/checks/coverage", params={"month": MONTH, "department": GHC}).status_code == 403

    runner = CliRunner()
    out_file = tmp_path / "coverage.xlsx"
    result = runner.invoke(cli, ["report", "check-coverage", "--month", MONTH, "--json", "--xlsx", str(out_file)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["licences"], data["checked"], data["rate"], data["unchecked_total"]) == (6, 3, 0.5, 3)
    assert data["departments"][0] == {
        "department_code": GHC,
        "department_name": "河南省交通运输厅规划处",
        "licences": 4,
        "checked": 2,
        "rate": 0.5,
    }
    assert out_file.read_bytes()[:2] == b"PK"
    text = runner.invoke(cli, ["report", "check-coverage", "--month", MONTH])
    assert text.exit_code == 0, text.output
    assert "查询办率 50.0%（目标 100.0%）" in text.stdout


@pytest.mark.browser
def test_coverage_in_a_browser(approvals: Database, settings: Settings, cheap_hashing: None) -> None:
    """From 信用核查 to the coverage page, a month chosen, one department opened; on a phone the rows keep their
    labels."""
    from playwright.sync_api import expect

    from browser_kit import launch, serve, shot

    with approvals.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    with serve(create_app(settings, approvals)) as base, launch() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        try:
            p = context.new_page()
            p.goto(f"{base}/console/checks")
            p.get_by_label("用户名").fill(MANAGER)
            p.get_by_label("密码").fill(PASSWORD)
            p.get_by_role("button", name="登录").click()
            p.goto(f"{base}/console/checks")
            p.locator("#to-coverage").click()
            expect(p.locator("h1")).to_contain_text("信用查询办率")
            p.get_by_label("月份").fill(MONTH)
            p.get_by_role("button", name="查看").click()
            expect(p.locator("#rate")).to_contain_text("50.0%")
            expect(p.locator("#unchecked tbody tr")).to_have_count(3)
            shot(p, "console-check-coverage")
            p.locator("#coverage-departments a", has_text="建设管理处").click()
            expect(p.locator("#unchecked tbody tr")).to_have_count(1)
            expect(p.locator("#unchecked")).to_contain_text("决定后才核查（2026-10-01）")
            p.set_viewport_size({"width": 390, "height": 844})
            cell = p.locator("#unchecked td[data-label='申请人']").first
            expect(cell).to_be_visible()
            shot(p, "console-check-coverage-phone")
        finally:
            context.close()
