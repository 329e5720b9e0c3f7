"""campaigns: 诚信缺失突出问题专项治理 — campaigns, their targets and the actions taken

Revision ID: b1a2c3d4e526
Revises: b1a2c3d4e525
Create Date: 2026-11-25 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e526"
down_revision: str | None = "b1a2c3d4e525"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("templates_version", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("finished_on", sa.Date(), nullable=True),
        sa.Column("finish_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_targets_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_campaign_targets_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_targets")),
    )
    op.create_index("uq_campaign_targets_subject", "campaign_targets", ["campaign_id", "subject_id"], unique=True)
    op.create_index("ix_campaign_targets_department", "campaign_targets", ["department_code", "finished_on"])
    op.create_table(
        "campaign_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"], ["campaign_targets.id"], name=op.f("fk_campaign_actions_target_id_campaign_targets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_actions")),
    )
    op.create_index("ix_campaign_actions_target", "campaign_actions", ["target_id"])


def downgrade() -> None:
    op.drop_index("ix_campaign_actions_target", table_name="campaign_actions")
    op.drop_table("campaign_actions")
    op.drop_index("ix_campaign_targets_department", table_name="campaign_targets")
    op.drop_index("uq_campaign_targets_subject", table_name="campaign_targets")
    op.drop_table("campaign_targets")
    op.drop_table("campaigns")
