"""portal: applications transferred by other platforms (转办 from 信用中国, 信用交通 …) and their replies

Revision ID: b1a2c3d4e523
Revises: b1a2c3d4e522
Create Date: 2026-11-25 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e523"
down_revision: str | None = "b1a2c3d4e522"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portal_applications") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="website"))
        batch.add_column(sa.Column("source", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("source_ref", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("replied_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("replied_by", sa.String(length=120), nullable=True))
        batch.create_index("uq_portal_applications_source_ref", ["source", "source_ref"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("portal_applications") as batch:
        batch.drop_index("uq_portal_applications_source_ref")
        batch.drop_column("replied_by")
        batch.drop_column("replied_at")
        batch.drop_column("received_on")
        batch.drop_column("source_ref")
        batch.drop_column("source")
        batch.drop_column("channel")
