"""机动车号牌 shape checks."""

from __future__ import annotations

import pytest

from transport_credit.identifiers.plates import check_plate, normalize_plate


@pytest.mark.parametrize(
    ("raw", "normalized", "kind"),
    [
        ("豫A12345", "豫A12345", "ordinary"),
        ("京AB123C", "京AB123C", "ordinary"),
        ("豫a·1234５", "豫A12345", "ordinary"),
        (" 宁A 12345 ", "宁A12345", "ordinary"),
        ("豫AD12345", "豫AD12345", "new_energy_small"),
        ("浙AFA1234", "浙AFA1234", "new_energy_small"),
        ("豫A12345D", "豫A12345D", "new_energy_large"),
        ("黑A12345F", "黑A12345F", "new_energy_large"),
        ("豫A1234挂", "豫A1234挂", "suffix"),
        ("豫A1234学", "豫A1234学", "suffix"),
        ("豫A0001警", "豫A0001警", "suffix"),
        ("粤Z1234港", "粤Z1234港", "suffix"),
        ("粤Z1234澳", "粤Z1234澳", "suffix"),
        # malformed
        ("豫Z1234港", "豫Z1234港", None),  # 港/澳 only with 粤Z
        ("豫AI2345", "豫AI2345", None),  # no I in serials
        ("豫AO2345", "豫AO2345", None),  # no O in serials
        ("A12345", "A12345", None),
        ("台A12345", "台A12345", None),
        ("豫A1234", "豫A1234", None),
        ("豫A123456", "豫A123456", None),
        ("豫A12345X", "豫A12345X", None),
        ("豫AX12345", "豫AX12345", None),
        ("豫1A2345", "豫1A2345", None),
        ("", "", None),
    ],
)
def test_check_plate(raw: str, normalized: str, kind: str | None) -> None:
    result = check_plate(raw)
    assert (result.normalized, result.kind) == (normalized, kind)
    assert result.status == ("valid" if kind else "malformed")
    assert normalize_plate(raw) == normalized
