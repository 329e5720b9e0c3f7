"""Migration b1a2c3d4e508 converts the per-rule explanation rows into per-subject rows and back; it and b1a2c3d4e509
(cheaper search indexing of bulk-inserted subjects) go down and up again."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from alembic import command
from sqlalchemy import Engine, text

from transport_credit.db import migrate
from transport_credit.db.engine import make_engine

OLD_ROWS = [
    # run, subject, rule, kind, count, points, record ids
    (1, 10, "R1", "deduction", 2, 10.0, "101,102"),
    (1, 10, "R6", "bonus", 1, 5.0, "103"),
    (1, 10, "HCO1", "override", 1, 0.0, "104"),
    (1, 11, "R2", "deduction", 1, 20.0, "111"),
    (2, 10, "R1", "deduction", 1, 5.0, "101"),
]


@pytest.fixture
def fresh_engine(db_backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (the session template is already at head)."""
    if db_backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield eng
        eng.dispose()
        return
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"m_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_hits_migration_round_trip(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine, "b1a2c3d4e507")
    with fresh_engine.begin() as conn:
        for row in OLD_ROWS:
            conn.execute(
                text(
                    "INSERT INTO evaluation_rule_hits (run_id, subject_id, rule_code, rule_kind, match_count, points, "
                    "record_ids) VALUES (:r, :s, :c, :k, :n, :p, :i)"
                ),
                dict(zip("rscknpi", row, strict=True)),
            )
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT run_id, subject_id, source, deducted, bonus, matched, applied, tag_points, hits "
                "FROM evaluation_hits ORDER BY run_id, subject_id, source"
            )
        ).all()
    got = [(*r[:8], orjson.loads(r[8])) for r in rows]
    assert got == [
        (1, 10, "HCO1", 0.0, 0.0, 1, 0, None, {"HCO1": ["override", 1, 0.0, "104"]}),
        (
            1,
            10,
            "rules",
            10.0,
            5.0,
            3,
            2,
            None,
            {"R1": ["deduction", 2, 10.0, "101,102"], "R6": ["bonus", 1, 5.0, "103"]},
        ),
        (1, 11, "rules", 20.0, 0.0, 1, 1, None, {"R2": ["deduction", 1, 20.0, "111"]}),
        (2, 10, "rules", 5.0, 0.0, 1, 1, None, {"R1": ["deduction", 1, 5.0, "101"]}),
    ]
    _downgrade(fresh_engine, "b1a2c3d4e507")
    with fresh_engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT run_id, subject_id, rule_code, rule_kind, match_count, points, record_ids "
                "FROM evaluation_rule_hits"
            )
        ).all()
    assert sorted(tuple(r) for r in back) == sorted(OLD_ROWS)


def test_hits_and_search_index_migrations_go_down_and_up_again(fresh_engine: Engine) -> None:
    """b1a2c3d4e508 and b1a2c3d4e509 downgrade and upgrade cleanly; the search triggers index a new subject after."""
    migrate.upgrade(fresh_engine)
    _downgrade(fresh_engine, "b1a2c3d4e507")
    migrate.upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subjects (kind, name, region_code, created_at, updated_at) "
                "VALUES ('org', '顺达物流', '410100', '2026-01-01', '2026-01-01')"
            )
        )
        grams = conn.execute(text("SELECT gram FROM subject_name_bigrams ORDER BY gram")).scalars().all()
    assert grams == sorted(["顺达", "达物", "物流"])
