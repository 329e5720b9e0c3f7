"""public website: search index, content, credit reports, applications (issue 5)

Revision ID: b1a2c3d4e503
Revises: b1a2c3d4e502
Create Date: 2026-11-23 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e503"
down_revision: str | None = "b1a2c3d4e502"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
