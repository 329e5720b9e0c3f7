"""xinyi: where each 信易+ scenario runs (launches by city or province)

Revision ID: b1a2c3d4e525
Revises: b1a2c3d4e524
Create Date: 2026-11-25 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e525"
down_revision: str | None = "b1a2c3d4e524"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "xinyi_launches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_code", sa.String(length=40), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xinyi_launches")),
    )
    op.create_index("ix_xinyi_launches_scenario_region", "xinyi_launches", ["scenario_code", "region_code"])


def downgrade() -> None:
    op.drop_index("ix_xinyi_launches_scenario_region", table_name="xinyi_launches")
    op.drop_table("xinyi_launches")
