"""cases in exchange: when a typical case was withdrawn; up to when a package carries typical cases

Revision ID: b1a2c3d4e527
Revises: b1a2c3d4e526
Create Date: 2026-11-25 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e527"
down_revision: str | None = "b1a2c3d4e526"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("typical_cases") as batch:
        batch.add_column(sa.Column("withdrawn_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("exchange_packages") as batch:
        batch.add_column(sa.Column("cases_through", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_packages") as batch:
        batch.drop_column("cases_through")
    with op.batch_alter_table("typical_cases") as batch:
        batch.drop_column("withdrawn_at")
