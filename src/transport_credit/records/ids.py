"""Which credit record ids are settled: the watermark that id-range readers (the exchange increments) stop at.

Record ids grow with every revision, so "everything after id N" is a complete change feed, but only for ids that
can no longer appear. On PostgreSQL an id is drawn from the sequence when the row is inserted, and becomes visible
when its transaction commits: a long import may hold ids below those of a short import that committed after it.
An increment that read ``max(id)`` in between covered the long import's ids without seeing its rows, and the next
increment started above them: those records were never sent (the gap ``docs/exchange.md`` used to list).

The watermark closes the gap with one advisory lock per schema:
- every transaction that writes credit records holds it **shared** from before its first id is drawn to its end:
  the statement trigger ``tc_credit_records_hold_ids`` takes it for every ``INSERT``/``COPY`` into
  ``credit_records`` (migration ``b1a2c3d4e515``), and :func:`hold_record_ids` for code that draws ids with
  ``nextval`` before inserting (the evaluation's results);
- :func:`settled_max_record_id` takes it **exclusively** on a connection of its own, only by trying (it never
  queues, so writers never wait behind it), reads ``max(id)`` and lets go at once. While it holds the lock no
  writer is between drawing an id and committing it, and every id drawn later is larger: every id up to the
  watermark is committed, or rolled back and gone for good.

SQLite has one writer at a time and the exporting transaction holds the write lock (``BEGIN IMMEDIATE``), so there
``max(id)`` is settled already.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from transport_credit.common.errors import Conflict
from transport_credit.records.models import CreditRecord

# The advisory lock's first key (ASCII "tcri"); the second is ``hashtext(current_schema())``, as every lock of the
# platform, so several platforms (or test workers) can share one PostgreSQL database. The trigger function of
# migration b1a2c3d4e515 holds the same number.
RECORD_IDS_LOCK_KEY = 0x74_63_72_69

_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key, hashtext(current_schema()))")
_TRY = text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))")


def hold_record_ids(session: Session) -> None:
    """Hold the record-id lock shared to the end of the caller's transaction: call it before drawing record ids
    from the sequence by hand (an ``INSERT`` into ``credit_records`` takes it by itself, through the trigger)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SHARED, {"key": RECORD_IDS_LOCK_KEY})


def settled_max_record_id(session: Session, *, wait_seconds: float = 600.0, poll_seconds: float = 0.1) -> int:
    """The largest credit record id below which no record can still appear (0 without records).

    On PostgreSQL this waits, up to ``wait_seconds``, for the transactions writing records at the moment to end
    (an import of a million rows takes a minute or two), then raises :class:`Conflict` (``records_being_written``).
    The caller's own transaction must not have written records (it would wait for itself)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return int(session.scalar(select(func.max(CreditRecord.id))) or 0)
    engine = bind.engine if isinstance(bind, Connection) else bind
    deadline = time.monotonic() + wait_seconds
    with engine.connect() as conn:
        while True:
            if conn.scalar(_TRY, {"key": RECORD_IDS_LOCK_KEY}):
                top = conn.scalar(select(func.max(CreditRecord.id)))
                conn.commit()  # lets go of the lock: writers go on
                return int(top or 0)
            conn.rollback()
            if time.monotonic() >= deadline:
                raise Conflict(
                    "有信用信息正在写入（如大批量导入），暂不能确定本次交换的范围，请稍后再试",
                    code="records_being_written",
                )
            time.sleep(poll_seconds)
