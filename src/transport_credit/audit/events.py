"""Writing and reading the audit log (审计日志).

Every service write calls :func:`record` in the caller's transaction, so the entry commits or rolls back
with the change it describes. Entries are chained: each stores the previous entry's hash, and ``seq`` has no
gaps, so :func:`transport_credit.audit.verify.verify` can tell an edited, deleted or relinked entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, insert, select
from sqlalchemy.orm import Session

from transport_credit.audit.models import AuditEntry
from transport_credit.audit.rules import (
    GENESIS_HASH,
    default_algorithm,
    entry_hash,
    normalize_json,
    require_no_personal_info,
)
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import InvalidInput
from transport_credit.db.base import table_of, utcnow
from transport_credit.db.driver import DriverStatement, run_all
from transport_credit.db.uow import innermost_transaction

# pg_advisory_xact_lock key that serialises appends on PostgreSQL (ASCII "tcaudit").
AUDIT_LOCK_KEY = 0x74_63_61_75_64_69_74

MAX_LIST_LIMIT = 1000


@dataclass(frozen=True)
class ChainHead:
    """The newest entry: publish or countersign it elsewhere to detect truncation of the tail."""

    seq: int
    entry_hash: str


_TX_HEAD = "tc_audit_head"
_AUDIT = table_of(AuditEntry)
_LOCK = DriverStatement(select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger()))))
_HEAD = DriverStatement(select(_AUDIT.c.seq, _AUDIT.c.entry_hash).order_by(_AUDIT.c.seq.desc()).limit(1))


def _lock_chain(session: Session) -> ChainHead | None:
    """Serialise appends so ``seq`` stays gapless and each entry links to the true head; returns the head.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback. SQLite: nothing to do,
    every transaction already starts with ``BEGIN IMMEDIATE`` (see ``db/engine.py``) and holds the write lock.
    Once this transaction has appended, it holds the lock until it ends and nobody else can append, so the head
    it wrote is remembered (``session.info``, tied to the innermost transaction: a savepoint rolled back forgets
    it) and later appends need neither the lock nor the head query again.
    """
    memo = session.info.get(_TX_HEAD)
    if memo is not None and memo[0] is innermost_transaction(session):
        return memo[1]  # type: ignore[no-any-return]
    if session.get_bind().dialect.name != "postgresql":
        return head(session)
    # the lock, then the head: two statements in one pipeline (one round trip). The head query runs after the lock
    # is granted, with its own snapshot, so it sees every append committed before.
    rows = run_all(session, [(_LOCK, {"key": AUDIT_LOCK_KEY}), (_HEAD, {})])
    return ChainHead(seq=int(rows[0][0]), entry_hash=str(rows[0][1])) if rows else None


def _remember_head(session: Session, seq: int, entry_hash: str) -> None:
    session.info[_TX_HEAD] = (innermost_transaction(session), ChainHead(seq=seq, entry_hash=entry_hash))


def head(session: Session) -> ChainHead | None:
    """The newest entry's ``seq`` and hash, or ``None`` for an empty log."""
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return None if row is None else ChainHead(seq=row.seq, entry_hash=row.entry_hash)


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for a write performed by ``actor`` and return it (flushed, not committed).

    ``action`` is a dotted verb such as ``account.create``; ``target_type``/``target_id`` name what changed.
    ``details`` is JSON data (dates, decimals and UUIDs are stored as strings) and must not hold personal
    information: anything that looks like a citizen ID or a mobile number, in ``details`` or in ``target_id``,
    raises ``ValueError`` — mask it or refer to the subject by its internal id.
    """
    if not action or not target_type:
        raise ValueError("action and target_type are required")
    clean = normalize_json(dict(details or {}))
    require_no_personal_info(clean)
    require_no_personal_info(target_id, path="target_id")

    last = _lock_chain(session)
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS_HASH if last is None else last.entry_hash
    algorithm = default_algorithm()
    at = utcnow()
    fields: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "actor": actor.name,
        "actor_kind": actor.kind,
        "department_code": actor.department_code,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "details": clean,
    }
    entry = AuditEntry(
        **fields,
        algorithm=algorithm,
        prev_hash=prev_hash,
        entry_hash=entry_hash(algorithm=algorithm, prev_hash=prev_hash, **fields),
    )
    session.add(entry)
    session.flush()
    _remember_head(session, seq, entry.entry_hash)
    return entry


@dataclass(frozen=True)
class AuditItem:
    """One entry for :func:`record_many`: the arguments of :func:`record` after ``session``."""

    actor: Actor
    action: str
    target_type: str
    target_id: str
    details: Mapping[str, Any] | None = None


def record_many(session: Session, items: Sequence[AuditItem]) -> int:
    """Append ``items`` in order, exactly as consecutive :func:`record` calls would, with one head lookup and
    one multi-row insert (write-behind flushes audit hundreds of events at a time). Returns the number written.
    The same rules apply: a missing action or target type, or personal information, raises ``ValueError``
    before anything is written."""
    if not items:
        return 0
    cleaned = []
    for item in items:
        if not item.action or not item.target_type:
            raise ValueError("action and target_type are required")
        clean = normalize_json(dict(item.details or {}))
        require_no_personal_info(clean)
        require_no_personal_info(item.target_id, path="target_id")
        cleaned.append(clean)
    session.flush()  # entries added through the ORM in this transaction come first
    last = _lock_chain(session)
    seq = 0 if last is None else last.seq
    prev_hash = GENESIS_HASH if last is None else last.entry_hash
    algorithm = default_algorithm()
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for item, clean in zip(items, cleaned, strict=True):
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "at": at,
            "actor": item.actor.name,
            "actor_kind": item.actor.kind,
            "department_code": item.actor.department_code,
            "action": item.action,
            "target_type": item.target_type,
            "target_id": str(item.target_id),
            "details": clean,
        }
        digest = entry_hash(algorithm=algorithm, prev_hash=prev_hash, **fields)
        rows.append({**fields, "algorithm": algorithm, "prev_hash": prev_hash, "entry_hash": digest})
        prev_hash = digest
    session.execute(insert(_AUDIT), rows)  # Core: the rows are complete, no ORM bookkeeping needed
    _remember_head(session, seq, prev_hash)
    return len(rows)


def list_entries(
    session: Session,
    actor: Actor,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditEntry]:
    """Entries newest first (admin, credit office). Page with ``before_seq`` = the last ``seq`` seen."""
    actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_LIST_LIMIT} 之间", code="invalid_limit")
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if target_type is not None:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(session.scalars(stmt))
