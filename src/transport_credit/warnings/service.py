"""Raising, listing, handling and polling early warnings (信用预警).

``raise_warning`` (one) and ``raise_warnings`` (a batch, same outcome) are the entry points other packages call:
the credit check of the lists issue raises ``blacklisted_subject_checked`` in batches from its group commit; the
rule scan (:mod:`transport_credit.warnings.scan`) raises one at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from transport_credit.audit import events as audit
from transport_credit.auth.schema import SCOPE_READ
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.subjects.models import Subject
from transport_credit.warnings.models import CreditWarning

WarningKind = Literal[
    "grade_drop", "penalty_burst", "blacklisted", "commitment_breached", "blacklisted_subject_checked", "repeat_poor"
]
WarningLevel = Literal["red", "orange", "yellow"]
WarningStatus = Literal["open", "handled", "dismissed"]
# The codes as types (the API documents them as enumerations) and their labels (tests/evaluation/test_warnings.py
# checks that the two name the same codes).
WARNING_KINDS: dict[str, str] = {
    "grade_drop": "信用等级大幅下降",
    "penalty_burst": "短期内多次受到行政处罚",
    "blacklisted": "新列入黑名单",
    "commitment_breached": "违背信用承诺",
    "blacklisted_subject_checked": "重大失信主体办理业务警示",
    "repeat_poor": "连续评价为较差",
}
LEVELS: dict[str, str] = {"red": "红色", "orange": "橙色", "yellow": "黄色"}
STATUSES: dict[str, str] = {"open": "待处置", "handled": "已处置", "dismissed": "已排除"}
MAX_PAGE = 500
READ_ROLES = (ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)


def raise_warning(
    session: Session,
    *,
    kind: str,
    subject_id: int,
    rule_code: str,
    message: str,
    details: dict[str, object],
    actor: Actor,
    level: str = "yellow",
    fingerprint: str = "",
) -> CreditWarning:
    """Raise a warning about a subject, in the caller's transaction; returns the (new or existing) warning.

    An open warning with the same kind, subject, rule and ``fingerprint`` is not duplicated: its occurrence count
    and ``last_seen_at`` grow and its details are replaced by the newest. ``details`` must hold no personal
    information (it is audited).
    """
    _validate(kind, level, message)
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("信用主体不存在", code="subject_not_found")
    now = utcnow()
    existing = session.scalars(
        select(CreditWarning)
        .where(
            CreditWarning.status == "open",
            CreditWarning.kind == kind,
            CreditWarning.rule_code == rule_code,
            CreditWarning.subject_id == subject_id,
            CreditWarning.fingerprint == fingerprint,
        )
        .limit(1)
    ).first()
    if existing is not None:
        existing.occurrences += 1
        existing.last_seen_at = now
        existing.details = dict(details)
        session.flush()
        return existing
    warning = CreditWarning(
        kind=kind,
        rule_code=rule_code,
        subject_id=subject_id,
        level=level,
        message=message,
        details=dict(details),
        fingerprint=fingerprint,
        status="open",
        occurrences=1,
        region_code=subject.region_code,
        raised_by=actor.label,
        created_at=now,
        last_seen_at=now,
    )
    session.add(warning)
    session.flush()
    audit.record(
        session,
        actor,
        "warning.raise",
        "credit_warning",
        str(warning.id),
        {"kind": kind, "rule_code": rule_code, "subject_id": subject_id, "level": level},
    )
    return warning


def _validate(kind: str, level: str, message: str) -> None:
    if kind not in WARNING_KINDS:
        raise InvalidInput(f"未知的预警类型：{kind}", code="unknown_warning_kind")
    if level not in LEVELS:
        raise InvalidInput(f"未知的预警级别：{level}", code="unknown_warning_level")
    if not message.strip():
        raise InvalidInput("预警说明不能为空", code="warning_message_required")


@dataclass(frozen=True)
class WarningRequest:
    """The arguments of one :func:`raise_warning` call, for :func:`raise_warnings`."""

    kind: str
    subject_id: int
    rule_code: str
    message: str
    details: Mapping[str, object]
    actor: Actor
    level: str = "yellow"
    fingerprint: str = ""


_IN_CHUNK = 500


def raise_warnings(session: Session, requests: Sequence[WarningRequest]) -> int:
    """Raise many warnings in the caller's transaction with the outcome of calling :func:`raise_warning` for each
    in order (an open warning with the same kind, rule, subject and fingerprint counts further occurrences and
    keeps the newest details), set-based: a few statements for the whole batch instead of several per warning.
    Used by write-behind paths (the credit check's group commit). Returns the number of new warnings."""
    if not requests:
        return 0
    for r in requests:
        _validate(r.kind, r.level, r.message)
    ids = sorted({r.subject_id for r in requests})
    regions: dict[int, str | None] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i : i + _IN_CHUNK]
        regions.update(
            (sid, region)
            for sid, region in session.execute(select(Subject.id, Subject.region_code).where(Subject.id.in_(chunk)))
        )
    if len(regions) != len(ids):
        raise NotFound("信用主体不存在", code="subject_not_found")
    session.flush()
    W = CreditWarning
    Key = tuple[str, str, int, str]
    open_ids: dict[Key, int] = {}
    kinds = sorted({r.kind for r in requests})
    rules = sorted({r.rule_code for r in requests})
    for i in range(0, len(ids), _IN_CHUNK):
        chunk = ids[i : i + _IN_CHUNK]
        found = session.execute(  # all four columns, so the open-warning index answers (not a scan of them all)
            select(W.id, W.kind, W.rule_code, W.subject_id, W.fingerprint)
            .where(W.status == "open", W.kind.in_(kinds), W.rule_code.in_(rules), W.subject_id.in_(chunk))
            .order_by(W.id)
        )
        for wid, kind, rule, sid, fp in found:
            open_ids.setdefault((kind, rule, sid, fp), wid)
    seen: dict[int, tuple[int, dict[str, object]]] = {}  # open warning id → (new occurrences, newest details)
    fresh: dict[Key, tuple[WarningRequest, int, dict[str, object]]] = {}
    for r in requests:
        key = (r.kind, r.rule_code, r.subject_id, r.fingerprint)
        open_id = open_ids.get(key)
        if open_id is not None:
            seen[open_id] = (seen[open_id][0] + 1 if open_id in seen else 1, dict(r.details))
        elif key in fresh:
            fresh[key] = (fresh[key][0], fresh[key][1] + 1, dict(r.details))
        else:
            fresh[key] = (r, 1, dict(r.details))
    now = utcnow()
    if seen:
        table = cast(Table, W.__table__)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("wid"))
            .values(occurrences=table.c.occurrences + bindparam("n"), last_seen_at=now, details=bindparam("d")),
            [{"wid": wid, "n": n, "d": d} for wid, (n, d) in seen.items()],
        )
        for obj in list(session.identity_map.values()):
            if isinstance(obj, CreditWarning) and obj.id in seen:
                session.expire(obj)
    if not fresh:
        return 0
    rows = [
        {
            "kind": r.kind,
            "rule_code": r.rule_code,
            "subject_id": r.subject_id,
            "level": r.level,
            "message": r.message,
            "details": d,
            "fingerprint": r.fingerprint,
            "status": "open",
            "occurrences": n,
            "region_code": regions[r.subject_id],
            "raised_by": r.actor.label,
            "created_at": now,
            "last_seen_at": now,
        }
        for r, n, d in fresh.values()
    ]
    # RETURNING in any order (ordered RETURNING would insert row by row on SQLite); the key finds each row's id.
    inserted = session.execute(insert(W).returning(W.id, W.kind, W.rule_code, W.subject_id, W.fingerprint), rows).all()
    new_ids = {(kind, rule, sid, fp): wid for wid, kind, rule, sid, fp in inserted}
    audit.record_many(
        session,
        [
            audit.AuditItem(
                r.actor,
                "warning.raise",
                "credit_warning",
                str(new_ids[key]),
                {"kind": r.kind, "rule_code": r.rule_code, "subject_id": r.subject_id, "level": r.level},
            )
            for key, (r, _, _) in fresh.items()
        ],
    )
    return len(new_ids)


