"""诚信缺失突出问题专项治理: the templates' rules, a target's state (a table), opening a campaign takes on the subjects
its rule and lists find (once), who may act on which target, actions and their deadlines, 整改销号, closing, the view
by state and department, the 工作台 counts, the 治理台账 workbook, the console pages and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, OFFICER, VIEWER, uscc
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, PASSWORD, csrf_of, login
from console_kit import OFFICER as CITY_OFFICER

from transport_credit import audit
from transport_credit.audit.models import AuditEntry
from transport_credit.auth import service as auth
from transport_credit.campaigns import rules, service
from transport_credit.campaigns.models import CampaignTarget
from transport_credit.catalog.service import active_catalog
from transport_credit.cli.main import app as cli
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.disclosure.rules import china_today
from transport_credit.lists import cases
from transport_credit.lists import service as lists
from transport_credit.monitoring.service import monthly_report, to_xlsx
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

D = dt.date
TODAY = china_today()  # the service's day (China time), not the machine's
OTHER = Actor("洛阳报送员", "account", department_code="410300-jtj", roles=frozenset({ROLE_DATA_OFFICER}))
ACT = rules.TakenAction


# --- rules --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "finished", "today", "state"),
    [
        ([], None, D(2026, 6, 1), "pending"),
        ([ACT("interview", D(2026, 5, 1))], None, D(2026, 6, 1), "handling"),
        ([ACT("rectify", D(2026, 5, 1), D(2026, 5, 31))], None, D(2026, 5, 31), "handling"),  # the last day
        ([ACT("rectify", D(2026, 5, 1), D(2026, 5, 31))], None, D(2026, 6, 1), "overdue"),
        # a new 限期整改 with a later deadline replaces the passed one
        (
            [ACT("rectify", D(2026, 5, 1), D(2026, 5, 31)), ACT("rectify", D(2026, 6, 1), D(2026, 6, 30))],
            None,
            D(2026, 6, 10),
            "handling",
        ),
        ([ACT("rectify", D(2026, 5, 1), D(2026, 5, 31))], D(2026, 5, 20), D(2026, 7, 1), "done"),
        ([], D(2026, 5, 20), D(2026, 7, 1), "done"),
    ],
)
def test_target_state(actions: list[rules.TakenAction], finished: D | None, today: D, state: str) -> None:
    assert rules.target_state(actions, finished, today) == state


def test_rectify_deadline() -> None:
    assert rules.rectify_deadline(D(2026, 5, 1), None, 30) == D(2026, 5, 31)
    assert rules.rectify_deadline(D(2026, 5, 1), D(2026, 5, 10), 30) == D(2026, 5, 10)


def test_the_shipped_templates_use_the_catalogs_fields(platform: Database, settings: Settings) -> None:
    doc = service.templates(settings)
    assert {t.code for t in doc.templates} == {"overload", "dangerous_goods", "waterway", "ride_hailing"}
    with platform.read() as s:
        catalog = active_catalog(s)
    for t in doc.templates:
        for r in t.rules:
            fields = {f.key for f in catalog.category(r.source_category).fields}
            assert {c.field for c in r.conditions} <= fields, t.code


def test_a_template_must_take_someone_on() -> None:
    data: dict[str, Any] = rules.campaign_templates("henan").model_dump(mode="json")
    data["templates"][0] = {**data["templates"][0], "rules": [], "lists": []}
    with pytest.raises(ValidationError, match="takes on no subject"):
        rules.TemplatesDocument.model_validate(data)
    data = rules.campaign_templates("henan").model_dump(mode="json")
    data["actions"].append(data["actions"][0])
    with pytest.raises(ValidationError, match="duplicate action codes"):
        rules.TemplatesDocument.model_validate(data)


# --- the campaign -------------------------------------------------------------------------------------------------


def _listed_overload(db: Database, settings: Settings, subject_code: str) -> str:
    """A published 严重违法失信超限超载 list entry for the subject; returns its entry number."""
    with db.unit_of_work() as s:
        entry = lists.propose_entry(
            s, OFFICE, settings, subject_code=subject_code, list_code="overload_serious", reason="多次超限运输"
        )
        lists.notify_entry(s, OFFICE, settings, entry.id, today=TODAY - dt.timedelta(days=40))
        published = lists.publish_entry(s, OFFICE, settings, entry.id)
        return published.entry_no


def _open(db: Database, settings: Settings, **kw: Any) -> int:
    with db.unit_of_work() as s:
        campaign = service.open_campaign(
            s,
            kw.pop("actor", OFFICE),
            settings,
            template_code=kw.pop("template", "overload"),
            starts_on=kw.pop("starts_on", TODAY - dt.timedelta(days=10)),
            ends_on=kw.pop("ends_on", TODAY + dt.timedelta(days=80)),
            **kw,
        )
        return campaign.id


def _targets(db: Database, campaign_id: int) -> dict[str, CampaignTarget]:
    with db.read() as s:
        rows = s.execute(
            select(Subject.uscc, CampaignTarget)
            .join(CampaignTarget, CampaignTarget.subject_id == Subject.id)
            .where(CampaignTarget.campaign_id == campaign_id)
        ).all()
        for _u, t in rows:
            s.expunge(t)
        return {str(u): t for u, t in rows}


def test_a_campaign_takes_on_its_subjects_once(filled: Database, settings: Settings) -> None:
    entry_no = _listed_overload(filled, settings, uscc(2))
    with pytest.raises(PermissionDenied):
        _open(filled, settings, actor=VIEWER)
    with pytest.raises(InvalidInput, match="结束日期不能早于开始日期"):
        _open(filled, settings, ends_on=TODAY - dt.timedelta(days=30))
    with pytest.raises(InvalidInput, match="模板 nope 不存在"):
        _open(filled, settings, template="nope")
    campaign_id = _open(filled, settings)
    targets = _targets(filled, campaign_id)
    assert set(targets) == {uscc(1), uscc(2)}  # org 1 (5 penalties) and org 2 (listed); org 3 and the person: 1 each
    assert targets[uscc(1)].reason == "一年内 2 次以上因超限超载受到行政处罚（5 次）"
    assert targets[uscc(1)].department_code == "410000-zfj"  # the unit that reported the penalties
    assert len(targets[uscc(1)].evidence) == 5
    assert targets[uscc(2)].reason == f"列入严重违法失信超限超载运输当事人名单（{entry_no}）"
    assert targets[uscc(2)].department_code == "410000-fgc"  # the list's deciding department
    with filled.unit_of_work() as s:
        assert service.draw_targets(s, OFFICE, settings, campaign_id) == 0  # nobody new
    with filled.read() as s:
        view = service.campaign_view(s, OFFICE, settings, campaign_id)
    assert view.name == f"货车超限超载诚信缺失突出问题专项治理（{(TODAY - dt.timedelta(days=10)).year}年）"
    assert view.states == {"pending": 2}
    # another template finds nobody here
    assert _targets(filled, _open(filled, settings, template="waterway", name="水上交通专项治理")) == {}


def test_acting_on_targets(filled: Database, settings: Settings) -> None:
    _listed_overload(filled, settings, uscc(2))
    campaign_id = _open(filled, settings, starts_on=TODAY - dt.timedelta(days=60))
    target = _targets(filled, campaign_id)[uscc(1)]

    def act(actor: Actor, action: str, on: D, note: str = "约谈企业负责人", **kw: Any) -> Any:
        with filled.unit_of_work() as s:
            return service.record_action(s, actor, settings, target.id, action=action, taken_on=on, note=note, **kw)

    day = TODAY - dt.timedelta(days=50)
    with pytest.raises(PermissionDenied, match="只能处置本单位负责的治理对象"):
        act(OTHER, "interview", day)
    for action, on, note, kw, code in (
        ("arrest", day, "x", {}, "campaign_unknown_action"),
        ("interview", TODAY + dt.timedelta(days=1), "x", {}, "campaign_action_date"),
        ("interview", TODAY - dt.timedelta(days=61), "x", {}, "campaign_action_date"),  # before the campaign
        ("interview", day, "  ", {}, "campaign_action_note"),
        ("rectify", day, "整改", {"deadline": day}, "campaign_deadline"),
    ):
        with pytest.raises(InvalidInput) as caught:
            act(OFFICER, action, on, note, **kw)
        assert caught.value.code == code
    with filled.unit_of_work() as s, pytest.raises(Conflict, match="请先登记"):
        service.finish_target(s, OFFICER, target.id, finished_on=TODAY, note="已整改")
    act(OFFICER, "interview", day)  # the penalties' unit acts on its own target
    row = act(OFFICE, "rectify", day, "限期完善装载源头管理")
    assert row.deadline == day + dt.timedelta(days=30)  # the templates' rectify_days
    with filled.read() as s:
        view = service.campaign_view(s, OFFICE, settings, campaign_id)
        mine = service.campaign_view(s, OFFICER, settings, campaign_id)
        with pytest.raises(PermissionDenied):
            service.campaign_view(s, OFFICER, settings, campaign_id, department_code="410000-fgc")
        assert service.attention(s, OFFICER, TODAY) == (0, 1)
        assert service.attention(s, OFFICE, TODAY) == (1, 1)  # the listed subject, not yet acted on
        assert service.attention(s, OTHER, TODAY) == (0, 0)
    assert view.states == {"overdue": 1, "pending": 1}
    assert view.actions == {"约谈": 1, "限期整改": 1}
    assert [(d.code, d.states) for d in view.departments] == [
        ("410000-zfj", {"overdue": 1}),
        ("410000-fgc", {"pending": 1}),
    ]
    assert [t.subject_id for t in mine.targets] == [target.subject_id]
    t = next(t for t in view.targets if t.id == target.id)
    assert (t.state_label, t.deadline, [a.name for a in t.actions]) == (
        "整改逾期",
        day + dt.timedelta(days=30),
        ["约谈", "限期整改"],
    )

    with filled.unit_of_work() as s:
        with pytest.raises(InvalidInput, match="销号日期"):
            service.finish_target(s, OFFICER, target.id, finished_on=day - dt.timedelta(days=1), note="已整改")
        service.finish_target(s, OFFICER, target.id, finished_on=TODAY, note="复查合格")
    with pytest.raises(Conflict, match="整改销号"):
        act(OFFICER, "warning", TODAY)
    with filled.read() as s:
        done = service.campaign_view(s, OFFICE, settings, campaign_id)
        workbook = load_workbook(io.BytesIO(service.to_xlsx(done)))
    assert done.states == {"done": 1, "pending": 1}
    sheet = workbook["治理台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("序号", "治理对象", "纳入原因", "责任单位")
    line = next(r for r in rows[2:] if r[6] == "已整改销号")
    assert "约谈：约谈企业负责人" in str(line[4])
    assert line[8] == "复查合格"
    with filled.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            service.close_campaign(s, OFFICER, campaign_id, summary="x")
        with pytest.raises(InvalidInput, match="工作总结"):
            service.close_campaign(s, OFFICE, campaign_id, summary="")
        service.close_campaign(s, OFFICE, campaign_id, summary="共治理 2 个对象。")
    with pytest.raises(Conflict, match="已结束"):
        act(OFFICE, "interview", TODAY)
    with filled.read() as s:
        assert service.attention(s, OFFICE, TODAY) == (0, 0)  # a closed campaign waits for nobody
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("campaign.%"))))
    assert sorted(set(actions)) == [
        "campaign.action",
        "campaign.close",
        "campaign.draw",
        "campaign.finish",
        "campaign.open",
    ]


# --- console and command line -------------------------------------------------------------------------------------


def test_console_pages(filled: Database, settings: Settings, cheap_hashing: None) -> None:
    with filled.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, CITY_OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
    with TestClient(create_app(settings, filled), base_url="http://testserver") as client:
        login(client, MANAGER)
        page = client.get("/console/campaigns")
        assert page.status_code == 200
        assert 'id="no-campaigns"' in page.text
        opened = client.post(
            "/console/campaigns",
            data={
                "csrf_token": csrf_of(page.text),
                "template": "overload",
                "starts_on": (TODAY - dt.timedelta(days=5)).isoformat(),
                "ends_on": (TODAY + dt.timedelta(days=60)).isoformat(),
            },
            follow_redirects=False,
        )
        assert opened.status_code == 303
        view = client.get(opened.headers["location"])
        assert view.status_code == 200
        assert "郑州顺达1号物流有限公司" in view.text
        assert 'id="state-pending">1<' in view.text
        target_id = int(view.text.split('id="target-')[1].split('"')[0])
        acted = client.post(
            f"/console/campaigns/targets/{target_id}/actions",
            data={
                "csrf_token": csrf_of(view.text),
                "action": "rectify",
                "taken_on": TODAY.isoformat(),
                "deadline": (TODAY + dt.timedelta(days=10)).isoformat(),
                "note": "限期整改",
            },
            follow_redirects=False,
        )
        assert acted.status_code == 303
        after = client.get(acted.headers["location"])
        assert f"整改期限 {TODAY + dt.timedelta(days=10)}" in after.text
        assert 'id="state-handling">1<' in after.text
        bad = client.post(
            f"/console/campaigns/targets/{target_id}/actions",
            data={"csrf_token": csrf_of(view.text), "action": "warning", "taken_on": "昨天", "note": "x"},
        )
        assert bad.status_code == 422
        assert "处置日期格式应为 YYYY-MM-DD" in bad.text
        campaign_id = int(opened.headers["location"].split("/")[-1].split("?")[0])
        xlsx = client.get(f"/console/campaigns/{campaign_id}/xlsx")
        assert xlsx.status_code == 200
        assert load_workbook(io.BytesIO(xlsx.content))["治理台账"]["B3"].value == "郑州顺达1号物流有限公司"
        assert 'id="todo-campaigns"' in client.get("/console").text
        added = client.post(
            f"/console/campaigns/{campaign_id}/targets",
            data={
                "csrf_token": csrf_of(view.text),
                "subject_code": uscc(3),
                "reason": "执法检查发现指使超限运输",
                "department": CITY_DEPT,
            },
            follow_redirects=False,
        )
        assert added.status_code == 303
        assert "手工纳入：执法检查发现指使超限运输" in client.get(added.headers["location"]).text
        moved = client.post(
            f"/console/campaigns/targets/{target_id}/department",
            data={"csrf_token": csrf_of(view.text), "department": "410300-jtj", "reason": "属地管理"},
            follow_redirects=False,
        )
        assert moved.status_code == 303
        row = client.get(moved.headers["location"]).text.split(f'id="target-{target_id}"')[1].split("</tr>")[0]
        assert "洛阳市交通运输局" in row
        unknown = client.post(
            f"/console/campaigns/{campaign_id}/targets",
            data={"csrf_token": csrf_of(view.text), "subject_code": "x", "reason": "x", "department": CITY_DEPT},
        )
        assert unknown.status_code == 404
        assert client.get(f"/console/campaigns/{campaign_id}", params={"state": "nope"}).status_code == 422
        login(client, CITY_OFFICER)  # 郑州市交通运输局: only the target added by hand is theirs
        mine = client.get(f"/console/campaigns/{campaign_id}")
        assert "手工纳入" in mine.text
        assert "郑州顺达1号物流有限公司" not in mine.text
        refused = client.post(
            f"/console/campaigns/targets/{target_id}/actions",
            data={"csrf_token": csrf_of(mine.text), "action": "warning", "taken_on": TODAY.isoformat(), "note": "x"},
        )
        assert refused.status_code == 403


def test_command_line(filled: Database, cli_env: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["campaigns", "list", "--templates", "--json"])
    assert listed.exit_code == 0, listed.output
    assert next(t["code"] for t in json.loads(listed.stdout)["templates"]) == "overload"
    start = (TODAY - dt.timedelta(days=5)).isoformat()
    opened = runner.invoke(
        cli,
        [
            "campaigns",
            "open",
            "overload",
            "--from",
            start,
            "--to",
            (TODAY + dt.timedelta(days=30)).isoformat(),
            "--json",
        ],
    )
    assert opened.exit_code == 0, opened.output
    data = json.loads(opened.stdout)
    assert data["targets"] == 1
    shown = json.loads(runner.invoke(cli, ["campaigns", "show", str(data["id"]), "--json"]).stdout)
    target_id = shown["targets"][0]["id"]
    acted = runner.invoke(cli, ["campaigns", "act", str(target_id), "--action", "rectify", "--note", "限期整改"])
    assert acted.exit_code == 0, acted.output
    assert f"整改期限 {TODAY + dt.timedelta(days=30)}" in acted.stdout
    finished = runner.invoke(cli, ["campaigns", "finish", str(target_id), "--note", "复查合格"])
    assert finished.exit_code == 0, finished.output
    closed = runner.invoke(cli, ["campaigns", "close", str(data["id"]), "--summary", "完成"])
    assert closed.exit_code == 0, closed.output
    text = runner.invoke(cli, ["campaigns", "list"]).stdout
    assert "closed" in text
    again = runner.invoke(cli, ["campaigns", "draw", str(data["id"])])
    assert again.exit_code == 1
    assert "该专项治理已结束" in again.output


def test_the_monthly_report_shows_the_campaigns_month(filled: Database, settings: Settings) -> None:
    start = TODAY.replace(day=1)
    campaign_id = _open(filled, settings, starts_on=start)
    target = _targets(filled, campaign_id)[uscc(1)]
    with filled.unit_of_work() as s:
        service.record_action(s, OFFICE, settings, target.id, action="interview", taken_on=start, note="约谈")
        service.record_action(
            s,
            OFFICE,
            settings,
            target.id,
            action="rectify",
            taken_on=start,
            note="限期整改",
            deadline=start + dt.timedelta(days=1),
        )
    month = f"{TODAY:%Y-%m}"
    with filled.read() as s:
        report = monthly_report(s, OFFICE, settings, month)
        before = monthly_report(s, OFFICE, settings, f"{start - dt.timedelta(days=1):%Y-%m}")
        workbook = load_workbook(io.BytesIO(to_xlsx(report)))
    [c] = report.campaigns
    overdue = 1 if start + dt.timedelta(days=1) < TODAY else 0
    assert (c.targets, c.actions, c.finished, c.overdue) == (1, 2, 0, overdue)
    assert before.campaigns == []  # not yet under way
    items = {r[0]: r[1] for r in workbook["其他"].iter_rows(values_only=True)}
    assert items[f"专项治理：{c.name}（本月处置措施）"] == 2


def test_an_exposure_becomes_a_typical_case(filled: Database, settings: Settings, cheap_hashing: None) -> None:
    start = TODAY - dt.timedelta(days=5)
    campaign_id = _open(filled, settings, starts_on=start)
    target = _targets(filled, campaign_id)[uscc(1)]
    with filled.unit_of_work() as s:
        service.record_action(s, OFFICER, settings, target.id, action="interview", taken_on=start, note="约谈负责人")
        exposure = service.record_action(
            s, OFFICER, settings, target.id, action="exposure", taken_on=TODAY, note="在信用交通网站通报曝光"
        )
        interview_id = exposure.id - 1
        with pytest.raises(PermissionDenied):
            service.draft_exposure_case(s, OFFICER, settings, exposure.id)
        with pytest.raises(NotFound):
            service.draft_exposure_case(s, OFFICE, settings, interview_id)  # not an exposure
    with filled.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
    with TestClient(create_app(settings, filled), base_url="http://testserver") as client:
        login(client, MANAGER)
        page = client.get(f"/console/campaigns/{campaign_id}")
        assert f'action="/console/campaigns/actions/{exposure.id}/case"' in page.text
        made = client.post(
            f"/console/campaigns/actions/{exposure.id}/case",
            data={"csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert made.status_code == 303
        case_id = int(made.headers["location"].split("#case-")[1])
        assert f'id="case-{case_id}"' in client.get(made.headers["location"]).text
        again = client.get(f"/console/campaigns/{campaign_id}")
        assert f'data-case="{case_id}"' in again.text
        twice = client.post(f"/console/campaigns/actions/{exposure.id}/case", data={"csrf_token": csrf_of(page.text)})
        assert twice.status_code == 409
    with filled.unit_of_work() as s:
        case = cases.get_case(s, OFFICE, case_id)
        assert (case.status, case.kind, case.subject_name) == ("draft", "punishment", "郑州顺达1号物流有限公司")
        assert case.title == "道路运输领域失信行为曝光：郑州顺达1号物流有限公司"
        assert "约谈：约谈负责人" in case.body
        assert "公开曝光：在信用交通网站通报曝光" in case.body
        cases.publish_case(s, OFFICE, case_id)  # then on the website like any case


def test_a_subject_taken_on_by_hand(filled: Database, settings: Settings, cli_env: Path) -> None:
    campaign_id = _open(filled, settings)

    def add(actor: Actor = OFFICE, **kw: Any) -> CampaignTarget:
        values = {"subject_code": uscc(3), "reason": "执法检查发现指使超限运输", "department_code": "410300-jtj"}
        values.update(kw)
        with filled.unit_of_work() as s:
            return service.add_target(s, actor, settings, campaign_id, **values)

    with pytest.raises(PermissionDenied):
        add(OFFICER)
    for kw, error, code in (
        ({"subject_code": uscc(99)}, NotFound, "subject_not_found"),
        ({"reason": " "}, InvalidInput, "campaign_reason"),
        ({"department_code": "999999-x"}, InvalidInput, "campaign_department"),
        ({"subject_code": uscc(1)}, Conflict, "campaign_target_exists"),  # the rule took it on already
    ):
        with pytest.raises(error) as caught:
            add(**kw)
        assert caught.value.code == code
    target = add()
    assert (target.reason, target.department_code, target.evidence) == (
        "手工纳入：执法检查发现指使超限运输",
        "410300-jtj",
        [],
    )
    with filled.unit_of_work() as s:
        assert service.draw_targets(s, OFFICE, settings, campaign_id) == 0  # not taken on twice
    with filled.read() as s:
        assert service.attention(s, OTHER, TODAY) == (1, 0)  # 洛阳's officer now has a target to act on
    runner = CliRunner()
    done = runner.invoke(
        cli, ["campaigns", "add", str(campaign_id), uscc(2), "--reason", "群众投诉", "--department", "410100-jtj"]
    )
    assert done.exit_code == 0, done.output
    assert "已纳入" in done.stdout
    assert len(_targets(filled, campaign_id)) == 3


def test_a_target_handed_to_another_department(filled: Database, settings: Settings, cli_env: Path) -> None:
    campaign_id = _open(filled, settings)
    target = _targets(filled, campaign_id)[uscc(1)]
    with filled.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            service.reassign_target(s, OFFICER, target.id, department_code="410300-jtj", reason="属地管理")
        with pytest.raises(InvalidInput, match="责任单位"):
            service.reassign_target(s, OFFICE, target.id, department_code="nope", reason="属地管理")
        with pytest.raises(InvalidInput, match="调整原因"):
            service.reassign_target(s, OFFICE, target.id, department_code="410300-jtj", reason="")
        service.reassign_target(s, OFFICE, target.id, department_code="410300-jtj", reason="属地管理")
    with filled.read() as s:
        assert service.attention(s, OTHER, TODAY) == (1, 0)  # now 洛阳's to act on
        assert service.attention(s, OFFICER, TODAY) == (0, 0)
        [entry] = audit.list_entries(s, OFFICE, action="campaign.reassign")
        assert entry.details == {"from": "410000-zfj", "to": "410300-jtj", "reason": "属地管理"}
    with filled.unit_of_work() as s:
        service.record_action(s, OTHER, settings, target.id, action="interview", taken_on=TODAY, note="约谈")
    result = CliRunner().invoke(
        cli, ["campaigns", "reassign", str(target.id), "--department", "410000-zfj", "--reason", "退回执法局办理"]
    )
    assert result.exit_code == 0, result.output
    assert _targets(filled, campaign_id)[uscc(1)].department_code == "410000-zfj"
