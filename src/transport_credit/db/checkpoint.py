"""SQLite WAL checkpoints off the request path.

In WAL mode a commit only appends to the ``-wal`` file; copying those pages back into the database (a checkpoint)
is what calls ``fsync``. By default SQLite checkpoints inside whichever commit makes the WAL reach 1,000 pages, so
one request in a few hundred pays 15–20 ms for everyone's writes (the p99 of dynamic re-evaluation and of the
credit check). One daemon thread per process instead runs a ``PASSIVE`` checkpoint of every registered database
whose WAL changed, every :data:`INTERVAL` seconds, on its own connection. ``PASSIVE`` never waits for readers or
writers, and the next commit after a complete checkpoint starts the WAL from its beginning, so commits rarely
reach the automatic threshold. The automatic checkpoint stays enabled as the safety net (a large import still
checkpoints at its commit, and an engine that is gone stops being checkpointed here).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref

from sqlalchemy import Engine, event

INTERVAL = 0.2  # seconds between passes


class _Database:
    """One database file: its WAL's last seen state and a lazily opened connection."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.wal = path + "-wal"
        self.seen: tuple[int, int] | None = None
        self.conn: sqlite3.Connection | None = None
        self.lock = threading.Lock()

    def checkpoint(self) -> None:
        with self.lock:
            try:
                st = os.stat(self.wal)
            except OSError:
                return  # no WAL (yet, or any more): nothing to copy
            state = (st.st_mtime_ns, st.st_size)
            if state == self.seen:
                return
            try:
                if self.conn is None:
                    self.conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                st = os.stat(self.wal)
                self.seen = (st.st_mtime_ns, st.st_size)
            except (sqlite3.Error, OSError):
                self.close()  # a locked or removed file: try again on the next pass with a new connection

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            self.conn = None


class Checkpointer:
    """The process's checkpoint thread and the databases it looks after (one entry per engine)."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._databases: dict[int, _Database] = {}
        self._thread: threading.Thread | None = None

    def register(self, engine: Engine, path: str) -> None:
        """Checkpoint ``path`` for as long as ``engine`` exists."""
        key = id(engine)
        with self._lock:
            self._databases[key] = _Database(os.path.abspath(path))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()
        weakref.finalize(engine, self._forget, key)
        # ``dispose()`` closes the engine's connections; this one too, so that the last connection to close
        # checkpoints the WAL and removes it, as SQLite does without us: a disposed database is one complete file
        # (the test template is copied that way). The next pass reopens it if the engine is used again.
        event.listen(engine, "engine_disposed", lambda _engine: self._release(key))

    def registered(self) -> list[str]:
        with self._lock:
            return [d.path for d in self._databases.values()]

    def run_once(self) -> None:
        with self._lock:
            databases = list(self._databases.values())
        for database in databases:
            database.checkpoint()

    def _release(self, key: int) -> None:
        with self._lock:
            database = self._databases.get(key)
        if database is not None:
            with database.lock:
                database.close()
                database.seen = None

    def _forget(self, key: int) -> None:
        with self._lock:
            database = self._databases.pop(key, None)
        if database is not None:
            with database.lock:
                database.close()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.run_once()


CHECKPOINTER = Checkpointer()
