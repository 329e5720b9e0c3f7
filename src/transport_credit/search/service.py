# ruff: noqa: S608 — the SQL text below interpolates only fixed fragments and bound-parameter marks (:k0, …).
"""Subject search use case: any 2+ characters of a name (Chinese substring), codes exact or by prefix.

Ranking: code matches, then exact name, then name prefix, then substring (shorter names first within a tier).
Each tier is its own indexed query with a limit, so the cost does not grow with the number of matches:
exact name and prefix use the B-tree on ``subjects.name``; codes use the unique index on ``uscc`` and the alias
index; substrings use FTS5 trigram (SQLite) or the pg_trgm GIN index (PostgreSQL). Queries of exactly two
characters cannot use trigrams: they fall back to a scan that stops at the limit.

Natural persons (自然人) are not searchable by the public: their records appear only in the 双公示 lists, with
the name masked.
"""

from __future__ import annotations

import functools
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

    ``substring``: ``fts`` (SQLite FTS5 trigram), ``like`` (pg_trgm GIN on PostgreSQL; a scan that stops at the
    limit for 2-character queries on SQLite).
    """
    marks = ", ".join(f":k{i}" for i in range(len(kinds)))
    kind_ok = f"kind IN ({marks})"
    if substring == "fts":
        sub = (
            "SELECT f.rowid AS id FROM subject_search f JOIN subjects s ON s.id = f.rowid "
            f"WHERE subject_search MATCH :match AND s.{kind_ok} LIMIT :nsub"
        )
    else:
        sub = f"SELECT id FROM subjects WHERE name LIKE :like ESCAPE '\\' AND {kind_ok} LIMIT :nsub"
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


def search(session: Session, raw: str, *, limit: int = 10, kinds: tuple[str, ...] = PUBLIC_KINDS) -> list[SearchHit]:
    """Subjects matching ``raw``, best first. Fewer than 2 characters: no results (not an error: search-as-you-type)."""
    q = classify(raw)
    if q is None:
        return []
    if not kinds or not set(kinds) <= KINDS:
        raise ValueError(f"unknown subject kinds {kinds}")
    limit = max(1, min(limit, MAX_LIMIT))
    dialect = session.get_bind().dialect.name
    substring = "fts" if dialect == "sqlite" and len(q.text) >= 3 else "like"
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
    )
    if dialect == "postgresql":
        # psycopg prepares a statement after a few executions and PostgreSQL may then use a generic plan, which
        # cannot use the trigram index for an unknown LIKE pattern: plan each search for its own values.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
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
