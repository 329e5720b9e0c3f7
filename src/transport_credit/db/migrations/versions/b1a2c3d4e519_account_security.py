"""auth: the security policy's account state (login failures and lock, password age, temporary passwords)

Revision ID: b1a2c3d4e519
Revises: b1a2c3d4e518
Create Date: 2026-11-25 07:00:00

GB/T 22239-2019 第三级 asks for 登录失败处理 (lock after repeated wrong passwords) and 口令定期更换; the policy's
numbers are data (data/security/policy.yaml). Existing accounts start with no failures, no lock and no password
date (their passwords count as set now: they do not expire until changed once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from transport_credit.db.base import UTCDateTime

revision: str = "b1a2c3d4e519"
down_revision: str | None = "b1a2c3d4e518"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("password_changed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("must_change_password")
        batch.drop_column("password_changed_at")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
