"""The 信易+ scenarios (守信激励应用场景): the list's rules, who qualifies (a table), the cities a family covers (a
table), recording launches and their ends and who may, the monthly report's 信易行 coverage, a subject's benefits
from its published lists and grades, what the providers granted through the credit check's feedback, the console
page, the website's pages and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, csrf_of, login

from portal_kit import Seeded, seed_portal
from transport_credit.audit.models import AuditEntry
from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.cli.main import app as cli
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, SYSTEM, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.incentives import rules, service
from transport_credit.lists import checks
from transport_credit.lists.matching import Grade, SubjectStatus
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring import report
from transport_credit.monitoring.service import monthly_report
from transport_credit.records.service import write_revision
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

D = dt.date
OFFICE = Actor("信用办", "account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
VIEWER = Actor("查询员", "account", department_code="410000-ysj", roles=frozenset({ROLE_VIEWER}))
RULES = list_rules("henan")
DOC = rules.xinyi_scenarios("henan")
ROAD = "道路运输企业信用评价（2024.1）"  # as the platform's own evaluation names its results
DRIVER = "道路运输驾驶员诚信考核（2008.1）"
TAXI = "出租汽车驾驶员服务质量信誉考核（2022.1）"


def _status(lists: set[str] | None = None, *grades: tuple[str, str]) -> SubjectStatus:
    return SubjectStatus(frozenset(lists or ()), grades=tuple(Grade(m, g) for m, g in grades))


# --- the rules ----------------------------------------------------------------------------------------------------


def test_the_shipped_list_is_consistent_with_the_measures_and_matters() -> None:
    rules.check_against(DOC, RULES)
    assert [f.name for f in DOC.families] == ["信易批", "信易行", "交通信易货", "交通信易保"]
    assert DOC.coverage_family == "XYX"
    assert {RULES.matters[s.matter].kind for s in DOC.scenarios if s.matter} == {"xinyi"}


@pytest.mark.parametrize(
    ("scenario", "kind", "status", "eligible", "reasons", "blockers"),
    [
        ("XYX-ETC", "org", _status({"red"}), True, ["列入红名单"], []),
        ("XYX-ETC", "individual_business", _status(set(), (ROAD, "AA")), True, [f"信用等级 AA（{ROAD}）"], []),
        ("XYX-ETC", "org", _status(set(), (ROAD, "A")), False, [], []),
        ("XYX-ETC", "org", _status(set(), ("公路施工企业信用评价（2009.1）", "AA")), False, [], []),  # other model
        ("XYX-ETC", "org", _status({"red", "black"}), False, ["列入红名单"], ["列入黑名单"]),
        ("XYX-ETC", "org", _status({"watch"}, (ROAD, "AA")), False, [f"信用等级 AA（{ROAD}）"], ["列入重点关注名单"]),
        ("XYX-ETC", "person", _status({"red"}), False, ["列入红名单"], ["本场景不面向自然人"]),
        ("XYX-GJCX", "person", _status(set(), (DRIVER, "AAA")), True, [f"信用等级 AAA（{DRIVER}）"], []),
        ("XYX-GJCX", "person", _status(set(), (DRIVER, "AA")), False, [], []),
        ("XYX-YXPD", "person", _status(set(), (DRIVER, "AAA")), False, [], []),  # a taxi driver's grade is needed
        ("XYX-YXPD", "person", _status(set(), (TAXI, "AAA")), True, [f"信用等级 AAA（{TAXI}）"], []),
        ("XYB-BZJ", "individual_business", _status({"red"}), False, ["列入红名单"], ["本场景不面向个体工商户"]),
        ("XYP-LSTD", "org", _status(set(), ("任意模型", "AAA")), True, ["信用等级 AAA（任意模型）"], []),
        ("XYP-LSTD", "org", _status(), False, [], []),
    ],
)
def test_who_qualifies(
    scenario: str, kind: str, status: SubjectStatus, eligible: bool, reasons: list[str], blockers: list[str]
) -> None:
    found = DOC.scenario(scenario)
    assert found is not None
    got = rules.eligibility(RULES, found, status, kind)
    assert (got.eligible, list(got.reasons), list(got.blockers)) == (eligible, reasons, blockers)


def test_conditions_in_words() -> None:
    etc = DOC.scenario("XYX-ETC")
    assert etc is not None
    assert rules.conditions(RULES, etc) == ["列入红名单", "道路运输企业信用评价 AA 级"]


CITIES = ["410100", "410200", "410300", "419001"]
FAMILY = {"A": "XYX", "B": "XYX", "C": "XYP"}


@pytest.mark.parametrize(
    ("launches", "family", "day", "covered"),
    [
        ([rules.Launch("A", "410100", D(2026, 3, 1))], "XYX", D(2026, 3, 1), {"410100"}),
        ([rules.Launch("A", "410100", D(2026, 3, 1))], "XYX", D(2026, 2, 28), set()),  # not yet
        ([rules.Launch("A", "410100", D(2026, 3, 1), D(2026, 5, 31))], "XYX", D(2026, 5, 31), {"410100"}),
        ([rules.Launch("A", "410100", D(2026, 3, 1), D(2026, 5, 31))], "XYX", D(2026, 6, 1), set()),  # ended
        ([rules.Launch("A", "410102", D(2026, 1, 1))], "XYX", D(2026, 6, 1), {"410100"}),  # a county of 郑州
        ([rules.Launch("A", "419001", D(2026, 1, 1))], "XYX", D(2026, 6, 1), {"419001"}),  # 济源 by its own code
        ([rules.Launch("B", "410000", D(2026, 1, 1))], "XYX", D(2026, 6, 1), set(CITIES)),  # the whole province
        ([rules.Launch("C", "410000", D(2026, 1, 1))], "XYX", D(2026, 6, 1), set()),  # another family
        ([rules.Launch("Z", "410100", D(2026, 1, 1))], "XYX", D(2026, 6, 1), set()),  # unknown scenario
        (
            [rules.Launch("A", "410100", D(2026, 1, 1)), rules.Launch("B", "410300", D(2026, 1, 1))],
            "XYX",
            D(2026, 6, 1),
            {"410100", "410300"},
        ),
    ],
)
def test_covered_cities(launches: list[rules.Launch], family: str, day: D, covered: set[str]) -> None:
    assert rules.covered_cities(launches, FAMILY, family, CITIES, "410000", day) == covered


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((D(2026, 1, 1), None), (D(2026, 6, 1), None), True),
        ((D(2026, 1, 1), D(2026, 5, 31)), (D(2026, 6, 1), None), False),
        ((D(2026, 1, 1), D(2026, 6, 1)), (D(2026, 6, 1), None), True),  # the same day
        ((D(2026, 7, 1), None), (D(2026, 1, 1), D(2026, 6, 30)), False),
    ],
)
def test_overlaps(a: tuple[D, D | None], b: tuple[D, D | None], overlap: bool) -> None:
    assert rules.overlaps(*a, *b) is overlap


def _doc(**changes: Any) -> dict[str, Any]:
    data = DOC.model_dump(mode="json")
    data.update(changes)
    return data


def test_the_list_file_is_checked() -> None:
    with pytest.raises(ValidationError, match="duplicate scenario codes"):
        rules.XinyiDocument.model_validate(_doc(scenarios=[*_doc()["scenarios"], _doc()["scenarios"][0]]))
    with pytest.raises(ValidationError, match="unknown families"):
        rules.XinyiDocument.model_validate(_doc(families=_doc()["families"][:1]))
    with pytest.raises(ValidationError, match="coverage_family"):
        rules.XinyiDocument.model_validate(_doc(coverage_family="XYZ"))
    first = _doc()["scenarios"][0]
    for change, message in (
        ({"measure": "I-NOPE"}, "不在措施清单中"),
        ({"measure": "P-XK-YSHC"}, "不是守信激励措施"),
        ({"matter": "XY-NOPE"}, "不在事项清单中"),
        ({"matter": "ZB-GLGC"}, "不适用于核查事项"),
    ):
        doc = rules.XinyiDocument.model_validate(_doc(scenarios=[{**first, **change}]))
        with pytest.raises(InvalidInput, match=message):
            rules.check_against(doc, RULES)


def test_a_provinces_own_list_replaces_the_platforms(tmp_path: Path) -> None:
    (tmp_path / "xinyi.yaml").write_text(yaml.safe_dump(_doc(), allow_unicode=True), encoding="utf-8")
    own = _doc(province="ningxia", version="2026.2", scenarios=_doc()["scenarios"][:2])
    (tmp_path / "xinyi-ningxia.yaml").write_text(yaml.safe_dump(own, allow_unicode=True), encoding="utf-8")
    assert len(rules.load_xinyi(tmp_path, "ningxia").scenarios) == 2
    assert len(rules.load_xinyi(tmp_path, "henan").scenarios) == len(DOC.scenarios)
    (tmp_path / "xinyi.yaml").write_text("kind: xinyi_scenarios\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"场景清单 xinyi\.yaml 有误：name"):
        rules.load_xinyi(tmp_path, "henan")


def test_the_monthly_indicator() -> None:
    targets = report.indicator_targets("henan")
    assert targets.xinyi_city_coverage == 1.0
    facts = report.MonthFacts(0, 0, 0, 0, 0, 18, xinyi_family="信易行", xinyi_cities=(7, 18))
    found = {i.code: i for i in report.indicators(facts, targets)}["xinyi_city_coverage"]
    assert (found.name, found.value, found.target, found.met) == (
        "设区市“信易行”应用覆盖率",
        "38.9%（7/18）",
        "100.0%",
        False,
    )
    full = report.MonthFacts(0, 0, 0, 0, 0, 18, xinyi_family="信易行", xinyi_cities=(18, 18))
    assert {i.code: i for i in report.indicators(full, targets)}["xinyi_city_coverage"].met is True
    none = report.MonthFacts(0, 0, 0, 0, 0, 18)
    assert "xinyi_city_coverage" not in {i.code for i in report.indicators(none, targets)}


# --- launches and coverage ----------------------------------------------------------------------------------------


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    initialize(db, settings)
    return db


def _launch(db: Database, settings: Settings, scenario: str, region: str, start: D, **kw: Any) -> int:
    with db.unit_of_work() as s:
        row = service.launch(
            s,
            kw.pop("actor", OFFICE),
            settings,
            scenario_code=scenario,
            region_code=region,
            provider=kw.pop("provider", "公共交通集团"),
            started_on=start,
            **kw,
        )
        return row.id


def test_launches_and_who_may_record_them(platform: Database, settings: Settings) -> None:
    day = D(2026, 6, 1)
    gjcx = _launch(platform, settings, "XYX-GJCX", "410100", D(2026, 3, 1), note="刷卡九折")
    _launch(platform, settings, "XYX-YXPD", "410302", D(2026, 4, 1), provider="网约车平台")  # a county of 洛阳
    _launch(platform, settings, "XYP-LSTD", "410000", D(2026, 1, 1))  # the whole province
    for scenario, region, error, code in (
        ("XYX-NOPE", "410100", InvalidInput, "xinyi_unknown_scenario"),
        ("XYX-GJCX", "420100", InvalidInput, "xinyi_region"),  # 武汉: another province
        ("XYX-GJCX", "4101", InvalidInput, "xinyi_region"),
        ("XYX-GJCX", "410100", Conflict, "xinyi_launch_overlap"),  # already running there
    ):
        with pytest.raises(error) as caught:
            _launch(platform, settings, scenario, region, D(2026, 5, 1))
        assert caught.value.code == code
    with pytest.raises(InvalidInput, match="提供服务的单位"):
        _launch(platform, settings, "XYX-ETC", "410100", D(2026, 5, 1), provider=" ")
    with pytest.raises(PermissionDenied):
        _launch(platform, settings, "XYX-ETC", "410100", D(2026, 5, 1), actor=VIEWER)

    with platform.read() as s:
        view = service.coverage(s, settings, day=day)
    xyx = view.family("XYX")
    assert xyx is not None
    assert (xyx.covered, xyx.total) == (["410100", "410300"], 18)
    assert "419001" in xyx.missing
    assert view.matrix["410100"] == {"XYX": ["守信驾驶员公共交通出行优惠"], "XYP": ["行政许可绿色通道"]}
    lstd = view.family("XYP")
    assert lstd is not None
    assert len(lstd.covered) == 18

    with platform.unit_of_work() as s:
        with pytest.raises(InvalidInput, match="不能早于上线日期"):
            service.end_launch(s, OFFICE, gjcx, ended_on=D(2026, 2, 1), reason="到期")
        with pytest.raises(InvalidInput, match="结束原因"):
            service.end_launch(s, OFFICE, gjcx, ended_on=D(2026, 5, 31), reason="")
        with pytest.raises(PermissionDenied):
            service.end_launch(s, VIEWER, gjcx, ended_on=D(2026, 5, 31), reason="到期")
        with pytest.raises(NotFound):
            service.end_launch(s, OFFICE, 999_999, ended_on=D(2026, 5, 31), reason="到期")
        service.end_launch(s, OFFICE, gjcx, ended_on=D(2026, 5, 31), reason="合作协议到期")
    with platform.unit_of_work() as s, pytest.raises(Conflict, match="已于 2026-05-31 结束"):
        service.end_launch(s, OFFICE, gjcx, ended_on=D(2026, 6, 30), reason="到期")
    # ended: 郑州 is no longer covered from June; a new launch after the end is allowed
    with platform.read() as s:
        after = service.coverage(s, settings, day=day).family("XYX")
        listed = service.launches(s, settings, day=day)
    assert after is not None
    assert after.covered == ["410300"]
    ended = next(v for v in listed if v.id == gjcx)
    assert (ended.running, ended.ended_on, ended.region_name) == (False, D(2026, 5, 31), "郑州市")
    assert "2026-05-31 结束：合作协议到期" in ended.note
    assert ended.note.startswith("刷卡九折")
    assert listed[0].running  # running ones first
    assert next(v for v in listed if v.scenario_code == "XYP-LSTD").region_name == "河南省（全省）"
    _launch(platform, settings, "XYX-GJCX", "410100", D(2026, 7, 1))
    with platform.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("xinyi.%"))))
    assert actions.count("xinyi.launch") == 4
    assert actions.count("xinyi.end") == 1


def test_the_monthly_report_measures_the_cities_at_the_months_end(platform: Database, settings: Settings) -> None:
    _launch(platform, settings, "XYX-GJCX", "410100", D(2026, 3, 1))
    _launch(platform, settings, "XYX-ETC", "410200", D(2026, 3, 31))
    _launch(platform, settings, "XYX-ETC", "410300", D(2026, 4, 1))  # not yet at March's end
    _launch(platform, settings, "XYH-YXPH", "410000", D(2026, 1, 1))  # another family
    with platform.read() as s:
        found = {i.code: i for i in monthly_report(s, OFFICE, settings, "2026-03").indicators}
    assert found["xinyi_city_coverage"].value == "11.1%（2/18）"
    assert found["xinyi_city_coverage"].met is False


# --- a subject's benefits, what the providers granted -------------------------------------------------------------


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    return seed_portal(db, settings)


def test_a_subjects_benefits_follow_its_published_lists(db: Database, settings: Settings, seeded: Seeded) -> None:
    with db.read() as s:
        red = service.subject_benefits(s, settings, seeded.org, day=seeded.today)
        black = service.subject_benefits(s, settings, seeded.others["顺达物流有限公司"], day=seeded.today)
        plain = service.subject_benefits(s, settings, seeded.others["顺达"], day=seeded.today)
        person = service.subject_benefits(s, settings, seeded.person, day=seeded.today)
        with pytest.raises(NotFound):
            service.subject_benefits(s, settings, 999_999)
    assert {e.scenario.code for e in red.eligible} == {"XYP-LSTD", "XYX-ETC", "XYH-YXPH", "XYB-BZJ"}
    assert all("列入红名单" in e.reasons for e in red.eligible)
    lstd = next(e for e in red.eligible if e.scenario.code == "XYP-LSTD")  # any model's AA counts for 信易批
    assert lstd.reasons == ("列入红名单", "信用等级 AA（道路运输企业质量信誉考核）")
    assert black.eligible == []
    assert all("列入黑名单" in e.blockers for e in black.other)
    assert plain.eligible == []
    assert all(not e.blockers for e in plain.other)
    assert {e.scenario.code for e in person.other} == {"XYX-YXPD", "XYX-GJCX"}  # the person's scenarios only


def test_the_reach_of_each_scenario_is_the_subjects_that_qualify(
    db: Database, settings: Settings, seeded: Seeded
) -> None:
    """The console's count (one pass over the subjects with lists or grades) agrees with each subject's own page."""
    black = seeded.others["顺达物流有限公司"]
    with db.unit_of_work() as s:  # the black-listed company also holds an AA grade: it would qualify but for the list
        write_revision(
            s,
            SYSTEM,
            settings,
            category="XYPJ",
            natural_key="PJ-2026-0099",
            subject_id=black,
            department_code="410000-fgc",
            data={
                "subject_name": "顺达物流有限公司",
                "result_no": "PJ-2026-0099",
                "evaluation_model": "道路运输企业质量信誉考核",
                "grade": "AA",
                "decision_date": seeded.today.isoformat(),
                "valid_until": (seeded.today + dt.timedelta(days=365)).isoformat(),
            },
            decision_date=seeded.today,
            publicity_start=seeded.today,
            publicity_end=seeded.today + dt.timedelta(days=365),
        )
    with db.read() as s:
        reach = {r.scenario.code: r for r in service.reach(s, settings, day=seeded.today)}
        ids = s.scalars(select(Subject.id)).all()
        pages = [service.subject_benefits(s, settings, i, day=seeded.today) for i in ids]
    for code, r in reach.items():
        assert r.eligible == sum(1 for p in pages if code in {e.scenario.code for e in p.eligible}), code
        blocked = sum(
            1
            for p in pages
            for e in p.other
            if e.scenario.code == code
            and e.reasons
            and e.blockers
            and not any(b.startswith("本场景不面向") for b in e.blockers)
        )
        assert r.blocked == blocked, code
    assert reach["XYX-ETC"].eligible >= 1  # the red-listed company
    assert reach["XYP-LSTD"].blocked == 1  # the black-listed company with its AA


def test_providers_feedback_is_the_scenarios_usage(db: Database, settings: Settings, seeded: Seeded) -> None:
    month = f"{seeded.today:%Y-%m}"
    with db.unit_of_work() as s:
        for matter, applied in (("XY-XYH-YX", True), ("XY-XYH-YX", True), ("XY-XYX-ETC", False)):
            result = checks.run_check(
                s, OFFICE, settings, subject_code=seeded.org_uscc, matter_code=matter, department_code="410000-fgc"
            )
            measure = next(m for m in result.measures if m.kind == "incentive")
            assert measure.code == {"XY-XYH-YX": "I-XYH-YX", "XY-XYX-ETC": "I-XYX-ETC"}[matter]
            item = checks.FeedbackItem(measure.code, applied, "已优先派货" if applied else "未办理 ETC", seeded.today)
            checks.report_feedback(s, OFFICE, settings, result.check_id, [item])
    with db.read() as s:
        usage = {u.scenario.code: u for u in service.usage(s, settings, month)}
        before = {u.scenario.code: u for u in service.usage(s, settings, "2020-01")}
    assert (usage["XYH-YXPH"].granted, usage["XYH-YXPH"].subjects, usage["XYH-YXPH"].declined) == (2, 1, 0)
    assert (usage["XYX-ETC"].granted, usage["XYX-ETC"].declined) == (0, 1)
    assert usage["XYB-BZJ"].granted == 0
    assert before["XYH-YXPH"].granted == 0
    with db.read() as s:
        granted = monthly_report(s, OFFICE, settings, month).xinyi_granted
    assert granted["网络货运运力优先撮合"] == 2
    assert granted["高速公路 ETC 通行费优惠"] == 0


# --- console, website, command line -------------------------------------------------------------------------------


def test_console_page(seeded: Seeded, db: Database, settings: Settings, cheap_hashing: None) -> None:
    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        login(client, MANAGER)
        page = client.get("/console/xinyi")
        assert page.status_code == 200
        assert 'id="no-launches"' in page.text
        assert 'id="launch-form"' in page.text
        form = {
            "csrf_token": csrf_of(page.text),
            "scenario": "XYX-GJCX",
            "region": "410300",
            "provider": "洛阳市公共交通集团",
            "started_on": seeded.today.isoformat(),
            "note": "刷卡八折",
        }
        saved = client.post("/console/xinyi/launches", data=form, follow_redirects=False)
        assert saved.status_code == 303
        again = client.get(saved.headers["location"])
        assert 'id="saved"' in again.text
        assert "洛阳市公共交通集团" in again.text
        assert re.search(r'id="coverage-XYX" class="bad">1/18<', again.text)  # below the 100% target
        assert "守信驾驶员公共交通出行优惠" in again.text.split('data-city="410300"')[1].split("</tr>")[0]
        twice = client.post("/console/xinyi/launches", data=form)
        assert twice.status_code == 409
        assert "已有" in twice.text
        bad_date = client.post("/console/xinyi/launches", data={**form, "started_on": "2026-02-30"})
        assert bad_date.status_code == 422
        assert "上线日期格式应为 YYYY-MM-DD" in bad_date.text
        with db.read() as s:
            launch_id = service.launches(s, settings)[0].id
        ended = client.post(
            f"/console/xinyi/launches/{launch_id}/end",
            data={"csrf_token": csrf_of(page.text), "ended_on": seeded.today.isoformat(), "reason": "暂停"},
            follow_redirects=False,
        )
        assert ended.status_code == 303
        assert client.get("/console/xinyi", params={"month": "2026-13"}).status_code == 422
        login(client, OFFICER)
        page = client.get("/console/xinyi")
        assert page.status_code == 200
        assert 'id="launch-form"' not in page.text
        refused = client.post("/console/xinyi/launches", data={**form, "csrf_token": csrf_of(page.text)})
        assert refused.status_code == 403


def test_website_pages(seeded: Seeded, db: Database, settings: Settings) -> None:
    _launch(db, settings, "XYX-ETC", "410000", seeded.today - dt.timedelta(days=3), provider="河南高速")
    _launch(db, settings, "XYX-GJCX", "410300", seeded.today + dt.timedelta(days=3))  # not yet running
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        page = client.get("/xinyi")
        assert page.status_code == 200
        etc = page.text.split('id="scenario-XYX-ETC"')[1].split("</li>")[0]
        assert "列入红名单，或道路运输企业信用评价 AA 级" in etc
        assert "河南省（全省）" in etc
        gjcx = page.text.split('id="scenario-XYX-GJCX"')[1].split("</li>")[0]
        assert "尚未上线" in gjcx
        assert "已在 18 个设区市（共 18 个）上线" in page.text
        red = client.get(f"/subjects/{seeded.org}")
        assert 'id="sec-xinyi"' in red.text
        assert 'data-scenario="XYX-ETC"' in red.text
        black = client.get(f"/subjects/{seeded.others['顺达物流有限公司']}")
        assert "列入黑名单或重点关注名单期间" in black.text
        assert 'href="/xinyi"' in client.get("/").text


def test_command_line(platform: Database, cli_env: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        cli, ["xinyi", "launch", "XYX-ETC", "410000", "--provider", "河南高速", "--from", "2026-01-01", "--json"]
    )
    assert made.exit_code == 0, made.output
    launch_id = json.loads(made.stdout)["id"]
    shown = runner.invoke(cli, ["xinyi", "coverage", "--date", "2026-06-01", "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    xyx = next(f for f in data["coverage"]["families"] if f["family"]["code"] == "XYX")
    assert len(xyx["covered"]) == 18
    ended = runner.invoke(cli, ["xinyi", "end", str(launch_id), "--on", "2026-03-31", "--reason", "合同到期"])
    assert ended.exit_code == 0, ended.output
    text = runner.invoke(cli, ["xinyi", "coverage", "--date", "2026-06-01"])
    assert "信易行      0/18" in text.stdout
    usage = runner.invoke(cli, ["xinyi", "usage", "--month", "2026-06", "--json"])
    assert json.loads(usage.stdout)["scenarios"][0] == {
        "code": "XYP-LSTD",
        "eligible_today": 0,  # no subject with a list entry or a grade in this database
        "blocked_today": 0,
        "granted": 0,
        "subjects": 0,
        "declined": 0,
    }
    bad = runner.invoke(cli, ["xinyi", "launch", "XYX-NOPE", "410100", "--provider", "x", "--from", "2026-01-01"])
    assert bad.exit_code == 1
    assert "信易+场景 XYX-NOPE 不存在" in bad.output
    bad_date = runner.invoke(cli, ["xinyi", "launch", "XYX-ETC", "410100", "--provider", "x", "--from", "2026-13-01"])
    assert bad_date.exit_code == 2
