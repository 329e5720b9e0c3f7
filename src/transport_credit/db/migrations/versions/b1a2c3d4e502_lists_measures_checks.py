"""red/black/watch lists, measures, credit checks, effects and typical cases (issue 4)

Revision ID: b1a2c3d4e502
Revises: b1a2c3d4e501
Create Date: 2026-11-23 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e502"
down_revision: str | None = "b1a2c3d4e501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
