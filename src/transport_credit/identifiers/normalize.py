"""Normalisation of codes typed or exported by people: 统一社会信用代码, 证件号码, 车牌号.

Offices' spreadsheets carry full-width characters (ＡＢＣ１２３), ideographic spaces (U+3000), non-breaking and
zero-width spaces, and lower-case letters. ``normalize_code`` folds all of that; ``normalize_code_expr`` does
exactly the same on a Polars column for bulk import (no per-row Python).

Contract (both versions): Unicode NFKC (full-width → half-width, U+3000 → space), then every character of
``WHITESPACE_CHARS`` removed (also inside the code), then upper-cased.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# Unicode White_Space plus the zero-width characters Excel exports leave behind. Spelled out (rather than ``\s``)
# so that Python's ``re`` and Polars' Rust regex engine remove exactly the same characters.
WHITESPACE_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE_CHARS) + "]"  # Rust-regex syntax
_WS_RE = re.compile("[" + re.escape(WHITESPACE_CHARS) + "]")


def normalize_code(raw: str) -> str:
    """Fold a code to canonical form: NFKC (ｑ１ → Q1), no whitespace anywhere, upper case."""
    return _WS_RE.sub("", unicodedata.normalize("NFKC", raw)).upper()


def normalize_code_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised ``normalize_code`` for a string column (nulls stay null)."""
    return col.str.normalize("NFKC").str.replace_all(_WS_CLASS, "").str.to_uppercase()
