"""monitoring: facts of the credit monitoring analysis (信用监测分析)

Revision ID: b1a2c3d4e513
Revises: b1a2c3d4e512
Create Date: 2026-11-24 23:10:00

Counted 行政处罚 and 行政许可 records summed per day and per month (with violation type and the subject's city), and
the (category, month) pairs they are built for with the state of their source rows. Derived data, built by the
analysis on first use and rebuilt month by month when a month's records change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a2c3d4e513"
down_revision: str | None = "b1a2c3d4e512"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_months",
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("source_rows", sa.Integer(), nullable=False),
        sa.Column("source_max_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category", "month", name=op.f("pk_analysis_months")),
    )
    op.create_table(
        "analysis_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_daily")),
    )
    op.create_index("ix_analysis_daily_category_day", "analysis_daily", ["category", "day"], unique=False)
    op.create_table(
        "analysis_monthly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("violation_type", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=6), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_monthly")),
    )
    op.create_index("ix_analysis_monthly_category_month", "analysis_monthly", ["category", "month"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_analysis_monthly_category_month", table_name="analysis_monthly")
    op.drop_table("analysis_monthly")
    op.drop_index("ix_analysis_daily_category_day", table_name="analysis_daily")
    op.drop_table("analysis_daily")
    op.drop_table("analysis_months")
