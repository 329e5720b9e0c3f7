"""campaign exposure cases: the typical case drafted from a 公开曝光 action

Revision ID: b1a2c3d4e528
Revises: b1a2c3d4e527
Create Date: 2026-11-25 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a2c3d4e528"
down_revision: str | None = "b1a2c3d4e527"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_actions") as batch:
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_campaign_actions_case_id_typical_cases"), "typical_cases", ["case_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_actions") as batch:
        batch.drop_constraint(op.f("fk_campaign_actions_case_id_typical_cases"), type_="foreignkey")
        batch.drop_column("case_id")
