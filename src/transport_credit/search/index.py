"""Keeping the subject-name search index in step with bulk inserts of subjects.

On SQLite row triggers index every new subject's name (FTS5 trigram table and two-character bigrams). For a bulk
insert that is the dominant cost (82 µs a subject against 3 µs for the row), so the import wraps its bulk insert in
:func:`deferred_name_index`: the insert triggers stand aside (migration ``b1a2c3d4e509``) and the new subjects are
indexed afterwards in two set-based statements, the bigrams in key order. On PostgreSQL the triggers are
statement-level with transition tables, already set-based: the block changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from transport_credit.subjects.models import Subject

_BIGRAMS = text(
    "INSERT OR IGNORE INTO subject_name_bigrams (gram, subject_id) "
    "SELECT lower(substr(s.name, p.n, 2)) AS gram, s.id FROM subjects s "
    "JOIN subject_name_positions p ON p.n < length(s.name) WHERE s.id > :after ORDER BY gram, s.id"
)
_FTS = text("INSERT INTO subject_search(rowid, name) SELECT id, name FROM subjects WHERE id > :after ORDER BY id")


@contextmanager
def deferred_name_index(session: Session) -> Iterator[None]:
    """Subjects inserted inside the block are indexed for search when it ends, set-wise (SQLite).

    Only inserts may happen inside the block (a rename or delete of a row not yet indexed would reach the FTS5
    index through its triggers). The caller owns the transaction: a rollback takes the rows and the index entries
    alike. If the block raises, the triggers are restored and nothing is indexed (the caller rolls back)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    if session.execute(text("SELECT 1 FROM subject_index_deferred")).first() is not None:
        yield  # an enclosing block indexes everything when it ends
        return
    after = session.scalar(select(func.coalesce(func.max(Subject.id), 0)))
    session.execute(text("INSERT INTO subject_index_deferred (id) VALUES (1)"))
    try:
        yield
    finally:
        session.execute(text("DELETE FROM subject_index_deferred"))
    session.execute(_BIGRAMS, {"after": after})
    session.execute(_FTS, {"after": after})
