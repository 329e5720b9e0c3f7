"""lists: the check log loses its index on subject_id

Revision ID: b1a2c3d4e516
Revises: b1a2c3d4e515
Create Date: 2026-11-25 04:10:00

No query reads ``credit_checks`` by subject (feedback finds a check by its number, the console lists the newest
checks, the monthly report counts by time), and every check inserted a random entry into this index: with millions
of checks, a page written to the WAL per row. The check log's write cost per check fell by about a third without it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1a2c3d4e516"
down_revision: str | None = "b1a2c3d4e515"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_credit_checks_subject", table_name="credit_checks")


def downgrade() -> None:
    op.create_index("ix_credit_checks_subject", "credit_checks", ["subject_id"], unique=False)
