"""The credit check through the REST API on the real database: answers with and without the right to see personal
data, measures for the matter, warnings, batch, feedback → effect list, and clear 4xx errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, PERSON_ID, uscc
from openpyxl import load_workbook
from sqlalchemy import func, select

from transport_credit.auth import service as auth
from transport_credit.auth.schema import SCOPE_CHECK, SCOPE_READ
from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.lists import cases, checks, service
from transport_credit.lists.checklog import CheckLog, existing_log
from transport_credit.lists.models import CreditCheck
from transport_credit.lists.rules import list_rules
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import write_revision
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.warnings.models import CreditWarning

DEPT = "410000-ysj"
LONG_AGO = service.today_cst() - dt.timedelta(days=40)


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Cheap argon2 for the keys."""


def _key(db: Database, scopes: list[str]) -> str:
    with db.unit_of_work() as s:
        _, key = auth.create_api_client(s, SYSTEM, "审批系统", DEPT, [], scopes)
    return key


@pytest.fixture
def listed(filled: Database, settings: Settings) -> Database:
    """Org 1 on the black list and the 超限超载 list, the person on the watch list, org 2 on the red list."""
    for code, list_code in ((uscc(1), "black"), (uscc(1), "overload_serious"), (PERSON_ID, "watch"), (uscc(2), "red")):
        with filled.unit_of_work() as s:
            entry = service.propose_entry(s, OFFICE, settings, subject_code=code, list_code=list_code, reason="事由")
            service.notify_entry(s, OFFICE, settings, entry.id, today=LONG_AGO)
            service.publish_entry(s, OFFICE, settings, entry.id)
    return filled


@pytest.fixture
def client(listed: Database, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, listed)) as c:
        yield c


def _check(client: TestClient, key: str, code: str, matter: str = "XK-DLYS-JY") -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/checks", json={"subject_code": code, "matter_code": matter}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_black_listed_subject_gets_measures_and_raises_a_warning(
    client: TestClient, listed: Database, settings: Settings
) -> None:
    key = _key(listed, [SCOPE_CHECK])
    body = _check(client, key, uscc(1))
    assert body["subject"]["name"] == "郑州顺达1号物流有限公司"
    assert {e["list_type"] for e in body["list_entries"]} == {"black"}
    assert {e["list_name"] for e in body["list_entries"]} == {
        "失信联合惩戒对象名单（黑名单）",
        "严重违法失信超限超载运输当事人名单",
    }
    codes = {m["code"] for m in body["measures"]}
    assert codes == {"P-XK-YSHC", "P-XK-XZXK"}
    assert all(m["basis"] and m["reasons"] for m in body["measures"])
    assert body["warning_raised"] is True
    assert "黑名单" in body["conclusion"]
    assert len(body["check_id"]) == 32
    log = existing_log(listed.engine)
    assert log is not None
    assert log.flush() == 1
    with listed.read() as s:
        assert s.scalar(select(func.count()).select_from(CreditCheck)) == 1
        w = s.scalars(select(CreditWarning)).one()
        assert (w.kind, w.level) == ("blacklisted_subject_checked", "red")


def test_red_list_subject_gets_incentives(client: TestClient, listed: Database) -> None:
    key = _key(listed, [SCOPE_CHECK])
    body = _check(client, key, uscc(2))
    assert [m["code"] for m in body["measures"]] == ["I-XK-LSTD"]
    assert body["warning_raised"] is False
    assert _check(client, key, uscc(3))["measures"] == []  # no list, no grade


