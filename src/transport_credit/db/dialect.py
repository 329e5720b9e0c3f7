"""Dialect differences in one place: upsert, bulk insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_for(session: Session, table: Table) -> Insert:
    """A dialect-specific INSERT that supports ``on_conflict_*``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> None:
    """Insert ``rows``; on a conflict on ``conflict_columns`` update ``update_columns`` (or do nothing)."""
    if not rows:
        return
    stmt: Any = insert_for(session, table)
    if update_columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(conflict_columns),
            set_={c: getattr(stmt.excluded, c) for c in update_columns},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict_columns))
    session.execute(stmt, list(rows))
