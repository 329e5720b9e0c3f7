"""The public website through the real app and database: pages, lists, downloads, report, applications."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal_kit import LUOYANG_DEPT, PERSON_ID, PHONE, Seeded, minimum_period_passed, seed_portal
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.db.uow import Database
from transport_credit.portal import service as portal
from transport_credit.portal.models import CreditReport, PortalApplication
from transport_credit.records.models import CreditRecord
from transport_credit.server import create_app
from transport_credit.settings import Settings

OFFICE = Actor(name="xyb", kind="account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    return seed_portal(db, settings)


@pytest.fixture
def client(seeded: Seeded, db: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def test_home_page_shows_latest_disclosures_and_counts(client: TestClient, db: Database) -> None:
    with db.unit_of_work() as s:
        portal.create_content(
            s,
            OFFICE,
            portal.ContentInput(kind="notice", title="关于开展信用修复专项行动的通知", body="各单位：……"),
            publish=True,
        )
        portal.create_content(s, OFFICE, portal.ContentInput(kind="policy", title="草稿文件", body="草稿"))
    r = client.get("/")
    assert r.status_code == 200
    assert "信用交通·河南" in r.text
    assert "洛交罚〔2026〕001号" in r.text
    assert "关于开展信用修复专项行动的通知" in r.text
    assert "草稿文件" not in r.text  # drafts are not public
    assert 'href="/static/site/site.css"' in r.text
    assert "http://" not in r.text.replace("http://testserver", "")  # no external assets
    assert client.get("/static/site/site.css").status_code == 200
    assert client.get("/static/site/site.js").status_code == 200


def test_subject_page_shows_only_current_public_records(client: TestClient, seeded: Seeded) -> None:
    r = client.get(f"/subjects/{seeded.org}")
    assert r.status_code == 200
    html = r.text
    assert "洛阳顺达道路运输有限公司" in html
    assert seeded.org_uscc in html
    for shown in (
        "洛交罚〔2026〕001号",
        "洛交许〔2026〕001号",
        "AA",
        "守信激励对象名单" if False else "豫交信〔2026〕HMD号",
        "CN-2026-0001",
        "罚款人民币八千元" if False else "洛交罚〔2026〕004号",
    ):
        assert shown in html, shown
    assert "洛交罚〔2024〕009号" not in html  # publicity period over
    assert "洛交罚〔2026〕002号" not in html  # repaired
    assert "洛交罚〔2026〕003号" not in html  # publicity not started
    assert "下载信用报告" in html


def test_record_page_shows_the_current_revision(client: TestClient, seeded: Seeded) -> None:
    r = client.get(f"/records/{seeded.records['corrected']}")
    assert r.status_code == 200
    assert "罚款人民币八千元" in r.text
    assert "已更正" not in r.text
    old = client.get(f"/records/{seeded.records['superseded']}")
    assert old.status_code == 404
    assert "不在公示期" in old.text
    assert client.get(f"/records/{seeded.records['repaired']}").status_code == 404


def test_person_records_are_masked(client: TestClient, seeded: Seeded) -> None:
    r = client.get(f"/records/{seeded.records['person_penalty']}")
    assert r.status_code == 200
    assert PERSON_ID not in r.text
    assert PHONE not in r.text
    assert "李**" in r.text
    assert "李四光" not in r.text
    assert "138****5678" in r.text
    subject = client.get(f"/subjects/{seeded.person}").text
    assert "李四光" not in subject
    assert PERSON_ID not in subject
    business = client.get(f"/records/{seeded.records['business_penalty']}").text
    assert "洛阳市老城区王记汽车修理部" in business  # an individual business keeps its business name
    assert "王小明" not in business
    assert "王**" in business


def test_search_ranks_exact_then_prefix_then_substring(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/search", params={"q": "顺达"})
    assert r.status_code == 200
    names = re.findall(r'class="hit-name" href="/subjects/\d+">([^<]+)<', r.text)
    assert names[0] == "顺达"
    assert names[1] == "顺达物流有限公司"
    assert set(names[2:]) >= {"洛阳顺达道路运输有限公司", "郑州市顺达客运有限公司"}
    assert "李四光" not in r.text  # natural persons are not searchable by the public
    suggest = client.get("/search/suggest", params={"q": "洛阳顺达道"}).json()
    assert [i["name"] for i in suggest["items"]] == ["洛阳顺达道路运输有限公司"]
    by_code = client.get("/search/suggest", params={"q": seeded.org_uscc[:8]}).json()
    assert by_code["items"][0]["id"] == seeded.org
    assert client.get("/search", params={"q": "顺"}).status_code == 200  # too short: a hint, not an error


def test_disclosure_list_filters_and_csv(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/disclosures", params={"kind": "XZCF", "domain": "道路运输", "region": "410300"})
    assert r.status_code == 200
    assert "洛交罚〔2026〕001号" in r.text
    assert "郑交罚〔2026〕001号" not in r.text  # 郑州, 公路管理
    assert "洛交许〔2026〕001号" not in r.text  # a licence
    zz = client.get("/disclosures", params={"region": "410100"}).text
    assert "郑交罚〔2026〕001号" in zz
    assert "洛交罚〔2026〕001号" not in zz
    dept = client.get("/disclosures", params={"department": LUOYANG_DEPT, "kind": "XZXK"}).text
    assert "洛交许〔2026〕001号" in dept
    csv_resp = client.get("/disclosures.csv", params={"kind": "XZCF", "region": "410300"})
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    body = csv_resp.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    numbers = {row["文书编号"] for row in rows}
    assert "洛交罚〔2026〕001号" in numbers
    assert "洛交罚〔2024〕009号" not in numbers
    assert PERSON_ID not in body
    assert PHONE not in body
    data = client.get("/lists.json", params={"kind": "HEIMD"}).json()
    assert data["count"] == 1
    assert data["items"][0]["主体名称"] == "顺达物流有限公司"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"kind": "QZ"}, "category_not_public"),
        ({"from": "2026-13-01"}, "invalid_date"),
        ({"from": "2026-05-01", "to": "2026-01-01"}, "invalid_date_range"),
        ({"region": "41x"}, "invalid_region"),
        ({"page": "0"}, "invalid_request"),
    ],
)
def test_bad_list_filters_are_4xx_pages(client: TestClient, params: dict[str, str], code: str) -> None:
    r = client.get("/disclosures", params=params)
    assert r.status_code == 422
    assert code in r.text
    assert "<html" in r.text


def test_report_download_and_verification(client: TestClient, seeded: Seeded, db: Database) -> None:
    r = client.post(f"/subjects/{seeded.org}/report")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = r.content
    assert pdf.startswith(b"%PDF")
    code = r.headers["x-report-code"]
    with db.read() as s:
        report = s.scalar(select(CreditReport).where(CreditReport.code == code))
        assert report is not None
        assert report.subject_id == seeded.org
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200
    assert "验证码有效" in page.text
    ok = client.post("/verify", data={"code": code.lower().replace("-", " ")}, files={"file": ("r.pdf", pdf)})
    assert "核验通过" in ok.text
    altered = bytearray(pdf)
    idx = altered.rfind(b"/Producer")
    altered[idx + 11 : idx + 12] = b"X"
    bad = client.post("/verify", data={"code": code}, files={"file": ("r.pdf", bytes(altered))})
    assert "核验未通过" in bad.text
    unknown = client.get("/verify/XY-2222-3333-4444")
    assert "未找到" in unknown.text
    assert client.get("/verify/not-a-code").status_code == 422


def test_application_from_a_record(client: TestClient, seeded: Seeded, db: Database) -> None:
    record_id = seeded.records["penalty"]
    form = client.get("/apply", params={"record": record_id, "kind": "repair"})
    assert form.status_code == 200
    assert "洛交罚〔2026〕001号" in form.text
    assert "受理后 10 个工作日内作出决定" in form.text  # the handling deadlines in force (data/applications)
    # decided three days ago: the applicant is told when the minimum publicity period ends, before applying
    early = re.search(r'id="repair-early"[^>]*>该信息的最短公示期至 (\d{4}-\d{2}-\d{2}) 届满', form.text)
    assert early is not None
    opens = dt.date.fromisoformat(early.group(1))
    with db.read() as s:
        record = s.get(CreditRecord, record_id)
        assert record is not None
        assert record.decision_date is not None
        assert opens >= record.decision_date + dt.timedelta(days=89)  # a general penalty: three months at least
    assert f"最短公示期至 {opens.isoformat()} 届满，届满后可申请信用修复" in client.get(f"/records/{record_id}").text
    minimum_period_passed(db, record_id)
    assert 'id="repair-early"' not in client.get("/apply", params={"record": record_id, "kind": "repair"}).text
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert f"最短公示期已满（{yesterday.isoformat()}）" in client.get(f"/records/{record_id}").text
    assert 'id="repair-opens"' not in client.get(f"/records/{seeded.records['licence']}").text  # nothing to repair
    bad = client.post(
        "/apply",
        data={
            "kind": "repair",
            "subject_id": str(seeded.org),
            "record_id": str(record_id),
            "applicant_name": "赵",
            "contact": "123",
            "reason": "短",
        },
    )
    assert bad.status_code == 422
    assert "请填写有效的手机号码" in bad.text
    assert 'id="limits"' in bad.text
    r = client.post(
        "/apply",
        data={
            "kind": "repair",
            "subject_id": str(seeded.org),
            "record_id": str(record_id),
            "applicant_name": "赵经理",
            "contact": PHONE,
            "reason": "已按处罚决定缴清罚款并完成整改，公示已满最短期限，申请信用修复。",
        },
    )
    assert r.status_code == 200, r.text
    tracking = re.search(r'id="tracking-no" class="mono">([^<]+)<', r.text)
    assert tracking is not None
    assert PHONE not in r.text
    assert "138****5678" in r.text
    with db.read() as s:
        app = s.scalar(select(PortalApplication).where(PortalApplication.tracking_no == tracking.group(1)))
        assert app is not None
        assert app.record_id == record_id
        assert app.kind == "repair"
        assert PHONE.encode() not in app.contact_cipher
    status = client.get("/apply/status", params={"no": tracking.group(1)})
    assert "已提交，待受理" in status.text
    assert "前决定是否受理" in status.text  # the acceptance deadline (working days)
    licence = client.post(
        "/apply",
        data={
            "kind": "repair",
            "subject_id": str(seeded.org),
            "record_id": str(seeded.records["licence"]),
            "applicant_name": "赵经理",
            "contact": PHONE,
            "reason": "申请修复一条行政许可信息的测试理由。",
        },
    )
    assert licence.status_code == 422
    assert "repair_not_applicable" in licence.text


def test_unknown_pages_and_subjects_are_404(client: TestClient) -> None:
    assert client.get("/subjects/999999").status_code == 404
    assert client.get("/nothing-here").status_code == 404
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    assert client.get("/api/docs").status_code == 200
    assert client.get("/console/login").status_code == 200


def test_what_the_router_refuses_gets_the_website_error_page(client: TestClient) -> None:
    """A method a page does not take, an address no route matches: the site's error page, not framework JSON."""
    refused = client.post("/lists")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET")
    assert refused.headers["content-type"].startswith("text/html")
    assert "该页面不支持此请求方式" in refused.text
    nowhere = client.get("/nothing%0Ahere")  # a newline: no route's pattern matches it, not even the catch-all
    assert nowhere.status_code == 404
    assert "页面不存在" in nowhere.text


