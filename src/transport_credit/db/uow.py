"""Unit of work: the caller owns the transaction.

Services take a ``Session`` and never commit; the front door (API route, CLI command, job) opens a unit of work,
calls one or more services, and the unit commits on success or rolls back on any exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker


def innermost_transaction(session: Session) -> SessionTransaction | None:
    """The savepoint in effect, else the transaction: what a value remembered "for this transaction" must be tied
    to, so that rolling back a savepoint also forgets what was remembered inside it (or before it)."""
    return session.get_nested_transaction() or session.get_transaction()


class Database:
    """Holds the engine and a session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on error."""
        session = self._factory()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end). On SQLite it does not take the write lock (see engine.py):
        never write in it."""
        session = self._factory()
        session.connection(execution_options={"read_only": True})
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
