"""auth: the previous sign-in and the wrong passwords typed since, shown to the user after signing in (上次登录)

Revision ID: b1a2c3d4e522
Revises: b1a2c3d4e521
Create Date: 2026-11-25 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e522"
down_revision: str | None = "b1a2c3d4e521"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("previous_login_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("failures_before_login", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("failures_before_login")
        batch.drop_column("previous_login_at")
