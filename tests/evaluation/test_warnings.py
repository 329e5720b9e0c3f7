"""Early warning: raise_warning (the contract other packages call), rule scans, grade drops, list and feed."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

import pytest
from evaluation_kit import OFFICE, OFFICER, VIEWER, licence, penalty, record, subject
from sqlalchemy import select

from transport_credit.audit import verify
from transport_credit.audit.models import AuditEntry
from transport_credit.common.actor import SYSTEM, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.evaluation import service as evaluation
from transport_credit.settings import Settings
from transport_credit.warnings import scan
from transport_credit.warnings import service as warnings_service
from transport_credit.warnings.models import CreditWarning
from transport_credit.warnings.service import (
    WarningRequest,
    feed,
    handle_warning,
    list_warnings,
    raise_warning,
    raise_warnings,
)

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("codes", "labels"),
    [
        (warnings_service.WarningKind, warnings_service.WARNING_KINDS),
        (warnings_service.WarningLevel, warnings_service.LEVELS),
        (warnings_service.WarningStatus, warnings_service.STATUSES),
    ],
)
def test_documented_codes_and_labels_name_the_same_codes(codes: Any, labels: dict[str, str]) -> None:
    """The API's enumerations (the Literal types) and the Chinese labels the pages show list the same codes."""
    assert set(get_args(codes)) == set(labels)


def test_raise_warning_contract_and_dedup(platform: Database) -> None:
    with platform.unit_of_work() as s:
        sid = subject(s, 1).id
        w1 = raise_warning(
            s,
            kind="blacklisted_subject_checked",
            subject_id=sid,
            rule_code="credit_check",
            message="重大失信主体办理行政许可",
            details={"check_id": 7},
            actor=SYSTEM,
        )
        w2 = raise_warning(
            s,
            kind="blacklisted_subject_checked",
            subject_id=sid,
            rule_code="credit_check",
            message="重大失信主体办理行政许可",
            details={"check_id": 8},
            actor=SYSTEM,
        )
        assert w1.id == w2.id
        assert w2.occurrences == 2
        assert w2.details == {"check_id": 8}
        other = raise_warning(
            s, kind="penalty_burst", subject_id=sid, rule_code="R", message="m", details={}, actor=SYSTEM
        )
        assert other.id != w1.id
        for kwargs, code in [
            ({"kind": "nope"}, "unknown_warning_kind"),
            ({"message": " "}, "warning_message_required"),
            ({"level": "blue"}, "unknown_warning_level"),
        ]:
            args = {
                "kind": "grade_drop",
                "subject_id": sid,
                "rule_code": "R",
                "message": "m",
                "details": {},
                "actor": SYSTEM,
            } | kwargs
            with pytest.raises(InvalidInput) as err:
                raise_warning(s, **args)  # type: ignore[arg-type]
            assert err.value.code == code
        with pytest.raises(NotFound):
            raise_warning(s, kind="grade_drop", subject_id=999999, rule_code="R", message="m", details={}, actor=SYSTEM)
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "warning.raise")).all() == [
            "warning.raise",
            "warning.raise",
        ]


def _warning_state(s: Any) -> list[tuple[Any, ...]]:
    rows = s.scalars(select(CreditWarning).order_by(CreditWarning.id)).all()
    return [
        (
            w.kind,
            w.rule_code,
            w.subject_id,
            w.fingerprint,
            w.level,
            w.message,
            w.status,
            w.occurrences,
            w.details,
            w.region_code,
            w.raised_by,
        )
        for w in rows
    ]


def test_raise_warnings_equals_one_call_per_request(platform: Database) -> None:
    """The batch form (the credit check's group commit) leaves the same warnings, occurrences, newest details and
    audit trail as calling raise_warning for each request in order."""
    with platform.unit_of_work() as s:
        subjects = [subject(s, n).id for n in (1, 2, 3)]
        handled = raise_warning(
            s, kind="penalty_burst", subject_id=subjects[2], rule_code="R", message="m", details={}, actor=SYSTEM
        )
        handled.status = "handled"
        raise_warning(  # already open: the batch adds occurrences to it
            s,
            kind="blacklisted_subject_checked",
            subject_id=subjects[0],
            rule_code="credit_check",
            message="m0",
            details={"n": 0},
            actor=SYSTEM,
            fingerprint="D:M",
        )
    office = Actor(name="系统#3", kind="api_client", department_code="410000-ysj")
    requests = [
        WarningRequest(
            "blacklisted_subject_checked",
            subjects[i % 3],
            "credit_check",
            f"m{i}",
            {"n": i},
            office if i % 2 else SYSTEM,
            "red",
            "D:M" if i % 4 else "D:X",
        )
        for i in range(12)
    ] + [WarningRequest("penalty_burst", subjects[2], "R", "again", {"k": 1}, SYSTEM)]

    def audit_trail(s: Any) -> list[tuple[str, str, dict[str, Any]]]:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.seq > 2).order_by(AuditEntry.seq)).all()
        return [(e.actor, e.action, e.details) for e in rows]

    with platform.unit_of_work() as s:
        savepoint = s.begin_nested()
        for r in requests:
            raise_warning(
                s,
                kind=r.kind,
                subject_id=r.subject_id,
                rule_code=r.rule_code,
                message=r.message,
                details=dict(r.details),
                actor=r.actor,
                level=r.level,
                fingerprint=r.fingerprint,
            )
        one_by_one, trail = _warning_state(s), audit_trail(s)
        savepoint.rollback()
    with platform.unit_of_work() as s:
        # 3 subjects × 2 fingerprints less the one already open, plus the handled warning raised again
        assert raise_warnings(s, requests) == 6
        assert raise_warnings(s, []) == 0
    with platform.read() as s:
        assert _warning_state(s) == one_by_one
        assert audit_trail(s) == trail
        assert verify(s).ok
    with platform.unit_of_work() as s, pytest.raises(NotFound):
        raise_warnings(s, [WarningRequest("grade_drop", 999999, "R", "m", {}, SYSTEM)])
    with platform.unit_of_work() as s, pytest.raises(InvalidInput):
        raise_warnings(s, [WarningRequest("nope", subjects[0], "R", "m", {}, SYSTEM)])


