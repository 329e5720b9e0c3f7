"""The 信用交通省 work ledger (创建工作台账): the file's rules, the state of a task from its due month and the
responsible units' reports (a table), loading and revising a year's ledger, reporting progress and who may,
the view with measured indicators, the 工作台 card, the console page and its workbook, the CLI; the shipped
ledgers load for their provinces."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pydantic import ValidationError
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, csrf_of, login

from transport_credit import audit
from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.cli.main import app as cli
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, SYSTEM, Actor
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.ledger import rules, service
from transport_credit.ledger.models import LedgerTask
from transport_credit.monitoring.worklist import worklist
from transport_credit.server import create_app
from transport_credit.settings import Settings

D = dt.date
OFFICE = Actor("信用办", "account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
VIEWER = Actor("查询员", "account", department_code="410000-ysj", roles=frozenset({ROLE_VIEWER}))
TXZX = Actor("通信中心报送员", "account", department_code="410000-txzx", roles=frozenset({ROLE_DATA_OFFICER}))
ZZ = Actor("郑州报送员", "account", department_code=CITY_DEPT, roles=frozenset({ROLE_DATA_OFFICER}))
YEAR = 2026


def _doc(**changes: Any) -> rules.LedgerDocument:
    items: list[dict[str, Any]] = [
        {
            "code": "A01",
            "level1": "建设运维交通运输信用平台和网站",
            "level2": "加快建设交通运输信用系统",
            "task": "加快省交通运输信用信息协同共享平台建设，今年投入试运行。",
            "due": f"{YEAR}-09",
            "lead": ["410000-txzx"],
            "support": ["410000-fgc"],
            "responsible_text": "厅通信中心牵头，厅法规处配合",
        },
        {
            "code": "A02",
            "level1": "建设运维交通运输信用平台和网站",
            "level2": "双公示",
            "task": "行政许可、行政处罚信息自作出决定之日起 7 个工作日内上网公示。",
            "due": rules.CONTINUOUS,
            "lead": ["city_bureaus"],
            "responsible_text": "各省辖市交通运输局分别负责",
            "indicator": "dual_on_time_rate",
        },
        {
            "code": "B01",
            "level1": "信用制度和标准体系",
            "level2": "制定制度",
            "task": "制定交通运输信用信息管理办法。",
            "due": f"{YEAR}-12",
            "lead": ["410000-fgc"],
            "responsible_text": "厅法规处",
            "score": 2,
        },
    ]
    data: dict[str, Any] = {
        "kind": "work_ledger",
        "version": "2026.1",
        "province": "henan",
        "year": YEAR,
        "name": f"{YEAR}年河南“信用交通省”建设重点工作台账",
        "items": items,
    }
    data.update(changes)
    return rules.LedgerDocument.model_validate(data)


# --- rules ----------------------------------------------------------------------------------------------------------

UNITS = ("a", "b")


@pytest.mark.parametrize(
    ("due", "reports", "today", "state"),
    [
        (D(2026, 9, 30), {"a": "done", "b": "done"}, D(2026, 11, 5), "done"),  # done, even after the due month
        (D(2026, 9, 30), {"a": "done"}, D(2026, 11, 5), "overdue"),
        (D(2026, 9, 30), {}, D(2026, 10, 1), "overdue"),
        (D(2026, 9, 30), {"a": "in_progress", "b": "done"}, D(2026, 9, 30), "due_soon"),  # its last day
        (D(2026, 9, 30), {"a": "in_progress"}, D(2026, 8, 31), "unreported"),
        (D(2026, 9, 30), {"a": "in_progress", "b": "blocked"}, D(2026, 8, 31), "on_track"),
        (None, {"a": "done", "b": "done"}, D(2026, 8, 31), "continuous"),  # a continuous task is never done
        (None, {"a": "in_progress"}, D(2026, 8, 31), "unreported"),
    ],
)
def test_task_state(due: D | None, reports: dict[str, str], today: D, state: str) -> None:
    assert rules.task_state(due, reports, UNITS, today) == state


def test_responsible_units_expand_the_city_bureaus_once() -> None:
    assert rules.responsible(["x", "city_bureaus"], ["c2", "y", "x"], ["c1", "c2"]) == ("x", "c1", "c2", "y")


@pytest.mark.parametrize("due", ["2026-13", "2026-9", "2026年9月", "长期"])
def test_a_due_month_is_a_month_or_continuous(due: str) -> None:
    with pytest.raises(ValidationError):
        _doc(items=[{**_doc().items[0].model_dump(), "due": due}])


def test_the_due_month_ends_on_its_last_day() -> None:
    first, second, _ = _doc().items
    assert (first.due_month_end, second.due_month_end) == (D(2026, 9, 30), None)
    dec = first.model_copy(update={"due": "2026-12"})
    assert dec.due_month_end == D(2026, 12, 31)


def test_codes_are_unique() -> None:
    with pytest.raises(ValidationError):
        _doc(items=[_doc().items[0].model_dump(), _doc().items[0].model_dump()])


# --- service --------------------------------------------------------------------------------------------------------


@pytest.fixture
def ledger(db: Database, settings: Settings) -> Database:
    initialize(db, settings)
    with db.unit_of_work() as s:
        s.query(LedgerTask).filter(LedgerTask.year == YEAR).delete()  # the shipped ledger is tested below
        result = service.load_ledger(s, OFFICE, settings, _doc())
    assert (result.added, result.updated, result.retired) == (3, 0, 0)
    return db


def _report(
    db: Database, actor: Actor, code: str, status: str, note: str, month: str = f"{YEAR}-08", **kw: Any
) -> None:
    with db.unit_of_work() as s:
        task_id = s.query(LedgerTask.id).filter(LedgerTask.year == YEAR, LedgerTask.code == code).scalar()
        service.report_progress(s, actor, task_id, month=month, status=status, note=note, **kw)


def test_progress_states_and_who_sees_what(ledger: Database, settings: Settings) -> None:
    _report(ledger, TXZX, "A01", "in_progress", "平台已完成招标，进入开发。")
    _report(ledger, OFFICE, "A01", "in_progress", "已审核需求说明书。")  # for its own department
    _report(ledger, OFFICE, "B01", "done", "管理办法已印发。")
    with ledger.read() as s:
        view = service.ledger_view(s, OFFICE, settings, month=f"{YEAR}-08", today=D(YEAR, 11, 25))
    tasks = {t.code: t for t in view.tasks}
    assert [t.code for t in view.tasks] == ["A01", "A02", "B01"]
    assert tasks["A01"].state == "on_track"
    assert [(u.department_code, u.role, u.status) for u in tasks["A01"].units] == [
        ("410000-txzx", "牵头", "in_progress"),
        ("410000-fgc", "配合", "in_progress"),
    ]
    assert tasks["B01"].state == "done"
    assert tasks["A02"].state == "unreported"  # the city bureaus have not reported
    assert len(tasks["A02"].units) == 18  # every city bureau of 河南, 济源 included
    assert {u.role for u in tasks["A02"].units} == {"牵头"}
    assert [g for g, _ in view.groups()] == ["建设运维交通运输信用平台和网站", "信用制度和标准体系"]
    # August's states are judged on August 31: A01 (due September) is not overdue in August's view
    with ledger.read() as s:
        october = service.ledger_view(s, OFFICE, settings, month=f"{YEAR}-10", today=D(YEAR, 11, 25))
        own = service.ledger_view(s, TXZX, settings, month=f"{YEAR}-08")
        city = service.ledger_view(s, ZZ, settings, month=f"{YEAR}-08")
        with pytest.raises(PermissionDenied):
            service.ledger_view(s, TXZX, settings, month=f"{YEAR}-08", department_code="410000-fgc")
    assert {t.code: t.state for t in october.tasks}["A01"] == "overdue"
    assert {t.code: t.previous_note for t in october.tasks}["A01"] == "已审核需求说明书。"  # what was said last
    assert [t.code for t in own.tasks] == ["A01"]  # a data officer sees the tasks their unit answers for
    assert [t.code for t in city.tasks] == ["A02"]
    assert own.tasks[0].indicator is None


def test_done_stays_done(ledger: Database, settings: Settings) -> None:
    """A unit that reported the task done need not report it again; the task is done once every unit has."""
    _report(ledger, TXZX, "A01", "done", "平台已上线试运行。", month=f"{YEAR}-08")
    _report(ledger, OFFICE, "A01", "in_progress", "配合编制运维制度。", month=f"{YEAR}-08")
    with ledger.read() as s:
        october = service.ledger_view(s, OFFICE, settings, month=f"{YEAR}-10", today=D(YEAR, 11, 25))
    a01 = {t.code: t for t in october.tasks}["A01"]
    assert a01.state == "overdue"  # the office's part is not done, and September has passed
    assert [(u.department_code, u.status, u.month) for u in a01.units] == [
        ("410000-txzx", "done", f"{YEAR}-08"),
        ("410000-fgc", None, None),
    ]
    _report(ledger, OFFICE, "A01", "done", "运维制度已印发。", month=f"{YEAR}-10")
    _report(ledger, TXZX, "A01", "in_progress", "试运行中发现问题，继续完善。", month=f"{YEAR}-09")
    with ledger.read() as s:
        october = service.ledger_view(s, OFFICE, settings, month=f"{YEAR}-10", today=D(YEAR, 11, 25))
    assert {t.code: t.state for t in october.tasks}["A01"] == "overdue"  # its later report reopened it
    _report(ledger, TXZX, "A01", "done", "问题已整改，平台正式运行。", month=f"{YEAR}-11")
    with ledger.read() as s:
        november = service.ledger_view(s, TXZX, settings, month=f"{YEAR}-11", today=D(YEAR, 11, 25))
    assert november.tasks[0].state == "done"
    assert [u.month for u in november.tasks[0].units] == [None, f"{YEAR}-10"]


def test_the_measured_indicator_shows_for_those_who_read_the_report(ledger: Database, settings: Settings) -> None:
    with ledger.read() as s:
        view = service.ledger_view(s, VIEWER, settings, month=f"{YEAR}-08")
        city = service.ledger_view(s, ZZ, settings, month=f"{YEAR}-08")
    a02 = {t.code: t for t in view.tasks}["A02"]
    assert a02.indicator is not None
    assert a02.indicator.name == "双公示信息 7 个工作日内上报率"
    assert a02.indicator.target == "100.0%"
    assert city.tasks[0].indicator is None  # a data officer does not read the monthly report


def test_reporting_rules(ledger: Database, settings: Settings) -> None:
    _report(ledger, ZZ, "A02", "in_progress", "按周报送双公示信息。")
    _report(ledger, ZZ, "A02", "blocked", "业务系统接口改造中。")  # the month's report is replaced
    with ledger.read() as s:
        [task] = service.ledger_view(s, ZZ, settings, month=f"{YEAR}-08").tasks
        [mine] = [u for u in task.units if u.department_code == CITY_DEPT]
        assert (mine.status, mine.note) == ("blocked", "业务系统接口改造中。")
        trail = audit.list_entries(s, OFFICE, target_type="ledger_task", target_id=f"{YEAR}-A02")
        assert [e.details["status"] for e in trail] == ["blocked", "in_progress"]
    cases: list[tuple[Actor, str, dict[str, Any], type[Exception], str]] = [
        (ZZ, "A01", {}, PermissionDenied, "not_responsible"),
        (ZZ, "A02", {"department_code": "410200-jtj"}, PermissionDenied, "other_department"),
        (VIEWER, "A02", {}, PermissionDenied, "role_required"),
        (OFFICE, "A02", {}, PermissionDenied, "not_responsible"),  # the office itself is not responsible for A02
        (ZZ, "A02", {"status": "finished"}, InvalidInput, "invalid_progress_status"),
        (ZZ, "A02", {"note": " "}, InvalidInput, "progress_note_required"),
        (ZZ, "A02", {"month": "2026-13"}, InvalidInput, "invalid_month"),
    ]
    for actor, code, kw, error, reason in cases:
        args = {"status": "in_progress", "note": "推进中。", "month": f"{YEAR}-08", **kw}
        with pytest.raises(error) as refused:
            _report(ledger, actor, code, args.pop("status"), args.pop("note"), args.pop("month"), **args)
        assert refused.value.code == reason  # type: ignore[attr-defined]
    _report(ledger, OFFICE, "A02", "in_progress", "代开封市报送。", department_code="410200-jtj")
    with ledger.unit_of_work() as s, pytest.raises(NotFound):
        service.report_progress(s, OFFICE, 999_999, month=f"{YEAR}-08", status="done", note="不存在的任务。")


def test_a_revised_ledger_keeps_progress_and_retires_dropped_tasks(ledger: Database, settings: Settings) -> None:
    _report(ledger, OFFICE, "B01", "in_progress", "起草中。")
    first, _second, third = _doc().items
    revised = _doc(version="2026.2", items=[first.model_dump(), {**third.model_dump(), "due": f"{YEAR}-10"}])
    with ledger.unit_of_work() as s:
        result = service.load_ledger(s, OFFICE, settings, revised)
    assert (result.added, result.updated, result.retired) == (0, 2, 1)
    with ledger.read() as s:
        view = service.ledger_view(s, OFFICE, settings, month=f"{YEAR}-08")
    assert [t.code for t in view.tasks] == ["A01", "B01"]
    assert {t.code: t.due for t in view.tasks}["B01"] == f"{YEAR}-10"
    assert {t.code: [u.status for u in t.units] for t in view.tasks}["B01"] == ["in_progress"]
    assert view.version == "2026.2"
    bad_unit = _doc(items=[{**first.model_dump(), "lead": ["410000-nowhere"]}])
    bad_indicator = _doc(items=[{**first.model_dump(), "indicator": "happiness"}])
    other = _doc(province="ningxia")
    for doc, code in (
        (bad_unit, "ledger_unknown_department"),
        (bad_indicator, "ledger_unknown_indicator"),
        (other, "ledger_other_province"),
    ):
        with pytest.raises(InvalidInput) as refused, ledger.unit_of_work() as s:
            service.load_ledger(s, OFFICE, settings, doc)
        assert refused.value.code == code
    with ledger.unit_of_work() as s, pytest.raises(PermissionDenied):
        service.load_ledger(s, ZZ, settings, _doc())


def test_the_work_list_counts_what_waits(ledger: Database, settings: Settings) -> None:
    today = D(YEAR, 10, 10)  # A01 (due September) is overdue; everything waits for October's report
    with ledger.read() as s:
        office = {t.key: t for t in worklist(s, OFFICE, settings, today=today)}["ledger"]
        city = {t.key: t for t in worklist(s, ZZ, settings, today=today)}["ledger"]
        officer = {t.key: t for t in worklist(s, TXZX, settings, today=today)}["ledger"]
    assert (office.count, office.urgent) == (3, 1)
    assert (city.count, city.urgent) == (1, 0)  # A02, its own report missing
    assert (officer.count, officer.urgent) == (1, 1)
    _report(ledger, ZZ, "A02", "in_progress", "十月按期报送。", month=f"{YEAR}-10")
    with ledger.read() as s:
        city = {t.key: t for t in worklist(s, ZZ, settings, today=today)}["ledger"]
    assert city.count == 0  # its part is reported; the other cities' are theirs to report


def test_the_shipped_ledgers_load_for_their_provinces(db: Database, settings: Settings) -> None:
    data_dir = Path(service.__file__).parents[1] / "data" / "ledger"
    shipped = sorted(p.stem for p in data_dir.glob("*.yaml"))
    assert "henan" in shipped
    for province in shipped:
        doc = service.read_ledger_file(data_dir / f"{province}.yaml")
        assert doc.province == province
        assert len(doc.items) >= 20
    initialize(db, settings)  # Henan's is loaded by the initialisation
    doc = service.shipped_ledger("henan")
    assert doc is not None
    with db.read() as s:
        view = service.ledger_view(s, OFFICE, settings, month=f"{doc.year}-06")
        assert len(view.tasks) == len(doc.items)
    initialize(db, settings)  # idempotent: the year's ledger is the office's once loaded
    with db.read() as s:
        assert s.query(LedgerTask).count() == len(doc.items)


def test_console_page_workbook_and_command_line(
    ledger: Database, settings: Settings, tmp_path: Path, cheap_hashing: None, cli_env: Path
) -> None:
    with ledger.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
    month = f"{YEAR}-08"
    with TestClient(create_app(settings, ledger), base_url="http://testserver") as client:
        login(client, OFFICER)
        page = client.get("/console/ledger", params={"month": month})
        assert page.status_code == 200
        assert "行政许可、行政处罚信息自作出决定之日起" in page.text
        assert "加快省交通运输信用信息协同共享平台建设" not in page.text  # not the city's task
        task_id = ledger_task_id(ledger, "A02")
        done = client.post(
            f"/console/ledger/{task_id}/progress",
            data={"csrf_token": csrf_of(page.text), "month": month, "status": "in_progress", "note": "已按周报送。"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        again = client.get(done.headers["location"])
        assert 'id="done"' in again.text
        assert "已按周报送。" in again.text
        refused = client.post(
            f"/console/ledger/{ledger_task_id(ledger, 'A01')}/progress",
            data={"csrf_token": csrf_of(page.text), "month": month, "status": "done", "note": "越权报送。"},
        )
        assert refused.status_code == 403
        home = client.get("/console")
        assert 'id="todo-ledger"' in home.text  # the 工作台's card
        login(client, MANAGER)
        page = client.get("/console/ledger", params={"month": month})
        assert "加快省交通运输信用信息协同共享平台建设" in page.text
        assert 'data-indicator="dual_on_time_rate"' in page.text
        xlsx = client.get("/console/ledger/xlsx", params={"month": month})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][:3] == ("编号", "一级指标", "二级指标")
        a02 = next(r for r in rows if r[0] == "A02")
        assert "郑州市交通运输局（牵头）：推进中，已按周报送。" in str(a02[6])
        assert client.get("/console/ledger", params={"month": "2026-13"}).status_code == 422

    runner = CliRunner()
    shown = runner.invoke(cli, ["ledger", "show", "--month", month, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert [t["code"] for t in data["tasks"]] == ["A01", "A02", "B01"]
    path = tmp_path / "ledger.yaml"
    revised = _doc(version="2026.3").model_dump(mode="json")
    path.write_text(yaml.safe_dump(revised, allow_unicode=True), encoding="utf-8")
    loaded = runner.invoke(cli, ["ledger", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "更新 3 项" in loaded.stdout
    path.write_text("kind: work_ledger\nversion: x\n", encoding="utf-8")
    bad = runner.invoke(cli, ["ledger", "load", str(path)])
    assert bad.exit_code == 1
    assert "工作台账文件 ledger.yaml 有误" in bad.output


def ledger_task_id(db: Database, code: str) -> int:
    with db.read() as s:
        found = s.query(LedgerTask.id).filter(LedgerTask.year == YEAR, LedgerTask.code == code).scalar()
        assert found is not None
        return int(found)