def test_personal_data_depends_on_the_callers_rights(client: TestClient, listed: Database) -> None:
    check_only = _check(client, _key(listed, [SCOPE_CHECK]), PERSON_ID)
    assert check_only["subject"]["name"] == "张*"
    assert check_only["subject"]["id_masked"] is None
    assert check_only["personal_data_visible"] is False
    with_read = _check(client, _key(listed, [SCOPE_CHECK, SCOPE_READ]), PERSON_ID)
    assert with_read["subject"]["name"] == "张三"
    assert with_read["subject"]["id_masked"].startswith("4103")
    assert "*" in with_read["subject"]["id_masked"]
    for body in (check_only, with_read):
        assert PERSON_ID not in str(body)
        assert [e["list_type"] for e in body["list_entries"]] == ["watch"]
        assert [m["code"] for m in body["measures"]] == ["P-XK-ZDGZ"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"subject_code": "91410100MA9999999X", "matter_code": "XK-DLYS-JY"}, 404, "subject_not_found"),
        ({"subject_code": "not a code!", "matter_code": "XK-DLYS-JY"}, 422, "malformed_code"),
        ({"subject_code": "9141010OMA00000O1X", "matter_code": "XK-DLYS-JY"}, 422, "malformed_code"),
        ({"subject_code": "91410100MA0000001X", "matter_code": "NO-SUCH"}, 404, "unknown_matter"),
        ({"subject_code": "", "matter_code": "XK-DLYS-JY"}, 422, "invalid_request"),
        ({"matter_code": "XK-DLYS-JY"}, 422, "invalid_request"),
    ],
)
def test_bad_checks_get_clear_errors(
    client: TestClient, listed: Database, payload: dict[str, str], status: int, code: str
) -> None:
    r = client.post("/api/v1/checks", json=payload, headers={"X-API-Key": _key(listed, [SCOPE_CHECK])})
    assert r.status_code == status, r.text
    assert r.json()["code"] == code
    assert r.json()["message"]


def test_check_needs_the_check_scope(client: TestClient, listed: Database) -> None:
    r = client.post(
        "/api/v1/checks",
        json={"subject_code": uscc(1), "matter_code": "XK-DLYS-JY"},
        headers={"X-API-Key": _key(listed, [SCOPE_READ])},
    )
    assert r.status_code == 403
    assert r.json()["code"] == "scope_required"
    assert client.post("/api/v1/checks", json={}).status_code == 401


def test_batch(client: TestClient, listed: Database) -> None:
    key = _key(listed, [SCOPE_CHECK])
    items = [
        {"subject_code": uscc(1), "matter_code": "ZB-GLGC"},
        {"subject_code": "bad!", "matter_code": "ZB-GLGC"},
        {"subject_code": uscc(2), "matter_code": "nope"},
    ]
    r = client.post("/api/v1/checks/batch", json={"items": items}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["checked"], body["failed"]) == (1, 2)
    assert [m["code"] for m in body["items"][0]["result"]["measures"]] == ["P-ZB-XZ"]
    assert [i["error_code"] for i in body["items"][1:]] == ["malformed_code", "unknown_matter"]
    too_many = {"items": [{"subject_code": uscc(1), "matter_code": "ZB-GLGC"}] * 1001}
    r = client.post("/api/v1/checks/batch", json=too_many, headers={"X-API-Key": key})
    assert r.status_code == 422