@pytest.mark.parametrize(
    "path",
    [
        "/subjects/99999999999999999999",
        "/records/0",
        "/apply?subject=99999999999999999999",
        "/search?q=%00%00%00",
        "/disclosures?domain=%00",
        "/content/-1",
        "/verify/%00",
    ],
)
def test_hostile_input_is_a_4xx_never_a_500(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert 200 <= r.status_code < 500, (path, r.status_code)


def test_hostile_form_input(client: TestClient, seeded: Seeded) -> None:
    for subject_id in ("99999999999", "abc", "-1", "１２"):
        r = client.post(
            "/apply",
            data={
                "kind": "objection",
                "subject_id": subject_id,
                "applicant_name": "赵经理",
                "contact": PHONE,
                "reason": "测试理由，测试理由，测试理由。",
            },
        )
        assert r.status_code == 422, subject_id
    r = client.post(
        "/apply",
        data={
            "kind": "objection",
            "subject_id": str(seeded.org),
            "applicant_name": "赵\x00",
            "contact": PHONE,
            "reason": "测试理由\x00测试理由测试理由。",
        },
    )
    assert r.status_code == 422


def test_integrity_column_publishes_the_departments_own_integrity(client: TestClient, db: Database) -> None:
    """政务诚信公示: items of the column appear on /integrity only, their page leads back to it."""
    with db.unit_of_work() as s:
        item = portal.create_content(
            s,
            OFFICE,
            portal.ContentInput(kind="integrity", title="2026年交通运输民生实事项目进展情况", body="进展情况如下：……"),
            publish=True,
        )
        portal.create_content(
            s, OFFICE, portal.ContentInput(kind="integrity", title="未发布的政务诚信草稿", body="草稿")
        )
    home = client.get("/").text
    assert 'href="/integrity"' in home
    column = client.get("/integrity")
    assert column.status_code == 200
    assert "<h1>政务诚信</h1>" in column.text
    assert "2026年交通运输民生实事项目进展情况" in column.text
    assert "未发布的政务诚信草稿" not in column.text
    assert "2026年交通运输民生实事项目进展情况" not in client.get("/notices").text
    page = client.get(f"/content/{item.id}").text
    assert '<a href="/integrity">政务诚信</a>' in page
    assert 'aria-current="page">政务诚信' in page
