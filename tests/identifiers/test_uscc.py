"""统一社会信用代码 (GB 32100-2015): scalar checks from tables, and the vectorised version agreeing with them."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_credit.identifiers.normalize import normalize_code
from transport_credit.identifiers.uscc import (
    ALPHABET,
    PLACEHOLDER_INDIVIDUAL,
    STATUS_BY_CODE,
    STATUS_CODES,
    check_uscc,
    is_placeholder_individual,
    region_of_uscc,
    uscc_check_char,
    uscc_status_expr,
)


@pytest.mark.parametrize(
    ("raw", "normalized", "status"),
    [
        # real codes whose checksum verifies
        ("91110000802100433B", "91110000802100433B", "valid"),
        ("91440300708461136T", "91440300708461136T", "valid"),
        ("91110108551385082Q", "91110108551385082Q", "valid"),
        ("91310000MA1FL1MMXL", "91310000MA1FL1MMXL", "valid"),
        ("12100000400000624D", "12100000400000624D", "valid"),
        # computed with uscc_check_char: 河南 enterprise, 河南 institution, 宁夏 social org, cooperative, individual
        ("91410100MA3X5NTW87", "91410100MA3X5NTW87", "valid"),
        ("12410000415800121M", "12410000415800121M", "valid"),
        ("52640000MJX00000AK", "52640000MJX00000AK", "valid"),
        ("93230100MA1B2C3D43", "93230100MA1B2C3D43", "valid"),
        ("92330100MA2AAAAAA7", "92330100MA2AAAAAA7", "valid"),
        # a real early pilot code failing the checksum: reviewed, not dropped
        ("91350100M0001TGQXM", "91350100M0001TGQXM", "checksum_mismatch"),
        ("91110000802100433C", "91110000802100433C", "checksum_mismatch"),
        # normalisation
        ("91310000ma1fl1mmxl", "91310000MA1FL1MMXL", "valid"),
        ("９１１１００００８０２１００４３３Ｂ", "91110000802100433B", "valid"),
        ("91310000ＭＡ1ｆｌ1ＭＭxl", "91310000MA1FL1MMXL", "valid"),
        ("9111 0000 8021 0043 3B", "91110000802100433B", "valid"),
        ("\u30009111\t0000802100433B\u00a0\n", "91110000802100433B", "valid"),
        # placeholder of an individual business without a code
        ("00000000000000000X", PLACEHOLDER_INDIVIDUAL, "placeholder"),
        ("00000000000000000x", PLACEHOLDER_INDIVIDUAL, "placeholder"),
        # malformed: length
        ("", "", "malformed"),
        ("91110000802100433", "91110000802100433", "malformed"),
        ("91110000802100433B1", "91110000802100433B1", "malformed"),
        # malformed: characters outside the alphabet (I O Z S V), also as check character
        ("9111000080210043IB", "9111000080210043IB", "malformed"),
        ("9111000080210043OB", "9111000080210043OB", "malformed"),
        ("9111000080210043ZB", "9111000080210043ZB", "malformed"),
        ("9111000080210043SB", "9111000080210043SB", "malformed"),
        ("9111000080210043VB", "9111000080210043VB", "malformed"),
        ("91110000802100433I", "91110000802100433I", "malformed"),
        ("91110000802100433-", "91110000802100433-", "malformed"),
        ("91110000802100433中", "91110000802100433中", "malformed"),
    ],
)
def test_check_uscc(raw: str, normalized: str, status: str) -> None:
    result = check_uscc(raw)
    assert (result.normalized, result.status) == (normalized, status)
    assert result.message
    frame = pl.DataFrame({"c": [normalized]}, schema={"c": pl.String})
    assert STATUS_BY_CODE[frame.select(uscc_status_expr(pl.col("c"))).item()] == status


def test_pilot_code_message_asks_for_review() -> None:
    result = check_uscc("91350100M0001TGQXM")
    assert result.status == "checksum_mismatch"
    assert "核实" in result.message
    assert not result.ok


def test_placeholder_and_region() -> None:
    assert is_placeholder_individual(" 00000000000000000x ")
    assert not is_placeholder_individual("91110000802100433B")
    assert check_uscc("00000000000000000X").ok
    assert region_of_uscc("91410100MA3X5NTW87") == "410100"


def test_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="17"):
        uscc_check_char("9111000080210043")
    with pytest.raises(ValueError, match="17"):
        uscc_check_char("9111000080210043I")


def test_expr_keeps_nulls() -> None:
    frame = pl.DataFrame({"c": [None, "91110000802100433B"]}, schema={"c": pl.String})
    assert frame.select(uscc_status_expr(pl.col("c"))).to_series().to_list() == [None, 0]


first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)
noisy = st.text(alphabet=ALPHABET + "IOZSVabcxyz -中０Ａ\u3000", max_size=20)


@given(st.lists(first17, min_size=1, max_size=50))
def test_expr_agrees_on_valid_codes(prefixes: list[str]) -> None:
    codes = [p + uscc_check_char(p) for p in prefixes]
    statuses = pl.DataFrame({"c": codes}).select(uscc_status_expr(pl.col("c"))).to_series().to_list()
    assert all(STATUS_BY_CODE[s] in ("valid", "placeholder") for s in statuses)
    assert statuses == [STATUS_CODES[check_uscc(c).status] for c in codes]


@given(st.lists(st.one_of(noisy, first17.map(lambda p: p + "0"), st.text(max_size=20)), min_size=1, max_size=50))
def test_expr_agrees_with_scalar(raws: list[str]) -> None:
    codes = [normalize_code(r) for r in raws]
    statuses = pl.DataFrame({"c": codes}, schema={"c": pl.String}).select(uscc_status_expr(pl.col("c")))
    assert statuses.to_series().to_list() == [STATUS_CODES[check_uscc(c).status] for c in codes]


@settings(max_examples=25, deadline=None)
@given(first17, st.sampled_from(ALPHABET))
def test_exactly_one_check_char_is_valid(prefix: str, last: str) -> None:
    expected = "valid" if last == uscc_check_char(prefix) else "checksum_mismatch"
    if prefix + last == PLACEHOLDER_INDIVIDUAL:
        expected = "placeholder"
    assert check_uscc(prefix + last).status == expected
