"""Database-level refusal of UPDATE and DELETE on ``audit_log`` (append-only).

Meant for the Alembic migration (copy the statements into it, so the migration does not depend on
application code that may change later) and for tests. The triggers stop mistakes and casual edits;
someone who can drop a trigger can still change rows, and then ``verify()`` finds it.
TRUNCATE is not blocked: the test suite truncates tables between tests on PostgreSQL.
"""

from __future__ import annotations

APPEND_ONLY_MESSAGE = "audit log is append-only"

_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
]

_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]
_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_append_only()",
]


def append_only_ddl(dialect_name: str) -> list[str]:
    """Idempotent statements that make ``audit_log`` refuse UPDATE and DELETE on ``dialect_name``."""
    if dialect_name == "sqlite":
        return list(_SQLITE)
    if dialect_name == "postgresql":
        return list(_POSTGRESQL)
    raise ValueError(f"no append-only triggers for dialect {dialect_name!r}")


def drop_append_only_ddl(dialect_name: str) -> list[str]:
    """The reverse of :func:`append_only_ddl` (for a migration's downgrade)."""
    if dialect_name == "sqlite":
        return list(_SQLITE_DROP)
    if dialect_name == "postgresql":
        return list(_POSTGRESQL_DROP)
    raise ValueError(f"no append-only triggers for dialect {dialect_name!r}")
