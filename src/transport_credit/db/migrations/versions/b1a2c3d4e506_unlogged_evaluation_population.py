"""evaluation: the population work table is unlogged on PostgreSQL (issue 3)

Revision ID: b1a2c3d4e506
Revises: b1a2c3d4e505
Create Date: 2026-11-24 03:30:00

``evaluation_population`` only holds the subjects of a run while the run's transaction lasts: every run deletes
its rows before it commits. Writing those rows to the WAL (800,000 of them for a province's road transport firms)
protects nothing, so on PostgreSQL the table is UNLOGGED: no WAL, and after a crash it comes back empty, which
is the state every committed run leaves it in. It is not replicated to standbys, which never run evaluations.
SQLite has no such table kind and needs nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1a2c3d4e506"
down_revision: str | None = "b1a2c3d4e505"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE evaluation_population SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE evaluation_population SET LOGGED")
