"""The decision-number check's pure rules (monitoring/numbering.py) from tables of cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from transport_credit.common.errors import InvalidInput
from transport_credit.monitoring import numbering as rules
from transport_credit.monitoring.numbering import DecisionNumber, Gap

CASES = [
    ("郑交罚〔2026〕000123号", DecisionNumber("郑交罚", 2026, 123)),
    ("豫运许[2026]12号", DecisionNumber("豫运许", 2026, 12)),
    ("豫运许【2026】12号", DecisionNumber("豫运许", 2026, 12)),
    ("郑交罚（２０２６）第００５号", DecisionNumber("郑交罚", 2026, 5)),  # full-width digits, 第
    ("郑交罚(2026)5号", DecisionNumber("郑交罚", 2026, 5)),
    ("郑 交 罚 〔2026〕 7", DecisionNumber("郑交罚", 2026, 7)),  # spaces, no 号
    ("豫交执罚{2025}99号", DecisionNumber("豫交执罚", 2025, 99)),
    ("〔2026〕1号", None),  # no prefix: whose sequence?
    ("郑交罚〔2026〕0号", None),  # serial 0
    ("郑交罚〔2026〕号", None),
    ("郑交罚2026年第5号", None),  # not the pattern: not guessed
    ("XK-2026-0001", None),
    ("郑交罚〔26〕5号", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_number(text: str, expected: DecisionNumber | None) -> None:
    assert rules.parse_number(text) == expected


def test_the_column_parser_agrees_with_the_single_one() -> None:
    frame = rules.parse_numbers([text for text, _ in CASES])
    got = [
        None if serial is None else DecisionNumber(prefix, year, serial)
        for prefix, year, serial in frame.select("prefix", "year", "serial").iter_rows()
    ]
    assert got == [expected for _, expected in CASES]


@pytest.mark.parametrize(
    ("serials", "longest", "missing", "jumps"),
    [
        ([], 200, [], []),
        ([5], 200, [], []),
        ([1, 2, 3], 200, [], []),
        ([1, 2, 5, 6, 9], 200, [Gap(3, 4), Gap(7, 8)], []),
        ([3, 1, 2, 2, 4], 200, [], []),  # order and repeats do not matter
        ([1, 300], 200, [], [Gap(2, 299)]),  # a hole longer than the limit is a jump
        ([1, 202], 200, [Gap(2, 201)], []),  # exactly the limit is still missing numbers
        ([10, 12, 500, 502], 200, [Gap(11, 11), Gap(501, 501)], [Gap(13, 499)]),
    ],
)
def test_holes(serials: list[int], longest: int, missing: list[Gap], jumps: list[Gap]) -> None:
    found = rules.holes(serials, longest)
    assert (found.missing, found.jumps) == (missing, jumps)


@pytest.mark.parametrize(
    ("gaps", "taken", "left"),
    [
        ([Gap(3, 9)], [], [Gap(3, 9)]),
        ([Gap(3, 9)], [4, 5, 9], [Gap(3, 3), Gap(6, 8)]),
        ([Gap(3, 3), Gap(7, 8)], [3, 7, 8], []),
        ([Gap(3, 5)], [1, 100], [Gap(3, 5)]),
    ],
)
def test_without(gaps: list[Gap], taken: list[int], left: list[Gap]) -> None:
    assert rules.without(gaps, taken) == left


def test_serials_in() -> None:
    assert rules.serials_in([Gap(3, 6), Gap(9, 9)], [(5, 9), (1, 1)]) == {5, 6, 9}
    assert Gap(3, 6).size == 4


def test_the_shipped_rules_load_and_a_broken_file_is_named(tmp_path: Path) -> None:
    shipped = rules.numbering_rules()
    assert shipped.categories == ("XZCF", "XZXK")
    assert "voided" in shipped.reasons
    bad = tmp_path / "numbering.yaml"
    bad.write_text("kind: numbering_rules\nversion: x\ncategories: []\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as excinfo:
        rules.load_rules(bad)
    assert excinfo.value.code == "numbering_rules_invalid"
    assert "numbering.yaml" in excinfo.value.message
