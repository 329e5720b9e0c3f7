# ruff: noqa: S608 — the SQL text below interpolates only fixed fragments and bound-parameter marks (:k0, …).
"""Subject search use case: any 2+ characters of a name (Chinese substring), codes exact or by prefix.

Ranking: code matches, then exact name, then name prefix, then substring (shorter names first within a tier).
Each tier is its own indexed query with a limit, so the cost does not grow with the number of matches:
exact name and prefix use the B-tree on ``subjects.name``; codes use the unique index on ``uscc`` and the alias
index; two-character substrings (a firm's 字号), which trigrams cannot answer, use the bigram table
``subject_name_bigrams`` (migration ``b1a2c3d4e504``); longer ones use FTS5 trigram on SQLite, and on PostgreSQL
the bigram table too: the query's two rarest bigrams (by ``pg_stats``), confirmed by LIKE.

Natural persons (自然人) are not searchable by the public: their records appear only in the 双公示 lists, with
the name masked.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from transport_credit.disclosure.rules import load_policy, public_subject_name
from transport_credit.identifiers.regions import region_name
from transport_credit.search.rules import (
    RANK_ORDER,
    Rank,
    classify,
    fts_phrase,
    like_escape,
    prefix_upper_bound,
    rank_of,
    rarest_pair,
)

MAX_LIMIT = 50
PUBLIC_KINDS = ("org", "individual_business")
KINDS = frozenset({"org", "individual_business", "person"})
_RANK_BY_TIER: dict[int, Rank] = {0: "code", 1: "exact", 2: "prefix", 3: "substring"}


@dataclass
class SearchHit:
    id: int
    name: str  # as the public sees it
    kind: str
    uscc: str | None
    region_code: str | None
    region_name: str | None
    rank: Rank


@functools.cache
def _statement(dialect: str, substring: str, kinds: tuple[str, ...], with_code: bool) -> TextClause:
    """One round trip for every tier (codes, exact name, prefix, substring), each with its own index and limit.

    ``substring``: ``fts`` (SQLite FTS5 trigram), ``bigram`` (two characters: the bigram table), ``bigram_pair``
    (three or more characters on PostgreSQL: two bigrams of the bigram table, confirmed by LIKE).
    """
    marks = ", ".join(f":k{i}" for i in range(len(kinds)))
    kind_ok = f"kind IN ({marks})"
    if substring == "fts":
        sub = (
            "SELECT f.rowid AS id FROM subject_search f JOIN subjects s ON s.id = f.rowid "
            f"WHERE subject_search MATCH :match AND s.{kind_ok} LIMIT :nsub"
        )
    elif substring == "bigram" and dialect == "sqlite":
        sub = (
            "SELECT b.subject_id AS id FROM subject_name_bigrams b JOIN subjects s ON s.id = b.subject_id "
            f"WHERE b.gram = lower(:gram) AND s.name LIKE :like ESCAPE '\\' AND s.{kind_ok} LIMIT :nsub"
        )
    elif substring in ("bigram", "bigram_pair"):
        # PostgreSQL: walk the (rarest) bigram's rows and probe the other bigram and the subject per row, stopping at
        # the limit: a common substring stops early, a rare one has few candidates. ``OFFSET 0`` keeps each LATERAL
        # probe a nested loop: the generic plan of this prepared statement cannot know how common the bigrams
        # are, and a merge join would walk the whole subjects index for a rare one. (A pg_trgm GIN index must first
        # collect every match of each trigram, which for the common trigrams of company names — 有限公, 运输有 —
        # takes milliseconds, and the planner's guess for LIKE '%…%' picks full scans for moderately rare ones.)
        pair = (
            "CROSS JOIN LATERAL (SELECT 1 FROM subject_name_bigrams b WHERE b.gram = lower(:gram2) "
            "AND b.subject_id = a.subject_id OFFSET 0) b2 "
            if substring == "bigram_pair"
            else ""
        )
        # LIKE confirms every candidate (for two characters too, so a bigram row left behind by a bulk operation
        # that bypassed the triggers never shows a wrong subject); lower() on both sides matches the bigrams' case
        # folding and SQLite's case-blind LIKE.
        like = "AND lower(s.name) LIKE lower(:like) ESCAPE '\\' "
        sub = (
            f"SELECT a.subject_id AS id FROM subject_name_bigrams a {pair}"
            "CROSS JOIN LATERAL (SELECT 1 FROM subjects s WHERE s.id = a.subject_id "
            f"{like}AND s.{kind_ok} OFFSET 0) s1 WHERE a.gram = lower(:gram) LIMIT :nsub"
        )
    else:
        raise ValueError(f"unknown substring strategy {substring!r}")
    codes = (
        f"SELECT 0 AS tier, id FROM subjects WHERE uscc = :code AND {kind_ok} "
        # (kind, value) is the aliases' unique index: naming every kind turns a scan into a few index seeks.
        "UNION ALL SELECT 0, a.subject_id FROM subject_aliases a "
        "WHERE a.kind IN ('reg_no', 'org_code', 'tax_no', 'institution_no', 'social_org_no') AND a.value = :code "
        f"UNION ALL SELECT 0, id FROM (SELECT id FROM subjects WHERE uscc >= :code AND uscc < :code_end "
        f"AND {kind_ok} ORDER BY uscc LIMIT :n) c UNION ALL "
        if with_code
        else ""
    )
    sql = (
        "SELECT t.tier, s.id, s.kind, s.name, s.uscc, s.region_code FROM ("
        f"{codes}SELECT 1 AS tier, id FROM (SELECT id FROM subjects WHERE name = :q AND {kind_ok} LIMIT :n) e "
        f"UNION ALL SELECT 2, id FROM (SELECT id FROM subjects WHERE name >= :q AND name < :q_end "
        f"AND {kind_ok} ORDER BY name LIMIT :n) p "
        f"UNION ALL SELECT 3, id FROM ({sub}) x"
        ") t JOIN subjects s ON s.id = t.id"
    )
    return text(sql)


_FREQUENCY_SECONDS = 600.0
_frequency: dict[str, tuple[float, dict[str, float]]] = {}


def _bigram_frequency(session: Session) -> dict[str, float]:
    """PostgreSQL's statistics of the bigram index: the most common bigrams and the share of rows holding each
    (``pg_stats``, refreshed by ANALYZE/autovacuum), read at most every ten minutes per database."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    now = time.monotonic()
    cached = _frequency.get(key)
    if cached is not None and now - cached[0] < _FREQUENCY_SECONDS:
        return cached[1]
    row = session.execute(
        text(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'subject_name_bigrams' AND attname = 'gram'"
        )
    ).first()
    found = dict(zip(row[0], row[1], strict=False)) if row is not None and row[0] is not None else {}
    _frequency[key] = (now, found)
    return found


