"""Pure rules of the lists package, from tables of cases: the lifecycle, measure matching, criteria conditions,
and a hypothesis state machine of an entry's life against a clock."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from transport_credit.common.errors import Conflict, InvalidInput
from transport_credit.lists import lifecycle as lc
from transport_credit.lists.matching import Grade, SubjectStatus, applicable_measures, condition_holds
from transport_credit.lists.rules import Condition, list_rules

D = dt.date(2026, 6, 1)


# --- lifecycle tables -----------------------------------------------------------------------------------------------


def _notified(deadline: dt.date = D) -> lc.EntryState:
    return lc.notify(lc.EntryState("proposed"), objection_deadline=deadline, today=deadline - dt.timedelta(days=7))


@pytest.mark.parametrize(
    ("today", "pending", "ok", "code"),
    [
        (D - dt.timedelta(days=1), False, False, "objection_window_open"),
        (D, False, False, "objection_window_open"),  # the deadline day still belongs to the window
        (D + dt.timedelta(days=1), False, True, None),
        (D + dt.timedelta(days=1), True, False, "objection_pending"),
    ],
)
def test_publish_only_after_the_window(today: dt.date, pending: bool, ok: bool, code: str | None) -> None:
    entry = _notified()
    if pending:
        entry = lc.object_to(entry, today=D)
    if ok:
        listed = lc.publish(entry, today=today, valid_until=today + dt.timedelta(days=30))
        assert listed.state == "listed"
        assert listed.valid_from == today
    else:
        with pytest.raises(Conflict) as exc:
            lc.publish(entry, today=today, valid_until=today + dt.timedelta(days=30))
        assert exc.value.code == code


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("proposed", lambda e: lc.publish(e, today=D, valid_until=D)),
        ("listed", lambda e: lc.notify(e, objection_deadline=D, today=D)),
        ("removed", lambda e: lc.remove(e, reason="revoked")),
        ("rejected", lc.reject),
        ("proposed", lambda e: lc.object_to(e, today=D)),
        ("listed", lambda e: lc.expire(e, today=D)),  # not yet expired (valid_until None)
    ],
)
def test_invalid_transitions(state: str, action: Any) -> None:
    with pytest.raises(Conflict):
        action(lc.EntryState(state))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("valid_until", "today", "visible", "expired"),
    [
        (D, D, True, False),
        (D, D + dt.timedelta(days=1), False, True),
        (D + dt.timedelta(days=10), D - dt.timedelta(days=1), False, False),  # before valid_from
    ],
)
def test_visibility_and_expiry(valid_until: dt.date, today: dt.date, visible: bool, expired: bool) -> None:
    entry = lc.EntryState("listed", valid_from=D, valid_until=valid_until)
    assert lc.is_visible(entry, today) is visible
    assert lc.is_expired(entry, today) is expired


def test_bad_removal_reason() -> None:
    with pytest.raises(InvalidInput):
        lc.remove(lc.EntryState("listed"), reason="bored")


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (dt.date(2026, 1, 15), 12, dt.date(2027, 1, 14)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2026, 12, 1), 1, dt.date(2026, 12, 31)),
    ],
)
def test_period_end(start: dt.date, months: int, end: dt.date) -> None:
    assert lc.add_months(start, months) == end


# --- an entry's life against a clock (hypothesis) --------------------------------------------------------------------


class EntryMachine(RuleBasedStateMachine):
    """Random sequences of actions and days passing: nothing is published before the objection window closes, an
    expired entry is never visible, and a visible entry is always a listed one within its period."""

    def __init__(self) -> None:
        super().__init__()
        self.today = D
        self.entry = lc.EntryState("proposed")
        self.published_on: dt.date | None = None

    def _try(self, fn: Any) -> None:
        with contextlib.suppress(Conflict, InvalidInput):
            self.entry = fn(self.entry)

    @rule(days=st.integers(min_value=0, max_value=400))
    def time_passes(self, days: int) -> None:
        self.today += dt.timedelta(days=days)

    @rule(window=st.integers(min_value=0, max_value=20))
    def notify(self, window: int) -> None:
        self._try(lambda e: lc.notify(e, objection_deadline=self.today + dt.timedelta(days=window), today=self.today))

    @rule()
    def object_to(self) -> None:
        self._try(lambda e: lc.object_to(e, today=self.today))

    @rule(upheld=st.booleans())
    def resolve(self, upheld: bool) -> None:
        self._try(lambda e: lc.resolve_objection(e, upheld=upheld))

    @rule(months=st.integers(min_value=1, max_value=36))
    def publish(self, months: int) -> None:
        before = self.entry
        self._try(lambda e: lc.publish(e, today=self.today, valid_until=lc.add_months(self.today, months)))
        if self.entry.state == "listed" and before.state == "notified":
            assert before.objection_deadline is not None
            assert self.today > before.objection_deadline
            assert not before.objection_pending
            self.published_on = self.today

    @rule(reason=st.sampled_from(["repaired", "corrected", "revoked"]))
    def remove(self, reason: str) -> None:
        self._try(lambda e: lc.remove(e, reason=reason))

    @rule()
    def reject(self) -> None:
        self._try(lc.reject)

    @precondition(lambda self: lc.is_expired(self.entry, self.today))
    @rule()
    def expire_job(self) -> None:
        self.entry = lc.expire(self.entry, today=self.today)
        assert self.entry.removal_reason == "expired"

    @invariant()
    def expired_entries_never_show(self) -> None:
        e = self.entry
        if e.valid_until is not None and self.today > e.valid_until:
            assert not lc.is_visible(e, self.today)
        if lc.is_visible(e, self.today):
            assert e.state == "listed"
            assert self.published_on is not None

    @invariant()
    def state_is_known(self) -> None:
        assert self.entry.state in lc.STATES


TestEntryMachine = EntryMachine.TestCase


# --- conditions and measures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cond", "data", "expected"),
    [
        (
            Condition(field="violation_type", op="contains_any", values=("超限", "超载")),
            {"violation_type": "超限运输"},
            True,
        ),
        (Condition(field="violation_type", op="contains_any", values=("超限",)), {"violation_type": "无证经营"}, False),
        (Condition(field="violation_type", op="contains_any", values=("超限",)), {}, False),
        (Condition(field="grade", op="equals_any", values=("D",)), {"grade": "D"}, True),
        (Condition(field="grade", op="equals_any", values=("D",)), {"grade": "DD"}, False),
        (Condition(field="fine_amount", op="gte", number=2), {"fine_amount": 2.0}, True),
        (Condition(field="fine_amount", op="gte", number=2), {"fine_amount": 1.99}, False),
        (Condition(field="fine_amount", op="gte", number=2), {"fine_amount": "abc"}, False),
        (Condition(field="score", op="lte", number=60), {"score": 59}, True),
    ],
)
def test_conditions(cond: Condition, data: dict[str, Any], expected: bool) -> None:
    assert condition_holds(cond, data) is expected


def test_condition_needs_operands() -> None:
    with pytest.raises(ValueError, match="needs"):
        Condition(field="x", op="gte")


RULES = list_rules("henan")


@pytest.mark.parametrize(
    ("status", "matter", "expected"),
    [
        (SubjectStatus(frozenset({"black"})), "XK-DLYS-JY", {"P-XK-YSHC"}),
        (SubjectStatus(frozenset({"black"}), frozenset({"overload_serious"})), "XK-DLHY", {"P-XK-YSHC", "P-XK-XZXK"}),
        (SubjectStatus(frozenset({"black"})), "ZB-GLGC", {"P-ZB-XZ"}),
        (SubjectStatus(frozenset({"black"})), "JC-RCJC", {"P-JC-ZD"}),
        (SubjectStatus(frozenset({"watch"})), "XK-DLYS-JY", {"P-XK-ZDGZ"}),
        (SubjectStatus(frozenset({"red"})), "XK-DLYS-JY", {"I-XK-LSTD"}),
        (SubjectStatus(frozenset({"red"})), "CZ-ZJBZ", {"I-CZ-YX"}),
        (SubjectStatus(grades=(Grade("公路施工企业信用评价", "AA"),)), "ZB-GLGC", {"I-ZB-YX"}),
        (SubjectStatus(grades=(Grade("道路运输企业信用评价", "AA"),)), "ZB-GLGC", set()),  # other model
        (SubjectStatus(grades=(Grade("道路运输驾驶员诚信考核", "B"),)), "JC-RCJC", {"P-JC-ZD"}),
        (SubjectStatus(grades=(Grade("公路施工企业信用评价", "B"),)), "JC-RCJC", set()),
        (SubjectStatus(grades=(Grade("任意模型", "D"),)), "CZ-ZJBZ", {"P-CZ-XZ"}),
        # the platform's own results name the model with its version: the measure names the model
        (SubjectStatus(grades=(Grade("公路施工企业信用评价（2009.1）", "AA"),)), "ZB-GLGC", {"I-ZB-YX"}),
        (SubjectStatus(grades=(Grade("道路运输驾驶员诚信考核(2008.1)", "B"),)), "JC-RCJC", {"P-JC-ZD"}),
        (SubjectStatus(grades=(Grade("道路运输企业信用评价（2024.1）", "AA"),)), "XY-XYH-YX", {"I-XYH-YX"}),
        (SubjectStatus(grades=(Grade("道路运输企业信用评价（2024.1）", "A"),)), "XY-XYH-YX", set()),
        (SubjectStatus(frozenset({"red"})), "XY-XYX-ETC", {"I-XYX-ETC"}),
        # 信用+执法监管: the subject's credit as a reference in enforcement
        (SubjectStatus(frozenset({"black"})), "ZF-CFCL", {"P-ZF-CFCL"}),
        (SubjectStatus(frozenset({"watch"})), "ZF-QWCN", {"P-ZF-QWCN"}),
        (SubjectStatus(grades=(Grade("道路运输企业信用评价（2024.1）", "C"),)), "ZF-QWCN", {"P-ZF-QWCN"}),
        (SubjectStatus(grades=(Grade("道路运输企业信用评价（2024.1）", "AA"),)), "ZF-QWCN", {"I-ZF-QWCN"}),
        (SubjectStatus(frozenset({"red"})), "ZF-CFCL", set()),
        (SubjectStatus(), "XK-DLYS-JY", set()),
    ],
)
def test_measure_matching(status: SubjectStatus, matter: str, expected: set[str]) -> None:
    got = applicable_measures(RULES, status, RULES.matter(matter))
    assert {m.measure.code for m in got} == expected
    assert all(m.reasons for m in got)
    kinds = [m.measure.kind for m in got]
    assert kinds == sorted(kinds, key=lambda k: k != "punishment")  # punishments first


def test_shipped_rules_are_consistent() -> None:
    assert RULES.cases.min_per_quarter == 2
    assert all(c.list in RULES.list_kinds for c in RULES.criteria.values())
    assert {"XK-DLYS-JY", "ZB-GLGC", "CG-ZFCG", "PY-PXPY", "CZ-ZJBZ", "JC-RCJC"} <= set(RULES.matters)
    for m in RULES.measures.values():
        assert m.basis
        assert m.departments
