"""Header recognition: find the header row and map its columns to catalog field keys (pure functions).

Offices export with title rows above the header, merged cells, '*' markers on mandatory columns, full-width
parentheses and older column names. Column mappings are data (``data/mappings``); this module only applies them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from transport_credit.catalog.schema import CategoryDef, ColumnMapping

HEADER_SCAN_ROWS = 15
_MARKERS = re.compile(r"^[*＊※]+|[*＊※]+$|\((必填|选填|必填项|可选)\)$")


def normalize_header(text: str) -> str:
    """Canonical form of a header cell: NFKC, no whitespace, no mandatory markers."""
    value = unicodedata.normalize("NFKC", text)
    value = re.sub(r"\s+", "", value)
    value = _MARKERS.sub("", value)
    return value.lower()


def header_lookup(category: CategoryDef, mappings: Iterable[ColumnMapping]) -> dict[str, tuple[str, str]]:
    """Normalised header → (field key, mapping name). Standard names and keys always count."""
    lookup: dict[str, tuple[str, str]] = {}
    for mapping in mappings:
        for header, key in mapping.columns.items():
            lookup.setdefault(normalize_header(header), (key, mapping.name))
    for f in category.fields:
        lookup[normalize_header(f.name)] = (f.key, "standard")
        lookup.setdefault(normalize_header(f.key), (f.key, "standard"))
    return lookup


@dataclass
class HeaderMatch:
    row_index: int  # 0-based index of the header row in the file
    columns: list[str | None]  # per file column: the field key, or None when ignored
    mapping: str  # the mapping that recognised most columns
    ignored: list[str] = field(default_factory=list)  # header texts not recognised
    score: int = 0


def match_header(rows: Sequence[Sequence[str]], lookup: dict[str, tuple[str, str]]) -> HeaderMatch | None:
    """Pick the row (among the first few) that best matches ``lookup``; None if no row has 2+ known columns."""
    best: HeaderMatch | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: list[str | None] = []
        votes: dict[str, int] = {}
        seen: set[str] = set()
        ignored: list[str] = []
        for cell in row:
            hit = lookup.get(normalize_header(cell)) if cell.strip() else None
            if hit and hit[0] not in seen:
                seen.add(hit[0])
                columns.append(hit[0])
                votes[hit[1]] = votes.get(hit[1], 0) + 1
            else:
                columns.append(None)
                if cell.strip():
                    ignored.append(cell.strip())
        score = len(seen)
        if score >= 2 and (best is None or score > best.score):
            named = {k: v for k, v in votes.items() if k != "standard"}
            mapping = max(named, key=lambda k: named[k]) if named else "standard"
            best = HeaderMatch(row_index=i, columns=columns, mapping=mapping, ignored=ignored, score=score)
    return best


def required_columns(category: CategoryDef, defaults: Iterable[str] = ()) -> list[str]:
    """Field keys that must have a column (mandatory without condition, and not filled from context)."""
    have = set(defaults)
    return [f.key for f in category.fields if f.mandatory and not f.mandatory_when and f.key not in have]
