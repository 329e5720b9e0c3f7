"""Statements compiled once into the driver's own SQL and executed on the session's DBAPI connection.

For the few hot statements that run many times a second with the same shape (dynamic re-evaluation of one subject),
SQLAlchemy's per-execution work — cache key, parameter processing, result setup — and psycopg's conversion of
``%(name)s`` placeholders (not cached for statements longer than its cache limit) cost more than PostgreSQL's own
work. A :class:`DriverStatement` compiles its Core statement once per dialect into ``$n`` placeholders and runs it
on a psycopg ``RawCursor``, which sends the text as is. Values need no processing: the statements take plain
Python values (int, str, date, datetime, bool, lists of int) that psycopg adapts natively, and every placeholder
carries the SQL cast SQLAlchemy renders for its type.

:func:`run_all` sends several such statements in one psycopg pipeline: PostgreSQL runs them one after the other as
usual (each sees what the previous ones wrote), but the client does not wait a network round trip for each.

Other dialects (SQLite) execute the Core statement through the session unchanged: the result is the same, only the
route differs. The statement runs inside the session's transaction on its connection; the caller owns the
transaction as everywhere else.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import Connection, RawCursor
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Row = tuple[Any, ...]


@dataclass(frozen=True)
class _Driver:
    sql: bytes
    names: tuple[str, ...]  # parameter of each placeholder, in order
    fixed: dict[str, Any]  # values compiled into the statement (literal lists of IN clauses …)


def _numeric_dollar(dialect: Dialect) -> Dialect:
    """The connection's dialect with ``$n`` placeholders (PostgreSQL's own, which psycopg's raw cursor sends as is)."""
    out = copy.copy(dialect)
    out.paramstyle = "numeric_dollar"
    out.positional = True
    return out


class DriverStatement:
    """A Core statement executed with the driver's own placeholders on PostgreSQL (see the module docstring).

    ``run`` takes the same parameter names as ``session.execute(statement, params)`` and returns the rows as tuples
    (an empty list for statements that return none). The set of names passed must be the same on every call: the
    names are split once, at the first call, into those given per call and those the statement carries itself.
    """

    __slots__ = ("_driver", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._driver: _Driver | None = None

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Driver:
        assert isinstance(self.statement, ClauseElement)
        compiled = self.statement.compile(dialect=_numeric_dollar(dialect))
        assert isinstance(compiled, SQLCompiler)
        # expands IN lists and literal-execute values into the text; the per-call values are only placeholders here
        state = compiled.construct_expanded_state(dict(params))
        names = tuple(state.positiontup or ())
        fixed = {n: state.parameters[n] for n in names if n not in params}
        return _Driver(state.statement.encode(), names, fixed)

    def run(self, session: Session, params: Mapping[str, Any]) -> list[Row]:
        return run_all(session, [(self, params)])

    def _prepared(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[bytes, tuple[Any, ...]]:
        driver = self._driver
        if driver is None:
            driver = self._driver = self._compile(dialect, params)
        return driver.sql, tuple(params[n] if n in params else driver.fixed[n] for n in driver.names)


def run_all(session: Session, steps: Sequence[tuple[DriverStatement, Mapping[str, Any]]]) -> list[Row]:
    """Execute the statements in order in the session's transaction; returns the rows of the last one.

    On PostgreSQL they go out in one pipeline and the client waits once, at the end. An error in any of them
    raises here, and (as with any failed statement) leaves the transaction to be rolled back by its owner.
    """
    if not steps:
        return []
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        rows: list[Row] = []
        for statement, params in steps:
            result = conn.execute(statement.statement, dict(params))
            rows = [tuple(r) for r in result] if result.returns_rows else []
        return rows
    prepared = [statement._prepared(conn.dialect, params) for statement, params in steps]
    raw = conn.connection.driver_connection
    assert isinstance(raw, Connection)
    try:
        with RawCursor(raw) as cursor:
            if len(prepared) == 1:
                cursor.execute(*prepared[0])
            else:
                with raw.pipeline():
                    for sql, values in prepared:
                        cursor.execute(sql, values)
            return cursor.fetchall() if cursor.description is not None else []
    except psycopg.Error as exc:
        # the same exception classes (IntegrityError …) SQLAlchemy raises for its own executions
        raise DBAPIError.instance("; ".join(sql.decode() for sql, _ in prepared), None, exc, psycopg.Error) from exc