@dataclass(frozen=True)
class WarningView:
    id: int
    kind: str
    kind_label: str
    rule_code: str
    level: str
    subject_id: int
    subject_name: str
    region_code: str | None
    message: str
    details: dict[str, Any]
    status: str
    occurrences: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    handled_by: str | None
    handling_note: str | None


def _view(w: CreditWarning, name: str) -> WarningView:
    return WarningView(
        id=w.id,
        kind=w.kind,
        kind_label=WARNING_KINDS.get(w.kind, w.kind),
        rule_code=w.rule_code,
        level=w.level,
        subject_id=w.subject_id,
        subject_name=name,
        region_code=w.region_code,
        message=w.message,
        details=dict(w.details or {}),
        status=w.status,
        occurrences=w.occurrences,
        created_at=w.created_at,
        last_seen_at=w.last_seen_at,
        handled_by=w.handled_by,
        handling_note=w.handling_note,
    )


def list_warnings(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    status: str | None = None,
    level: str | None = None,
    region_code: str | None = None,
    subject_id: int | None = None,
    since: dt.date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[WarningView], int]:
    """The warning list, newest first, with filters; returns (page, total)."""
    actor.require_role(*READ_ROLES)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE} 之间", code="invalid_limit")
    if offset < 0:
        raise InvalidInput("偏移量不能为负数", code="invalid_offset")
    if kind is not None and kind not in WARNING_KINDS:
        raise InvalidInput(f"未知的预警类型：{kind}", code="unknown_warning_kind")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"未知的处置状态：{status}", code="unknown_warning_status")
    if level is not None and level not in LEVELS:
        raise InvalidInput(f"未知的预警级别：{level}", code="unknown_warning_level")
    conds: list[Any] = []
    if kind:
        conds.append(CreditWarning.kind == kind)
    if status:
        conds.append(CreditWarning.status == status)
    if level:
        conds.append(CreditWarning.level == level)
    if region_code:
        conds.append(CreditWarning.region_code.startswith(region_code.rstrip("0") or region_code))
    if subject_id is not None:
        conds.append(CreditWarning.subject_id == subject_id)
    if since is not None:
        conds.append(CreditWarning.created_at >= dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC))
    total = session.scalar(select(func.count()).select_from(CreditWarning).where(*conds)) or 0
    rows = session.execute(
        select(CreditWarning, Subject.name)
        .join(Subject, Subject.id == CreditWarning.subject_id)
        .where(*conds)
        .order_by(CreditWarning.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_view(w, name) for w, name in rows], int(total)


def feed(session: Session, actor: Actor, *, after_id: int = 0, limit: int = 100) -> list[WarningView]:
    """Warnings raised after ``after_id``, oldest first: other systems poll with the last id they saw (API keys
    need the ``subjects:read`` scope)."""
    actor.require_scope(SCOPE_READ)
    if actor.scopes is None:
        actor.require_role(*READ_ROLES)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_PAGE} 之间", code="invalid_limit")
    if after_id < 0:
        raise InvalidInput("after_id 不能为负数", code="invalid_cursor")
    rows = session.execute(
        select(CreditWarning, Subject.name)
        .join(Subject, Subject.id == CreditWarning.subject_id)
        .where(CreditWarning.id > after_id)
        .order_by(CreditWarning.id)
        .limit(limit)
    ).all()
    return [_view(w, name) for w, name in rows]


def handle_warning(session: Session, actor: Actor, warning_id: int, *, status: str, note: str) -> WarningView:
    """Close a warning as handled (已处置) or dismissed (已排除) with a note."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER)
    if status not in ("handled", "dismissed"):
        raise InvalidInput("处置结果只能是「已处置」或「已排除」", code="invalid_warning_status")
    if not note.strip():
        raise InvalidInput("请填写处置说明", code="handling_note_required")
    warning = session.get(CreditWarning, warning_id)
    if warning is None:
        raise NotFound("预警不存在", code="warning_not_found")
    if warning.status != "open":
        raise Conflict("该预警已处置", code="warning_already_handled")
    warning.status = status
    warning.handled_by = actor.label
    warning.handled_at = utcnow()
    warning.handling_note = note.strip()
    session.flush()
    audit.record(session, actor, "warning.handle", "credit_warning", str(warning.id), {"status": status})
    name = session.scalar(select(Subject.name).where(Subject.id == warning.subject_id)) or ""
    return _view(warning, name)
