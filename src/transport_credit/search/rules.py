"""Pure rules of subject search: query classification, FTS query text, result ranking."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from transport_credit.identifiers.normalize import normalize_code

MIN_QUERY = 2
MAX_QUERY = 60
_CODE_RE = re.compile(r"^[0-9A-Z]{2,18}$")

Rank = Literal["code", "exact", "prefix", "substring"]
RANK_ORDER: dict[Rank, int] = {"code": 0, "exact": 1, "prefix": 2, "substring": 3}


@dataclass(frozen=True)
class Query:
    """A classified search query."""

    text: str  # the name text as typed (stripped, inner whitespace collapsed)
    code: str | None  # upper-case code when the query may be a code (USCC or old code, or a prefix of one)


def classify(raw: str) -> Query | None:
    """``None`` when the query is too short (fewer than 2 characters) to search."""
    text = " ".join(raw.replace("\x00", "").split())[:MAX_QUERY]
    if len(text) < MIN_QUERY:
        return None
    code = normalize_code(text)
    is_code = bool(_CODE_RE.match(code)) and any(ch.isdigit() for ch in code)
    return Query(text=text, code=code if is_code else None)


def fts_phrase(text: str) -> str:
    """An FTS5 MATCH string for a literal substring (one quoted phrase; quotes doubled)."""
    return '"' + text.replace('"', '""') + '"'


def like_escape(text: str) -> str:
    """Escape LIKE wildcards with ``\\``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_upper_bound(text: str) -> str:
    """The smallest string greater than every string starting with ``text`` (for an index range scan)."""
    return text + "\U0010ffff"


def bigrams(text: str) -> list[str]:
    """The distinct two-character substrings of ``text`` in order of first appearance, ASCII lower-cased like the
    bigram index (SQL ``lower``)."""
    folded = "".join(ch.lower() if ch.isascii() else ch for ch in text)
    return list(dict.fromkeys(folded[i : i + 2] for i in range(len(folded) - 1)))


def rarest_pair(text: str, frequency: Mapping[str, float]) -> tuple[str, str]:
    """The two bigrams of ``text`` (3+ characters) that the fewest names contain, by the index statistics'
    ``frequency`` (share of rows; a bigram the statistics do not list is rarer than any listed one). Their
    intersection, confirmed by LIKE, finds the names containing ``text`` with the fewest candidates."""
    grams = bigrams(text)
    ranked = sorted(range(len(grams)), key=lambda i: (frequency.get(grams[i], 0.0), i))
    first = ranked[0]
    second = ranked[1] if len(ranked) > 1 else first
    return grams[first], grams[second]


def rank_of(name: str, query: str) -> Rank:
    """exact name > name prefix > substring."""
    if name == query:
        return "exact"
    if name.startswith(query):
        return "prefix"
    return "substring"
