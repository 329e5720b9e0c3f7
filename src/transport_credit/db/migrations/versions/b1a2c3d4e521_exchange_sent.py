"""exchange: when and where a package was sent to the exchange directory (前置交换目录)

Revision ID: b1a2c3d4e521
Revises: b1a2c3d4e520
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e521"
down_revision: str | None = "b1a2c3d4e520"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_packages") as batch:
        batch.add_column(sa.Column("sent_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_to", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("sent_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_packages") as batch:
        batch.drop_column("sent_by")
        batch.drop_column("sent_to")
        batch.drop_column("sent_at")
