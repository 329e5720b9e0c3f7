"""Checking the audit chain (审计日志完整性校验)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.audit.models import AuditEntry
from transport_credit.audit.rules import GENESIS_HASH, KNOWN_ALGORITHMS, algorithm_available, entry_hash

DEFAULT_PAGE_SIZE = 2000


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify`. ``problem`` is Chinese text for people; ``first_bad_seq`` the first bad entry.

    ``checked`` counts the entries found intact before the first problem (all of them when ``ok``).
    ``last_seq``/``head_hash`` describe the last intact entry: compare them with a copy kept elsewhere to
    notice entries cut off the end, which no chain can detect by itself.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    last_seq: int | None = None
    head_hash: str | None = None


def verify(session: Session, *, page_size: int = DEFAULT_PAGE_SIZE) -> ChainReport:
    """Walk the whole log in ``seq`` order, ``page_size`` rows at a time, and report the first problem.

    Detects an edited entry (its hash no longer matches its content), a deleted entry (a gap in ``seq``) and a
    reordered or relinked entry (its ``prev_hash`` is not the previous entry's hash). Reads columns, not ORM
    objects, so entries already loaded in ``session`` cannot mask what the database holds.
    """
    table = AuditEntry.__table__
    columns = [
        table.c.seq,
        table.c.at,
        table.c.actor,
        table.c.actor_kind,
        table.c.department_code,
        table.c.action,
        table.c.target_type,
        table.c.target_id,
        table.c.details,
        table.c.algorithm,
        table.c.prev_hash,
        table.c.entry_hash,
    ]
    checked = 0
    expected_seq = 1
    prev_hash = GENESIS_HASH

    def bad(seq: int, problem: str) -> ChainReport:
        return ChainReport(
            ok=False,
            checked=checked,
            first_bad_seq=seq,
            problem=problem,
            last_seq=expected_seq - 1 if checked else None,
            head_hash=prev_hash if checked else None,
        )

    while True:
        rows = session.execute(
            select(*columns).where(table.c.seq >= expected_seq).order_by(table.c.seq).limit(page_size)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return bad(expected_seq, f"第 {expected_seq} 条缺失（序号不连续）")
            if row.prev_hash != prev_hash:
                return bad(row.seq, f"第 {row.seq} 条链接断开（前序哈希不符）")
            if row.algorithm not in KNOWN_ALGORITHMS:
                return bad(row.seq, f"第 {row.seq} 条使用了未知的哈希算法（{row.algorithm}）")
            if not algorithm_available(row.algorithm):
                return bad(row.seq, f"无法校验第 {row.seq} 条：当前环境不支持 {row.algorithm.upper()} 算法")
            computed = entry_hash(
                algorithm=row.algorithm,
                prev_hash=row.prev_hash,
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                actor_kind=row.actor_kind,
                department_code=row.department_code,
                action=row.action,
                target_type=row.target_type,
                target_id=row.target_id,
                details=row.details,
            )
            if computed != row.entry_hash:
                return bad(row.seq, f"第 {row.seq} 条记录内容被修改（哈希不符）")
            checked += 1
            expected_seq += 1
            prev_hash = row.entry_hash
    return ChainReport(
        ok=True,
        checked=checked,
        last_seq=expected_seq - 1 if checked else None,
        head_hash=prev_hash if checked else None,
    )
