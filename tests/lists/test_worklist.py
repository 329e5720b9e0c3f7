"""The console's work list (工作台) on the real database: each count scoped like its page, overdue counted, and the
page itself linking to where the work is done."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, OFFICER, VIEWER, import_table, penalty_row, uscc
from sqlalchemy import select

from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.db.uow import Database
from transport_credit.exchange import receipts
from transport_credit.exchange import service as exchange
from transport_credit.lists import service as lists
from transport_credit.monitoring.worklist import Todo, worklist
from transport_credit.portal import service as portal
from transport_credit.records.models import CreditRecord
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.warnings.service import raise_warning

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from console_kit import PASSWORD, login

TODAY = lists.today_cst()
ZHENGZHOU = "410100-jtj"
ZZ_OFFICER = Actor("郑州报送员", "account", department_code=ZHENGZHOU, roles=frozenset({ROLE_DATA_OFFICER}))


def _apply(db: Database, settings: Settings, kind: str, record: CreditRecord, day: dt.date) -> int:
    with db.unit_of_work() as s:
        return portal.submit_application(
            s,
            settings,
            portal.ApplicationInput(
                kind=kind,
                subject_id=record.subject_id,
                record_id=record.id,
                applicant_name="赵经理",
                contact="13812345678",
                reason="处罚决定书记载的车牌号有误，申请核实。",
            ),
            today=day,
        ).id


@pytest.fixture
def busy(filled: Database, settings: Settings, tmp_path: Path) -> Database:
    """Work waiting everywhere: rejected rows of two departments, applications at each step (some late), a list
    proposal and a notified entry whose objection window has closed, a red and a yellow warning."""
    bad = penalty_row(21, decision_date="2026/13/45")
    import_table(filled, settings, tmp_path / "zfj-bad.csv", [bad])
    import_table(
        filled, settings, tmp_path / "zz-bad.csv", [penalty_row(22, decision_date="2026/13/45")], department=ZHENGZHOU
    )
    with filled.read() as s:
        R = CreditRecord
        records = list(s.scalars(select(R).where(R.category == "XZCF").order_by(R.id)))
        s.expunge_all()
    long_ago = TODAY - dt.timedelta(days=30)
    late_objection = _apply(filled, settings, "objection", records[0], long_ago)  # verification overdue
    repair = _apply(filled, settings, "repair", records[1], TODAY)  # accepted, nothing to verify: decidable
    _apply(filled, settings, "objection", records[2], long_ago)  # never accepted: acceptance overdue
    with filled.unit_of_work() as s:
        portal.accept_application(s, OFFICE, settings, late_objection, today=long_ago)
        portal.accept_application(s, OFFICE, settings, repair)
    with filled.unit_of_work() as s:
        lists.propose_entry(s, OFFICE, settings, subject_code=uscc(2), list_code="black", reason="多次超限运输")
        notified = lists.propose_entry(s, OFFICE, settings, subject_code=uscc(3), list_code="black", reason="指使超限")
    with filled.unit_of_work() as s:
        lists.notify_entry(s, OFFICE, settings, notified.id, today=long_ago)
    with filled.unit_of_work() as s:
        for level in ("red", "yellow"):
            raise_warning(
                s,
                kind="penalty_burst",
                subject_id=records[0].subject_id,
                rule_code=f"test-{level}",
                message="测试预警",
                details={},
                actor=SYSTEM,
                level=level,
            )
    return filled


def _by_key(items: list[Todo]) -> dict[str, tuple[int, int]]:
    return {t.key: (t.count, t.urgent) for t in items}


def test_each_official_sees_their_own_work(busy: Database, settings: Settings, tmp_path: Path) -> None:
    with busy.read() as s:
        officer = _by_key(worklist(s, OFFICER, settings, today=TODAY))
        zhengzhou = _by_key(worklist(s, ZZ_OFFICER, settings, today=TODAY))
        office = worklist(s, OFFICE, settings, today=TODAY)
        viewer = worklist(s, VIEWER, settings, today=TODAY)
    # A data officer: their department's rejected rows and the objections sent to it (late: due 5 working days
    # after an acceptance 30 days ago); and the work ledger's tasks (the shipped ledger's, counted as
    # tests/monitoring/test_ledger.py shows)
    assert "ledger" in officer
    assert "ledger" in zhengzhou
    officer.pop("ledger")
    zhengzhou.pop("ledger")
    assert officer == {
        "quarantine": (1, 0),
        "exchange_rejections": (0, 0),
        "numbering": (0, 0),
        "verifications": (1, 1),
        "campaigns": (0, 0),  # no 专项治理 under way (tests/lists/test_campaigns.py counts them)
    }
    assert zhengzhou == {
        "quarantine": (1, 0),
        "exchange_rejections": (0, 0),
        "numbering": (0, 0),
        "verifications": (0, 0),
        "campaigns": (0, 0),
    }
    assert viewer == []
    got = _by_key(office)
    assert got["quarantine"] == (2, 0)  # every department's
    assert got["verifications"] == (1, 1)
    assert got["applications_accept"] == (1, 1)  # submitted 30 days ago, not accepted
    assert got["applications_decide"] == (1, 0)  # the repair; the objection waits for its verification
    assert got["declarations"] == (0, 0)  # no self-declared information (tests/test_declarations.py)
    assert got["reminders"] == (0, 0)  # none failed or held up (tests/lists/test_reminders.py counts them)
    assert got["lists_review"] == (1, 0)
    assert got["lists_publish"] == (1, 0)  # notified 30 days ago: the window has closed
    assert got["warnings"] == (2, 1)  # one of them red
    cases = next(t for t in office if t.key == "cases")
    assert (cases.count, cases.note) == (2, "本季度已公开 0 件，至少 2 件")
    assert got["exchange"] == (2, 0)  # neither platform has this month's package
    with busy.unit_of_work() as s:
        exchange.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path / "exchange")
    with busy.read() as s:
        left = next(t for t in worklist(s, OFFICE, settings, today=TODAY) if t.key == "exchange")
    assert (left.count, left.note) == (1, "省公共信用信息平台")  # the ministry's is done
    # The ministry's platform sends one of the 执法局's penalties back: its officer and the credit office see it.
    with busy.read() as s:
        zfj_record = s.scalar(select(CreditRecord.id).where(CreditRecord.department_code == OFFICER.department_code))
    receipt = tmp_path / "receipt.csv"
    receipt.write_text(f"record_id,result,reason\n{zfj_record},rejected,处罚依据缺失\n", encoding="utf-8")
    with busy.unit_of_work() as s:
        receipts.import_receipt(s, OFFICE, settings, target="ministry", sequence=1, path=receipt)
    with busy.read() as s:
        assert _by_key(worklist(s, OFFICER, settings, today=TODAY))["exchange_rejections"] == (1, 0)
        assert _by_key(worklist(s, ZZ_OFFICER, settings, today=TODAY))["exchange_rejections"] == (0, 0)
        assert _by_key(worklist(s, OFFICE, settings, today=TODAY))["exchange_rejections"] == (1, 0)


def test_the_work_list_is_the_consoles_home(busy: Database, settings: Settings, cheap_hashing: None) -> None:
    with busy.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "zfj", "执法局报送员", PASSWORD, OFFICER.department_code, [ROLE_DATA_OFFICER])
        auth.create_account(s, SYSTEM, "office", "信用办", PASSWORD, OFFICE.department_code, [ROLE_CREDIT_OFFICE])
    with TestClient(create_app(settings, busy), base_url="http://testserver") as client:
        login(client, "zfj")
        home = client.get("/console")
        assert home.status_code == 200
        assert "工作台" in home.text
        assert "河南省交通运输厅执法局" in home.text  # the officer's unit
        assert re.findall(r'id="todo-([a-z_]+)"', home.text) == [
            "quarantine",
            "exchange_rejections",
            "numbering",
            "verifications",
            "ledger",
            "campaigns",
        ]
        card = home.text.split('id="todo-verifications"')[1].split("</li>")[0]
        assert 'href="/console/portal/verifications"' in card
        assert "已逾期 1" in card
        assert client.get("/console/portal/verifications").status_code == 200  # the link leads to the work
        client.post(
            "/console/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)}
        )  # type: ignore[union-attr]
        login(client, "office")
        home = client.get("/console")
        keys = re.findall(r'id="todo-([a-z_]+)"', home.text)
        assert keys[:4] == ["quarantine", "exchange_rejections", "numbering", "verifications"]
        assert {"applications_accept", "lists_publish", "warnings", "cases", "exchange"} <= set(keys)
        for href in set(re.findall(r'<a href="(/console/[^"]*)">\s*<span class="worklist-count">', home.text)):
            assert client.get(href.replace("&amp;", "&")).status_code == 200, href