def test_scan_rules(platform: Database) -> None:
    with platform.unit_of_work() as s:
        a, b, c, d = (subject(s, n) for n in (1, 2, 3, 4))
        for day in (dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)):
            penalty(s, a.id, day)
        penalty(s, b.id, dt.date(2026, 1, 1))
        penalty(s, b.id, dt.date(2026, 10, 1))
        penalty(s, b.id, dt.date(2026, 11, 1))  # only 2 within 90 days
        record(s, c.id, "HEIMD", dt.date(2026, 11, 10), {}, publicity=(dt.date(2026, 11, 10), dt.date(2029, 11, 10)))
        record(s, c.id, "HEIMD", dt.date(2025, 1, 10), {}, publicity=(dt.date(2025, 1, 10), dt.date(2027, 1, 10)))
        record(s, d.id, "XYCN", dt.date(2026, 10, 1), {"fulfilment": "未履约"})
        record(s, d.id, "XYCN", dt.date(2026, 10, 2), {"fulfilment": "已履约"})
        ids = (a.id, b.id, c.id, d.id)
    with platform.unit_of_work() as s:
        counts = scan.scan(s, OFFICER, as_of=TODAY)
        assert counts == {"W_PENALTY_BURST": 1, "W_BLACKLISTED": 1, "W_COMMITMENT": 1}
        again = scan.scan(s, OFFICER, as_of=TODAY)  # idempotent: occurrences grow, no new rows
        assert again == counts
    with platform.read() as s:
        page, total = list_warnings(s, VIEWER)
        assert total == 3
        assert {(w.kind, w.subject_id) for w in page} == {
            ("penalty_burst", ids[0]),
            ("blacklisted", ids[2]),
            ("commitment_breached", ids[3]),
        }
        assert all(w.occurrences == 2 for w in page)
        red, _ = list_warnings(s, VIEWER, level="red")
        assert [w.kind for w in red] == ["blacklisted"]
        _zz, n = list_warnings(s, VIEWER, region_code="410100")
        assert n == 3
        _none, n = list_warnings(s, VIEWER, region_code="420100")
        assert n == 0
        with pytest.raises(InvalidInput):
            list_warnings(s, VIEWER, limit=0)
        with pytest.raises(InvalidInput):
            list_warnings(s, VIEWER, kind="bad")


def test_grade_drop_from_dynamic_evaluation(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        firm = subject(s, 7)
        licence(s, firm.id, dt.date(2020, 1, 1), "公路建设", "公路施工")
        fid = firm.id
    with platform.unit_of_work() as s:
        evaluation.run_evaluation(s, OFFICE, settings, "highway_construction", "2025", today=TODAY)  # A (newcomer)
        penalty(
            s,
            fid,
            dt.date(2026, 11, 18),
            penalty_type="吊销许可证件",
            severity="serious",
            domain="公路建设",
            subdomain="公路施工",
        )
        evaluation.reevaluate_subjects(s, OFFICER, settings, [fid], as_of=TODAY)
    with platform.read() as s:
        page, _ = list_warnings(s, VIEWER, kind="grade_drop")
        assert [(w.subject_id, w.details["from"], w.details["to"]) for w in page] == [(fid, "A", "D")]
        assert "由A降为D" in page[0].message


def test_feed_and_handling(platform: Database) -> None:
    with platform.unit_of_work() as s:
        sid = subject(s, 1).id
        for n in range(5):
            raise_warning(
                s, kind="penalty_burst", subject_id=sid, rule_code=f"R{n}", message="m", details={}, actor=SYSTEM
            )
    client = Actor("erp", "api_client", department_code="410000-zfj", scopes=frozenset({"subjects:read"}))
    keyless = Actor("erp", "api_client", department_code="410000-zfj", scopes=frozenset({"records:submit"}))
    with platform.read() as s:
        first = feed(s, client, after_id=0, limit=3)
        rest = feed(s, client, after_id=first[-1].id, limit=3)
        assert [w.rule_code for w in first + rest] == ["R0", "R1", "R2", "R3", "R4"]
        assert feed(s, client, after_id=rest[-1].id) == []
        with pytest.raises(PermissionDenied):
            feed(s, keyless)
    with platform.unit_of_work() as s:
        wid = first[0].id
        with pytest.raises(InvalidInput):
            handle_warning(s, OFFICER, wid, status="handled", note=" ")
        done = handle_warning(s, OFFICER, wid, status="handled", note="已约谈企业负责人")
        assert done.status == "handled"
        with pytest.raises(Conflict):
            handle_warning(s, OFFICER, wid, status="dismissed", note="x")
        with pytest.raises(PermissionDenied):
            handle_warning(s, VIEWER, first[1].id, status="handled", note="x")
