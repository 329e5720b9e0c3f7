"""reminders: 信用提醒服务 — the outbox of short messages and the subjects' reminder subscriptions

Revision ID: b1a2c3d4e529
Revises: b1a2c3d4e528
Create Date: 2026-11-25 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e529"
down_revision: str | None = "b1a2c3d4e528"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = transport_credit.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("recipient_masked", sa.String(length=32), nullable=False),
        sa.Column("recipient_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", _UTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", _UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("provider_ref", sa.String(length=100), nullable=True),
        sa.Column("sent_at", _UTC(timezone=True), nullable=True),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_reminders_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_reminders_dedupe_key")),
    )
    op.create_index("ix_reminders_state_due", "reminders", ["state", "due_at"])
    op.create_index("ix_reminders_recipient_created", "reminders", ["recipient_key", "created_at"])
    op.create_index(op.f("ix_reminders_subject_id"), "reminders", ["subject_id"])
    op.create_table(
        "reminder_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_no", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("phone_masked", sa.String(length=32), nullable=False),
        sa.Column("phone_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("phone_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", _UTC(timezone=True), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("unsubscribe_token", sa.String(length=32), nullable=False),
        sa.Column("created_at", _UTC(timezone=True), nullable=False),
        sa.Column("confirmed_at", _UTC(timezone=True), nullable=True),
        sa.Column("ended_at", _UTC(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_reminder_subscriptions_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_subscriptions")),
        sa.UniqueConstraint("subscription_no", name=op.f("uq_reminder_subscriptions_subscription_no")),
        sa.UniqueConstraint("unsubscribe_token", name=op.f("uq_reminder_subscriptions_unsubscribe_token")),
    )
    op.create_index("ix_reminder_subscriptions_subject_phone", "reminder_subscriptions", ["subject_id", "phone_key"])
    op.create_index(op.f("ix_reminder_subscriptions_subject_id"), "reminder_subscriptions", ["subject_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_subscriptions_subject_id"), table_name="reminder_subscriptions")
    op.drop_index("ix_reminder_subscriptions_subject_phone", table_name="reminder_subscriptions")
    op.drop_table("reminder_subscriptions")
    op.drop_index(op.f("ix_reminders_subject_id"), table_name="reminders")
    op.drop_index("ix_reminders_recipient_created", table_name="reminders")
    op.drop_index("ix_reminders_state_due", table_name="reminders")
    op.drop_table("reminders")
