"""records: every insert into credit_records holds the record-id lock shared (PostgreSQL)

Revision ID: b1a2c3d4e515
Revises: b1a2c3d4e514
Create Date: 2026-11-25 01:30:00

A statement trigger takes the advisory lock ``records/ids.py`` reads the settled id watermark under, before the
statement draws any id, for every INSERT or COPY into ``credit_records``, whichever code runs it. SQLite has one
writer at a time and needs nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1a2c3d4e515"
down_revision: str | None = "b1a2c3d4e514"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# records.ids.RECORD_IDS_LOCK_KEY (ASCII "tcri"); a migration keeps the value it was written with.
LOCK_KEY = 1952674409


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION tc_hold_record_ids() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({LOCK_KEY}, hashtext(current_schema()));
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER tc_credit_records_hold_ids BEFORE INSERT ON credit_records "
        "FOR EACH STATEMENT EXECUTE FUNCTION tc_hold_record_ids()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS tc_credit_records_hold_ids ON credit_records")
    op.execute("DROP FUNCTION IF EXISTS tc_hold_record_ids()")
