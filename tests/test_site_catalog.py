"""The public disclosure inventory (信用信息公开目录) and measure list (联合奖惩措施清单) on the website: the inventory
says exactly what the disclosure rules do to a record, and the pages show it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from transport_credit.bootstrap import initialize
from transport_credit.catalog.rules import Catalog
from transport_credit.catalog.service import active_catalog
from transport_credit.db.uow import Database
from transport_credit.disclosure import inventory
from transport_credit.disclosure.rules import load_policy, public_fields
from transport_credit.lists.rules import list_rules
from transport_credit.server import create_app
from transport_credit.settings import Settings

SAMPLE = {  # a value for every field type the catalog uses; the masked ones look like what they hold
    "id_number": "410102198503051234",
    "phone": "13812345678",
}


@pytest.fixture
def catalog(db: Database, settings: Settings) -> Catalog:
    initialize(db, settings)
    with db.read() as s:
        return active_catalog(s)


@pytest.fixture
def client(catalog: Catalog, db: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def test_the_inventory_follows_the_catalog_and_the_policy(catalog: Catalog) -> None:
    policy = load_policy()
    found = {c.code: c for c in inventory.public_inventory(catalog, policy)}
    assert list(found) == [s.code for s in policy.sections]  # the credit file's sections, in order
    penalty = found["XZCF"]
    assert (penalty.title, penalty.kind, penalty.dual_publicity, penalty.report_within_workdays) == (
        "行政处罚",
        "失信信息",
        True,
        7,
    )
    newest, older = penalty.period_rules
    assert newest.effective_from.isoformat() == "2026-04-01"
    assert {p.severity: (p.min_months, p.max_months) for p in newest.periods}["严重"] == (12, 36)
    assert {p.severity: (p.min_months, p.max_months) for p in older.periods}["严重"] == (6, 36)
    assert penalty.columns[0] == ("双公示", "/disclosures?kind=XZCF")
    assert penalty.columns[-1] == inventory.SUBJECT_PAGE
    published = {f.name: f.masked_for for f in penalty.published}
    assert published["行政相对人名称"] == ("自然人",)
    assert published["法定代表人"] == ("个体工商户", "自然人")
    assert "证件号码" in penalty.withheld
    assert "法定代表人证件号码" in penalty.withheld
    licence = found["XZXK"]
    assert (licence.period_rules, licence.until_validity) == ((), True)
    assert found["HEIMD"].columns[0] == ("红黑名单", "/lists?kind=HEIMD")
    assert found["XYCN"].columns[0] == ("信用承诺", "/commitments?kind=XYCN")
    assert found["XYPJ"].columns[0] == ("信用评价", "/evaluations?kind=XYPJ")
    assert found["BZJL"].columns == (inventory.SUBJECT_PAGE,)


@pytest.mark.parametrize("subject_kind", ["org", "individual_business", "person"])
def test_what_the_inventory_says_is_what_the_website_shows(catalog: Catalog, subject_kind: str) -> None:
    """For a record with every field filled, the website shows exactly the published fields, and changes exactly
    the values the inventory says it masks for this kind of subject."""
    policy = load_policy()
    label = inventory.SUBJECT_KIND_LABELS[subject_kind]
    for category in inventory.public_inventory(catalog, policy):
        cat = catalog.category(category.code)
        data = {f.key: SAMPLE.get(f.type, f"张三丰{i}") for i, f in enumerate(cat.fields)}
        shown = public_fields(policy, cat, data, subject_kind)
        assert set(shown) == {f.name for f in category.published}, category.code
        raw = {f.name: data[f.key] for f in cat.fields}
        for f in category.published:
            masked = "全部" in f.masked_for or label in f.masked_for
            assert (shown[f.name] != raw[f.name]) is masked, (category.code, f.name, subject_kind)


def test_the_catalog_page(client: TestClient) -> None:
    page = client.get("/catalog")
    assert page.status_code == 200
    html = page.text
    assert "交通运输信用信息公开目录" in html
    home = client.get("/").text
    assert 'class="quick-link" href="/catalog"' in home
    assert 'id="foot-catalog"' in home  # on every page, in the footer
    assert re.search(r"严重失信最短 12 个月、最长 36 个月", html)
    assert "信用修复管理办法（2026年4月1日起施行）" in html
    assert 'href="/disclosures?kind=XZCF"' in html
    assert '法定代表人<small class="muted">（个体工商户、自然人脱敏）</small>' in html
    assert "法定代表人证件号码" in html  # named among the fields never published
    assert "自决定作出之日起至有效期届满" in html  # 行政许可: while valid
    assert 'href="/lists/measures"' in html


def test_the_measure_list_page(client: TestClient, settings: Settings) -> None:
    rules = list_rules(settings.province)
    page = client.get("/lists/measures")
    assert page.status_code == 200
    html = page.text
    for m in rules.measures.values():
        assert m.name in html
        assert m.basis.split("；")[0] in html
    incentives = html.index('id="measures-incentives"')
    punishments = html.index('id="measures-punishments"')
    first_punishment = next(m for m in rules.measures.values() if m.kind == "punishment")
    assert html.index(first_punishment.name, punishments) > punishments > incentives
    for matter in rules.matters.values():
        assert matter.name in html
    assert 'id="measures-link"' in client.get("/lists").text


@pytest.mark.browser
def test_catalog_and_measures_in_a_browser(catalog: Catalog, db: Database, settings: Settings) -> None:
    """From the footer to a category of the inventory, on to the measure list, on a phone."""
    from playwright.sync_api import expect

    from browser_kit import launch, serve, shot

    with serve(create_app(settings, db)) as base, launch() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        try:
            p = context.new_page()
            p.goto(f"{base}/")
            p.locator("#foot-catalog").click()
            expect(p.locator("h1")).to_have_text("交通运输信用信息公开目录")
            p.locator("nav.tabs a", has_text="黑名单").click()
            expect(p.locator("#cat-HEIMD")).to_be_in_viewport()
            shot(p, "site-catalog-phone")
            p.locator("nav.tabs a", has_text="联合奖惩措施清单").click()
            expect(p.locator("h1")).to_have_text("联合奖惩措施清单")
            expect(p.locator("#measures-punishments tbody tr").first).to_be_visible()
            shot(p, "site-measures-phone")
        finally:
            context.close()
