"""Pure rules of objection and repair handling (portal/handling.py), from tables of cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from transport_credit.common.errors import Conflict, InvalidInput
from transport_credit.portal import handling
from transport_credit.portal.handling import RecordFacts

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("step", "status", "expected"),
    [
        ("accept", "received", "accepted"),
        ("accept", "accepted", "application_not_received"),
        ("accept", "refused", "application_not_received"),
        ("accept", "repaired", "application_not_received"),
        ("refuse", "received", "refused"),
        ("refuse", "accepted", "application_not_received"),
        ("refuse", "dismissed", "application_not_received"),
    ],
)
def test_acceptance_steps(step: str, status: str, expected: str) -> None:
    fn = handling.accept if step == "accept" else handling.refuse
    if expected in handling.STATUS_LABELS:
        assert fn(status) == expected
    else:
        with pytest.raises(Conflict) as exc:
            fn(status)
        assert exc.value.code == expected


@pytest.mark.parametrize(
    ("kind", "status", "outcome", "expected"),
    [
        ("objection", "accepted", "corrected", "corrected"),
        ("objection", "accepted", "revoked", "revoked"),
        ("objection", "accepted", "dismissed", "dismissed"),
        ("objection", "accepted", "repaired", "invalid_outcome"),  # a repair outcome for an objection
        ("repair", "accepted", "repaired", "repaired"),
        ("repair", "accepted", "denied", "denied"),
        ("repair", "accepted", "revoked", "invalid_outcome"),
        ("repair", "accepted", "", "invalid_outcome"),
        ("repair", "received", "repaired", "application_not_accepted"),  # not yet accepted
        ("objection", "dismissed", "revoked", "application_not_accepted"),  # already decided
        ("objection", "refused", "dismissed", "application_not_accepted"),
    ],
)
def test_decisions(kind: str, status: str, outcome: str, expected: str) -> None:
    if expected in handling.STATUS_LABELS:
        assert handling.decide(kind, status, outcome) == expected
        return
    error = Conflict if expected == "application_not_accepted" else InvalidInput
    with pytest.raises(error) as exc:
        handling.decide(kind, status, outcome)
    assert exc.value.code == expected


def _facts(**kw: object) -> RecordFacts:
    base: dict[str, object] = {
        "category": "XZCF",
        "status": "active",
        "is_current": True,
        "severity": "general",
        "publicity_min_end": TODAY - dt.timedelta(days=1),
        "publicity_end": TODAY + dt.timedelta(days=100),
        "current_status": "active",
    }
    base.update(kw)
    return RecordFacts(**base)  # type: ignore[arg-type]


OK = {"obligations_met": True, "commitment_made": True}


@pytest.mark.parametrize(
    ("outcome", "facts", "flags", "expected"),
    [
        # repair
        ("repaired", _facts(), OK, None),
        ("repaired", _facts(publicity_min_end=TODAY), OK, None),  # the minimum period ends today: repairable
        ("repaired", _facts(publicity_min_end=TODAY + dt.timedelta(days=1)), OK, "minimum_period_not_reached"),
        ("repaired", _facts(publicity_min_end=None), OK, None),  # no minimum known (service-written records)
        ("repaired", _facts(publicity_end=TODAY), OK, "publicity_already_ended"),
        ("repaired", _facts(publicity_end=None), OK, None),
        ("repaired", _facts(category="XZXK"), OK, "repair_not_applicable"),
        ("repaired", _facts(category="HMD"), OK, "repair_not_applicable"),
        ("repaired", _facts(category="HEIMD"), OK, None),
        ("repaired", _facts(category="ZDGZ"), OK, None),
        ("repaired", _facts(is_current=False, current_status="active"), OK, "record_not_active"),
        ("repaired", _facts(status="repaired", current_status="repaired"), OK, "record_not_active"),
        ("repaired", _facts(), {"obligations_met": False, "commitment_made": True}, "obligations_not_met"),
        ("repaired", _facts(), {"obligations_met": True, "commitment_made": False}, "commitment_missing"),
        ("repaired", None, OK, "record_required"),
        # objection upheld: revoke
        ("revoked", _facts(), {}, None),
        ("revoked", _facts(category="XZXK"), {}, None),
        ("revoked", _facts(publicity_min_end=TODAY + dt.timedelta(days=300)), {}, None),  # no minimum for errors
        ("revoked", _facts(status="revoked", current_status="revoked"), {}, "record_not_active"),
        ("revoked", None, {}, "record_required"),
        # objection upheld: the providing unit reported a correction
        ("corrected", _facts(is_current=False, status="superseded", current_status="active"), {}, None),
        ("corrected", _facts(), {}, "not_corrected_yet"),
        ("corrected", _facts(is_current=False, status="superseded", current_status="revoked"), {}, "not_corrected_yet"),
        ("corrected", None, {}, "record_required"),
        # the record stays as it is
        ("dismissed", None, {}, None),
        ("dismissed", _facts(status="repaired", current_status="repaired"), {}, None),
        ("denied", _facts(publicity_min_end=TODAY + dt.timedelta(days=30)), {}, None),
    ],
)
def test_what_an_outcome_requires(
    outcome: str, facts: RecordFacts | None, flags: dict[str, bool], expected: str | None
) -> None:
    problem = handling.outcome_problem(outcome, facts, TODAY, **flags)
    assert (problem.code if problem else None) == expected
    if problem is not None:
        assert problem.message  # a Chinese sentence for the official


def test_the_minimum_period_names_its_end() -> None:
    problem = handling.outcome_problem(
        "repaired", _facts(publicity_min_end=dt.date(2027, 2, 1)), TODAY, obligations_met=True, commitment_made=True
    )
    assert problem is not None
    assert "2027-02-01" in problem.message


@pytest.mark.parametrize(
    ("status", "accept_due", "decide_due", "expected"),
    [
        ("received", TODAY, None, False),  # due today: not late yet
        ("received", TODAY - dt.timedelta(days=1), None, True),
        ("received", None, None, False),  # submitted before deadlines were kept
        ("accepted", TODAY - dt.timedelta(days=9), TODAY, False),
        ("accepted", TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=1), True),
        ("repaired", TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=20), False),  # closed
        ("refused", TODAY - dt.timedelta(days=30), None, False),
    ],
)
def test_overdue(status: str, accept_due: dt.date | None, decide_due: dt.date | None, expected: bool) -> None:
    assert handling.is_overdue(status, accept_due, decide_due, TODAY) is expected


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ("", False),
        ("   ", False),
        ("同意。", False),
        ("经核实，同意修复。", True),
        ("理" * 2000, True),
        ("理" * 2001, False),
    ],
)
def test_reply(reply: str, ok: bool) -> None:
    if ok:
        assert handling.check_reply(f"  {reply} ") == reply
    else:
        with pytest.raises(InvalidInput) as exc:
            handling.check_reply(reply)
        assert exc.value.code == "reply_required"


def test_shipped_rules_choose_by_submission_day() -> None:
    rule_sets = handling.handling_rules(None)
    assert rule_sets, "the national handling rules ship with the package"
    assert handling.handling_rules("henan") == rule_sets  # no province file: the national rules
    chosen = handling.rule_set_on(rule_sets, TODAY)
    assert chosen.repair.decide_workdays == 10
    assert chosen.objection.accept_workdays == 2
    assert chosen.objection.verify_workdays == 5  # objections go to the providing unit
    assert chosen.repair.verify_workdays is None  # repairs do not
    # before every rule set: the oldest
    assert handling.rule_set_on(rule_sets, dt.date(2000, 1, 1)) == min(rule_sets, key=lambda r: r.effective_from)


def test_rule_set_on_picks_the_latest_in_force() -> None:
    base = handling.handling_rules(None)[0]
    old = base.model_copy(update={"version": "old", "effective_from": dt.date(2020, 1, 1)})
    new = base.model_copy(update={"version": "new", "effective_from": dt.date(2026, 12, 1)})
    assert handling.rule_set_on([new, old], dt.date(2026, 11, 30)).version == "old"
    assert handling.rule_set_on([new, old], dt.date(2026, 12, 1)).version == "new"


@pytest.mark.parametrize(
    "text",
    [
        "kind: application_handling\nname: x\nversion: '1'\nrule_sets: []\n",  # no rule set
        "kind: application_handling\nname: x\nversion: '1'\nrule_sets:\n  - version: a\n    name: a\n    basis: b\n"
        "    effective_from: 2026-01-01\n    objection: {accept_workdays: 0, decide_workdays: 5}\n"
        "    repair: {accept_workdays: 1, decide_workdays: 5}\n",  # a zero deadline
        "kind: application_handling\nname: x\nversion: '1'\nrule_sets:\n  - version: a\n    name: a\n    basis: b\n"
        "    effective_from: 2026-01-01\n    objection: {accept_workdays: 1, decide_workdays: 5, verify_workdays: 8}\n"
        "    repair: {accept_workdays: 1, decide_workdays: 5}\n",  # verification due after the decision
        "kind: lists\nname: x\n",  # another kind of file
        "{{{{",  # not YAML
    ],
)
def test_a_bad_rules_file_is_refused_with_its_name(tmp_path: Path, text: str) -> None:
    path = tmp_path / "handling-bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        handling.load_document(path)
    assert exc.value.code == "handling_file_invalid"
    assert "handling-bad.yaml" in exc.value.message


@pytest.mark.parametrize(
    ("status", "department", "finding", "new", "expected"),
    [
        ("accepted", "410000-zfj", None, "accurate", "accurate"),
        ("accepted", "410000-zfj", None, "inaccurate", "inaccurate"),
        ("accepted", "410000-zfj", None, "maybe", "invalid_finding"),
        ("accepted", "410000-zfj", None, "", "invalid_finding"),
        ("accepted", "410000-zfj", "accurate", "inaccurate", "already_verified"),  # once only
        ("accepted", None, None, "accurate", "verification_not_requested"),  # not sent (repair, subject-level)
        ("received", "410000-zfj", None, "accurate", "application_not_accepted"),
        ("dismissed", "410000-zfj", None, "accurate", "application_not_accepted"),  # decided meanwhile
    ],
)
def test_verification_steps(status: str, department: str | None, finding: str | None, new: str, expected: str) -> None:
    if expected in handling.FINDING_LABELS:
        assert handling.verify(status, department, finding, new) == expected
        return
    error = InvalidInput if expected == "invalid_finding" else Conflict
    with pytest.raises(error) as exc:
        handling.verify(status, department, finding, new)
    assert exc.value.code == expected


@pytest.mark.parametrize(
    ("outcome", "department", "finding", "expected"),
    [
        ("dismissed", None, None, None),  # not sent for verification: not constrained
        ("revoked", None, None, None),
        ("dismissed", "410000-zfj", None, "verification_pending"),
        ("corrected", "410000-zfj", None, "verification_pending"),
        ("dismissed", "410000-zfj", "accurate", None),
        ("revoked", "410000-zfj", "accurate", "outcome_contradicts_verification"),
        ("corrected", "410000-zfj", "accurate", "outcome_contradicts_verification"),
        ("corrected", "410000-zfj", "inaccurate", None),
        ("revoked", "410000-zfj", "inaccurate", None),
        ("dismissed", "410000-zfj", "inaccurate", "outcome_contradicts_verification"),
    ],
)
def test_the_decision_follows_the_verification(
    outcome: str, department: str | None, finding: str | None, expected: str | None
) -> None:
    problem = handling.verification_problem(outcome, department, finding)
    assert (problem.code if problem else None) == expected
    if problem is not None:
        assert problem.message


@pytest.mark.parametrize(
    ("status", "due", "finding", "expected"),
    [
        ("accepted", TODAY - dt.timedelta(days=1), None, True),
        ("accepted", TODAY, None, False),  # due today: not yet late
        ("accepted", TODAY - dt.timedelta(days=1), "accurate", False),  # answered
        ("accepted", None, None, False),
        ("dismissed", TODAY - dt.timedelta(days=9), None, False),  # decided without it (before verification)
    ],
)
def test_verification_overdue(status: str, due: dt.date | None, finding: str | None, expected: bool) -> None:
    assert handling.verification_overdue(status, due, finding, TODAY) is expected


@pytest.mark.parametrize(
    ("note", "ok"),
    [
        ("经核对执法文书，车牌号记载无误。", True),
        ("  短  ", False),
        ("", False),
        ("有误\x00有误有误", False),
        ("x" * 2001, False),
    ],
)
def test_verification_note(note: str, ok: bool) -> None:
    if ok:
        assert handling.check_note(note) == note.strip()
    else:
        with pytest.raises(InvalidInput) as exc:
            handling.check_note(note)
        assert exc.value.code == "note_required"
