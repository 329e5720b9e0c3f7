"""monitoring: the settled record-id watermark each month of the analysis facts was built at

Revision ID: b1a2c3d4e518
Revises: b1a2c3d4e517
Create Date: 2026-11-25 04:45:00

A refresh looks for corrections that moved a decision out of another month among the rows new to a month since it
was built. "New" was "above the month's largest id"; on PostgreSQL a correction still being written at the build
can commit later with a smaller id, and its old month kept counting the superseded revision. The months now keep
the settled watermark (records/ids.py) instead; 0 for months built before, so their next refresh looks at all
their corrections once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a2c3d4e518"
down_revision: str | None = "b1a2c3d4e517"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("analysis_months") as batch:
        batch.add_column(sa.Column("settled_id", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("analysis_months") as batch:
        batch.drop_column("settled_id")