def test_feedback_becomes_the_effect_list(client: TestClient, listed: Database, settings: Settings) -> None:
    key = _key(listed, [SCOPE_CHECK, SCOPE_READ])
    body = _check(client, key, uscc(1), "XK-DLHY")
    url = f"/api/v1/checks/{body['check_id']}/feedback"
    items = [
        {"measure_code": "P-XK-XZXK", "applied": True, "result": "不予许可", "details": "新增 5 辆货车运力申请"},
        {"measure_code": "P-XK-YSHC", "applied": False, "result": "申请人撤回申请"},
    ]
    r = client.post(url, json={"items": items}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    effects = r.json()["effects"]
    assert [(e["measure_code"], e["applied"], e["department_code"]) for e in effects] == [
        ("P-XK-XZXK", True, DEPT),
        ("P-XK-YSHC", False, DEPT),
    ]
    with listed.read() as s:  # the applied measure is a 联合奖惩成效 credit record, the other one is not
        lhjc = s.scalars(select(CreditRecord).where(CreditRecord.category == "LHJC", CreditRecord.is_current)).all()
        assert [r.natural_key for r in lhjc] == [f"CX-{body['check_id']}-P-XK-XZXK"]
        data = lhjc[0].data
        assert (data["measure_type"], data["subject_name"], data["uscc"]) == (
            "惩戒",
            "郑州顺达1号物流有限公司",
            uscc(1),
        )
        assert "限制新增" in data["measure"]
        assert "不予许可" in data["details"]
        assert "新增 5 辆货车运力申请" in data["details"]
        assert data["list_ref"]
        assert "黑名单" in data["list_ref"]
        assert lhjc[0].department_code == DEPT
        assert data["executing_unit"]
        assert data["decision_date"] == service.today_cst().isoformat()
    again = client.post(url, json={"items": items[:1]}, headers={"X-API-Key": key})
    assert again.status_code == 409
    assert again.json()["code"] == "feedback_exists"
    wrong = client.post(url, json={"items": [{"measure_code": "I-PY-YX", "applied": True}]}, headers={"X-API-Key": key})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "measure_not_offered"
    missing = client.post("/api/v1/checks/ffff/feedback", json={"items": items}, headers={"X-API-Key": key})
    assert missing.status_code == 404
    assert missing.json()["code"] == "check_not_found"

    today = service.today_cst()
    r = client.get(f"/api/v1/effects?year={today.year}&month={today.month}&format=csv", headers={"X-API-Key": key})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "被执行主体", "执行措施"]
    assert rows[1][1] == "郑州顺达1号物流有限公司"
    assert "限制新增" in rows[1][2]
    assert len([r for r in rows[1:] if r and r[0].isdigit()]) == 1  # only applied measures are effects
    r = client.get(f"/api/v1/effects?year={today.year}&month={today.month}&format=xlsx", headers={"X-API-Key": key})
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["成效清单", "按措施统计"]
    assert list(wb["按措施统计"].iter_rows(values_only=True))[1][0] == "P-XK-XZXK"

    with listed.unit_of_work() as s:  # an effect becomes a typical case, published, shown in the API
        case = cases.draft_case(
            s,
            OFFICE,
            title="某物流公司超限超载被限制新增运力",
            summary="联合惩戒案例",
            body="正文",
            effect_id=effects[0]["id"],
        )
        cases.publish_case(s, OFFICE, case.id)
    r = client.get("/api/v1/cases", headers={"X-API-Key": key})
    assert r.json()["total"] == 1
    assert r.json()["items"][0]["kind"] == "punishment"


def test_matters_and_measures_are_listed(client: TestClient, listed: Database) -> None:
    key = _key(listed, [SCOPE_CHECK])
    matters = client.get("/api/v1/matters", headers={"X-API-Key": key}).json()["items"]
    assert any(m["code"] == "XK-DLYS-JY" and m["kind_label"] == "行政许可" for m in matters)
    measures = client.get("/api/v1/measures", headers={"X-API-Key": key}).json()["items"]
    assert {m["kind"] for m in measures} == {"incentive", "punishment"}


def test_check_log_is_written_on_shutdown(listed: Database, settings: Settings) -> None:
    key = _key(listed, [SCOPE_CHECK])
    with TestClient(create_app(settings, listed)) as c:
        answers = [_check(c, key, uscc(n)) for n in (1, 2, 3)]
    with listed.read() as s:  # the server stopped: everything pending was written, as answered
        stored = {c.check_no: c for c in s.scalars(select(CreditCheck))}
        subjects = dict(s.execute(select(Subject.id, Subject.uscc)).all())
        assert len(stored) == 3
        for answer in answers:
            row = stored[answer["check_id"]]
            assert subjects[row.subject_id] == answer["subject"]["uscc"]
            assert (row.matter_code, row.department_code) == ("XK-DLYS-JY", DEPT)
            assert row.caller.startswith("api_client:审批系统#")
            assert row.checked_at == dt.datetime.fromisoformat(answer["checked_at"])
            assert row.lists == (",".join(sorted({e["list_type"] for e in answer["list_entries"]})) or None)
            assert row.measure_codes == (",".join(m["code"] for m in answer["measures"]) or None)
            assert row.warned is answer["warning_raised"]
            assert row.feedback_at is None
        assert stored[answers[0]["check_id"]].warned is True  # org 1 is black-listed
        assert stored[answers[0]["check_id"]].lists == "black"


