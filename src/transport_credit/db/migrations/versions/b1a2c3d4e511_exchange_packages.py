"""exchange: packages shared with the national and provincial platforms (full set, then increments)

Revision ID: b1a2c3d4e511
Revises: b1a2c3d4e510
Create Date: 2026-11-24 18:00:00

One row per package generated for a target platform: its sequence (1 is the full set), the record-id range it
covers, its counts and the SHA-256 of its manifest, chained to the previous package's manifest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import transport_credit.db.base

revision: str = "b1a2c3d4e511"
down_revision: str | None = "b1a2c3d4e510"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("from_record_id", sa.Integer(), nullable=False),
        sa.Column("to_record_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column(
            "counts", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("directory", sa.String(length=500), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("previous_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_packages")),
    )
    op.create_index("uq_exchange_packages_target_seq", "exchange_packages", ["target", "sequence"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_exchange_packages_target_seq", table_name="exchange_packages")
    op.drop_table("exchange_packages")
