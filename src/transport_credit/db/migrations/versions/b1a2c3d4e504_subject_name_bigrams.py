# ruff: noqa: S608 — DDL assembled from fixed fragments only; no value is ever formatted into it.
"""subject search: a bigram index for two-character name queries (issue 5)

Revision ID: b1a2c3d4e504
Revises: b1a2c3d4e503
Create Date: 2026-11-24 01:40:00

Trigram indexes (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) cannot answer a two-character substring — the most
common way to look a Chinese firm up by its 字号 (``百宝``) — so such a query scanned every name. This adds
``subject_name_bigrams (gram, subject_id)``: every two-character substring of every subject's name (lower case),
kept in step with ``subjects`` by triggers, so a two-character query is one index range with a limit.

On PostgreSQL every substring query now goes through this table (its two rarest bigrams, confirmed by LIKE),
so the pg_trgm GIN index of ``b1a2c3d4e503`` is dropped: collecting every match of a common trigram (有限公) took
milliseconds, and it slowed every subject insert.

Like the search index of ``b1a2c3d4e503`` it is not part of the SQLAlchemy models (tests/test_schema.py leaves it
out by name). SQLite triggers may not use a recursive CTE, so the positions 1–200 of a name (``subjects.name`` is at
most 200 characters) come from a small table ``subject_name_positions``.

Caution for later migrations: a SQLite batch alteration of ``subjects`` drops these triggers too.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1a2c3d4e504"
down_revision: str | None = "b1a2c3d4e503"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_NAME = 200

_SQLITE_GRAMS = "SELECT lower(substr({row}.name, p.n, 2)) FROM subject_name_positions p WHERE p.n < length({row}.name)"

SQLITE = (
    "CREATE TABLE subject_name_positions (n INTEGER PRIMARY KEY)",
    f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {MAX_NAME}) "
    "INSERT INTO subject_name_positions (n) SELECT n FROM s",
    "CREATE TABLE subject_name_bigrams (gram TEXT NOT NULL, subject_id INTEGER NOT NULL, "
    "PRIMARY KEY (gram, subject_id)) WITHOUT ROWID",
    "CREATE TRIGGER subject_name_bigrams_ai AFTER INSERT ON subjects BEGIN "
    "INSERT OR IGNORE INTO subject_name_bigrams (gram, subject_id) "
    "SELECT lower(substr(new.name, p.n, 2)), new.id FROM subject_name_positions p WHERE p.n < length(new.name); END",
    "CREATE TRIGGER subject_name_bigrams_ad AFTER DELETE ON subjects BEGIN "
    "DELETE FROM subject_name_bigrams WHERE subject_id = old.id AND gram IN (" + _SQLITE_GRAMS.format(row="old") + "); "
    "END",
    "CREATE TRIGGER subject_name_bigrams_au AFTER UPDATE OF name ON subjects BEGIN "
    "DELETE FROM subject_name_bigrams WHERE subject_id = old.id AND gram IN (" + _SQLITE_GRAMS.format(row="old") + "); "
    "INSERT OR IGNORE INTO subject_name_bigrams (gram, subject_id) "
    "SELECT lower(substr(new.name, p.n, 2)), new.id FROM subject_name_positions p WHERE p.n < length(new.name); END",
    "INSERT OR IGNORE INTO subject_name_bigrams (gram, subject_id) "
    "SELECT lower(substr(s.name, p.n, 2)), s.id FROM subjects s JOIN subject_name_positions p ON p.n < length(s.name)",
)

# PostgreSQL: statement-level triggers with transition tables, so a bulk insert (the import's COPY, INSERT … SELECT)
# writes its bigrams in one set-based statement instead of running a function per row. Transition tables do not
# allow a column list (``UPDATE OF name``): the update trigger compares old and new names itself.
_PG_NEW = (
    "INSERT INTO subject_name_bigrams (gram, subject_id) SELECT DISTINCT lower(substr(n.name, g, 2)), n.id "
    "FROM {rows} n CROSS JOIN LATERAL generate_series(1, char_length(n.name) - 1) AS g {where}ON CONFLICT DO NOTHING"
)
_PG_OLD = (
    "DELETE FROM subject_name_bigrams b USING {rows} o WHERE b.subject_id = o.id {where}"
    "AND b.gram IN (SELECT lower(substr(o.name, g, 2)) FROM generate_series(1, char_length(o.name) - 1) AS g)"
)


def _pg_function(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"


POSTGRESQL = (
    "CREATE TABLE subject_name_bigrams (gram text NOT NULL, subject_id integer NOT NULL, "
    "CONSTRAINT pk_subject_name_bigrams PRIMARY KEY (gram, subject_id))",
    _pg_function("subject_name_bigrams_ins", _PG_NEW.format(rows="new_rows", where="")),
    _pg_function("subject_name_bigrams_del", _PG_OLD.format(rows="old_rows", where="")),
    _pg_function(
        "subject_name_bigrams_upd",
        _PG_OLD.format(
            rows="old_rows", where="AND EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.name <> o.name) "
        )
        + "; "
        + _PG_NEW.format(
            rows="new_rows", where="WHERE EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.name <> n.name) "
        ),
    ),
    "CREATE TRIGGER subject_name_bigrams_ins AFTER INSERT ON subjects REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION subject_name_bigrams_ins()",
    "CREATE TRIGGER subject_name_bigrams_del AFTER DELETE ON subjects REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION subject_name_bigrams_del()",
    "CREATE TRIGGER subject_name_bigrams_upd AFTER UPDATE ON subjects REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION subject_name_bigrams_upd()",
    _PG_NEW.format(rows="subjects", where=""),
    # The search picks a query's rarest bigrams by these statistics: keep the frequencies of up to 5,000 bigrams
    # (the default 100 would leave e.g. city + 字号-character pairs, thousands of rows each, counted as rare).
    "ALTER TABLE subject_name_bigrams ALTER COLUMN gram SET STATISTICS 5000",
    "ANALYZE subject_name_bigrams",
    "DROP INDEX IF EXISTS ix_subjects_name_trgm",
)


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("subject_name_bigrams_ai", "subject_name_bigrams_ad", "subject_name_bigrams_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS subject_name_bigrams")
        op.execute("DROP TABLE IF EXISTS subject_name_positions")
    else:
        schema = (
            op.get_bind()
            .exec_driver_sql("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
            .scalar()
        )
        op.execute(f"CREATE INDEX ix_subjects_name_trgm ON subjects USING gin (name {schema or 'public'}.gin_trgm_ops)")
        for name in ("subject_name_bigrams_ins", "subject_name_bigrams_del", "subject_name_bigrams_upd"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON subjects")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        op.execute("DROP TABLE IF EXISTS subject_name_bigrams")
