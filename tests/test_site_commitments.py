"""信用承诺 and 信用评价结果 on the public website, the public API and the open data: the records on public display,
filtered by the public fields the disclosure policy names (承诺类型, 履约状态; 信用等级), on the real app and
database."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from browser_kit import launch, serve, shot
from portal_kit import PHONE, ZHENGZHOU_DEPT, Seeded, seed_portal
from transport_credit.common.actor import SYSTEM
from transport_credit.common.errors import InvalidInput
from transport_credit.db.uow import Database
from transport_credit.disclosure import service as disclosure
from transport_credit.disclosure.rules import load_policy
from transport_credit.disclosure.service import ListFilter
from transport_credit.records.service import write_revision
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject


def _commitment(
    db: Database,
    settings: Settings,
    seeded: Seeded,
    no: str,
    subject: str,
    *,
    kind: str,
    fulfilment: str,
    status: str = "active",
    contact: str | None = None,
) -> int:
    day = seeded.today - dt.timedelta(days=10)
    with db.unit_of_work() as s:
        subj = s.get(Subject, seeded.others[subject])
        assert subj is not None
        data = {
            "subject_name": subj.name,
            "subject_kind": "法人及非法人组织",
            "uscc": subj.uscc or "",
            "commitment_no": no,
            "commitment_type": kind,
            "commitment_matter": "道路货物运输经营许可（证明事项：驾驶人员安全驾驶记录）",
            "commitment_content": "本单位承诺所聘驾驶人员近三年内无重大以上交通责任事故。",
            "decision_date": day.isoformat(),
            "accepting_unit": "郑州市交通运输局",
            "source_unit": "郑州市交通运输局",
            "source_unit_uscc": "11410100MB0000000X",
            "fulfilment": fulfilment,
        }
        if contact:
            data["remarks"] = f"联系电话 {contact}"
        return write_revision(
            s,
            SYSTEM,
            settings,
            category="XYCN",
            natural_key=no,
            subject_id=subj.id,
            department_code=ZHENGZHOU_DEPT,
            data=data,
            status=status,
            decision_date=day,
            publicity_start=day,
            publicity_end=day + dt.timedelta(days=365),
        ).record_id


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    seeded = seed_portal(db, settings)  # one commitment: CN-2026-0001, 审批替代型, no fulfilment yet
    _commitment(
        db, settings, seeded, "CN-ZZ-0002", "郑州市顺达客运有限公司", kind="证明事项告知承诺型", fulfilment="未履约"
    )
    _commitment(
        db,
        settings,
        seeded,
        "CN-ZZ-0003",
        "郑州市顺达客运有限公司",
        kind="容缺受理型",
        fulfilment="已履约",
        contact=PHONE,
    )
    _commitment(
        db,
        settings,
        seeded,
        "CN-ZZ-0004",
        "郑州市顺达客运有限公司",
        kind="容缺受理型",
        fulfilment="履约中",
        status="revoked",
    )
    return seeded


@pytest.fixture
def client(seeded: Seeded, db: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def _numbers(db: Database, f: ListFilter) -> set[str]:
    with db.read() as s:
        return {r.title for r in disclosure.public_records(s, f, limit=50).items}


def test_the_service_filters_commitments_by_their_public_enumerations(db: Database, seeded: Seeded) -> None:
    everything = ListFilter(categories=("XYCN",))
    assert _numbers(db, everything) == {"CN-2026-0001", "CN-ZZ-0002", "CN-ZZ-0003"}  # the revoked one is not shown
    by_kind = ListFilter(categories=("XYCN",), fields=(("commitment_type", "容缺受理型"),))
    assert _numbers(db, by_kind) == {"CN-ZZ-0003"}
    broken = ListFilter(categories=("XYCN",), fields=(("fulfilment", "未履约"),))
    assert _numbers(db, broken) == {"CN-ZZ-0002"}
    both = ListFilter(categories=("XYCN",), fields=(("commitment_type", "容缺受理型"), ("fulfilment", "未履约")))
    assert _numbers(db, both) == set()
    with db.read() as s:
        exported = disclosure.export_records(s, broken)
    assert [r.title for r in exported] == ["CN-ZZ-0002"]


@pytest.mark.parametrize(
    ("f", "code"),
    [
        (ListFilter(categories=("XYCN",), fields=(("fulfilment", "违约了"),)), "invalid_field_value"),
        (ListFilter(categories=("XYCN",), fields=(("commitment_content", "x"),)), "field_not_filterable"),
        (ListFilter(categories=("XZCF",), fields=(("fulfilment", "未履约"),)), "field_not_filterable"),
        (ListFilter(categories=("XYCN",), fields=(("fulfilment", "未履\x00约"),)), "invalid_characters"),
    ],
)
def test_filters_the_policy_does_not_offer_are_refused(db: Database, seeded: Seeded, f: ListFilter, code: str) -> None:
    with db.read() as s, pytest.raises(InvalidInput) as exc:
        disclosure.public_records(s, f)
    assert exc.value.code == code


def test_only_public_enumerations_are_offered_whatever_the_policy_file_says(db: Database, seeded: Seeded) -> None:
    from transport_credit.catalog.service import active_catalog

    policy = load_policy().model_copy(update={"field_filters": {"XYCN": ["fulfilment", "commitment_content", "nope"]}})
    with db.read() as s:
        offered = disclosure.filter_options(policy, active_catalog(s), "XYCN")
    assert list(offered) == ["fulfilment"]  # free text and unknown keys are never filters
    assert offered["fulfilment"] == ("履约状态", ["履约中", "已履约", "未履约"])


def test_commitments_page_lists_filters_and_downloads(client: TestClient, seeded: Seeded) -> None:
    home = client.get("/").text
    assert 'href="/commitments"' in home  # in the website's navigation
    page = client.get("/commitments")
    assert page.status_code == 200
    html = page.text
    for no in ("CN-2026-0001", "CN-ZZ-0002", "CN-ZZ-0003"):
        assert no in html
    assert "CN-ZZ-0004" not in html
    assert '<option value="证明事项告知承诺型">' in html  # the filter's options come from the catalog
    assert '<option value="未履约">' in html
    assert '<span class="pill pill-warn">未履约</span>' in html
    assert "郑州市交通运输局" in html
    filtered = client.get("/commitments", params={"fulfilment": "未履约"}).text
    assert "CN-ZZ-0002" in filtered
    assert "CN-ZZ-0003" not in filtered
    assert '<option value="未履约" selected>' in filtered
    assert 'href="/commitments.csv?fulfilment=' in filtered  # the download keeps the filter
    csv_resp = client.get("/commitments.csv", params={"commitment_type": "容缺受理型"})
    assert csv_resp.status_code == 200
    body = csv_resp.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["承诺书编号"], r["承诺类型"], r["履约状态"]) for r in rows] == [("CN-ZZ-0003", "容缺受理型", "已履约")]
    assert PHONE not in body  # a telephone number in free text is masked in open data
    data = client.get("/commitments.json", params={"fulfilment": "未履约"}).json()
    assert data["count"] == 1
    assert data["items"][0]["文书编号"] == "CN-ZZ-0002"
    assert data["items"][0]["fields"]["履约状态"] == "未履约"


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/commitments", {"fulfilment": "违约了"}, "invalid_field_value"),
        ("/commitments", {"kind": "XZCF"}, "category_not_public"),
        ("/disclosures", {"fulfilment": "未履约"}, "field_not_filterable"),
        ("/commitments.csv", {"commitment_type": "x" * 500}, "invalid_field_value"),
    ],
)
def test_bad_commitment_filters_are_4xx_pages(client: TestClient, path: str, params: dict[str, str], code: str) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 422
    assert code in r.text


def test_public_api_filters_commitments(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/api/v1/public/records", params={"category": "XYCN", "field": "commitment_type:证明事项告知承诺型"})
    assert r.status_code == 200, r.text
    assert [item["title"] for item in r.json()["items"]] == ["CN-ZZ-0002"]
    r = client.get(
        "/api/v1/public/records",
        params=[("category", "XYCN"), ("field", "commitment_type:容缺受理型"), ("field", "fulfilment:已履约")],
    )
    assert [item["title"] for item in r.json()["items"]] == ["CN-ZZ-0003"]
    export = client.get("/api/v1/public/export", params={"category": "XYCN", "field": "fulfilment:未履约"})
    assert export.status_code == 200
    assert "CN-ZZ-0002" in export.text
    assert "CN-ZZ-0003" not in export.text
    for bad, code in (
        ("fulfilment", "invalid_field_filter"),
        ("fulfilment:", "invalid_field_filter"),
        ("fulfilment:违约了", "invalid_field_value"),
        ("commitment_content:本单位", "field_not_filterable"),
        ("fulfilment:未履\x00约", "invalid_characters"),
        ("fulfilment:" + "未" * 5000, "invalid_field_value"),
    ):
        r = client.get("/api/v1/public/records", params={"category": "XYCN", "field": bad})
        assert r.status_code == 422, bad
        assert r.json()["code"] == code
    eleven = [("category", "XYCN")] + [("field", f"fulfilment:未履约{i}") for i in range(11)]
    r = client.get("/api/v1/public/records", params=eleven)
    assert r.status_code == 422  # at most 10 field filters


@pytest.mark.browser
def test_commitments_filtered_in_a_browser(seeded: Seeded, db: Database, settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with serve(create_app(settings, db)) as base, launch() as browser:
        page = browser.new_page()
        page.goto(base + "/")
        page.get_by_role("link", name="信用承诺").first.click()
        expect(page.locator("h1")).to_have_text("信用承诺")
        expect(page.locator("table.commitments tbody tr")).to_have_count(3)
        page.select_option("#f-fulfilment", "未履约")
        page.click("#apply-filter")
        expect(page.locator("table.commitments tbody tr")).to_have_count(1)
        expect(page.locator("table.commitments")).to_contain_text("CN-ZZ-0002")
        expect(page.locator("#f-fulfilment")).to_have_value("未履约")
        shot(page, "site-commitments-filtered")
        with page.expect_download() as download:
            page.click("#download-csv")
        saved = tmp_path / "commitments.csv"
        download.value.save_as(saved)
        rows = list(csv.DictReader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
        assert [r["承诺书编号"] for r in rows] == ["CN-ZZ-0002"]
        page.get_by_role("link", name="信用评价").first.click()
        expect(page.locator("h1")).to_have_text("信用评价")
        page.select_option("#f-grade", "AA")
        page.click("#apply-filter")
        expect(page.locator("table.evaluations tbody tr")).to_have_count(1)
        expect(page.locator("table.evaluations")).to_contain_text("道路运输企业质量信誉考核")
        shot(page, "site-evaluations-filtered")


# --- 信用评价结果 (the same public-list machinery, a grade filter whose values come from the policy) ---------------


def _evaluation(db: Database, settings: Settings, seeded: Seeded, no: str, subject: str, grade: str) -> None:
    day = seeded.today - dt.timedelta(days=5)
    with db.unit_of_work() as s:
        subj = s.get(Subject, seeded.others[subject])
        assert subj is not None
        write_revision(
            s,
            SYSTEM,
            settings,
            category="XYPJ",
            natural_key=no,
            subject_id=subj.id,
            department_code=ZHENGZHOU_DEPT,
            data={
                "subject_name": subj.name,
                "subject_kind": "法人及非法人组织",
                "uscc": subj.uscc or "",
                "result_no": no,
                "evaluation_year": "2026",
                "evaluation_period": "2025年度",
                "evaluation_model": "道路运输企业质量信誉考核",
                "score": "61",
                "grade": grade,
                "decision_date": day.isoformat(),
                "evaluation_authority": "郑州市交通运输局",
            },
            decision_date=day,
            publicity_start=day,
            publicity_end=day + dt.timedelta(days=365),
        )


def test_evaluation_results_are_listed_and_filtered_by_grade(
    client: TestClient, db: Database, settings: Settings, seeded: Seeded
) -> None:
    _evaluation(db, settings, seeded, "PJ-ZZ-0002", "郑州市顺达客运有限公司", "B")
    assert 'href="/evaluations"' in client.get("/").text
    page = client.get("/evaluations").text
    assert "PJ-ZZ-0002" not in page  # the table names the model, the record link carries the result
    assert page.count("道路运输企业质量信誉考核") >= 2
    assert '<strong class="list-grade">AA</strong>' in page
    assert '<strong class="list-grade">B</strong>' in page
    assert '<option value="AAA">' in page  # the grade filter offers the policy's grades
    only_b = client.get("/evaluations", params={"grade": "B"}).text
    assert '<strong class="list-grade">B</strong>' in only_b
    assert '<strong class="list-grade">AA</strong>' not in only_b
    rows = list(
        csv.DictReader(io.StringIO(client.get("/evaluations.csv", params={"grade": "AA"}).content.decode("utf-8-sig")))
    )
    assert [(r["评价结果编号"], r["信用等级"]) for r in rows] == [("PJ-2026-0001", "AA")]
    api = client.get("/api/v1/public/records", params={"category": "XYPJ", "field": "grade:B"})
    assert [item["title"] for item in api.json()["items"]] == ["PJ-ZZ-0002"]
    bad = client.get("/evaluations", params={"grade": "AAAA"})
    assert bad.status_code == 422
    assert "invalid_field_value" in bad.text


def test_the_policy_offers_every_grade_the_evaluation_models_give() -> None:
    """The grade filter's values are data in the disclosure policy; every evaluation model's grades must be there
    (a model with a new grade would otherwise publish results nobody can filter for)."""
    from transport_credit.evaluation.loader import builtin_models

    offered = set(load_policy().field_values["XYPJ"]["grade"])
    provinces = sorted(p.stem for p in (Path(disclosure.__file__).parents[1] / "data" / "provinces").glob("*.yaml"))
    assert provinces
    for province in [None, *provinces]:
        for versions in builtin_models(province).values():
            for loaded in versions:
                assert set(loaded.model.grades) <= offered, loaded.source