def search(session: Session, raw: str, *, limit: int = 10, kinds: tuple[str, ...] = PUBLIC_KINDS) -> list[SearchHit]:
    """Subjects matching ``raw``, best first. Fewer than 2 characters: no results (not an error: search-as-you-type)."""
    q = classify(raw)
    if q is None:
        return []
    if not kinds or not set(kinds) <= KINDS:
        raise ValueError(f"unknown subject kinds {kinds}")
    limit = max(1, min(limit, MAX_LIMIT))
    dialect = session.get_bind().dialect.name
    if len(q.text) == 2:
        substring, pair = "bigram", (q.text, q.text)
    elif dialect == "sqlite":
        substring, pair = "fts", ("", "")
    else:
        substring, pair = "bigram_pair", rarest_pair(q.text, _bigram_frequency(session))
    params: dict[str, object] = {f"k{i}": k for i, k in enumerate(kinds)}
    params.update(
        code=q.code,
        code_end=(q.code + "~") if q.code and len(q.code) < 18 else q.code,
        q=q.text,
        q_end=prefix_upper_bound(q.text),
        n=limit,
        nsub=limit * 3,
        match=fts_phrase(q.text),
        like=f"%{like_escape(q.text)}%",
        gram=pair[0],
        gram2=pair[1],
    )
    rows = session.execute(_statement(dialect, substring, tuple(kinds), q.code is not None), params).all()
    policy = load_policy()
    best: dict[int, SearchHit] = {}
    for tier, sid, kind, name, uscc, region in rows:
        if kind not in kinds:  # an alias row joined to a subject of another kind
            continue
        rank: Rank = "code" if tier == 0 else rank_of(name, q.text)
        hit = best.get(sid)
        if hit is not None and RANK_ORDER[hit.rank] <= RANK_ORDER[rank]:
            continue
        best[sid] = SearchHit(
            id=sid,
            name=public_subject_name(policy, kind, name),
            kind=kind,
            uscc=uscc,
            region_code=region,
            region_name=region_name(region) if region else None,
            rank=rank,
        )
    hits = sorted(best.values(), key=lambda h: (RANK_ORDER[h.rank], len(h.name), h.name))
    return hits[:limit]
