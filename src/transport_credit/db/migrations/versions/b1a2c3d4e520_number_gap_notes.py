"""monitoring: departments' explanations of decision numbers they did not report (文书号断号说明)

Revision ID: b1a2c3d4e520
Revises: b1a2c3d4e519
Create Date: 2026-11-25 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e520"
down_revision: str | None = "b1a2c3d4e519"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "number_gap_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("prefix", sa.String(length=120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial_from", sa.Integer(), nullable=False),
        sa.Column("serial_to", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_number_gap_notes_sequence", "number_gap_notes", ["department_code", "category", "year"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_number_gap_notes_sequence", table_name="number_gap_notes")
    op.drop_table("number_gap_notes")
