"""The console in a real browser: Playwright driving Debian's chromium (never a downloaded browser).

Screenshots go to test-artifacts/screenshots/. Without chromium the tests skip on a developer machine and fail in
CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_kit import CITY_DEPT, ID18_RE, MANAGER, OFFICER, PASSWORD, PenaltyFile

from browser_kit import launch, serve, shot
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture
def server(platform: Database, settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, in a background thread."""
    with serve(create_app(settings, platform)) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    with launch() as b:
        yield b


def _shot(page: object, name: str) -> None:
    shot(page, name)


def _sign_in(page: object, base: str) -> None:
    page.goto(f"{base}/console/batches")  # type: ignore[attr-defined]
    assert "/console/login" in page.url  # type: ignore[attr-defined]
    page.get_by_label("用户名").fill(OFFICER)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/console/batches$"))  # type: ignore[attr-defined]


def _import_and_check(page: object, base: str, penalty_file: PenaltyFile, tmp_path: Path, prefix: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console/import")  # type: ignore[attr-defined]
    page.get_by_label("信用信息类别").select_option("XZCF")  # type: ignore[attr-defined]
    page.get_by_label("数据文件").set_input_files(str(penalty_file.path))  # type: ignore[attr-defined]
    _shot(page, f"{prefix}-01-import-form")
    page.get_by_role("button", name="上传并导入").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/console/batches/B\w+\?(imported|already)=1$"))  # type: ignore[attr-defined]
    tiles = page.locator("#result-tiles")  # type: ignore[attr-defined]
    expect(tiles).to_be_visible()
    expect(page.locator('[data-count="rejected"]')).to_have_text("1")  # type: ignore[attr-defined]
    expect(page.locator("#rejected")).to_contain_text(f"第 {penalty_file.bad_row} 行")  # type: ignore[attr-defined]
    expect(page.locator("#rejected")).to_contain_text("处罚决定日期")  # type: ignore[attr-defined]
    _shot(page, f"{prefix}-02-import-result")

    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.locator("#download-template").click()  # type: ignore[attr-defined]
    download = info.value
    target = tmp_path / f"{prefix}-template.xlsx"
    download.save_as(str(target))
    assert target.read_bytes()[:2] == b"PK"
    assert download.suggested_filename.endswith(".xlsx")


def _open_person(page: object, base: str, penalty_file: PenaltyFile, prefix: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console/subjects")  # type: ignore[attr-defined]
    page.get_by_label("统一社会信用代码、证件号码或名称").fill(penalty_file.person_id)  # type: ignore[attr-defined]
    page.get_by_role("button", name="查询").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/console/subjects/\d+$"))  # type: ignore[attr-defined]
    expect(page.locator("h1")).to_contain_text(penalty_file.person_name)  # type: ignore[attr-defined]
    expect(page.locator("#id-masked")).to_be_visible()  # type: ignore[attr-defined]
    html = page.content()  # type: ignore[attr-defined]
    assert penalty_file.person_id not in html
    assert not ID18_RE.search(html)
    assert penalty_file.person_id not in page.url  # type: ignore[attr-defined]
    _shot(page, f"{prefix}-03-subject")


def test_console_in_a_desktop_browser(server: str, browser: object, penalty_file: PenaltyFile, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/console/login")
    _shot(page, "desktop-00-login")
    _sign_in(page, server)
    _import_and_check(page, server, penalty_file, tmp_path, "desktop")
    _open_person(page, server, penalty_file, "desktop")
    page.goto(f"{server}/console/quarantine?category=XZCF")
    _shot(page, "desktop-04-quarantine")
    page.goto(f"{server}/console/catalog")
    _shot(page, "desktop-05-catalog")
    context.close()


def test_console_at_phone_width(server: str, browser: object, penalty_file: PenaltyFile, tmp_path: Path) -> None:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
        locale="zh-CN",
    )
    page = context.new_page()
    _sign_in(page, server)
    _import_and_check(page, server, penalty_file, tmp_path, "phone")
    # Nothing sticks out sideways at phone width.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the phone"
    _open_person(page, server, penalty_file, "phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"subject page is {overflow}px wider than the phone"
    page.goto(f"{server}/console")  # the 工作台: the rejected row of the import waits for correction
    count = page.locator("#todo-quarantine .worklist-count")  # type: ignore[attr-defined]
    assert int(count.inner_text()) >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"work list is {overflow}px wider than the phone"
    _shot(page, "phone-06-worklist")
    page.locator("#todo-quarantine a").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/console/quarantine$"))  # type: ignore[attr-defined]
    context.close()


def test_credit_office_sends_a_package_and_records_its_receipt_in_a_browser(
    server: str, browser: object, platform: Database, settings: Settings, penalty_file: PenaltyFile, tmp_path: Path
) -> None:
    """生成全量交换包, then 导入回执 on its row: the records sent back are listed for their department."""
    import json

    from playwright.sync_api import expect

    from transport_credit.common.actor import SYSTEM
    from transport_credit.ingest.service import import_file

    with platform.unit_of_work() as s:
        import_file(s, SYSTEM, settings, penalty_file.path, category="XZCF", department=CITY_DEPT)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/console/login")
    page.get_by_label("用户名").fill(MANAGER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/?$"))
    page.goto(f"{server}/console/exchange")
    page.locator("#export-ministry").click()
    expect(page.locator("#done")).to_contain_text("已生成全量交换包")
    [records] = list((settings.data_dir / "exchange" / "ministry").glob("*/records.jsonl"))
    back = json.loads(records.read_text().splitlines()[0])
    receipt = tmp_path / "部平台回执.csv"
    receipt.write_bytes(f"记录编号,处理结果,原因\r\n{back['record_id']},退回,处罚依据不规范\r\n".encode("gb18030"))
    row = page.locator("#packages tbody tr").first
    row.get_by_label("第 1 号交换包的回执文件").set_input_files(str(receipt))
    row.get_by_role("button", name="导入回执").click()
    expect(page.locator("#receipt-done")).to_contain_text("退回 1 条")
    expect(page.locator("#rejection-list")).to_contain_text("处罚依据不规范")
    expect(page.locator("#rejection-list")).to_contain_text(str(back["natural_key"]))
    expect(row).to_contain_text("退回 1")
    _shot(page, "desktop-07-exchange-receipt")
    context.close()


def test_administrator_opens_an_account_and_the_new_user_sets_a_password_in_a_browser(
    server: str, browser: object, platform: Database
) -> None:
    """用户管理 → 新建账号 shows a temporary password once; the new user signs in with it, is held on 修改密码 until
    they choose their own, then reaches the 工作台."""
    from playwright.sync_api import expect

    from transport_credit.auth import service as auth
    from transport_credit.common.actor import ROLE_ADMIN, SYSTEM

    with platform.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "sys.admin", "系统管理员", PASSWORD, "410000-fgc", [ROLE_ADMIN])
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{server}/console/login")
    page.get_by_label("用户名").fill("sys.admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/?$"))
    page.get_by_role("link", name="用户管理").click()
    form = page.locator("#new-account")
    form.get_by_label("用户名").fill("ly.officer")
    form.get_by_label("姓名").fill("洛阳报送员")
    form.get_by_label("部门").select_option(label="洛阳市交通运输局")
    form.get_by_role("button", name="创建账号").click()
    expect(page.locator("#account-created")).to_contain_text("ly.officer")
    temporary = page.locator("#new-password").inner_text()
    expect(page.locator("#account-list")).to_contain_text("待修改初始密码")
    _shot(page, "desktop-08-account-created")
    page.get_by_role("button", name="退出登录").click()

    page.get_by_label("用户名").fill("ly.officer")
    page.get_by_label("密码").fill(temporary)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/account/password$"))
    expect(page.locator("#password-note")).to_contain_text("请先设置您自己的密码")
    page.goto(f"{server}/console/import")  # held on the password page
    page.wait_for_url(re.compile(r".*/console/account/password$"))
    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill("luoyang-2026a")
    page.get_by_label("再次输入新密码").fill("luoyang-2026a")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("#password-done")).to_contain_text("密码已修改")
    page.get_by_role("link", name="返回工作台").click()
    page.wait_for_url(re.compile(r".*/console/?$"))
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("数据归集")
    _shot(page, "desktop-09-password-changed")
    context.close()
