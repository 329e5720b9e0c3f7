"""Alembic environment: batch mode so migrations also run on SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from transport_credit.db.registry import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through transport_credit.db.migrate.upgrade(engine)")
_run(connection)
