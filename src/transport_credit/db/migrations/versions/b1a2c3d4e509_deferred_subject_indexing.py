"""subjects: cheaper search indexing of bulk-inserted subjects (issue 2)

Revision ID: b1a2c3d4e509
Revises: b1a2c3d4e508
Create Date: 2026-11-24 12:00:00

On SQLite the search index of subject names (FTS5 ``subject_search``, migration b1a2c3d4e503, and the two-character
``subject_name_bigrams``, b1a2c3d4e504) is kept by row triggers. An import that creates 40,000 subjects spent 3.3 s
in them (82 µs a subject: each name's ten-odd bigrams inserted at random places of the bigram tree, and one FTS5
insert), against 0.13 s for the rows themselves. The AFTER INSERT triggers now skip rows while
``subject_index_deferred`` holds a row; the import sets it around its bulk insert, then indexes the new subjects in
two set-based statements (bigrams in key order), 0.4 s for the same 40,000 (``search.index.deferred_name_index``).
The flag row is written and removed inside the importing transaction, so no other connection ever sees it.

PostgreSQL's triggers are statement-level already. Its insert trigger drops ``ON CONFLICT DO NOTHING``: the rows
are new subjects with new ids, so no bigram of theirs can exist yet, and speculative insertion cost a third of the
trigger (40,000 subjects into a table of 200,000: 2.7 s → 1.7 s). It inserts in key order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b1a2c3d4e509"
down_revision: str | None = "b1a2c3d4e508"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS_INSERT = "INSERT INTO subject_search(rowid, name) VALUES (new.id, new.name); END"
_BIGRAM_INSERT = (
    "INSERT OR IGNORE INTO subject_name_bigrams (gram, subject_id) "
    "SELECT lower(substr(new.name, p.n, 2)), new.id FROM subject_name_positions p WHERE p.n < length(new.name); END"
)
_UNLESS_DEFERRED = "WHEN NOT EXISTS (SELECT 1 FROM subject_index_deferred) BEGIN "

_PG_GRAMS = (
    "SELECT DISTINCT lower(substr(n.name, g, 2)) AS gram, n.id FROM new_rows n "
    "CROSS JOIN LATERAL generate_series(1, char_length(n.name) - 1) AS g"
)
_PG_INS = (
    "CREATE OR REPLACE FUNCTION subject_name_bigrams_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO subject_name_bigrams (gram, subject_id) {select}{tail}; RETURN NULL; END $$"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(_PG_INS.format(select=_PG_GRAMS, tail=" ORDER BY 1, 2"))
        return
    op.execute("CREATE TABLE subject_index_deferred (id INTEGER PRIMARY KEY)")
    op.execute("DROP TRIGGER subject_search_ai")
    op.execute("CREATE TRIGGER subject_search_ai AFTER INSERT ON subjects " + _UNLESS_DEFERRED + _FTS_INSERT)
    op.execute("DROP TRIGGER subject_name_bigrams_ai")
    op.execute("CREATE TRIGGER subject_name_bigrams_ai AFTER INSERT ON subjects " + _UNLESS_DEFERRED + _BIGRAM_INSERT)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(_PG_INS.format(select=_PG_GRAMS.replace(" AS gram", ""), tail=" ON CONFLICT DO NOTHING"))
        return
    op.execute("DROP TRIGGER subject_search_ai")
    op.execute("CREATE TRIGGER subject_search_ai AFTER INSERT ON subjects BEGIN " + _FTS_INSERT)
    op.execute("DROP TRIGGER subject_name_bigrams_ai")
    op.execute("CREATE TRIGGER subject_name_bigrams_ai AFTER INSERT ON subjects BEGIN " + _BIGRAM_INSERT)
    op.execute("DROP TABLE subject_index_deferred")
