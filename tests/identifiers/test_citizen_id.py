"""居民身份证号码 (GB 11643-1999) checks, the vectorised status, and masking of personal information."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport_credit.identifiers.citizen_id import (
    ID_STATUS_BY_CODE,
    ID_STATUS_CODES,
    check_citizen_id,
    citizen_id_check_char,
    citizen_id_status_expr,
    citizen_id_upgrade_expr,
    mask_id_number,
    mask_name,
    mask_phone,
    upgrade_15_to_18,
)
from transport_credit.identifiers.normalize import normalize_code

TODAY = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("raw", "normalized", "status", "upgraded"),
    [
        ("11010519491231002X", "11010519491231002X", "valid", False),  # the standard's example, check X
        ("11010519491231002x", "11010519491231002X", "valid", False),  # lower-case x accepted
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", "valid", False),
        ("110105 19491231 002X", "11010519491231002X", "valid", False),
        ("410101199001011238", "410101199001011238", "valid", False),
        ("410101200002290027", "410101200002290027", "valid", False),  # 29 Feb of a leap year
        ("410101199001011230", "410101199001011230", "checksum_mismatch", False),
        ("110105194912310021", "110105194912310021", "checksum_mismatch", False),
        ("410101199002300024", "410101199002300024", "malformed", False),  # 30 February
        ("410101190002290021", "410101190002290021", "malformed", False),  # 1900 was not a leap year
        ("410101189912310021", "410101189912310021", "malformed", False),  # before 1900
        ("410101202612310021", "410101202612310021", "malformed", False),  # in the future
        ("410101199013010021", "410101199013010021", "malformed", False),  # month 13
        ("41010119900101123Y", "41010119900101123Y", "malformed", False),
        ("4101011990010112", "4101011990010112", "malformed", False),
        ("", "", "malformed", False),
        # old 15-digit numbers are upgraded: 19 inserted, check character computed
        ("410101900101123", "410101199001011238", "valid", True),
        ("110105491231002", "11010519491231002X", "valid", True),
        ("410101900230123", "410101199002301237", "malformed", True),
        ("41010190010112X", "41010190010112X", "malformed", False),
    ],
)
def test_check_citizen_id(raw: str, normalized: str, status: str, upgraded: bool) -> None:
    result = check_citizen_id(raw, today=TODAY)
    assert (result.normalized, result.status, result.upgraded_from_15) == (normalized, status, upgraded)
    assert result.message
    frame = pl.DataFrame({"c": [normalize_code(raw)]})
    assert ID_STATUS_BY_CODE[frame.select(citizen_id_status_expr(pl.col("c"), today=TODAY)).item()] == status


def test_upgrade() -> None:
    assert upgrade_15_to_18("110105491231002") == "11010519491231002X"
    frame = pl.DataFrame({"c": ["110105491231002", "11010519491231002X", "abc", None]})
    assert frame.select(citizen_id_upgrade_expr(pl.col("c"))).to_series().to_list() == [
        "11010519491231002X",
        "11010519491231002X",
        "abc",
        None,
    ]
    with pytest.raises(ValueError, match="15"):
        upgrade_15_to_18("1101054912310021")


digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)
birth = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


@given(st.lists(st.tuples(st.text(alphabet="0123456789", min_size=6, max_size=6), birth, st.integers(0, 999))))
def test_expr_agrees_on_valid_ids(parts: list[tuple[str, dt.date, int]]) -> None:
    first = [f"{r}{b:%Y%m%d}{s:03d}" for r, b, s in parts]
    codes = [f + citizen_id_check_char(f) for f in first]
    got = pl.DataFrame({"c": codes}, schema={"c": pl.String}).select(citizen_id_status_expr(pl.col("c"), today=TODAY))
    assert got.to_series().to_list() == [ID_STATUS_CODES["valid"]] * len(codes)
    assert all(check_citizen_id(c, today=TODAY).ok for c in codes)


@given(
    st.lists(
        st.one_of(
            digits17.map(lambda d: d + "X"),
            st.text(alphabet="0123456789Xx", min_size=14, max_size=19),
            st.text(alphabet="0123456789", min_size=15, max_size=15),
            st.text(max_size=20),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_expr_agrees_with_scalar(raws: list[str]) -> None:
    codes = [normalize_code(r) for r in raws]
    got = pl.DataFrame({"c": codes}, schema={"c": pl.String}).select(citizen_id_status_expr(pl.col("c"), today=TODAY))
    assert got.to_series().to_list() == [ID_STATUS_CODES[check_citizen_id(c, today=TODAY).status] for c in codes]


@pytest.mark.parametrize(
    ("value", "id_type", "masked"),
    [
        ("41010119900101123X", None, "4101**********123X"),
        ("41010119900101123x", "01", "4101**********123X"),
        ("E12345678", "02", "E1*****78"),  # passport
        ("H1234567890", "03", "H1*******90"),
        ("410101199001011238", "02", "41**************38"),  # another document type of 18 chars
        ("1234", None, "****"),
        ("", None, ""),
    ],
)
def test_mask_id_number(value: str, id_type: str | None, masked: str) -> None:
    assert mask_id_number(value, id_type) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("+86 138 1234 5678", "138****5678"), ("0371-65551234", "03********34")],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), (" 王小明 ", "王**"), ("买买提·艾力", "买*****")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked
