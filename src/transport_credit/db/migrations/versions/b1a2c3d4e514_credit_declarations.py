"""portal: self-declared credit information (信用信息自主申报)

Revision ID: b1a2c3d4e514
Revises: b1a2c3d4e513
Create Date: 2026-11-24 23:45:00

Information a subject declares about itself on the website (表彰奖励 …), with the applicant's contact encrypted,
until the credit office verifies it and adopts it as a record or rejects it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import transport_credit.db.base

revision: str = "b1a2c3d4e514"
down_revision: str | None = "b1a2c3d4e513"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column(
            "fields", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("contact_masked", sa.String(length=32), nullable=False),
        sa.Column("contact_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("decide_due", sa.Date(), nullable=False),
        sa.Column("deadline_estimated", sa.Boolean(), nullable=False),
        sa.Column("decided_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_declarations")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_credit_declarations_tracking_no")),
    )
    op.create_index("ix_credit_declarations_status", "credit_declarations", ["status"], unique=False)
    op.create_index(op.f("ix_credit_declarations_subject_id"), "credit_declarations", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_declarations_subject_id"), table_name="credit_declarations")
    op.drop_index("ix_credit_declarations_status", table_name="credit_declarations")
    op.drop_table("credit_declarations")
