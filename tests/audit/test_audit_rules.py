"""Pure rules of the audit log: normalisation, canonical JSON, the personal-information guard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from transport_credit.audit.rules import (
    GENESIS_HASH,
    canonical_json,
    default_algorithm,
    entry_hash,
    find_personal_info,
    format_at,
    normalize_json,
    require_no_personal_info,
)

AT = dt.datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["中", None]}) == '{"a":["中",null],"b":1}'.encode()


def test_format_at_has_microseconds_in_utc() -> None:
    assert format_at(AT) == "2025-01-02T03:04:05.000006+00:00"
    east8 = dt.timezone(dt.timedelta(hours=8))
    assert format_at(dt.datetime(2025, 1, 2, 11, 4, 5, tzinfo=east8)) == "2025-01-02T03:04:05.000000+00:00"
    with pytest.raises(ValueError, match="naive"):
        format_at(dt.datetime(2025, 1, 2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, 1),
        (1e16, 10**16),
        (0.5, 0.5),
        ((1, 2), [1, 2]),
        (dt.date(2025, 1, 1), "2025-01-01"),
        ({"k": {"n": 2.0}}, {"k": {"n": 2}}),
    ],
)
def test_normalize_json(value: Any, expected: Any) -> None:
    assert normalize_json(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1: "x"}, object(), {1, 2}])
def test_normalize_json_refuses(value: Any) -> None:
    with pytest.raises(ValueError, match="审计详情"):
        normalize_json(value)


def test_entry_hash_depends_on_every_field() -> None:
    base: dict[str, Any] = {
        "algorithm": "sha256",
        "prev_hash": GENESIS_HASH,
        "seq": 1,
        "at": AT,
        "actor": "a",
        "actor_kind": "account",
        "department_code": None,
        "action": "x.y",
        "target_type": "t",
        "target_id": "1",
        "details": {},
    }
    reference = entry_hash(**base)
    for name, other in [
        ("algorithm", "sm3"),
        ("prev_hash", "1" * 64),
        ("seq", 2),
        ("at", AT + dt.timedelta(microseconds=1)),
        ("actor", "b"),
        ("actor_kind", "cli"),
        ("department_code", "d"),
        ("action", "x.z"),
        ("target_type", "u"),
        ("target_id", "2"),
        ("details", {"k": 1}),
    ]:
        assert entry_hash(**{**base, name: other}) != reference, name
    with pytest.raises(ValueError, match="unknown"):
        entry_hash(**{**base, "algorithm": "md5"})


def test_sm3_is_the_default_here() -> None:
    assert default_algorithm() == "sm3"


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "11010519491231002x",
        "身份证号110105194912310021，请核实",
        "13812345678",
        "联系电话:13812345678",
        "+86 13812345678",
        "8613812345678",
        13812345678,
        {"phone": ["ok", {"deep": "19912345678"}]},
        {"11010519491231002X": "as a key"},
    ],
)
def test_personal_info_is_detected(value: Any) -> None:
    assert find_personal_info(value) is not None
    with pytest.raises(ValueError, match="个人信息") as excinfo:
        require_no_personal_info(value)
    assert "13812345678" not in str(excinfo.value)  # the message never repeats the value


@pytest.mark.parametrize(
    "value",
    [
        "91410100MA44XY1234",  # a USCC
        "12345678901",  # 11 digits, not a mobile number (starts 12)
        "138123456789",  # 12 digits
        "1381234567",  # 10 digits
        "a13812345678b" * 3,  # inside an ASCII token (hex digests and the like)
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "110105194913310021",  # month 13: not a birth date
        "410***********1234",  # masked
        "138****5678",  # masked
        20250101123456,
        True,
        None,
        {"amount": 1.5, "count": 3},
    ],
)
def test_ordinary_values_pass(value: Any) -> None:
    assert find_personal_info(value) is None
    require_no_personal_info(value)
