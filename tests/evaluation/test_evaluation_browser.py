"""The evaluation, 双随机 and warning pages in a real browser (Playwright + Debian chromium); screenshots go to
test-artifacts/screenshots/evaluation-*.png."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from evaluation_kit import OFFICE, licence, penalty, subject

from browser_kit import launch, require_chromium, serve, shot
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_DATA_OFFICER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.evaluation import service as evaluation
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.supervision import service as supervision
from transport_credit.warnings.service import raise_warning

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-2026"


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    pass


@pytest.fixture
def server(platform: Database, settings: Settings) -> Iterator[str]:
    require_chromium()
    with platform.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "zz.officer", "郑州报送员", PASSWORD, "410100-jtj", [ROLE_DATA_OFFICER])
        for n in range(10):
            firm = subject(s, 700 + n, region="410102")
            licence(s, firm.id, dt.date(2020, 1, 1), "道路运输", "道路货物运输")
            for k in range(n % 4):
                penalty(s, firm.id, dt.date(2025, 3 + k, 1), severity="serious", fine=2, violation="超限运输")
        for n in range(4):
            supervision.add_inspector(
                s,
                OFFICE,
                code=f"ZF{n}",
                name=f"执法员{n}",
                department_code="410100-jtj",
                region_code="410100",
                domains=["道路运输"],
            )
        evaluation.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=dt.date(2026, 3, 1))
        raise_warning(
            s,
            kind="penalty_burst",
            subject_id=firm.id,
            rule_code="W_PENALTY_BURST",
            message="90天内受到3次行政处罚（预警阈值3次）",
            details={},
            actor=SYSTEM,
        )
    with serve(create_app(settings, platform)) as base:
        yield base


def _shot(page: object, name: str) -> None:
    shot(page, f"evaluation-{name}")


def test_grades_explanation_draw_and_warnings_in_a_browser(server: str) -> None:
    from playwright.sync_api import expect

    with launch() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/console/evaluation")
        page.get_by_label("用户名").fill("zz.officer")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/console/evaluation$"))
        page.get_by_label("评价模型", exact=True).select_option("road_transport_enterprise")
        page.get_by_role("button", name="查看").click()
        expect(page.locator("#distribution")).to_contain_text("郑州市")
        _shot(page, "01-distribution")
        page.locator("a", has_text=re.compile(r"^\d+$")).first.click()
        expect(page.locator("#results")).to_be_visible()
        page.locator("#results a").first.click()
        expect(page.locator("table.explanation").first).to_be_visible()
        _shot(page, "02-explanation")
        page.goto(f"{server}/console/supervision")
        page.get_by_label("任务名称").fill("郑州道路运输双随机抽查")
        page.get_by_label("检查领域").select_option("道路运输")
        page.get_by_label("地区（行政区划代码）").fill("410100")
        page.get_by_label("抽取数量").fill("4")
        page.get_by_label("随机种子（可选，用于复现）").fill("browser")
        page.get_by_role("button", name="抽取").click()
        page.wait_for_url(re.compile(r".*/console/supervision/tasks/\d+$"))
        expect(page.locator("#items tbody tr")).to_have_count(4)
        page.get_by_role("link", name="复核抽取结果").click()
        expect(page.locator("#verify-result")).to_contain_text("复核一致")
        _shot(page, "03-draw")
        page.goto(f"{server}/console/warnings")
        expect(page.locator("#warnings")).to_contain_text("短期内多次受到行政处罚")
        _shot(page, "04-warnings")
