"""Handling objection (异议) and repair (信用修复) applications on the real database: acceptance with working-day
deadlines, refusal, and each outcome's effect on the record (and on a black-list entry), the inbox views, the audit
trail. Records come through the real import pipeline, so their publicity windows are the rule set's."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from lists_kit import OFFICE, OFFICER, VIEWER, import_table, penalty_row, uscc
from sqlalchemy import select

from transport_credit import audit
from transport_credit.auth import service as auth
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.calendar.service import build_calendar
from transport_credit.common.actor import ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.disclosure import service as disclosure
from transport_credit.lists import checks
from transport_credit.lists import service as lists
from transport_credit.lists.models import ListEntry
from transport_credit.portal import handling
from transport_credit.portal import service as portal
from transport_credit.portal.models import PortalApplication
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import write_revision
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

TODAY = lists.today_cst()
REASONS = {"repair": "已履行处罚决定并完成整改，申请信用修复。", "objection": "处罚决定书记载的车牌号有误。"}


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).strftime("%Y/%m/%d")


OLD_PENALTY = penalty_row(11, decision_no="豫交执罚〔2026〕旧-1号", decision_date=_ago(200))  # minimum period over
NEW_PENALTY = penalty_row(12, decision_no="豫交执罚〔2026〕新-1号", decision_date=_ago(20))  # still within it


@pytest.fixture
def platform_with_penalties(platform: Database, settings: Settings, tmp_path: Path) -> Database:
    summary = import_table(platform, settings, tmp_path / "penalties.csv", [OLD_PENALTY, NEW_PENALTY])
    assert summary.accepted + summary.warned == 2, summary
    return platform


def _record(db: Database, decision_no: str) -> CreditRecord:
    with db.read() as s:
        r = s.scalar(select(CreditRecord).where(CreditRecord.natural_key == decision_no, CreditRecord.is_current))
        assert r is not None
        s.expunge(r)
        return r


def _subject_id(db: Database, n: int) -> int:
    with db.read() as s:
        sid = s.scalar(select(Subject.id).where(Subject.uscc == uscc(n)))
        assert sid is not None
        return sid


def _apply(
    db: Database, settings: Settings, kind: str, subject_id: int, record_id: int | None, *, today: dt.date = TODAY
) -> int:
    with db.unit_of_work() as s:
        app = portal.submit_application(
            s,
            settings,
            portal.ApplicationInput(
                kind=kind,
                subject_id=subject_id,
                record_id=record_id,
                applicant_name="赵经理",
                contact="13812345678",
                reason=REASONS[kind],
            ),
            today=today,
        )
        return app.id


def _accept(db: Database, settings: Settings, app_id: int) -> PortalApplication:
    with db.unit_of_work() as s:
        portal.accept_application(s, OFFICE, settings, app_id)
    return _application(db, app_id)


def _decide(db: Database, settings: Settings, app_id: int, outcome: str, **kw: object) -> PortalApplication:
    with db.unit_of_work() as s:
        portal.decide_application(
            s, OFFICE, settings, app_id, outcome=outcome, reply=kw.pop("reply", "经核实，作出如下处理。"), **kw
        )
    return _application(db, app_id)


def _unit(department_code: str) -> Actor:
    """A data officer of the department that provided a record (信息提供单位)."""
    return Actor("提供单位报送员", "account", department_code=department_code, roles=frozenset({ROLE_DATA_OFFICER}))


def _verify(db: Database, record: CreditRecord, app_id: int, finding: str) -> None:
    with db.unit_of_work() as s:
        portal.submit_verification(
            s, _unit(record.department_code), app_id, finding=finding, note="经核对原始执法文书，结论如下。"
        )


def _application(db: Database, app_id: int) -> PortalApplication:
    with db.read() as s:
        app = s.get(PortalApplication, app_id)
        assert app is not None
        s.expunge(app)
        return app


def test_deadlines_count_working_days(platform_with_penalties: Database, settings: Settings) -> None:
    """Submitted the day before the National Day holiday: acceptance is due on the 2nd working day after it."""
    db = platform_with_penalties
    app_id = _apply(db, settings, "objection", _subject_id(db, 11), None, today=dt.date(2026, 9, 30))
    app = _application(db, app_id)
    assert app.status == "received"
    assert app.accept_due == dt.date(2026, 10, 9)  # 10-01…10-07 off; 10-08 and 10-09 are the two working days
    assert app.rules_version == "2026-04"
    assert app.deadline_estimated is False
    accepted = _accept(db, settings, app_id)
    assert accepted.status == "accepted"
    assert accepted.decide_due is not None
    assert accepted.decide_due > TODAY
    assert accepted.handled_by == OFFICE.label


def test_repair_ends_publication_and_survives_a_reimport(
    platform_with_penalties: Database, settings: Settings, tmp_path: Path
) -> None:
    db = platform_with_penalties
    record = _record(db, OLD_PENALTY["decision_no"])
    assert record.publicity_min_end is not None
    assert record.publicity_min_end <= TODAY
    app_id = _apply(db, settings, "repair", record.subject_id, record.id)
    _accept(db, settings, app_id)
    with pytest.raises(InvalidInput) as exc:  # the official must confirm the conditions
        _decide(db, settings, app_id, "repaired")
    assert exc.value.code == "obligations_not_met"
    app = _decide(db, settings, app_id, "repaired", obligations_met=True, commitment_made=True)
    assert app.status == "repaired"
    assert app.decided_at is not None

    repaired = _record(db, OLD_PENALTY["decision_no"])
    assert (repaired.status, repaired.revision, repaired.id) == ("repaired", record.revision + 1, app.result_record_id)
    assert repaired.publicity_end == TODAY
    assert repaired.data == record.data  # same content, another status
    with db.read() as s:
        with pytest.raises(NotFound):
            disclosure.public_record(s, record.id)
        with pytest.raises(NotFound):
            disclosure.public_record(s, repaired.id)
        trail = audit.list_entries(s, OFFICE, target_type="portal_application", target_id=app.tracking_no)
        assert [e.action for e in reversed(trail)] == ["portal.application.accept", "portal.application.decide"]
        assert trail[0].details["outcome"] == "repaired"
        assert trail[0].details["result_record"] == repaired.id
        assert audit.verify(s).ok

    # The department sends the same file again, and the same rows in another file: the repair stands.
    again = import_table(db, settings, tmp_path / "again.csv", [OLD_PENALTY, NEW_PENALTY])
    assert again.already_imported, again
    reordered = import_table(db, settings, tmp_path / "reordered.csv", [NEW_PENALTY, OLD_PENALTY])
    assert (reordered.unchanged, reordered.revised) == (2, 0), reordered
    assert _record(db, OLD_PENALTY["decision_no"]).status == "repaired"


def test_repair_waits_for_the_minimum_period(platform_with_penalties: Database, settings: Settings) -> None:
    db = platform_with_penalties
    record = _record(db, NEW_PENALTY["decision_no"])
    app_id = _apply(db, settings, "repair", record.subject_id, record.id)
    _accept(db, settings, app_id)
    with pytest.raises(InvalidInput) as exc:
        _decide(db, settings, app_id, "repaired", obligations_met=True, commitment_made=True)
    assert exc.value.code == "minimum_period_not_reached"
    assert record.publicity_min_end is not None
    assert record.publicity_min_end.isoformat() in exc.value.message
    assert _application(db, app_id).status == "accepted"  # nothing half-done
    assert _record(db, NEW_PENALTY["decision_no"]).id == record.id
    denied = _decide(db, settings, app_id, "denied", reply="最短公示期未满，不予修复，届满后可再次申请。")
    assert denied.status == "denied"
    assert denied.result_record_id is None
    assert _record(db, NEW_PENALTY["decision_no"]).status == "active"


def test_an_upheld_objection_revokes_a_black_list_entry(platform_with_penalties: Database, settings: Settings) -> None:
    """The record of a listed entry is withdrawn through the list's lifecycle: the entry leaves the list, the check
    no longer reports it."""
    db = platform_with_penalties
    with db.unit_of_work() as s:
        entry_id = lists.propose_entry(
            s, OFFICE, settings, subject_code=uscc(11), list_code="black", reason="多次严重超限运输", domain="公路管理"
        ).id
    with db.unit_of_work() as s:
        lists.notify_entry(s, OFFICE, settings, entry_id, today=TODAY - dt.timedelta(days=40))
    with db.unit_of_work() as s:
        view = lists.publish_entry(s, OFFICE, settings, entry_id)
    record = _record(db, view.entry_no)
    assert record.category == "HEIMD"
    app_id = _apply(db, settings, "objection", record.subject_id, record.id)
    _accept(db, settings, app_id)
    _verify(db, record, app_id, "inaccurate")
    app = _decide(db, settings, app_id, "revoked", reply="经核实，列入依据有误，撤销该名单信息。")
    assert app.status == "revoked"
    with db.read() as s:
        entry = s.get(ListEntry, entry_id)
        assert entry is not None
        assert (entry.state, entry.removal_reason) == ("removed", "revoked")
        assert app.tracking_no in (entry.removal_basis or "")
    withdrawn = _record(db, view.entry_no)
    assert (withdrawn.status, withdrawn.id) == ("revoked", app.result_record_id)
    with db.unit_of_work() as s:
        result = checks.run_check(s, OFFICE, settings, subject_code=uscc(11), matter_code="XK-DLYS-JY")
    assert result.list_entries == []
    assert result.warning_raised is False


def test_a_correction_needs_the_corrected_record(
    platform_with_penalties: Database, settings: Settings, tmp_path: Path
) -> None:
    db = platform_with_penalties
    record = _record(db, NEW_PENALTY["decision_no"])
    app_id = _apply(db, settings, "objection", record.subject_id, record.id)
    _accept(db, settings, app_id)
    _verify(db, record, app_id, "inaccurate")
    with pytest.raises(InvalidInput) as exc:
        _decide(db, settings, app_id, "corrected")
    assert exc.value.code == "not_corrected_yet"
    fixed = dict(NEW_PENALTY, violation_facts="当事人驾驶豫A12345货车超限运输（车牌号已更正）。")
    summary = import_table(db, settings, tmp_path / "fixed.csv", [fixed])
    assert summary.revised == 1, summary
    app = _decide(db, settings, app_id, "corrected", reply="经核实，车牌号有误，已由执法局更正。")
    corrected = _record(db, NEW_PENALTY["decision_no"])
    assert (app.status, app.result_record_id) == ("corrected", corrected.id)
    assert corrected.revision == record.revision + 1


def test_a_subject_level_application_names_its_record_at_the_decision(
    platform_with_penalties: Database, settings: Settings
) -> None:
    db = platform_with_penalties
    record = _record(db, OLD_PENALTY["decision_no"])
    other = _record(db, NEW_PENALTY["decision_no"])  # another subject's
    app_id = _apply(db, settings, "repair", record.subject_id, None)
    _accept(db, settings, app_id)
    with db.read() as s:
        choices = portal.record_choices(s, OFFICE, app_id)
    assert [c.id for c in choices] == [record.id]
    assert choices[0].category_name == "行政处罚"
    with pytest.raises(InvalidInput) as exc:
        _decide(db, settings, app_id, "repaired", record_id=other.id, obligations_met=True, commitment_made=True)
    assert exc.value.code == "record_subject_mismatch"
    with pytest.raises(InvalidInput) as exc:
        _decide(db, settings, app_id, "repaired", obligations_met=True, commitment_made=True)
    assert exc.value.code == "record_required"
    app = _decide(db, settings, app_id, "repaired", record_id=record.id, obligations_met=True, commitment_made=True)
    assert (app.record_id, app.record_category) == (record.id, "XZCF")


def test_refusal_and_wrong_steps(platform_with_penalties: Database, settings: Settings) -> None:
    db = platform_with_penalties
    app_id = _apply(db, settings, "objection", _subject_id(db, 11), None)
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as exc:
        portal.refuse_application(s, OFFICE, settings, app_id, reply="")
    assert exc.value.code == "reply_required"
    with pytest.raises(Conflict) as conflict:
        _decide(db, settings, app_id, "dismissed")
    assert conflict.value.code == "application_not_accepted"
    with db.unit_of_work() as s:
        refused = portal.refuse_application(
            s, OFFICE, settings, app_id, reply="申请材料不全，请补充处罚决定书复印件后重新提交。"
        )
        assert refused.status == "refused"
    with pytest.raises(Conflict) as conflict:
        _accept(db, settings, app_id)
    assert conflict.value.code == "application_not_received"
    app = _application(db, app_id)
    assert app.reply == "申请材料不全，请补充处罚决定书复印件后重新提交。"


def test_only_the_credit_office_handles_applications(platform_with_penalties: Database, settings: Settings) -> None:
    db = platform_with_penalties
    app_id = _apply(db, settings, "objection", _subject_id(db, 11), None)
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        portal.accept_application(s, OFFICER, settings, app_id)
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        portal.refuse_application(s, OFFICER, settings, app_id, reply="不予受理的理由说明")
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        portal.decide_application(s, OFFICER, settings, app_id, outcome="dismissed", reply="异议不成立的理由")
    assert _application(db, app_id).status == "received"


def test_inbox_views_put_the_most_urgent_first(platform_with_penalties: Database, settings: Settings) -> None:
    db = platform_with_penalties
    sid = _subject_id(db, 11)
    late = _apply(db, settings, "objection", sid, None, today=TODAY - dt.timedelta(days=30))
    fresh = _apply(db, settings, "repair", sid, None)
    closed = _apply(db, settings, "objection", sid, None)
    with db.unit_of_work() as s:
        portal.refuse_application(s, OFFICE, settings, closed, reply="重复申请，已在办理中。")
    with db.read() as s:
        counts = portal.inbox_counts(s, OFFICE, today=TODAY)
        views = {
            (view, kind): portal.application_inbox(s, OFFICE, view=view, kind=kind, today=TODAY)
            for view, kind in (("open", None), ("overdue", None), ("closed", None), ("all", "repair"))
        }
        ids = {key: [a.id for a in items] for key, (items, _) in views.items()}
        with pytest.raises(InvalidInput):
            portal.application_inbox(s, OFFICE, view="nonsense", today=TODAY)
    assert counts == {"open": 2, "overdue": 1, "closed": 1, "all": 3}
    assert ids[("open", None)] == [late, fresh]
    assert views[("open", None)][1] == 2
    assert ids[("overdue", None)] == [late]
    assert ids[("closed", None)] == [closed]
    assert ids[("all", "repair")] == [fresh]


def _black_listed(db: Database, settings: Settings, n: int, published: dt.date) -> tuple[int, CreditRecord]:
    with db.unit_of_work() as s:
        entry_id = lists.propose_entry(
            s, OFFICE, settings, subject_code=uscc(n), list_code="black", reason="多次严重超限运输", domain="公路管理"
        ).id
    with db.unit_of_work() as s:
        lists.notify_entry(s, OFFICE, settings, entry_id, today=published - dt.timedelta(days=40))
    with db.unit_of_work() as s:
        view = lists.publish_entry(s, OFFICE, settings, entry_id, today=published)
    return entry_id, _record(db, view.entry_no)


def test_a_black_list_entry_is_repaired_only_after_its_minimum_period(
    platform_with_penalties: Database, settings: Settings
) -> None:
    """List records carry no stored minimum; it comes from the publicity rules (serious: one year since 2026-04)."""
    db = platform_with_penalties
    _, recent = _black_listed(db, settings, 11, TODAY - dt.timedelta(days=30))
    app_id = _apply(db, settings, "repair", recent.subject_id, recent.id)
    _accept(db, settings, app_id)
    with pytest.raises(InvalidInput) as exc:
        _decide(db, settings, app_id, "repaired", obligations_met=True, commitment_made=True)
    assert exc.value.code == "minimum_period_not_reached"

    entry_id, old = _black_listed(db, settings, 12, TODAY - dt.timedelta(days=400))
    app_id = _apply(db, settings, "repair", old.subject_id, old.id)
    _accept(db, settings, app_id)
    app = _decide(db, settings, app_id, "repaired", obligations_met=True, commitment_made=True)
    assert app.status == "repaired"
    with db.read() as s:
        entry = s.get(ListEntry, entry_id)
        assert entry is not None
        assert (entry.state, entry.removal_reason) == ("removed", "repaired")
    assert _record(db, old.natural_key).status == "repaired"


def test_an_objection_goes_to_the_unit_that_provided_the_record(
    platform_with_penalties: Database, settings: Settings
) -> None:
    """信息提供单位核实: on acceptance the objection goes to the record's department with a working-day deadline;
    only that department sees and answers it, once; the decision waits for the finding and follows it."""
    db = platform_with_penalties
    record = _record(db, NEW_PENALTY["decision_no"])
    unit, other = _unit(record.department_code), _unit("410100-jtj")
    app_id = _apply(db, settings, "objection", record.subject_id, record.id)
    app = _accept(db, settings, app_id)
    assert app.verify_department == record.department_code
    with db.read() as s:
        expected_due = build_calendar(s).add_workdays(TODAY, 5).date
    assert app.verify_due == expected_due
    assert app.decide_due is not None
    assert app.verify_due <= app.decide_due

    with pytest.raises(InvalidInput) as exc:  # the finding first
        _decide(db, settings, app_id, "dismissed")
    assert exc.value.code == "verification_pending"

    with db.read() as s:
        mine, total = portal.verification_queue(s, unit)
        assert (total, [t.id for t in mine]) == (1, [app_id])
        task = mine[0]
        assert (task.record_id, task.record_title, task.reason) == (record.id, record.natural_key, REASONS["objection"])
        assert task.applicant == "赵**"  # masked; no contact details at all
        assert not hasattr(task, "contact_masked")
        assert portal.verification_queue(s, other) == ([], 0)  # another department sees nothing
        with pytest.raises(NotFound):
            portal.verification_task(s, other, app_id)
        with pytest.raises(PermissionDenied):
            portal.verification_queue(s, VIEWER)
        assert portal.verification_queue(s, OFFICE)[1] == 1  # the credit office follows every department's
    with db.unit_of_work() as s, pytest.raises(NotFound):
        portal.submit_verification(s, other, app_id, finding="accurate", note="经核对，信息准确无误。")
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):  # the credit office does not answer for the unit
        portal.submit_verification(s, OFFICE, app_id, finding="accurate", note="经核对，信息准确无误。")
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as exc:
        portal.submit_verification(s, unit, app_id, finding="accurate", note="无误")
    assert exc.value.code == "note_required"

    with db.unit_of_work() as s:
        done = portal.submit_verification(s, unit, app_id, finding="accurate", note="经核对原始文书，车牌号记载无误。")
    assert (done.verification, done.verified_by) == ("accurate", unit.label)
    with db.unit_of_work() as s, pytest.raises(Conflict) as conflict:
        portal.submit_verification(s, unit, app_id, finding="inaccurate", note="再次核对后发现有误。")
    assert conflict.value.code == "already_verified"
    with db.read() as s:
        assert portal.verification_queue(s, unit)[1] == 0  # answered: off the open queue
        assert [t.id for t in portal.verification_queue(s, unit, view="done")[0]] == [app_id]
        trail = audit.list_entries(s, OFFICE, target_type="portal_application", target_id=app.tracking_no)
        verified = [e for e in trail if e.action == "portal.application.verify"]
        assert len(verified) == 1
        assert verified[0].details["finding"] == "accurate"

    with pytest.raises(InvalidInput) as exc:  # the record is accurate: not revoked
        _decide(db, settings, app_id, "revoked")
    assert exc.value.code == "outcome_contradicts_verification"
    decided = _decide(db, settings, app_id, "dismissed", reply="经信息提供单位核实，该信息准确，维持原信息。")
    assert decided.status == "dismissed"
    assert _record(db, NEW_PENALTY["decision_no"]).id == record.id  # untouched


def test_a_record_named_on_acceptance_goes_for_verification_and_repairs_do_not(
    platform_with_penalties: Database, settings: Settings
) -> None:
    db = platform_with_penalties
    record = _record(db, NEW_PENALTY["decision_no"])
    other = _record(db, OLD_PENALTY["decision_no"])  # another subject's
    app_id = _apply(db, settings, "objection", record.subject_id, None)
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as exc:
        portal.accept_application(s, OFFICE, settings, app_id, record_id=other.id)
    assert exc.value.code == "record_subject_mismatch"
    assert _application(db, app_id).status == "received"  # nothing half done
    with db.unit_of_work() as s:
        portal.accept_application(s, OFFICE, settings, app_id, record_id=record.id)
    app = _application(db, app_id)
    assert (app.record_id, app.record_category, app.verify_department) == (record.id, "XZCF", record.department_code)

    repair_id = _apply(db, settings, "repair", other.subject_id, other.id)
    repair = _accept(db, settings, repair_id)
    assert (repair.verify_department, repair.verify_due) == (None, None)
    with db.unit_of_work() as s, pytest.raises(NotFound) as missing:  # not sent: nothing for the unit to answer
        portal.submit_verification(
            s, _unit(other.department_code), repair_id, finding="accurate", note="信息准确无误。"
        )
    assert missing.value.code == "verification_not_found"


def test_the_providing_units_system_answers_over_the_api(
    platform_with_penalties: Database, settings: Settings, cheap_hashing: None
) -> None:
    """The department's own system (key with records:submit) lists the objections sent to it and reports its
    finding; a key of another department sees none of them; a read-only key is refused."""
    db = platform_with_penalties
    record = _record(db, NEW_PENALTY["decision_no"])
    app_id = _apply(db, settings, "objection", record.subject_id, record.id)
    _accept(db, settings, app_id)
    with db.unit_of_work() as s:
        _, own = auth.create_api_client(s, SYSTEM, "执法系统", record.department_code, ["XZCF"], [SCOPE_SUBMIT])
        _, other = auth.create_api_client(s, SYSTEM, "郑州系统", "410100-jtj", ["XZCF"], [SCOPE_SUBMIT])
        _, reader = auth.create_api_client(s, SYSTEM, "查询系统", record.department_code, [], [SCOPE_READ])
    with TestClient(create_app(settings, db)) as client:
        listed = client.get("/api/v1/verifications", headers={"X-API-Key": own})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["total"] == 1
        item = body["items"][0]
        assert (item["id"], item["record_id"], item["department"]) == (app_id, record.id, record.department_code)
        assert item["verification"] is None
        assert "13812345678" not in listed.text
        assert client.get("/api/v1/verifications", headers={"X-API-Key": other}).json()["total"] == 0
        assert client.get("/api/v1/verifications", headers={"X-API-Key": reader}).status_code == 403

        url = f"/api/v1/verifications/{app_id}"
        short = client.post(url, json={"finding": "inaccurate", "note": " 有误 "}, headers={"X-API-Key": own})
        assert short.status_code == 422
        foreign = client.post(url, json={"finding": "accurate", "note": "信息准确无误。"}, headers={"X-API-Key": other})
        assert (foreign.status_code, foreign.json()["code"]) == (404, "verification_not_found")
        note = "经核对执法记录，车牌号录入有误，已报送更正。"
        done = client.post(url, json={"finding": "inaccurate", "note": note}, headers={"X-API-Key": own})
        assert done.status_code == 200, done.text
        assert (done.json()["verification"], done.json()["verification_note"]) == ("inaccurate", note)
        again = client.post(url, json={"finding": "accurate", "note": "再次核对无误。"}, headers={"X-API-Key": own})
        assert (again.status_code, again.json()["code"]) == (409, "already_verified")
        assert client.get("/api/v1/verifications", headers={"X-API-Key": own}).json()["total"] == 0
        done_view = client.get("/api/v1/verifications", params={"view": "done"}, headers={"X-API-Key": own})
        assert [i["id"] for i in done_view.json()["items"]] == [app_id]
    assert _application(db, app_id).verified_by is not None


STEPS = st.lists(
    st.sampled_from(
        [
            "accept",
            "refuse",
            "verify:accurate",
            "verify:inaccurate",
            "verify_other:accurate",
            "decide:dismissed",
            "decide:revoked",
            "decide:corrected",
        ]
    ),
    min_size=1,
    max_size=8,
)


@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_any_sequence_of_steps_keeps_the_objection_workflow(
    platform_with_penalties: Database, settings: Settings, steps: list[str]
) -> None:
    """Random sequences of acceptance, refusal, verification (by the unit and by another) and decisions on a fresh
    objection: each step succeeds exactly when the workflow allows it, or fails with the expected code and leaves
    the application as it was; nothing is decided before the unit's finding, and the decision follows it."""
    db = platform_with_penalties
    base = _record(db, NEW_PENALTY["decision_no"])
    key = f"豫交执罚〔2026〕性质-{uuid.uuid4().hex[:10]}号"
    with db.unit_of_work() as s:
        written = write_revision(
            s,
            SYSTEM,
            settings,
            category="XZCF",
            natural_key=key,
            subject_id=base.subject_id,
            department_code=base.department_code,
            data={"decision_no": key, "subject_name": "郑州顺达12号物流有限公司"},
            decision_date=TODAY - dt.timedelta(days=20),
        )
    app_id = _apply(db, settings, "objection", base.subject_id, written.record_id)
    unit, other = _unit(base.department_code), _unit("410100-jtj")
    status, finding = "received", None
    for step in steps:
        action, _, arg = step.partition(":")
        if action == "accept" or action == "refuse":
            expected = None if status == "received" else "application_not_received"
        elif action == "verify_other" or (action == "verify" and status in ("received", "refused")):
            expected = "verification_not_found"  # never sent to this unit / not sent yet
        elif action == "verify":
            expected = "application_not_accepted" if status != "accepted" else "already_verified" if finding else None
        elif status != "accepted":
            expected = "application_not_accepted"
        elif finding is None:
            expected = "verification_pending"
        elif arg not in handling.OUTCOMES_AFTER_FINDING[finding]:
            expected = "outcome_contradicts_verification"
        else:
            expected = "not_corrected_yet" if arg == "corrected" else None
        code = None
        try:
            with db.unit_of_work() as s:
                if action == "accept":
                    portal.accept_application(s, OFFICE, settings, app_id)
                elif action == "refuse":
                    portal.refuse_application(s, OFFICE, settings, app_id, reply="申请材料不全，请补充后重新提交。")
                elif action in ("verify", "verify_other"):
                    who = unit if action == "verify" else other
                    portal.submit_verification(s, who, app_id, finding=arg, note="经核对原始执法文书，结论如下。")
                else:
                    portal.decide_application(s, OFFICE, settings, app_id, outcome=arg, reply="经核实，作出如下处理。")
        except (InvalidInput, Conflict, NotFound) as exc:
            code = exc.code
        assert code == expected, (steps, step)
        if code is None:
            if action == "accept":
                status = "accepted"
            elif action == "refuse":
                status = "refused"
            elif action == "verify":
                finding = arg
            else:
                status = arg
        app = _application(db, app_id)
        assert (app.status, app.verification) == (status, finding), (steps, step)
        if app.status in ("dismissed", "revoked"):
            assert app.verification is not None  # decided only after the unit's finding
            assert app.status in handling.OUTCOMES_AFTER_FINDING[app.verification]
