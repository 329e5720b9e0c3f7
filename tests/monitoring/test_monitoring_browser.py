"""The credit office's monthly report and sharing pages in a real browser (Debian's chromium via Playwright)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CREDIT_OFFICE, MANAGER, PASSWORD

from browser_kit import launch, serve, shot
from portal_kit import seed_portal
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings

pytestmark = pytest.mark.browser


def test_report_and_sharing_in_a_browser(db: Database, settings: Settings, tmp_path: Path, cheap_hashing: None) -> None:
    from playwright.sync_api import expect

    seed_portal(db, settings)
    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    with serve(create_app(settings, db)) as base, launch() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN")
        try:
            p = context.new_page()
            p.goto(f"{base}/console/report")
            p.get_by_label("用户名").fill(MANAGER)
            p.get_by_label("密码").fill(PASSWORD)
            p.get_by_role("button", name="登录").click()
            p.goto(f"{base}/console/report")
            expect(p.locator("h1")).to_contain_text("信用交通月报")
            expect(p.locator("#indicators")).to_contain_text("双公示信息 7 个工作日内上报率")
            expect(p.locator("#departments")).to_contain_text("洛阳市交通运输局")
            shot(p, "console-report")
            with p.expect_download() as info:
                p.locator("#xlsx").click()
            saved = tmp_path / "report.xlsx"
            info.value.save_as(str(saved))
            assert saved.read_bytes()[:2] == b"PK"

            p.locator("nav a", has_text="共享交换").click()
            expect(p.locator("h1")).to_have_text("信用信息共享交换")
            p.locator("#export-ministry").click()
            expect(p.locator("#done")).to_contain_text(
                re.compile(r"已生成全量交换包：全国交通运输信用信息共享平台 第 1 号")
            )
            expect(p.locator("#packages")).to_contain_text("全量")
            shot(p, "console-exchange")
            with p.expect_download() as info:
                p.locator("#packages button", has_text="ZIP").first.click()
            assert info.value.suggested_filename.startswith("ministry-00001-full-")
            p.goto(f"{base}/console/report")
            expect(p.locator("#indicators")).to_contain_text("已报送")
        finally:
            context.close()
