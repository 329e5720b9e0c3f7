"""credit evaluation, tiered supervision and early warning (issue 3)

Revision ID: b1a2c3d4e501
Revises: fad64f5573e9
Create Date: 2026-11-23 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e501"
down_revision: str | None = "fad64f5573e9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
