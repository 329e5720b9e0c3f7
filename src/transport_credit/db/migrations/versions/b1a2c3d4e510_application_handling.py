"""portal: handling of objection and repair applications (受理, 办结, deadlines)

Revision ID: b1a2c3d4e510
Revises: b1a2c3d4e509
Create Date: 2026-11-24 17:00:00

Applications submitted on the website were stored with status ``received`` and nothing more. They now move through
acceptance and a decision (``portal/handling.py``), each with a working-day deadline, the official who handled
them, the reply the applicant reads, and the record revision the outcome wrote. Existing applications keep status
``received`` with no deadline (they were submitted before deadlines were kept); they are handled like new ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e510"
down_revision: str | None = "b1a2c3d4e509"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("rules_version", lambda: sa.String(length=40)),
    ("accept_due", sa.Date),
    ("decide_due", sa.Date),
    ("accepted_at", lambda: transport_credit.db.base.UTCDateTime(timezone=True)),
    ("decided_at", lambda: transport_credit.db.base.UTCDateTime(timezone=True)),
    ("handled_by", lambda: sa.String(length=120)),
    ("reply", sa.Text),
    ("result_record_id", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("portal_applications", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_(), nullable=True))
        batch_op.add_column(sa.Column("deadline_estimated", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("portal_applications", schema=None) as batch_op:
        batch_op.drop_column("deadline_estimated")
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
