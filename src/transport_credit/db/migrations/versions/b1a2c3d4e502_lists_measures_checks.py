"""red/black/watch lists, measures, credit checks, effects and typical cases (issue 4)

Revision ID: b1a2c3d4e502
Revises: b1a2c3d4e501
Create Date: 2026-11-23 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import transport_credit.db.base

revision: str = "b1a2c3d4e502"
down_revision: str | None = "b1a2c3d4e501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_no", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=120), nullable=False),
        sa.Column("checked_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lists", sa.String(length=40), nullable=True),
        sa.Column("measure_codes", sa.Text(), nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("feedback_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_checks")),
        sa.UniqueConstraint("check_no", name=op.f("uq_credit_checks_check_no")),
    )
    op.create_index("ix_credit_checks_subject", "credit_checks", ["subject_id"], unique=False)
    op.create_table(
        "effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("measure_code", sa.String(length=60), nullable=False),
        sa.Column("measure_name", sa.String(length=300), nullable=False),
        sa.Column("measure_kind", sa.String(length=12), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("executed_on", sa.Date(), nullable=False),
        sa.Column("matter_code", sa.String(length=40), nullable=False),
        sa.Column("matter_name", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["credit_checks.id"], name=op.f("fk_effects_check_id_credit_checks")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_effects_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effects")),
    )
    op.create_index(op.f("ix_effects_check_id"), "effects", ["check_id"], unique=False)
    op.create_index("ix_effects_dept_date", "effects", ["department_code", "executed_on"], unique=False)
    op.create_table(
        "list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_no", sa.String(length=40), nullable=False),
        sa.Column("list_code", sa.String(length=40), nullable=False),
        sa.Column("list_type", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("criterion_code", sa.String(length=60), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column(
            "evidence", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("proposed_by", sa.String(length=120), nullable=False),
        sa.Column("proposed_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notice_no", sa.String(length=60), nullable=True),
        sa.Column("notice_text", sa.Text(), nullable=True),
        sa.Column("notified_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("objection_deadline", sa.Date(), nullable=True),
        sa.Column("objection_text", sa.Text(), nullable=True),
        sa.Column("objection_status", sa.String(length=16), nullable=True),
        sa.Column("listed_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("removed_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removal_reason", sa.String(length=16), nullable=True),
        sa.Column("removal_basis", sa.Text(), nullable=True),
        sa.Column("record_key", sa.String(length=200), nullable=True),
        sa.Column("updated_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_list_entries_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_entries")),
        sa.UniqueConstraint("entry_no", name=op.f("uq_list_entries_entry_no")),
    )
    op.create_index("ix_list_entries_state", "list_entries", ["state", "valid_until"], unique=False)
    op.create_index("ix_list_entries_subject", "list_entries", ["subject_id", "state"], unique=False)
    op.create_table(
        "typical_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=True),
        sa.Column("effect_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("published_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "extra", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(["effect_id"], ["effects.id"], name=op.f("fk_typical_cases_effect_id_effects")),
        sa.ForeignKeyConstraint(["entry_id"], ["list_entries.id"], name=op.f("fk_typical_cases_entry_id_list_entries")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_typical_cases_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_typical_cases")),
    )
    op.create_index("ix_typical_cases_published", "typical_cases", ["status", "published_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_typical_cases_published", table_name="typical_cases")
    op.drop_table("typical_cases")
    op.drop_index("ix_list_entries_subject", table_name="list_entries")
    op.drop_index("ix_list_entries_state", table_name="list_entries")
    op.drop_table("list_entries")
    op.drop_index("ix_effects_dept_date", table_name="effects")
    op.drop_index(op.f("ix_effects_check_id"), table_name="effects")
    op.drop_table("effects")
    op.drop_index("ix_credit_checks_subject", table_name="credit_checks")
    op.drop_table("credit_checks")
