"""List entries on the real database: proposal, notice, objection, publication as a credit record, removal, expiry,
automatic proposals from the criteria, national list import, and the audit trail of every step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lists_kit import OFFICE, OFFICER, PERSON_ID, VIEWER, penalty_row, uscc
from sqlalchemy import select

from transport_credit import audit
from transport_credit.common.actor import SYSTEM
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.lists import service
from transport_credit.lists.criteria import propose_automatic
from transport_credit.lists.models import ListEntry
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings

TODAY = service.today_cst()
LONG_AGO = TODAY - dt.timedelta(days=40)


def _day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def _propose(db: Database, settings: Settings, n: int = 1, list_code: str = "black") -> int:
    with db.unit_of_work() as s:
        return service.propose_entry(
            s, OFFICE, settings, subject_code=uscc(n), list_code=list_code, reason="多次严重超限运输", domain="公路管理"
        ).id


def _listed(db: Database, settings: Settings, n: int = 1, list_code: str = "black") -> int:
    entry_id = _propose(db, settings, n, list_code)
    with db.unit_of_work() as s:
        service.notify_entry(s, OFFICE, settings, entry_id, today=LONG_AGO)
    with db.unit_of_work() as s:
        service.publish_entry(s, OFFICE, settings, entry_id)
    return entry_id


def _records(db: Database, key: str) -> list[CreditRecord]:
    with db.read() as s:
        rows = list(
            s.scalars(select(CreditRecord).where(CreditRecord.natural_key == key).order_by(CreditRecord.revision))
        )
        s.expunge_all()
        return rows


def test_full_lifecycle_writes_notice_record_and_audit(filled: Database, settings: Settings) -> None:
    entry_id = _propose(filled, settings)
    with filled.unit_of_work() as s:
        detail = service.notify_entry(s, OFFICE, settings, entry_id, today=LONG_AGO)
    assert detail.entry.state == "notified"
    assert detail.entry.objection_deadline is not None
    assert detail.entry.objection_deadline > LONG_AGO
    text = detail.notice_text or ""
    assert "郑州顺达1号物流有限公司" in text
    assert "失信联合惩戒对象名单" in text
    assert "异议" in text
    assert "$" not in text  # every placeholder filled

    with filled.unit_of_work() as s:
        view = service.publish_entry(s, OFFICE, settings, entry_id)
    assert view.state == "listed"
    assert view.valid_from == TODAY
    assert view.valid_until is not None
    assert view.valid_until > TODAY + dt.timedelta(days=365 * 2)
    [rec] = _records(filled, view.entry_no)
    assert (rec.category, rec.status, rec.is_current) == ("HEIMD", "active", True)
    assert rec.publicity_start == view.valid_from
    assert rec.publicity_end == view.valid_until
    assert rec.data["list_name"] == "失信联合惩戒对象名单（黑名单）"
    assert rec.data["decision_no"] == view.entry_no

    with filled.unit_of_work() as s:
        removed = service.remove_entry(s, OFFICE, settings, entry_id, reason="repaired", basis="已完成信用修复")
    assert removed.state == "removed"
    assert removed.removal_reason == "repaired"
    old, new = _records(filled, view.entry_no)
    assert (old.is_current, old.status) == (False, "superseded")
    assert (new.is_current, new.status, new.revision) == (True, "repaired", 2)

    with filled.read() as s:
        detail = service.get_entry(s, VIEWER, entry_id)
        actions = [h["action"] for h in detail.history]
        assert actions == ["list_entry.propose", "list_entry.notify", "list_entry.publish", "list_entry.remove"]
        assert all(h["actor"] == OFFICE.name for h in detail.history)
        assert audit.verify(s).ok


def test_publication_before_the_window_closes_is_refused(filled: Database, settings: Settings) -> None:
    entry_id = _propose(filled, settings)
    with filled.unit_of_work() as s:
        service.notify_entry(s, OFFICE, settings, entry_id)
    with filled.unit_of_work() as s, pytest.raises(Conflict) as exc:
        service.publish_entry(s, OFFICE, settings, entry_id)
    assert exc.value.code == "objection_window_open"
    with filled.read() as s:
        assert s.get(ListEntry, entry_id).state == "notified"  # type: ignore[union-attr]
        assert not s.scalars(select(CreditRecord).where(CreditRecord.category == "HEIMD")).all()


def test_objection_upheld_means_not_listed(filled: Database, settings: Settings) -> None:
    entry_id = _propose(filled, settings)
    with filled.unit_of_work() as s:
        service.notify_entry(s, OFFICE, settings, entry_id)
        service.file_objection(s, OFFICER, entry_id, "处罚决定已被行政复议撤销")
    with filled.unit_of_work() as s, pytest.raises(Conflict):
        service.file_objection(s, OFFICER, entry_id, "再次异议")
    with filled.unit_of_work() as s:
        view = service.resolve_objection(s, OFFICE, entry_id, upheld=True, note="异议成立，不予列入")
    assert view.state == "rejected"
    assert view.objection_status == "upheld"


def test_expiry_removes_by_itself_and_is_idempotent(filled: Database, settings: Settings) -> None:
    entry_id = _listed(filled, settings)
    with filled.read() as s:
        until = s.get(ListEntry, entry_id).valid_until  # type: ignore[union-attr]
    assert until is not None
    with filled.unit_of_work() as s:
        assert service.expire_entries(s, SYSTEM, settings, today=until) == 0
    with filled.unit_of_work() as s:
        assert service.expire_entries(s, SYSTEM, settings, today=until + dt.timedelta(days=1)) == 1
    with filled.unit_of_work() as s:
        assert service.expire_entries(s, SYSTEM, settings, today=until + dt.timedelta(days=2)) == 0
    with filled.read() as s:
        e = s.get(ListEntry, entry_id)
        assert e is not None
        assert (e.state, e.removal_reason) == ("removed", "expired")
        entry_no = e.entry_no
    assert [r.status for r in _records(filled, entry_no)] == ["superseded", "removed"]


def test_one_open_entry_per_subject_and_list(filled: Database, settings: Settings) -> None:
    _propose(filled, settings)
    with filled.unit_of_work() as s, pytest.raises(Conflict) as exc:
        service.propose_entry(s, OFFICE, settings, subject_code=uscc(1), list_code="black", reason="重复")
    assert exc.value.code == "entry_exists"
    _propose(filled, settings, list_code="watch")  # another list is fine


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"subject_code": "91410100MA9999999X"}, NotFound, "subject_not_found"),
        ({"list_code": "purple"}, NotFound, "unknown_list"),
        ({"reason": "  "}, InvalidInput, "reason_required"),
        ({"list_code": "national_overload"}, InvalidInput, "national_list"),
        ({"department_code": "410000-ysj"}, PermissionDenied, "other_department"),
    ],
)
def test_bad_proposals(
    filled: Database, settings: Settings, kwargs: dict[str, str], error: type[Exception], code: str
) -> None:
    args = {"subject_code": uscc(1), "list_code": "black", "reason": "事由"} | kwargs
    with filled.unit_of_work() as s, pytest.raises(error) as exc:
        service.propose_entry(s, OFFICER, settings, **args)  # type: ignore[arg-type]
    assert exc.value.code == code  # type: ignore[attr-defined]


def test_only_the_credit_office_decides(filled: Database, settings: Settings) -> None:
    entry_id = _propose(filled, settings)
    with filled.unit_of_work() as s, pytest.raises(PermissionDenied):
        service.notify_entry(s, OFFICER, settings, entry_id)
    with filled.read() as s, pytest.raises(PermissionDenied):
        service.propose_entry(s, VIEWER, settings, subject_code=uscc(1), list_code="black", reason="x")


def test_automatic_proposals_follow_the_criteria(filled: Database, settings: Settings) -> None:
    with filled.unit_of_work() as s:
        run = propose_automatic(s, SYSTEM, settings)
    assert run.by_criterion["overload_repeat_year"] == 1
    assert run.by_criterion["overload_instruct_fine"] == 1
    with filled.read() as s:
        entries = s.scalars(select(ListEntry).order_by(ListEntry.id)).all()
        got = {(e.subject_name, e.criterion_code, e.state, e.origin) for e in entries}
        s.expunge_all()
    assert ("郑州顺达1号物流有限公司", "overload_repeat_year", "proposed", "auto") in got
    assert ("郑州顺达3号物流有限公司", "overload_instruct_fine", "proposed", "auto") in got
    assert not any(name == "郑州顺达2号物流有限公司" for name, *_ in got)
    first = next(e for e in entries if e.criterion_code == "overload_repeat_year")
    assert len(first.evidence) == 5
    assert all(k.startswith("XZCF:") for k in first.evidence)
    with filled.unit_of_work() as s:  # a second run proposes nothing new
        again = propose_automatic(s, SYSTEM, settings)
    assert again.proposed == []
    assert again.skipped_open >= 2


def test_national_list_import(filled: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "national.csv"
    path.write_text(
        "主体名称,统一社会信用代码,列入事由,列入日期,有效期至\n"
        f"郑州顺达2号物流有限公司,{uscc(2)},一年内超限运输 5 次,{_day(-10)},{_day(300)}\n"
        f"外省某运输公司,{uscc(900, region='130100')},超限超载严重失信,{_day(-400)},{_day(-35)}\n",
        encoding="gb18030",
    )
    with filled.unit_of_work() as s:
        report = service.import_national_list(
            s, OFFICE, settings, path, path.read_bytes(), list_code="national_overload"
        )
    assert (report.rows, report.imported, report.already_listed) == (2, 2, 0)
    with filled.read() as s:
        states = {e.subject_name: e.state for e in s.scalars(select(ListEntry))}
    assert states == {"郑州顺达2号物流有限公司": "listed", "外省某运输公司": "removed"}
    with filled.unit_of_work() as s:  # the same file again changes nothing
        again = service.import_national_list(
            s, OFFICE, settings, path, path.read_bytes(), list_code="national_overload"
        )
    assert again.imported == 1
    assert again.already_listed == 1


def test_national_import_with_a_bad_row_imports_nothing(filled: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"主体名称,统一社会信用代码,列入事由\n甲公司,{uscc(2)},事由\n乙公司,###,事由\n", encoding="utf-8")
    with filled.unit_of_work() as s, pytest.raises(InvalidInput) as exc:
        service.import_national_list(s, OFFICE, settings, path, path.read_bytes(), list_code="national_overload")
    assert exc.value.code == "national_rows_invalid"
    with filled.read() as s:
        assert s.scalars(select(ListEntry)).all() == []


def test_person_entry_record_keeps_id_masked(filled: Database, settings: Settings) -> None:
    with filled.unit_of_work() as s:
        entry_id = service.propose_entry(
            s, OFFICE, settings, subject_code=PERSON_ID, list_code="watch", reason="多次违法"
        ).id
        service.notify_entry(s, OFFICE, settings, entry_id, today=LONG_AGO)
        view = service.publish_entry(s, OFFICE, settings, entry_id)
    [rec] = _records(filled, view.entry_no)
    assert rec.data["id_number"] != PERSON_ID
    assert "*" in rec.data["id_number"]
    assert rec.pii_cipher is not None
    assert penalty_row(1)["uscc"] not in str(rec.data)


def test_criteria_sql_agrees_with_the_pure_rules(filled: Database, settings: Settings) -> None:
    """The set query of every shipped criterion finds exactly the subjects the pure rule finds record by record."""
    from collections import Counter

    from transport_credit.lists.criteria import candidates
    from transport_credit.lists.matching import meets_count, record_matches
    from transport_credit.lists.rules import list_rules
    from transport_credit.subjects.models import Subject

    today = service.today_cst()
    with filled.read() as s:
        kinds = {int(i): str(k) for i, k in s.execute(select(Subject.id, Subject.kind))}
        for criterion in list_rules().criteria.values():
            since = today - dt.timedelta(days=criterion.window_days)
            counts: Counter[int] = Counter()
            for r in s.scalars(
                select(CreditRecord).where(CreditRecord.category == criterion.source_category, CreditRecord.is_current)
            ):
                in_window = r.decision_date is not None and since < r.decision_date <= today
                if in_window and r.status == "active" and kinds[r.subject_id] in criterion.subject_kinds:
                    counts[r.subject_id] += record_matches(criterion, r.data)
            expected = {sid for sid, n in counts.items() if meets_count(criterion, n)}
            assert {c.subject_id for c in candidates(s, criterion, today)} == expected, criterion.code
