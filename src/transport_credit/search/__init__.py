"""Subject search (主体检索) for the public website and the public API.

SQLite: an FTS5 virtual table ``subject_search`` with the trigram tokenizer over ``subjects.name``, kept in sync by
triggers on ``subjects`` (every path that creates or renames a subject — the import pipeline's bulk inserts
included — goes through them), migration ``b1a2c3d4e503``. Both databases: the bigram table
``subject_name_bigrams`` for two-character queries, which trigrams cannot answer, and on PostgreSQL for every
substring query (migration ``b1a2c3d4e504``, which replaced the pg_trgm GIN index).
"""
