"""Normalisation of typed codes: scalar and vectorised versions agree."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport_credit.identifiers.normalize import WHITESPACE_CHARS, normalize_code, normalize_code_expr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc123", "ABC123"),
        ("ｑ", "Q"),
        ("ＡＢＣ１２３", "ABC123"),
        ("９１　４１", "9141"),  # U+3000 ideographic space
        (" 91 41\t01\n", "914101"),
        ("91\u00a041\u200b01\ufeff", "914101"),  # no-break, zero-width space, BOM
        ("豫ａ１２３４５", "豫A12345"),
        ("", ""),
    ],
)
def test_normalize_code(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected
    frame = pl.DataFrame({"c": [raw]})
    assert frame.select(normalize_code_expr(pl.col("c"))).item() == expected


# Characters seen in office spreadsheets: ASCII, full-width forms, every whitespace we strip, some CJK.
realistic = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.sampled_from(WHITESPACE_CHARS + "豫京粤挂学警港澳中华人民共和国·"),
    ),
    max_size=30,
)


@given(st.lists(realistic, min_size=1, max_size=30))
def test_expr_agrees_with_scalar(raws: list[str]) -> None:
    got = pl.DataFrame({"c": raws}).select(normalize_code_expr(pl.col("c"))).to_series().to_list()
    assert got == [normalize_code(r) for r in raws]


@given(realistic)
def test_normalize_is_idempotent(raw: str) -> None:
    assert normalize_code(normalize_code(raw)) == normalize_code(raw)


def test_expr_keeps_nulls() -> None:
    frame = pl.DataFrame({"c": [None, " a "]}, schema={"c": pl.String})
    assert frame.select(normalize_code_expr(pl.col("c"))).to_series().to_list() == [None, "A"]
