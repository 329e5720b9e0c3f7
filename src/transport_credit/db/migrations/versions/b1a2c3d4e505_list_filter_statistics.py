"""public lists: planner statistics for the 双公示 domain filter (issue 5)

Revision ID: b1a2c3d4e505
Revises: b1a2c3d4e504
Create Date: 2026-11-24 01:40:00

The public 双公示 lists filter on ``data ->> 'domain'`` (道路运输, 公路建设 …). PostgreSQL keeps no statistics of an
expression by default and guesses 0.5% of the rows match, so with a region filter it expected a few hundred rows,
chose to sort a full scan of ``credit_records`` and took 450 ms at 1,000,000 records where walking the decision-date
index with the page limit takes about a millisecond. Expression statistics (PostgreSQL 14+) give it the real share.
SQLite plans these queries by its index rules and needs nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1a2c3d4e505"
down_revision: str | None = "b1a2c3d4e504"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS st_credit_records_domain ON ((data ->> 'domain')) FROM credit_records"
        )
        op.execute("ANALYZE credit_records")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_credit_records_domain")
