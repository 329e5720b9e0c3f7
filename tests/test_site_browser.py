"""The public website in a real browser: Playwright driving Debian's chromium (never a downloaded browser).

Search as you type, open a subject, filter a list, download the credit report and verify it, submit an
application, and the same at phone width. Screenshots go to test-artifacts/screenshots/site-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_kit import launch, serve, shot
from portal_kit import PERSON_ID, Seeded, minimum_period_passed, seed_portal
from transport_credit.db.uow import Database
from transport_credit.server import create_app
from transport_credit.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    return seed_portal(db, settings)


@pytest.fixture
def server(seeded: Seeded, db: Database, settings: Settings) -> Iterator[str]:
    with serve(create_app(settings, db)) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    with launch() as b:
        yield b


def _shot(page: object, name: str) -> None:
    shot(page, f"site-{name}")


def _journey(page: object, base: str, seeded: Seeded, tmp_path: Path, prefix: str) -> None:
    from playwright.sync_api import expect

    p: object = page
    p.goto(base + "/")  # type: ignore[attr-defined]
    expect(p.locator("h1")).to_contain_text("信用交通·河南")  # type: ignore[attr-defined]
    _shot(p, f"{prefix}-01-home")

    # Search as you type: three characters of the name, suggestions appear, open the subject.
    box = p.locator("#home-q")  # type: ignore[attr-defined]
    box.click()
    box.press_sequentially("顺达道", delay=60)
    suggestion = p.locator("#home-q-suggest a", has_text="洛阳顺达道路运输有限公司")  # type: ignore[attr-defined]
    expect(suggestion).to_be_visible()
    _shot(p, f"{prefix}-02-suggest")
    suggestion.click()
    p.wait_for_url(re.compile(rf".*/subjects/{seeded.org}$"))  # type: ignore[attr-defined]
    expect(p.locator("#subject-name")).to_have_text("洛阳顺达道路运输有限公司")  # type: ignore[attr-defined]
    expect(p.locator("#sec-XZCF")).to_contain_text("洛交罚〔2026〕001号")  # type: ignore[attr-defined]
    expect(p.locator("#sec-XYPJ")).to_contain_text("AA")  # type: ignore[attr-defined]
    _shot(p, f"{prefix}-03-subject")

    # Download the credit report, then verify it by uploading it.
    with p.expect_download() as info:  # type: ignore[attr-defined]
        p.locator("#download-report").click()  # type: ignore[attr-defined]
    download = info.value
    target = tmp_path / f"{prefix}-report.pdf"
    download.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF")
    code = re.search(r"(XY-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\.pdf$", download.suggested_filename)
    assert code is not None, download.suggested_filename
    p.goto(base + "/verify")  # type: ignore[attr-defined]
    p.get_by_label("验证码").fill(code.group(1))  # type: ignore[attr-defined]
    p.get_by_label("报告文件（PDF，可选）").set_input_files(str(target))  # type: ignore[attr-defined]
    p.locator("#verify-submit").click()  # type: ignore[attr-defined]
    expect(p.locator("#verdict")).to_contain_text("核验通过")  # type: ignore[attr-defined]
    _shot(p, f"{prefix}-04-verified")
    altered = tmp_path / f"{prefix}-altered.pdf"
    altered.write_bytes(target.read_bytes() + b"%tampered\n")
    p.get_by_label("验证码").fill(code.group(1))  # type: ignore[attr-defined]
    p.get_by_label("报告文件（PDF，可选）").set_input_files(str(altered))  # type: ignore[attr-defined]
    p.locator("#verify-submit").click()  # type: ignore[attr-defined]
    expect(p.locator("#verdict")).to_contain_text("核验未通过")  # type: ignore[attr-defined]
    _shot(p, f"{prefix}-05-altered")

    # A journalist: this week's penalties in 道路运输 in 洛阳, as CSV.
    p.goto(base + "/disclosures")  # type: ignore[attr-defined]
    p.get_by_label("类别").select_option("XZCF")  # type: ignore[attr-defined]
    p.get_by_label("行业领域").select_option("道路运输")  # type: ignore[attr-defined]
    p.get_by_label("地区").select_option("410300")  # type: ignore[attr-defined]
    p.get_by_label("决定日期自").fill((seeded.today - dt.timedelta(days=7)).isoformat())  # type: ignore[attr-defined]
    p.locator("#apply-filter").click()  # type: ignore[attr-defined]
    p.wait_for_url(re.compile(r".*kind=XZCF.*"))  # type: ignore[attr-defined]
    results = p.locator("#results")  # type: ignore[attr-defined]
    expect(results).to_contain_text("洛交罚〔2026〕001号")
    expect(results).not_to_contain_text("郑交罚〔2026〕001号")
    _shot(p, f"{prefix}-06-filtered")
    with p.expect_download() as info:  # type: ignore[attr-defined]
        p.locator("#download-csv").click()  # type: ignore[attr-defined]
    csv_path = tmp_path / f"{prefix}.csv"
    info.value.save_as(str(csv_path))
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert "洛交罚〔2026〕001号" in text
    assert "郑交罚〔2026〕001号" not in text

    # A company starts a repair application from its own penalty.
    p.locator("#results a", has_text="洛交罚〔2026〕001号").first.click()  # type: ignore[attr-defined]
    p.locator("#apply-repair").click()  # type: ignore[attr-defined]
    p.get_by_label("申请人（单位联系人或本人姓名）").fill("赵经理")  # type: ignore[attr-defined]
    p.get_by_label("联系电话").fill("13912345678")  # type: ignore[attr-defined]
    p.get_by_label("申请理由").fill("已缴清罚款并完成整改，公示已满最短期限，申请信用修复。")  # type: ignore[attr-defined]
    _shot(p, f"{prefix}-07-apply")
    p.locator("#apply-submit").click()  # type: ignore[attr-defined]
    expect(p.locator("#tracking-no")).to_have_text(re.compile(r"^XF\d{8}-[A-Z0-9]{6}$"))  # type: ignore[attr-defined]
    _shot(p, f"{prefix}-08-applied")
    html = p.content()  # type: ignore[attr-defined]
    assert "13912345678" not in html
    assert PERSON_ID not in html


def test_site_in_a_desktop_browser(server: str, browser: object, seeded: Seeded, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        _journey(context.new_page(), server, seeded, tmp_path, "desktop")
    finally:
        context.close()


def test_site_at_phone_width(server: str, browser: object, seeded: Seeded, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
        locale="zh-CN",
    )
    try:
        page = context.new_page()
        page.goto(server + "/")
        # No horizontal scrolling at phone width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        nav = page.locator("#site-nav")
        expect(nav).to_be_hidden()
        page.locator(".nav-toggle").click()
        expect(nav).to_be_visible()
        _shot(page, "phone-00-menu")
        page.locator(".nav-toggle").click()
        _journey(page, server, seeded, tmp_path, "phone")
        page.goto(server + f"/subjects/{seeded.org}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()


def test_credit_office_handles_a_repair_in_a_browser(
    server: str, browser: object, seeded: Seeded, db: Database, cheap_hashing: None
) -> None:
    """The application a company submitted on the site is accepted and decided in the console; the company reads
    the outcome on the status page and the penalty is no longer published."""
    from playwright.sync_api import expect

    from transport_credit.auth import service as auth
    from transport_credit.common.actor import ROLE_CREDIT_OFFICE, SYSTEM

    with db.unit_of_work() as s:
        auth.create_account(
            s, SYSTEM, "xyb.browser", "信用办经办人", "browser-pass-2026", "410000-fgc", [ROLE_CREDIT_OFFICE]
        )
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        p = context.new_page()
        record_id = seeded.records["penalty"]
        minimum_period_passed(db, record_id)
        p.goto(f"{server}/apply?record={record_id}&kind=repair")
        p.get_by_label("申请人（单位联系人或本人姓名）").fill("赵经理")
        p.get_by_label("联系电话").fill("13912345678")
        p.get_by_label("申请理由").fill("已缴清罚款并完成整改，公示已满最短期限，申请信用修复。")
        p.locator("#apply-submit").click()
        tracking = p.locator("#tracking-no").inner_text()
        expect(p.locator("#accept-due")).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}年"))

        p.goto(f"{server}/console/portal/applications")
        p.get_by_label("用户名").fill("xyb.browser")
        p.get_by_label("密码").fill("browser-pass-2026")
        p.get_by_role("button", name="登录").click()
        p.goto(f"{server}/console/portal/applications")
        expect(p.locator("#applications")).to_contain_text(tracking)
        _shot(p, "console-applications-open")
        p.locator("#applications a", has_text=tracking).click()
        p.locator("#accept").click()
        expect(p.locator("#status")).to_contain_text("已受理，办理中")
        p.locator("#outcome-repaired").check()
        p.locator("#obligations-met").check()
        p.locator("#commitment-made").check()
        p.get_by_label("答复意见（申请人可在网站查看）").fill("经核实，准予修复，该信息停止公示。")
        _shot(p, "console-application-decide")
        p.locator("#decide").click()
        expect(p.locator("#result")).to_contain_text("准予修复，已停止公示")
        _shot(p, "console-application-done")

        p.goto(f"{server}/apply/status?no={tracking}")
        expect(p.locator("#status-label")).to_have_text("准予修复，已停止公示")
        expect(p.locator("#reply")).to_have_text("经核实，准予修复，该信息停止公示。")
        _shot(p, "site-apply-status-done")
        response = p.goto(f"{server}/records/{record_id}")
        assert response is not None
        assert response.status == 404
    finally:
        context.close()


def test_an_objection_is_verified_by_the_providing_unit_in_a_browser(
    server: str, browser: object, seeded: Seeded, db: Database, cheap_hashing: None
) -> None:
    """The company objects on the site; the credit office accepts; the unit that reported the penalty finds its
    work on the 工作台, answers; the public record says 异议处理中 meanwhile, and the decision follows the finding."""
    from playwright.sync_api import expect

    from transport_credit.auth import service as auth
    from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM

    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "xyb.v", "信用办经办人", "browser-pass-2026", "410000-fgc", [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, "ly.v", "洛阳报送员", "browser-pass-2026", "410300-jtj", [ROLE_DATA_OFFICER])

    def sign_in(p: object, user: str) -> None:
        p.goto(f"{server}/console/login")  # type: ignore[attr-defined]
        p.get_by_label("用户名").fill(user)  # type: ignore[attr-defined]
        p.get_by_label("密码").fill("browser-pass-2026")  # type: ignore[attr-defined]
        p.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
        p.wait_for_url(re.compile(r".*/console$"))  # type: ignore[attr-defined]

    record_id = seeded.records["penalty"]
    office = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    unit = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        p = office.new_page()
        p.goto(f"{server}/apply?record={record_id}&kind=objection")
        p.get_by_label("申请人（单位联系人或本人姓名）").fill("赵经理")
        p.get_by_label("联系电话").fill("13912345678")
        p.get_by_label("申请理由").fill("处罚决定书记载的车牌号与实际不符，申请核实更正。")
        p.locator("#apply-submit").click()
        tracking = p.locator("#tracking-no").inner_text()
        sign_in(p, "xyb.v")
        p.goto(f"{server}/console/portal/applications")
        p.locator("#applications a", has_text=tracking).click()
        p.locator("#accept").click()
        expect(p.locator("#verification")).to_contain_text("待核实")
        p.goto(f"{server}/records/{record_id}")
        expect(p.locator("#disputed")).to_contain_text("异议处理中")

        q = unit.new_page()
        sign_in(q, "ly.v")
        expect(q.locator("#todo-verifications .worklist-count")).to_have_text("1")
        _shot(q, "console-worklist-unit")
        q.locator("#todo-verifications a").click()
        q.locator("#verifications a", has_text=tracking).click()
        q.locator("#finding-inaccurate").check()
        q.get_by_label("核实说明（核实依据、过程与结果，信用办据此答复申请人）").fill(
            "经调取执法记录，车牌号录入有误。"
        )
        _shot(q, "console-verification-form")
        q.locator("#verify").click()
        expect(q.locator("#finding")).to_contain_text("信息有误")
        assert q.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

        p.goto(f"{server}/console/portal/applications")
        p.locator("#applications a", has_text=tracking).click()
        expect(p.locator("#finding")).to_contain_text("信息有误")
        expect(p.locator("#outcome-dismissed")).to_have_count(0)  # the finding leaves correction or revocation
        p.locator("#outcome-revoked").check()
        p.get_by_label("答复意见（申请人可在网站查看）").fill("经信息提供单位核实，该信息有误，予以撤销。")
        p.locator("#decide").click()
        expect(p.locator("#result")).to_contain_text("异议成立，信息已撤销")
        response = p.goto(f"{server}/records/{record_id}")
        assert response is not None
        assert response.status == 404  # revoked: no longer published
    finally:
        office.close()
        unit.close()


def test_a_contact_subscribes_to_reminders_at_phone_width(
    server: str, browser: object, seeded: Seeded, settings: Settings
) -> None:
    """信用提醒订阅 on a phone: the subject's page, the form, the code read off the (file channel's) message, done."""
    import json

    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(server + f"/subjects/{seeded.org}")
        page.locator("#subscribe-link").click()
        expect(page.locator("#subscribe-subject")).to_have_text("洛阳顺达道路运输有限公司")
        page.get_by_label("联系人（单位联系人或本人姓名）").fill("王经理")
        page.get_by_label("手机号码").fill("1381234567")  # one digit short
        page.locator("#subscribe-submit").click()
        expect(page.locator("#r-phone-err")).to_contain_text("请填写有效的手机号码")
        page.get_by_label("手机号码").fill("13812345678")
        page.locator("#subscribe-submit").click()
        expect(page.locator("#confirm-phone")).to_have_text("138****5678")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        _shot(page, "phone-20-subscribe-code")
        [outbox] = (settings.data_dir / "reminders").glob("outbox-*.jsonl")
        message = json.loads(outbox.read_text("utf-8").splitlines()[-1])
        code = re.search(r"验证码(\d{6})", message["text"])
        assert code is not None, message
        page.get_by_label("验证码").fill(code.group(1))
        page.locator("#confirm-submit").click()
        expect(page.locator("#subscribed")).to_contain_text("138****5678")
        expect(page.locator("#subscribed")).to_contain_text("洛阳顺达道路运输有限公司")
        _shot(page, "phone-21-subscribed")
        assert "13812345678" not in page.content()
    finally:
        context.close()
