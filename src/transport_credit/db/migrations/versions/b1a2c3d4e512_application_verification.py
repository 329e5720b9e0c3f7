"""portal: verification of objections by the unit that provided the record (信息提供单位核实)

Revision ID: b1a2c3d4e512
Revises: b1a2c3d4e511
Create Date: 2026-11-24 20:30:00

An accepted objection naming a record is sent to the department that reported the record, which reports whether
the record is accurate; the decision follows the finding. Applications accepted before this revision have no
verification department and are decided as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import transport_credit.db.base

revision: str = "b1a2c3d4e512"
down_revision: str | None = "b1a2c3d4e511"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("verify_department", lambda: sa.String(length=64)),
    ("verify_due", sa.Date),
    ("verification", lambda: sa.String(length=16)),
    ("verification_note", sa.Text),
    ("verified_at", lambda: transport_credit.db.base.UTCDateTime(timezone=True)),
    ("verified_by", lambda: sa.String(length=120)),
)


def upgrade() -> None:
    with op.batch_alter_table("portal_applications", schema=None) as batch_op:
        for name, type_ in _COLUMNS:
            batch_op.add_column(sa.Column(name, type_(), nullable=True))
        batch_op.create_index("ix_portal_applications_verify_department", ["verify_department"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_applications_verify_department")
        for name, _ in reversed(_COLUMNS):
            batch_op.drop_column(name)
