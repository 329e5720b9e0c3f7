"""The life of a list entry as a pure state machine (no I/O; tested from tables and by hypothesis).

::

    proposed ──notify──▶ notified ──publish (objection window closed, no objection pending)──▶ listed
       │                   │  ▲                                                                │
       └──reject──▶ rejected ◀─┘ object / objection dismissed                                   ├─remove (repaired,
                          ▲    objection upheld                                                 │  corrected, revoked)
                          └────────────────────────────────────────────────────────────────────┘  expire (after
                                                                                    removed ◀──────  valid_until)

An entry is visible (shown by checks and the public) only while listed and ``valid_from ≤ today ≤ valid_until``;
publication before the objection window closes is refused, so nothing is ever published behind a subject's back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

from transport_credit.common.errors import Conflict, InvalidInput

State = Literal["proposed", "notified", "listed", "removed", "rejected"]
RemovalReason = Literal["expired", "repaired", "corrected", "revoked"]
STATES: tuple[State, ...] = ("proposed", "notified", "listed", "removed", "rejected")
OPEN_STATES: tuple[State, ...] = ("proposed", "notified", "listed")
MANUAL_REMOVAL_REASONS: tuple[RemovalReason, ...] = ("repaired", "corrected", "revoked")

STATE_LABELS: dict[str, str] = {
    "proposed": "待审核",
    "notified": "已告知（异议期）",
    "listed": "已公布",
    "removed": "已移出",
    "rejected": "不予列入",
}
REMOVAL_LABELS: dict[str, str] = {
    "expired": "有效期届满",
    "repaired": "信用修复",
    "corrected": "更正",
    "revoked": "撤销",
}
# Status of the credit record revision that ends the publication (records/models.py: status).
RECORD_STATUS_ON_REMOVAL: dict[str, str] = {
    "expired": "removed",
    "repaired": "repaired",
    "corrected": "revoked",
    "revoked": "revoked",
}


@dataclass(frozen=True)
class EntryState:
    """What the rules need to know of an entry."""

    state: State
    objection_deadline: dt.date | None = None  # last day an objection may be filed
    objection_pending: bool = False
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    removal_reason: RemovalReason | None = None


def _refuse(entry: EntryState, action: str) -> Conflict:
    return Conflict(
        f"名单条目当前状态为「{STATE_LABELS[entry.state]}」，不能执行此操作（{action}）", code="invalid_transition"
    )


def notify(entry: EntryState, *, objection_deadline: dt.date, today: dt.date) -> EntryState:
    """Send the prior notice (告知): the objection window runs until ``objection_deadline`` inclusive."""
    if entry.state != "proposed":
        raise _refuse(entry, "告知")
    if objection_deadline < today:
        raise InvalidInput("异议期截止日不能早于告知日", code="invalid_deadline")
    return replace(entry, state="notified", objection_deadline=objection_deadline, objection_pending=False)


def window_closed(entry: EntryState, today: dt.date) -> bool:
    return entry.objection_deadline is not None and today > entry.objection_deadline


def object_to(entry: EntryState, *, today: dt.date) -> EntryState:
    """The subject files an objection (异议) within the window."""
    if entry.state != "notified":
        raise _refuse(entry, "提出异议")
    if window_closed(entry, today):
        raise Conflict("异议期已届满，不能再提出异议", code="objection_window_closed")
    if entry.objection_pending:
        raise Conflict("已有待处理的异议", code="objection_pending")
    return replace(entry, objection_pending=True)


def resolve_objection(entry: EntryState, *, upheld: bool) -> EntryState:
    """Decide the objection: upheld → the entry is not listed; dismissed → it may be published after the window."""
    if entry.state != "notified" or not entry.objection_pending:
        raise Conflict("没有待处理的异议", code="no_objection_pending")
    if upheld:
        return replace(entry, state="rejected", objection_pending=False)
    return replace(entry, objection_pending=False)


def reject(entry: EntryState) -> EntryState:
    """The reviewer declines the proposal (before publication)."""
    if entry.state not in ("proposed", "notified"):
        raise _refuse(entry, "不予列入")
    return replace(entry, state="rejected", objection_pending=False)


def publish(entry: EntryState, *, today: dt.date, valid_until: dt.date) -> EntryState:
    """List and publish: only after the objection window closed with no objection pending."""
    if entry.state != "notified":
        raise _refuse(entry, "公布")
    if not window_closed(entry, today):
        raise Conflict(f"异议期至 {entry.objection_deadline} 止，异议期届满后才能公布", code="objection_window_open")
    if entry.objection_pending:
        raise Conflict("有待处理的异议，处理后才能公布", code="objection_pending")
    if valid_until < today:
        raise InvalidInput("有效期截止日不能早于公布日", code="invalid_validity")
    return replace(entry, state="listed", valid_from=today, valid_until=valid_until)


def import_listed(*, valid_from: dt.date, valid_until: dt.date) -> EntryState:
    """An entry of a national list, decided elsewhere (notice and objection handled by the deciding body)."""
    if valid_until < valid_from:
        raise InvalidInput("有效期截止日不能早于起始日", code="invalid_validity")
    return EntryState(state="listed", valid_from=valid_from, valid_until=valid_until)


def remove(entry: EntryState, *, reason: str) -> EntryState:
    """Take a listed entry off the list early: repaired (信用修复), corrected (更正) or revoked (撤销)."""
    if reason not in MANUAL_REMOVAL_REASONS:
        raise InvalidInput(
            "移出原因应为 repaired（信用修复）、corrected（更正）或 revoked（撤销）", code="invalid_reason"
        )
    if entry.state != "listed":
        raise _refuse(entry, "移出")
    return replace(entry, state="removed", removal_reason=reason)


def is_expired(entry: EntryState, today: dt.date) -> bool:
    return entry.state == "listed" and entry.valid_until is not None and today > entry.valid_until


def expire(entry: EntryState, *, today: dt.date) -> EntryState:
    """A listed entry whose validity ended leaves the list by itself."""
    if not is_expired(entry, today):
        raise _refuse(entry, "到期移出")
    return replace(entry, state="removed", removal_reason="expired")


def is_visible(entry: EntryState, today: dt.date) -> bool:
    """Shown to checks and the public: listed and within its validity period."""
    return (
        entry.state == "listed"
        and entry.valid_from is not None
        and entry.valid_until is not None
        and entry.valid_from <= today <= entry.valid_until
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (clamped to the month's end), minus one day: a period of N months
    starting on ``day`` ends on the returned date inclusive."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    try:
        return dt.date(year, month, day.day) - dt.timedelta(days=1)
    except ValueError:  # no such day in the target month (31 → 30 …): the period ends on that month's last day
        first_next = dt.date(year + month // 12, month % 12 + 1, 1)
        return first_next - dt.timedelta(days=1)
