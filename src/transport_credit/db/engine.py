"""Engine creation. SQLite runs in WAL mode with foreign keys on; PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from transport_credit.db.checkpoint import CHECKPOINTER


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
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def is_sqlite(engine_or_dialect_name: Engine | str) -> bool:
    name = engine_or_dialect_name if isinstance(engine_or_dialect_name, str) else engine_or_dialect_name.dialect.name
    return name == "sqlite"
