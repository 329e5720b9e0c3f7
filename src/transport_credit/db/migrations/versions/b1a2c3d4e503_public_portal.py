"""public website: search index, content, credit reports, applications (issue 5)

Revision ID: b1a2c3d4e503
Revises: b1a2c3d4e502
Create Date: 2026-11-23 22:15:00

Subject search: on SQLite an FTS5 table ``subject_search`` (trigram tokenizer, external content ``subjects``) kept
in sync by triggers; on PostgreSQL the pg_trgm extension and a GIN index on ``subjects.name``. Neither is part of
the SQLAlchemy models (tests/test_schema.py leaves them out of the comparison by name).

Caution for later migrations: SQLite batch mode recreates a table it alters; a batch alteration of ``subjects``
drops the triggers below, which must then be created again (and the index rebuilt) in that migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e503"
down_revision: str | None = "b1a2c3d4e502"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE subject_search USING fts5(name, content='subjects', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER subject_search_ai AFTER INSERT ON subjects BEGIN "
    "INSERT INTO subject_search(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER subject_search_ad AFTER DELETE ON subjects BEGIN "
    "INSERT INTO subject_search(subject_search, rowid, name) VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER subject_search_au AFTER UPDATE OF name ON subjects BEGIN "
    "INSERT INTO subject_search(subject_search, rowid, name) VALUES ('delete', old.id, old.name); "
    "INSERT INTO subject_search(rowid, name) VALUES (new.id, new.name); END",
    "INSERT INTO subject_search(subject_search) VALUES ('rebuild')",
)


def upgrade() -> None:
    op.create_table(
        "portal_contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("doc_no", sa.String(length=100), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_contents")),
    )
    op.create_index(
        "ix_portal_contents_kind_status", "portal_contents", ["kind", "status", "published_on"], unique=False
    )
    op.create_table(
        "credit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("subject_code", sa.String(length=18), nullable=True),
        sa.Column("issued_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_reports")),
        sa.UniqueConstraint("code", name=op.f("uq_credit_reports_code")),
    )
    op.create_index(op.f("ix_credit_reports_subject_id"), "credit_reports", ["subject_id"], unique=False)
    op.create_table(
        "portal_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("record_category", sa.String(length=40), nullable=True),
        sa.Column("record_title", sa.String(length=200), nullable=True),
        sa.Column("applicant_name", sa.String(length=100), nullable=False),
        sa.Column("contact_masked", sa.String(length=32), nullable=False),
        sa.Column("contact_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", transport_credit.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_applications")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_portal_applications_tracking_no")),
    )
    op.create_index("ix_portal_applications_status", "portal_applications", ["status", "submitted_at"], unique=False)
    op.create_index(op.f("ix_portal_applications_subject_id"), "portal_applications", ["subject_id"], unique=False)
    op.create_index(
        "ix_credit_records_category_decision", "credit_records", ["category", "decision_date", "id"], unique=False
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        # The extension is database-wide; it is created in ``public`` (not in whatever schema is first on the
        # search path, which may be dropped later) and its operator class is named with its schema.
        bind = op.get_bind()
        find = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
        schema = bind.execute(find).scalar()
        if schema is None:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
            schema = bind.execute(find).scalar() or "public"
        op.execute(f"CREATE INDEX ix_subjects_name_trgm ON subjects USING gin (name {schema}.gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("subject_search_ai", "subject_search_ad", "subject_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS subject_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_subjects_name_trgm")
    op.drop_index("ix_credit_records_category_decision", table_name="credit_records")
    op.drop_index(op.f("ix_portal_applications_subject_id"), table_name="portal_applications")
    op.drop_index("ix_portal_applications_status", table_name="portal_applications")
    op.drop_table("portal_applications")
    op.drop_index(op.f("ix_credit_reports_subject_id"), table_name="credit_reports")
    op.drop_table("credit_reports")
    op.drop_index("ix_portal_contents_kind_status", table_name="portal_contents")
    op.drop_table("portal_contents")