def test_feedback_sees_a_check_still_pending(client: TestClient, listed: Database) -> None:
    key = _key(listed, [SCOPE_CHECK])
    log = existing_log(listed.engine)
    if log is not None:
        log.flush()
    body = _check(client, key, uscc(2))
    r = client.post(
        f"/api/v1/checks/{body['check_id']}/feedback",
        json={"items": [{"measure_code": "I-XK-LSTD", "applied": True}]},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 200, r.text


def test_a_drain_does_not_wait_for_a_flush_waiting_for_it(listed: Database) -> None:
    """Feedback holds its unit of work's write lock (SQLite: BEGIN IMMEDIATE) when it drains the pending checks.
    A flush that started meanwhile used to take the log's lock and then wait for the database's: each waited for
    the other until the busy timeout (30 s) failed the flush. Now the flush waits for the database first, holding
    nothing, and the row is stored once, by whichever got there."""
    with listed.read() as s:
        subject_id = s.scalars(select(Subject.id).where(Subject.uscc == uscc(2))).one()
    row = ("chk-deadlock-1", subject_id, "XK-DLYS-JY", DEPT, "test", dt.datetime(2026, 11, 24, 8), None, None, False)
    log = CheckLog(listed.engine, interval=3600)
    log.append(row)
    failures: list[BaseException] = []

    def run(step: object) -> None:
        try:
            step()  # type: ignore[operator]
        except BaseException as exc:  # reported by the assertions below
            failures.append(exc)

    try:
        with listed.unit_of_work() as s:
            s.execute(select(func.count()).select_from(CreditCheck))  # the unit of work has begun (and locked)
            flusher = threading.Thread(target=run, args=(log.flush,))
            flusher.start()
            time.sleep(0.3)  # the flush is under way
            drainer = threading.Thread(target=run, args=(lambda: log.drain_into(s),))
            drainer.start()
            drainer.join(timeout=10)
            assert not drainer.is_alive(), "the drain waited for a flush that waited for it"
        flusher.join(timeout=10)
        assert not flusher.is_alive()
        assert failures == []
        with listed.read() as s:
            assert s.scalar(select(func.count()).where(CreditCheck.check_no == "chk-deadlock-1")) == 1
    finally:
        log.close()


def test_deactivated_key_stops_working_on_the_fast_lane(listed: Database, settings: Settings) -> None:
    """Deactivation through the service takes effect at once in this process; a change made behind its back (as
    another process would) is seen once ``api_key_recheck_seconds`` has passed."""
    key = _key(listed, [SCOPE_CHECK])
    other = _key(listed, [SCOPE_CHECK])
    quick = settings.model_copy(update={"api_key_recheck_seconds": 0.3})
    with TestClient(create_app(quick, listed)) as c:
        _check(c, key, uscc(2))
        _check(c, other, uscc(2))
        with listed.unit_of_work() as s:
            client_id = next(x.id for x in auth.list_api_clients(s, SYSTEM) if key.startswith(f"tc_{x.key_prefix}_"))
            auth.deactivate_api_client(s, SYSTEM, client_id)
        r = c.post(
            "/api/v1/checks", json={"subject_code": uscc(2), "matter_code": "XK-DLYS-JY"}, headers={"X-API-Key": key}
        )
        assert r.status_code == 401
        assert r.json()["code"] == "api_key_inactive"
        with listed.unit_of_work() as s:
            clients = auth.list_api_clients(s, SYSTEM)
            row = next(x for x in clients if other.startswith(f"tc_{x.key_prefix}_"))
            row.active = False  # behind the service's back
        time.sleep(0.35)
        r = c.post(
            "/api/v1/checks", json={"subject_code": uscc(2), "matter_code": "XK-DLYS-JY"}, headers={"X-API-Key": other}
        )
        assert r.status_code == 401


def test_a_failing_check_gets_the_platforms_json_error_and_the_lane_recovers(
    listed: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The fast lane answers ahead of the framework's error middleware, so it turns an unexpected failure (here the
    records table gone from under it) into the usual ``{code, message, details}`` 500 itself; the subject code is not
    logged; once the table is back, the next check succeeds."""
    key = _key(listed, [SCOPE_CHECK])
    with TestClient(create_app(settings, listed), raise_server_exceptions=False) as c:
        _check(c, key, uscc(2))
        with listed.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE credit_records RENAME TO credit_records_away")
        try:
            r = c.post(
                "/api/v1/checks",
                json={"subject_code": uscc(3), "matter_code": "XK-DLYS-JY"},
                headers={"X-API-Key": key},
            )
        finally:
            with listed.engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE credit_records_away RENAME TO credit_records")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/json"
        assert r.json()["code"] == "internal_error"
        assert r.json()["message"]
        assert "credit check failed" in caplog.text
        assert uscc(3) not in caplog.text
        assert _check(c, key, uscc(3))["subject"]["uscc"] == uscc(3)


def test_check_rows_are_written_at_once_and_their_warnings_within_the_warning_interval(listed: Database) -> None:
    """The writer stores rows every ``interval``; the warnings they raise wait for ``warning_interval`` (one
    ``raise_warnings`` a second instead of one per flush), and shutdown writes what is left."""
    from transport_credit.warnings.service import WarningRequest

    with listed.read() as s:
        subject_id = s.scalars(select(Subject.id).where(Subject.uscc == uscc(1))).one()
    row = ("chk-cadence-1", subject_id, "XK-DLYS-JY", DEPT, "test", dt.datetime(2026, 11, 25, 8), "black", None, True)
    warning = WarningRequest(
        kind="blacklisted_subject_checked",
        subject_id=subject_id,
        rule_code="credit_check",
        message="黑名单主体正在办理「道路运输经营许可」",
        details={"check_id": "chk-cadence-1"},
        actor=OFFICE,
        level="red",
        fingerprint=f"{DEPT}:XK-DLYS-JY",
    )
    log = CheckLog(listed.engine, interval=0.02, warning_interval=3600)
    try:
        log.append(row, warning)
        deadline = time.monotonic() + 10
        while True:
            with listed.read() as s:
                if s.scalar(select(func.count()).where(CreditCheck.check_no == "chk-cadence-1")):
                    break
            assert time.monotonic() < deadline, "the row was not written by the writer thread"
            time.sleep(0.02)
        with listed.read() as s:
            assert s.scalar(select(func.count()).select_from(CreditWarning)) == 0  # not due yet
        assert log.pending() == 1
    finally:
        log.close()
    with listed.read() as s:
        w = s.scalars(select(CreditWarning)).one()
        assert (w.kind, w.subject_id, w.details["check_id"]) == (
            "blacklisted_subject_checked",
            subject_id,
            "chk-cadence-1",
        )
    assert log.pending() == 0


def test_the_check_says_whether_the_applicant_may_use_the_commitment_route(
    client: TestClient, listed: Database, settings: Settings
) -> None:
    """逢批必查 on a matter of the 告知承诺制事项清单: a clean applicant may use it, a black-listed one may not, nor one
    with a broken commitment; a matter without a route says nothing. The batch form (the ordinary service path)
    answers as the single check (the fast lane)."""
    key = _key(listed, [SCOPE_CHECK])
    clean = _check(client, key, uscc(3), "XK-DLKY")["commitment_route"]
    assert clean["available"] is True
    assert clean["reason"] is None
    assert [m["code"] for m in clean["matters"]] == ["GZCN-01"]
    black = _check(client, key, uscc(1), "XK-DLKY")["commitment_route"]
    assert black["available"] is False
    assert black["reason"].startswith("列入黑名单")
    assert _check(client, key, uscc(3))["commitment_route"] is None  # XK-DLYS-JY: no route
    with listed.unit_of_work() as s:
        subject = s.scalars(select(Subject).where(Subject.uscc == uscc(3))).one()
        write_revision(
            s,
            SYSTEM,
            settings,
            category="XYCN",
            natural_key="CN-BROKEN-1",
            subject_id=subject.id,
            department_code=DEPT,
            data={
                "subject_name": subject.name,
                "subject_kind": "法人及非法人组织",
                "uscc": uscc(3),
                "commitment_no": "CN-BROKEN-1",
                "commitment_type": "证明事项告知承诺型",
                "commitment_matter": "道路旅客运输经营许可",
                "commitment_content": "承诺驾驶人员无重大以上交通责任事故。",
                "decision_date": "2026-03-01",
                "accepting_unit": "河南省交通运输厅",
                "fulfilment": "未履约",
            },
            decision_date=dt.date(2026, 3, 1),
        )
    broken = _check(client, key, uscc(3), "XK-DLKY")
    assert broken["commitment_route"]["available"] is False
    assert broken["commitment_route"]["reason"].startswith("有未履约的信用承诺")
    assert broken["commitments"] == []  # a broken commitment is not an active one
    r = client.post(
        "/api/v1/checks/batch",
        json={"items": [{"subject_code": uscc(3), "matter_code": "XK-DLKY"}]},
        headers={"X-API-Key": key},
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["result"]["commitment_route"] == broken["commitment_route"]


def _both_ways(client: TestClient, db: Database, settings: Settings, key: str, code: str, matter: str) -> dict:  # type: ignore[type-arg]
    """The fast lane's answer, checked against the service's answer for the same caller (``run_check``, whose
    result the lane used to serialise whole): the same JSON, key order included, but for the check id and time."""
    fast = _check(client, key, code, matter)
    with db.unit_of_work() as s:
        actor = auth.authenticate_api_key(s, key)
        slow = orjson.loads(orjson.dumps(checks.run_check(s, actor, settings, subject_code=code, matter_code=matter)))
    for body in (fast, slow):
        assert len(body.pop("check_id")) == 32
        assert body.pop("checked_at")
    assert list(fast) == list(slow)
    assert fast == slow
    return fast


@pytest.mark.parametrize("matter", ["XK-DLYS-JY", "XK-DLKY"])
def test_the_lane_answers_as_the_service_with_and_without_records(
    client: TestClient, listed: Database, settings: Settings, matter: str
) -> None:
    """Subjects with list entries take the full answer; a subject with nothing on record gets the answer assembled
    from pre-serialised parts (``checks._PlainParts``). Both are the service's answer."""
    for key in (_key(listed, [SCOPE_CHECK]), _key(listed, [SCOPE_CHECK, SCOPE_READ])):
        for code in (uscc(1), uscc(2), uscc(3), PERSON_ID):
            _both_ways(client, listed, settings, key, code, matter)
    plain = _both_ways(client, listed, settings, _key(listed, [SCOPE_CHECK]), uscc(3), matter)
    assert plain["list_entries"] == []
    assert plain["subject"]["uscc"] == uscc(3)
    assert (settings.province, matter, DEPT, False) in checks._PLAIN_PARTS


def test_a_person_with_nothing_on_record_is_masked_on_the_lane(filled: Database, settings: Settings) -> None:
    with TestClient(create_app(settings, filled)) as client:
        check_only = _both_ways(client, filled, settings, _key(filled, [SCOPE_CHECK]), PERSON_ID, "XK-DLYS-JY")
        with_read = _both_ways(
            client, filled, settings, _key(filled, [SCOPE_CHECK, SCOPE_READ]), PERSON_ID, "XK-DLYS-JY"
        )
    assert check_only["subject"]["name"] == "张*"
    assert check_only["subject"]["id_masked"] is None
    assert check_only["personal_data_visible"] is False
    assert check_only["measures"] == []
    assert with_read["subject"]["name"] == "张三"
    assert with_read["personal_data_visible"] is True
    with filled.unit_of_work() as s:  # both lane checks were logged, each with the matter and no lists
        logged = s.scalars(select(CreditCheck).where(CreditCheck.lists.is_(None))).all()
    assert len([c for c in logged if c.matter_code == "XK-DLYS-JY"]) == 4


def test_the_plain_parts_follow_reloaded_rules(client: TestClient, listed: Database, settings: Settings) -> None:
    key = _key(listed, [SCOPE_CHECK])
    _check(client, key, uscc(3))
    before = checks._PLAIN_PARTS[(settings.province, "XK-DLYS-JY", DEPT, False)]
    list_rules.cache_clear()  # what reloading the measure list does: new rules objects
    try:
        _both_ways(client, listed, settings, key, uscc(3), "XK-DLYS-JY")
        after = checks._PLAIN_PARTS[(settings.province, "XK-DLYS-JY", DEPT, False)]
        assert after is not before
        assert after.rules is list_rules(settings.province)
    finally:
        list_rules.cache_clear()
