"""The list review console in a real browser (Debian's chromium via Playwright): propose a subject for the black
list, review it, send the prior notice, see the objection window hold publication back, register an objection,
and browse measures.

Screenshots go to test-artifacts/screenshots/lists-*.png.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CREDIT_OFFICE, PASSWORD
from lists_kit import uscc

from browser_kit import launch, serve, shot
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Cheap argon2."""


@pytest.fixture
def server(filled: Database, settings: Settings) -> Iterator[str]:
    with filled.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "xyb", "信用办", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    with serve(create_app(settings, filled)) as base:
        yield base


def test_propose_review_and_notify_in_the_browser(server: str) -> None:
    from playwright.sync_api import expect

    with launch() as browser:
        page: Any = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{server}/console/lists")
        page.get_by_label("用户名").fill("xyb")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r".*/console/lists$"))
        expect(page.get_by_role("heading", name=re.compile("红黑名单"))).to_be_visible()

        page.get_by_label("统一社会信用代码或证件号码").fill(uscc(2))
        page.get_by_label("名单", exact=True).last.select_option("black")
        page.get_by_label("列入事由").fill("一年内多次违法超限运输")
        shot(page, "lists-01-propose")
        page.get_by_role("button", name="提交建议").click()
        page.wait_for_url(re.compile(r".*/console/lists/\d+$"))
        body = page.locator("main")
        expect(body).to_contain_text("待审核")
        expect(body).to_contain_text("郑州顺达2号物流有限公司")
        shot(page, "lists-02-proposed")

        page.locator("#notify").click()
        page.wait_for_load_state()
        expect(body).to_contain_text("已告知")
        expect(body).to_contain_text("事前告知书")
        expect(body).to_contain_text("异议期内")
        shot(page, "lists-03-notified")

        expect(page.locator("#publish")).to_have_count(0)  # inside the objection window: nothing to publish yet
        expect(body).to_contain_text("届满后才能公布")
        page.get_by_label("异议内容").fill("超限记录中有一次系车辆被盗期间发生")
        page.get_by_role("button", name="登记异议").click()
        page.wait_for_load_state()
        expect(page.get_by_label("处理结果")).to_be_visible()  # the objection waits for a decision
        shot(page, "lists-04-objection")

        page.goto(f"{server}/console/measures")
        expect(page.locator("main")).to_contain_text("惩戒")
        expect(page.locator("main")).to_contain_text("激励")
        shot(page, "lists-05-measures")

        page.set_viewport_size({"width": 390, "height": 844})  # phone width: the queue still reads
        page.goto(f"{server}/console/lists?state=notified")
        expect(page.locator("main")).to_contain_text("郑州顺达2号物流有限公司")
        shot(page, "lists-06-phone")
