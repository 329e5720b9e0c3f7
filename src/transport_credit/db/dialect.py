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


def values_in(session: Session, column: Any, values: Sequence[Any], element_type: Any = None) -> Any:
    """``column IN values`` as ONE bound parameter (PostgreSQL ``= ANY(array)``, SQLite ``json_each``).

    Keeps statements small and cacheable however many values there are.
    """
    from sqlalchemy import String, bindparam, func, literal_column, select
    from sqlalchemy.dialects.postgresql import ARRAY

    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_

        return column == any_(bindparam(None, list(values), type_=ARRAY(element_type or String())))
    import orjson

    each = func.json_each(bindparam(None, orjson.dumps(list(values)).decode(), type_=String)).table_valued("value")
    return column.in_(select(literal_column("value")).select_from(each))


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Fastest plain insert of many rows within the session's transaction.

    SQLite: ``executemany`` of a prepared INSERT. PostgreSQL: ``COPY … FROM STDIN``. Values must already be in the
    database's representation (dates as ``datetime.date``, JSON as text, booleans as bool).
    """
    if not rows:
        return
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cur = raw.cursor()
    try:
        cur.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608
    finally:
        cur.close()


def bulk_insert_frame(session: Session, table: Table, frame: Any) -> None:
    """Insert a Polars DataFrame whose columns are ``table``'s (values in database form, dates as ISO text).

    PostgreSQL: the frame is written as CSV by Polars (Rust) and streamed to ``COPY … (FORMAT csv)``, so no Python
    code runs per row; binary columns must already be hex text with the ``\\x`` prefix. SQLite: ``executemany``.
    """
    if frame.height == 0:
        return
    if session.get_bind().dialect.name != "postgresql":
        bulk_insert(session, table, frame.columns, frame.rows())
        return
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    names = ", ".join(frame.columns)
    sql = f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    payload = frame.write_csv(include_header=False, null_value="\\N").encode("utf-8")
    with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[attr-defined]
        view = memoryview(payload)
        for start in range(0, len(payload), 1 << 22):
            copy.write(view[start : start + (1 << 22)])
