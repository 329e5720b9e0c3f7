"""evaluation: a partial index on periodic runs (issue 3)

Revision ID: b1a2c3d4e507
Revises: b1a2c3d4e506
Create Date: 2026-11-24 05:20:00

Every dynamic re-evaluation adds a run row (kind ``dynamic``) under the period of the model's latest periodic run,
and every dynamic re-evaluation looks that periodic run up (``period`` descending, then ``id``). With only
``(model_code, period)`` indexed, the lookup read and sorted every run of the period, dynamic ones included, so
it slowed down with each re-evaluation (a province re-evaluates thousands of subjects a day). The periodic runs
are a handful per model and year; this index holds only them, in the lookup's order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b1a2c3d4e507"
down_revision: str | None = "b1a2c3d4e506"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_evaluation_runs_periodic",
        "evaluation_runs",
        ["model_code", "period", "id"],
        postgresql_where=sa.text("kind = 'periodic'"),
        sqlite_where=sa.text("kind = 'periodic'"),
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_runs_periodic", table_name="evaluation_runs")
