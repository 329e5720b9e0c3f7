"""文书号核查 on a real database: holes in the decision numbers a department reported, the ones waiting in 问题数据,
explanations and their withdrawal, who sees what, the 工作台 count, the monthly report's indicator, the console page
and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from transport_credit.audit import list_entries
from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.cli.main import app
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.demo import generator as gen
from transport_credit.ingest.service import push_records
from transport_credit.monitoring import gaps, service
from transport_credit.monitoring.numbering import Gap
from transport_credit.server import create_app
from transport_credit.settings import Settings

ZZ = "410100-jtj"  # 郑州市交通运输局
KF = "410200-jtj"  # 开封市交通运输局
ZZ_OFFICER = Actor(name="zz", kind="account", department_code=ZZ, roles=frozenset({ROLE_DATA_OFFICER}))
KF_OFFICER = Actor(name="kf", kind="account", department_code=KF, roles=frozenset({ROLE_DATA_OFFICER}))
OFFICE = Actor(name="xyb", kind="account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
PASSWORD = "console-pass-2026"


def _push(db: Database, settings: Settings, actor: Actor, short: str, serials: list[object]) -> None:
    """Penalties of 2026 numbered ``<short>罚〔2026〕<serial>号``; a serial given as ("bad", n) has an impossible date
    (rejected into 问题数据), a string is used as the whole number."""
    subs = gen.subjects(20, ["410100"], {"410100": "郑州市"}, seed=5)
    rows = list(
        gen.penalty_rows(
            [s for s in subs if s.uscc],
            gen.Authority("某局", "11410100MB0001014R", short),
            dt.date(2026, 1, 5),
            dt.date(2026, 10, 30),
            len(serials),
            random.Random(3),
        )
    )
    for row, serial in zip(rows, serials, strict=True):
        if isinstance(serial, tuple):
            row["decision_no"] = f"{short}罚〔2026〕{serial[1]:06d}号"
            row["decision_date"] = "2026/13/45"
        elif isinstance(serial, str):
            row["decision_no"] = serial
        else:
            row["decision_no"] = f"{short}罚〔2026〕{serial:06d}号"
    with db.unit_of_work() as s:
        push_records(s, actor, settings, category="XZCF", records=rows)


@pytest.fixture
def numbered(db: Database, settings: Settings, cheap_hashing: None) -> Database:
    initialize(db, settings)
    zz: list[object] = [1, 2, 3, ("bad", 4), 5, 6, 8, 9, 10, 11, 12, 300, "郑交罚第5号"]
    _push(db, settings, ZZ_OFFICER, "豫郑交", zz)
    _push(db, settings, KF_OFFICER, "豫开交", [1, 2, 4, 5, 6, 7])
    return db


def test_holes_are_found_and_told_apart(numbered: Database) -> None:
    with numbered.read() as s:
        report = gaps.number_gaps(s, ZZ_OFFICER, year=2026)
    [seq] = report.sequences
    assert (seq.department_code, seq.category, seq.label()) == (ZZ, "XZCF", "豫郑交罚〔2026〕")
    assert (seq.numbers, seq.first, seq.last) == (11, 1, 300)
    assert seq.missing == [Gap(7, 7)]  # 4 was reported and rejected: waiting for correction, not 漏报
    assert (seq.missing_count, seq.rejected, seq.explained) == (1, 1, 0)
    assert seq.jumps == [Gap(13, 299)]  # most likely a mistyped number
    assert report.unrecognised == {ZZ: 1}
    assert report.missing == 1
    with numbered.read() as s:
        everyone = gaps.number_gaps(s, OFFICE, year=2026)
        assert {q.department_code for q in everyone.sequences} == {ZZ, KF}
        assert everyone.missing == 2  # 郑州's 7 and 开封's 3
        assert gaps.number_gaps(s, OFFICE, year=2025).sequences == []
        with pytest.raises(PermissionDenied):
            gaps.number_gaps(s, ZZ_OFFICER, year=2026, department_code=KF)
        with pytest.raises(InvalidInput):
            gaps.number_gaps(s, OFFICE, year=1900)


def test_an_explanation_closes_a_hole_and_its_withdrawal_opens_it(numbered: Database) -> None:
    with numbered.read() as s:
        assert gaps.open_gap_count(s, ZZ_OFFICER, 2026) == 1
        assert gaps.open_gap_count(s, OFFICE, 2026) == 2
    with numbered.unit_of_work() as s:
        note = gaps.explain_gap(
            s,
            ZZ_OFFICER,
            department_code=ZZ,
            category="XZCF",
            prefix="豫郑交罚",
            year=2026,
            serial_from=7,
            serial_to=7,
            reason="voided",
            note="文书打印错误作废",
        )
    assert note.reason_label == "文书作废"
    with numbered.read() as s:
        [seq] = gaps.number_gaps(s, ZZ_OFFICER, year=2026).sequences
        assert (seq.missing, seq.missing_count, seq.explained) == ([], 0, 1)
        assert [n.note for n in seq.notes] == ["文书打印错误作废"]
        assert gaps.open_gap_count(s, ZZ_OFFICER, 2026) == 0  # the kept count follows the explanation
        assert gaps.open_gap_count(s, OFFICE, 2026) == 1
        [entry] = list_entries(s, SYSTEM, target_type="number_gap_note")
        assert entry.action == "number_gap.explain"
        assert entry.details["sequence"] == "豫郑交罚〔2026〕"
    with numbered.unit_of_work() as s:
        gaps.withdraw_note(s, ZZ_OFFICER, note.id)
    with numbered.read() as s:
        assert gaps.number_gaps(s, ZZ_OFFICER, year=2026).missing == 1
        assert gaps.open_gap_count(s, ZZ_OFFICER, 2026) == 1


@pytest.mark.parametrize(
    ("actor", "changes", "error", "code"),
    [
        (KF_OFFICER, {}, PermissionDenied, "other_department"),
        (ZZ_OFFICER, {"reason": "nonsense"}, InvalidInput, "invalid_reason"),
        (ZZ_OFFICER, {"reason": "other", "note": " "}, InvalidInput, "note_required"),
        (ZZ_OFFICER, {"serial_from": 8, "serial_to": 7}, InvalidInput, "invalid_range"),
        (ZZ_OFFICER, {"serial_from": 301, "serial_to": 301}, InvalidInput, "invalid_range"),
        (ZZ_OFFICER, {"prefix": "豫郑交许"}, NotFound, "sequence_not_found"),
    ],
)
def test_explanations_are_checked(
    numbered: Database, actor: Actor, changes: dict[str, object], error: type[Exception], code: str
) -> None:
    args: dict[str, object] = {
        "department_code": ZZ,
        "category": "XZCF",
        "prefix": "豫郑交罚",
        "year": 2026,
        "serial_from": 7,
        "serial_to": 7,
        "reason": "voided",
        "note": None,
        **changes,
    }
    with numbered.unit_of_work() as s, pytest.raises(error) as excinfo:
        gaps.explain_gap(s, actor, **args)  # type: ignore[arg-type]
    assert getattr(excinfo.value, "code", None) == code


def test_the_monthly_report_counts_the_year_s_unexplained_numbers(numbered: Database, settings: Settings) -> None:
    with numbered.read() as s:
        report = service.monthly_report(s, OFFICE, settings, "2026-10")
    found = {i.code: i for i in report.indicators}["unreported_numbers"]
    assert (found.value, found.target, found.met) == ("2 个", "不超过 0 个", False)
    # The 通报 names the departments: per department and summed per city.
    by_code = {u.code: u.unreported for u in report.departments}
    assert (by_code[ZZ], by_code[KF]) == (1, 1)
    assert report.totals.unreported == 2
    assert {u.code: u.unreported for u in report.cities}["410100"] == 1


def test_the_console_page_and_its_explanation_form(numbered: Database, settings: Settings) -> None:
    with numbered.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "zz.officer", "郑州报送员", PASSWORD, ZZ, [ROLE_DATA_OFFICER])
    with TestClient(create_app(settings, numbered), base_url="http://testserver") as client:
        page = client.get("/console/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/console/login", data={"username": "zz.officer", "password": PASSWORD, "csrf_token": token})
        view = client.get("/console/quality/numbers?year=2026")
        assert view.status_code == 200
        assert "豫郑交罚〔2026〕" in view.text
        assert "豫开交罚" not in view.text  # another department's
        assert "000007" in view.text
        assert client.get("/console/quality/numbers?year=2026&department=410200-jtj").status_code == 403
        token = view.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {
            "csrf_token": token,
            "year": "2026",
            "department": ZZ,
            "category": "XZCF",
            "prefix": "豫郑交罚",
            "serial_from": "7",
            "serial_to": "",
            "reason": "reserved",
            "note": "",
        }
        done = client.post("/console/quality/numbers/explain", data=form)
        assert done.status_code == 200
        assert "说明已登记" in done.text
        assert "预留号" in done.text
        bad = client.post("/console/quality/numbers/explain", data={**form, "serial_from": "七"})
        assert bad.status_code == 422
        home = client.get("/console")
        assert 'id="todo-numbering"' in home.text


def test_the_cli_lists_the_holes(numbered: Database, cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["report", "numbers", "--year", "2026", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["year"], data["missing"]) == (2026, 2)
    zz = next(q for q in data["sequences"] if q["department_code"] == ZZ)
    assert zz["missing"] == [{"start": 7, "end": 7}]
    text = CliRunner().invoke(app, ["report", "numbers", "--year", "2026", "--department", KF])
    assert "豫开交罚〔2026〕" in text.stdout
    assert "1：3" in text.stdout
