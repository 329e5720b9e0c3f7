"""Engine creation. SQLite runs in WAL mode with foreign keys on; PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from transport_credit.common.errors import InvalidInput
from transport_credit.db.checkpoint import CHECKPOINTER

NUL = "\x00"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SQLITE_MMAP_BYTES = 1 << 30  # address space, not memory: pages stay in the OS page cache


def make_engine(url: str, *, background_checkpoint: bool = True, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; for SQLite, create the directory, set the pragmas we rely on and (unless
    ``background_checkpoint`` is false) have the WAL checkpointed by a background thread (``db/checkpoint.py``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        on_disk = database not in ("", ":memory:")
        if on_disk:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("check_same_thread", False)
        kwargs["connect_args"].setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy own transactions (pysqlite's implicit BEGIN is unreliable).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("PRAGMA cache_size=-65536")
            # Read the file through a memory map. A commit by another connection (an import, the check log's
            # writer) resets every other connection's page cache under WAL; re-reading pages from the map costs
            # no system call. The credit check's fast lane opts out (``lists.checks._fast_connection``): its
            # own stream of check-log commits grows the file, and each growth re-maps it.
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: no deadlock between two upgrading readers. Read-only units
            # (``Database.read``) begin DEFERRED: under WAL they read a snapshot and never wait for a writer, so
            # the public website keeps answering while a long import holds the write lock.
            if conn.get_execution_options().get("read_only"):
                conn.exec_driver_sql("BEGIN DEFERRED")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        if background_checkpoint and on_disk and not database.startswith("file:"):
            CHECKPOINTER.register(engine, database)
        event.listen(engine, "before_cursor_execute", _refuse_bad_parameters)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_bad_parameters)
    return engine


def _refuse_bad_parameters(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """Values no database statement can take are refused before they reach the driver, as the input errors they
    are: text holding U+0000 (PostgreSQL cannot store or even compare it; SQLite would keep it, and such data would
    break the exchange with platforms on PostgreSQL) and integers beyond 64 bits (a page number or id typed into a
    URL: SQLite's driver cannot bind them, PostgreSQL's fails on them). Either used to be an internal error.

    Every statement through SQLAlchemy is checked (its parameters: a few microseconds); the import's bulk writes go
    to the driver directly and carry cells that validation has already cleaned (``ingest/validate.py``)."""
    problem = _parameter_problem(parameters)
    if problem == "nul":
        raise InvalidInput("输入中含有空字符（U+0000），无法保存或查询，请删除后重试", code="nul_character")
    if problem == "range":
        raise InvalidInput("输入的数值超出范围", code="number_out_of_range")


def _parameter_problem(value: Any) -> str | None:
    """``"nul"``, ``"range"`` or None for a statement's parameters: a mapping or sequence of values, a sequence of
    those (``executemany``; SQLAlchemy's multi-row INSERTs pass one flat sequence), values that are arrays."""
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list | tuple):
        try:  # texts only (``values_in`` passes thousands of codes): one pass in C
            return "nul" if NUL in "".join(value) else None
        except TypeError:
            items = value
    else:
        items = (value,)
    for item in items:
        kind = type(item)
        if kind is str:
            if NUL in item:
                return "nul"
        elif kind is int:
            if not INT64_MIN <= item <= INT64_MAX:
                return "range"
        elif kind is dict or kind is list or kind is tuple:
            problem = _parameter_problem(item)
            if problem:
                return problem
    return None


def is_sqlite(engine_or_dialect_name: Engine | str) -> bool:
    name = engine_or_dialect_name if isinstance(engine_or_dialect_name, str) else engine_or_dialect_name.dialect.name
    return name == "sqlite"
