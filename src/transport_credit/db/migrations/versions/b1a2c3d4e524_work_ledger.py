"""ledger: the 信用交通省 work ledger (创建工作台账) — tasks by year and the responsible units' monthly progress

Revision ID: b1a2c3d4e524
Revises: b1a2c3d4e523
Create Date: 2026-11-25 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e524"
down_revision: str | None = "b1a2c3d4e523"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("level1", sa.String(length=200), nullable=False),
        sa.Column("level2", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("due", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("lead", sa.JSON(), nullable=False),
        sa.Column("support", sa.JSON(), nullable=False),
        sa.Column("responsible_text", sa.String(length=500), nullable=False),
        sa.Column("indicator", sa.String(length=80), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ledger_name", sa.String(length=200), nullable=False),
        sa.Column("ledger_version", sa.String(length=40), nullable=False),
        sa.Column("loaded_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_tasks")),
    )
    op.create_index("uq_ledger_tasks_year_code", "ledger_tasks", ["year", "code"], unique=True)
    op.create_table(
        "ledger_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("reported_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["ledger_tasks.id"], name=op.f("fk_ledger_progress_task_id_ledger_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_progress")),
    )
    op.create_index("uq_ledger_progress", "ledger_progress", ["task_id", "month", "department_code"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_ledger_progress", table_name="ledger_progress")
    op.drop_table("ledger_progress")
    op.drop_index("uq_ledger_tasks_year_code", table_name="ledger_tasks")
    op.drop_table("ledger_tasks")
