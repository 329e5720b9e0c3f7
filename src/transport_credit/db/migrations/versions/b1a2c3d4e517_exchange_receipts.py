"""exchange: the receivers' acknowledgements (回执) and the records they sent back (退回)

Revision ID: b1a2c3d4e517
Revises: b1a2c3d4e516
Create Date: 2026-11-25 04:40:00

One receipt per package (the file it came in, its counts) and one row per record sent back, with the record's
source department, which corrects it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e517"
down_revision: str | None = "b1a2c3d4e516"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["exchange_packages.id"],
            name=op.f("fk_exchange_receipts_package_id_exchange_packages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_receipts")),
        sa.UniqueConstraint("package_id", name=op.f("uq_exchange_receipts_package_id")),
    )
    op.create_table(
        "exchange_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("natural_key", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["exchange_receipts.id"],
            name=op.f("fk_exchange_rejections_receipt_id_exchange_receipts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rejections")),
    )
    op.create_index("ix_exchange_rejections_receipt_id", "exchange_rejections", ["receipt_id"], unique=False)
    op.create_index(
        "ix_exchange_rejections_dept", "exchange_rejections", ["department_code", "package_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_rejections_dept", table_name="exchange_rejections")
    op.drop_index("ix_exchange_rejections_receipt_id", table_name="exchange_rejections")
    op.drop_table("exchange_rejections")
    op.drop_table("exchange_receipts")
