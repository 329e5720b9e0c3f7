"""evaluation: explanations one row per (run, subject, source) instead of one per (run, subject, rule) (issue 3)

Revision ID: b1a2c3d4e508
Revises: b1a2c3d4e507
Create Date: 2026-11-24 11:00:00

A periodic run over a province wrote one ``evaluation_rule_hits`` row per subject and applied rule: about 2.9
million rows for 800,000 firms, the largest write of the run (10 s of 35 on PostgreSQL), and the results were then
computed by grouping those rows again. ``evaluation_hits`` holds one row per subject for the score rules (the
applied rules as JSON, with the sums the grade needs) and one per applied override. Existing rows are converted:
a run's score-rule rows of a subject become its ``rules`` row, each override row its own row. (The tag points of
old runs are not recoverable from the old rows; they stay in ``evaluation_results.tag_points`` and are not needed
again: a run's results are computed from its own rows only.)
"""

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby, islice
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "b1a2c3d4e508"
down_revision: str | None = "b1a2c3d4e507"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _new_table() -> sa.Table:
    return op.create_table(
        "evaluation_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("deducted", sa.Float(), nullable=False),
        sa.Column("bonus", sa.Float(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("tag_points", sa.Text(), nullable=True),
        sa.Column("hits", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_hits")),
    )


def _old_table() -> sa.Table:
    return op.create_table(
        "evaluation_rule_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("rule_code", sa.String(length=40), nullable=False),
        sa.Column("rule_kind", sa.String(length=16), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_rule_hits")),
    )


def _insert_in_batches(conn: sa.Connection, table: sa.Table, rows: Iterator[dict[str, Any]]) -> None:
    while batch := list(islice(rows, BATCH)):
        conn.execute(table.insert(), batch)


def _per_subject(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Old per-rule rows (ordered by run and subject) → one row per override and one ``rules`` row per subject."""
    for (run_id, subject_id), group in groupby(rows, key=lambda r: (r.run_id, r.subject_id)):
        score = []
        for r in group:
            if r.rule_kind != "override":
                score.append(r)
                continue
            yield {
                "run_id": run_id,
                "subject_id": subject_id,
                "source": r.rule_code,
                "deducted": 0.0,
                "bonus": 0.0,
                "matched": r.match_count,
                "applied": 0,
                "tag_points": None,
                "hits": orjson.dumps({r.rule_code: ["override", r.match_count, r.points, r.record_ids]}).decode(),
            }
        if score:
            yield {
                "run_id": run_id,
                "subject_id": subject_id,
                "source": "rules",
                "deducted": sum(r.points for r in score if r.rule_kind == "deduction"),
                "bonus": sum(r.points for r in score if r.rule_kind == "bonus"),
                "matched": sum(r.match_count for r in score),
                "applied": len(score),
                "tag_points": None,
                "hits": orjson.dumps(
                    {r.rule_code: [r.rule_kind, r.match_count, r.points, r.record_ids] for r in score}
                ).decode(),
            }


def _per_rule(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """New per-subject rows → the old per-rule rows."""
    for r in rows:
        for code, (kind, count, points, ids) in orjson.loads(r.hits).items():
            yield {
                "run_id": r.run_id,
                "subject_id": r.subject_id,
                "rule_code": code,
                "rule_kind": kind,
                "match_count": count,
                "points": points,
                "record_ids": ids,
            }


def upgrade() -> None:
    new = _new_table()
    conn = op.get_bind()
    old = sa.table(
        "evaluation_rule_hits",
        *[sa.column(c) for c in ("id", "run_id", "subject_id", "rule_code", "rule_kind", "match_count", "points")],
        sa.column("record_ids"),
    )
    rows = conn.execute(sa.select(old).order_by(old.c.run_id, old.c.subject_id, old.c.id))
    _insert_in_batches(conn, new, _per_subject(rows))
    with op.batch_alter_table("evaluation_hits", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_hits_run", ["run_id", "subject_id"], unique=False)
    with op.batch_alter_table("evaluation_rule_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_rule_hits_run")
    op.drop_table("evaluation_rule_hits")


def downgrade() -> None:
    old = _old_table()
    conn = op.get_bind()
    new = sa.table("evaluation_hits", *[sa.column(c) for c in ("id", "run_id", "subject_id", "source", "hits")])
    _insert_in_batches(conn, old, _per_rule(conn.execute(sa.select(new).order_by(new.c.id))))
    with op.batch_alter_table("evaluation_rule_hits", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_rule_hits_run", ["run_id", "subject_id"], unique=False)
    with op.batch_alter_table("evaluation_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_hits_run")
    op.drop_table("evaluation_hits")
