"""证明事项告知承诺制和容缺受理: the published list as data (rules from tables of cases), its website pages and the
commitment letter, and seed 002's two shares in the monthly report from records on the real database."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent / "ingest"))
sys.path.insert(0, str(Path(__file__).parent / "lists"))

from ingest_kit import GHC, XZXK_HEADERS, import_table, licence_row
from lists_kit import OFFICE, VIEWER

from browser_kit import launch, serve, shot
from transport_credit.bootstrap import initialize
from transport_credit.commitments import rules
from transport_credit.common.actor import SYSTEM
from transport_credit.common.errors import InvalidInput, NotFound
from transport_credit.db.uow import Database
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring import service as monitoring
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status, write_revision
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

DEFAULT = Path(rules.__file__).parent.parent / "data" / "commitments" / "notification.yaml"


def _doc(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    raw.update(changes)
    return raw


def test_the_shipped_list_loads_and_names_known_check_matters() -> None:
    doc = rules.commitment_matters("henan")
    known = list_rules("henan").matters
    assert doc.matters
    assert all(m.check_matter in known for m in doc.matters)
    assert {m.mode for m in doc.matters} == {"证明事项告知承诺", "容缺受理"}
    assert rules.commitment_matters("ningxia") == doc  # no province file: the platform's default list


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"templates": {"证明事项告知承诺": "{matter} {nope}", "容缺受理": "{matter}"}}, "unknown fields: nope"),
        ({"templates": {"证明事项告知承诺": "{matter", "容缺受理": "{matter}"}}, "template"),
        ({"templates": {"证明事项告知承诺": "{matter}"}}, "no template for 容缺受理"),
        ({"approval_commitment_types": []}, "approval_commitment_types"),
        ({"workflow": []}, "workflow"),
        ({"matters": [_doc()["matters"][0], _doc()["matters"][0]]}, "duplicate matter codes"),  # type: ignore[index]
        ({"matters": [{**_doc()["matters"][0], "mode": "先办后证"}]}, "mode"),  # type: ignore[index]
        ({"matters": [{**_doc()["matters"][0], "code": "gz 1"}]}, "code"),  # type: ignore[index]
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_broken_list_file_is_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        rules.CommitmentMatters.model_validate(_doc(**changes))


def test_a_province_list_replaces_the_default_and_must_name_known_matters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notification.yaml").write_text(DEFAULT.read_text(encoding="utf-8"), encoding="utf-8")
    own = _doc(province="ningxia", version="2026.2", name="宁夏交通运输告知承诺制事项清单")
    own["matters"] = [own["matters"][0]]  # type: ignore[index]
    (tmp_path / "ningxia.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(rules, "_data_dir", lambda: tmp_path)
    rules.commitment_matters.cache_clear()
    try:
        assert rules.commitment_matters("ningxia").name == "宁夏交通运输告知承诺制事项清单"
        assert len(rules.commitment_matters("ningxia").matters) == 1
        assert rules.commitment_matters("henan").province is None
        bad = _doc(province="ningxia", version="2026.3")
        bad["matters"] = [{**bad["matters"][0], "check_matter": "XK-NOWHERE"}]  # type: ignore[index]
        (tmp_path / "ningxia.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
        rules.commitment_matters.cache_clear()
        with pytest.raises(InvalidInput) as exc:
            rules.commitment_matters("ningxia")
        assert exc.value.code == "commitment_matters_invalid"
        assert "XK-NOWHERE" in exc.value.message
    finally:
        rules.commitment_matters.cache_clear()


def test_the_letter_and_the_matter_share() -> None:
    doc = rules.commitment_matters("henan")
    lr = list_rules("henan")
    first = doc.matters[0]
    letter = rules.filled_template(doc, lr, first)
    assert f"事项名称：{lr.matters[first.check_matter].name}" in letter
    assert f"证明事项：{first.certificate}" in letter
    assert "{" not in letter
    assert letter.startswith("证明事项告知承诺书")
    missing = next(m for m in doc.matters if m.mode == "容缺受理")
    other = rules.filled_template(doc, lr, missing)
    assert other.startswith("容缺受理承诺书")
    assert f"容缺材料：{missing.certificate}" in other
    with pytest.raises(NotFound):
        doc.matter("GZCN-99")
    licensing = sum(1 for m in lr.matters.values() if m.kind == "licensing")
    # Two entries for one licensing matter count it once; a non-licensing matter does not count.
    extra = doc.matters[0].model_copy(update={"code": "GZCN-98"})
    bidding = doc.matters[0].model_copy(update={"code": "GZCN-97", "check_matter": "ZB-GLGC"})
    wider = doc.model_copy(update={"matters": (*doc.matters, extra, bidding)})
    covered = len({m.check_matter for m in doc.matters})
    assert rules.licensing_matter_share(wider, lr) == (covered, licensing)
    assert rules.licensing_matter_share(doc.model_copy(update={"matters": ()}), lr) == (0, licensing)


def _commitment(db: Database, settings: Settings, no: str, day: dt.date, kind: str) -> int:
    with db.unit_of_work() as s:
        subject = s.scalars(select(Subject).order_by(Subject.id).limit(1)).one()
        return write_revision(
            s,
            SYSTEM,
            settings,
            category="XYCN",
            natural_key=no,
            subject_id=subject.id,
            department_code=GHC,
            data={
                "subject_name": subject.name,
                "subject_kind": "法人及非法人组织",
                "uscc": subject.uscc or "",
                "commitment_no": no,
                "commitment_type": kind,
                "commitment_matter": "道路运输经营许可",
                "commitment_content": "本单位承诺所提交材料真实有效。",
                "decision_date": day.isoformat(),
                "accepting_unit": "河南省交通运输厅",
            },
            decision_date=day,
            publicity_start=day,
        ).record_id


def test_the_monthly_report_shows_both_shares(db: Database, settings: Settings, tmp_path: Path) -> None:
    initialize(db, settings)
    sept, aug, oct_ = dt.date(2026, 9, 10), dt.date(2026, 8, 10), dt.date(2026, 10, 10)
    rows = [licence_row(n, decision_date=sept.isoformat(), valid_from=sept.isoformat()) for n in range(1, 5)]
    rows.append(licence_row(5, decision_date=aug.isoformat(), valid_from=aug.isoformat()))
    summary = import_table(
        db, settings, tmp_path / "xk.csv", rows, headers=XZXK_HEADERS, category="行政许可", department=GHC
    )
    assert summary.accepted + summary.warned == 5, summary
    with db.read() as s:
        revoked_licence = s.scalar(
            select(CreditRecord.id).where(CreditRecord.natural_key == licence_row(4)["decision_no"])
        )
    assert revoked_licence is not None
    with db.unit_of_work() as s:
        change_status(s, OFFICE, record_id=revoked_licence, status="revoked", note="撤销许可")
    _commitment(db, settings, "CN-1", sept, "审批替代型")
    _commitment(db, settings, "CN-2", sept, "容缺受理型")
    _commitment(db, settings, "CN-3", sept, "主动型")  # not an approval commitment
    _commitment(db, settings, "CN-4", oct_, "证明事项告知承诺型")  # another month
    revoked = _commitment(db, settings, "CN-5", sept, "证明事项告知承诺型")
    with db.unit_of_work() as s:
        change_status(s, OFFICE, record_id=revoked, status="revoked", note="承诺撤销")
    with db.read() as s:
        report = monitoring.monthly_report(s, VIEWER, settings, "2026-09")
    shown = {i.code: i for i in report.indicators}
    doc, lr = rules.commitment_matters(settings.province), list_rules(settings.province)
    covered, licensing = rules.licensing_matter_share(doc, lr)
    matters = shown["commitment_matter_share"]
    assert matters.value == f"{covered / licensing * 100:.1f}%（{covered}/{licensing}）"
    assert (matters.target, matters.met) == (None, None)
    assert shown["commitment_handling_share"].value == "66.7%（2/3）"  # CN-1, CN-2 of the 3 licences in force
    with db.read() as s:
        empty = monitoring.monthly_report(s, VIEWER, settings, "2026-06")
    assert {i.code: i.value for i in empty.indicators}["commitment_handling_share"] == "—（0/0）"


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    initialize(db, settings)
    with TestClient(create_app(settings, db), base_url="http://testserver") as c:
        yield c


def test_the_list_and_a_matter_on_the_website(client: TestClient) -> None:
    doc, lr = rules.commitment_matters("henan"), list_rules("henan")
    commitments = client.get("/commitments").text
    assert 'href="/commitments/matters"' in commitments
    listing = client.get("/commitments/matters")
    assert listing.status_code == 200
    for m in doc.matters:
        assert f'href="/commitments/matters/{m.code}"' in listing.text
        assert lr.matters[m.check_matter].name in listing.text
    for step in doc.workflow:
        assert step.step in listing.text
    assert doc.not_applicable in listing.text
    first = doc.matters[0]
    detail = client.get(f"/commitments/matters/{first.code.lower()}")  # codes are case-insensitive
    assert detail.status_code == 200
    assert first.certificate in detail.text
    assert "本申请人现就上述证明事项郑重承诺" in detail.text
    letter = client.get(f"/commitments/matters/{first.code}/letter.txt")
    assert letter.status_code == 200
    assert letter.headers["content-type"] == "text/plain; charset=utf-8"
    assert "attachment" in letter.headers["content-disposition"]
    assert letter.content.startswith(b"\xef\xbb\xbf")  # BOM: Notepad and Word read it as UTF-8
    text = letter.content.decode("utf-8-sig")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    assert text.replace("\r\n", "\n") == rules.filled_template(doc, lr, first)
    for path in ("/commitments/matters/GZCN-99", "/commitments/matters/GZCN-99/letter.txt"):
        r = client.get(path)
        assert r.status_code == 404
        assert "commitment_matter_not_found" in r.text
    assert client.get("/commitments/matters/" + "x" * 60).status_code in (404, 422)


@pytest.mark.browser
def test_an_applicant_finds_a_matter_and_downloads_its_letter(db: Database, settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    initialize(db, settings)
    first = rules.commitment_matters("henan").matters[0]
    with serve(create_app(settings, db)) as base, launch() as browser:
        page = browser.new_page()
        page.goto(base + "/commitments")
        page.click("#matters-link")
        expect(page.locator("h1")).to_have_text(rules.commitment_matters("henan").name)
        page.locator("#commitment-matters").get_by_role("link", name=first.code).click()
        expect(page.locator("#letter")).to_contain_text("证明事项告知承诺书")
        shot(page, "site-commitment-matter")
        with page.expect_download() as download:
            page.click("#download-letter")
        saved = tmp_path / "letter.txt"
        download.value.save_as(saved)
        assert first.certificate in saved.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize(
    ("check_matter", "lists", "broken", "available", "reason"),
    [
        ("XK-DLYS-JY", (), False, None, None),  # no route for this matter
        ("XK-DLKY", (), False, True, None),
        ("XK-DLKY", ("red",), False, True, None),  # a red-listed applicant keeps the route
        ("XK-DLKY", ("black",), False, False, "列入黑名单"),
        ("XK-GKJY", ("watch",), False, False, "列入重点关注名单"),
        ("XK-DLKY", (), True, False, "有未履约的信用承诺"),
        ("XK-DLKY", ("black", "watch"), True, False, "列入黑名单、列入重点关注名单、有未履约的信用承诺"),
    ],
)
def test_the_commitment_route_for_an_applicant(
    check_matter: str, lists: tuple[str, ...], broken: bool, available: bool | None, reason: str | None
) -> None:
    doc = rules.commitment_matters("henan")
    route = rules.commitment_route(doc, check_matter, frozenset(lists), broken)
    if available is None:
        assert route is None
        return
    assert route is not None
    assert route.available is available
    assert [m.code for m in route.matters] == [m.code for m in doc.matters if m.check_matter == check_matter]
    if reason is None:
        assert route.reason is None
    else:
        assert route.reason is not None
        assert route.reason.startswith(reason + "，信用修复前不适用")


def test_a_province_may_keep_the_route_for_broken_commitments() -> None:
    doc = rules.commitment_matters("henan").model_copy(
        update={"excluded_when_commitment_broken": False, "excluded_list_types": ("black",)}
    )
    route = rules.commitment_route(doc, "XK-DLKY", frozenset({"watch"}), True)
    assert route is not None
    assert route.available is True


def test_the_list_over_the_public_api(client: TestClient) -> None:
    doc, lr = rules.commitment_matters("henan"), list_rules("henan")
    r = client.get("/api/v1/public/commitment-matters")
    assert r.status_code == 200
    body = r.json()
    assert (body["name"], body["version"]) == (doc.name, doc.version)
    assert [w["step"] for w in body["workflow"]] == [w.step for w in doc.workflow]
    assert [i["code"] for i in body["items"]] == [m.code for m in doc.matters]
    first = body["items"][0]
    assert first["matter_name"] == lr.matters[first["check_matter"]].name
    assert first["letter"] == rules.filled_template(doc, lr, doc.matters[0])


def test_the_list_on_the_command_line(cli_env: Path, cheap_hashing: None) -> None:
    from typer.testing import CliRunner

    from transport_credit.cli.main import app

    runner = CliRunner()
    doc = rules.commitment_matters("henan")
    listed = runner.invoke(app, ["measures", "commitment-matters", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["code"], r["mode"]) for r in rows] == [(m.code, m.mode) for m in doc.matters]
    assert rows[0]["matter_name"] == list_rules("henan").matters[doc.matters[0].check_matter].name
    table = runner.invoke(app, ["measures", "commitment-matters"])
    assert table.exit_code == 0, table.output
    assert doc.matters[0].certificate in table.stdout
    letter = runner.invoke(app, ["measures", "commitment-matters", "--letter", doc.matters[-1].code.lower()])
    assert letter.exit_code == 0, letter.output
    assert letter.stdout.strip() == rules.filled_template(doc, list_rules("henan"), doc.matters[-1]).strip()
    unknown = runner.invoke(app, ["measures", "commitment-matters", "--letter", "GZCN-99"])
    assert unknown.exit_code != 0
    assert "GZCN-99" in unknown.output
