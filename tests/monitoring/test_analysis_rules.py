"""The pure rules of the credit monitoring analysis (信用监测分析), from tables of cases: months of a window,
changes, a frequent problem's tendency, the 诚信地图's shades, the bar chart's axis and geometry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from transport_credit.common.errors import InvalidInput
from transport_credit.monitoring import trends
from transport_credit.monitoring.trends import AnalysisRules, Change

RULES = AnalysisRules(
    kind="monitoring_analysis",
    version="t",
    default_months=12,
    max_months=36,
    hotspot_top=10,
    compare_months=3,
    rising_ratio=1.2,
    falling_ratio=0.8,
    min_cases=5,
    heat_levels=5,
)


@pytest.mark.parametrize(
    ("month", "by", "expected"),
    [
        ("2026-11", 0, "2026-11"),
        ("2026-11", -1, "2026-10"),
        ("2026-01", -1, "2025-12"),
        ("2026-12", 1, "2027-01"),
        ("2026-11", -12, "2025-11"),
        ("2026-03", -27, "2023-12"),
    ],
)
def test_shift_month(month: str, by: int, expected: str) -> None:
    assert trends.shift_month(month, by) == expected


@pytest.mark.parametrize(
    ("end", "months", "expected"),
    [
        ("2026-11", 1, ["2026-11"]),
        ("2026-02", 3, ["2025-12", "2026-01", "2026-02"]),
        ("2000-02", 3, ["1999-12", "2000-01", "2000-02"]),  # a window may reach back before 2000
    ],
)
def test_window_months(end: str, months: int, expected: list[str]) -> None:
    assert trends.window_months(end, months, RULES) == expected


@pytest.mark.parametrize(
    ("end", "months", "code"),
    [
        ("2026-11", 0, "invalid_window"),
        ("2026-11", 37, "invalid_window"),
        ("2026-13", 12, "invalid_month"),
        ("26-11", 12, "invalid_month"),
    ],
)
def test_window_months_refuses(end: str, months: int, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        trends.window_months(end, months, RULES)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("current", "previous", "delta", "ratio", "text"),
    [
        (125, 100, 25, 0.25, "+25.0%"),
        (97, 100, -3, -0.03, "-3.0%"),
        (100, 100, 0, 0.0, "+0.0%"),
        (7, 0, 7, None, "新增"),  # from none: no ratio, not "+∞%"
        (0, 0, 0, None, "—"),
        (5, None, None, None, "—"),  # not measured
    ],
)
def test_change(current: int, previous: int | None, delta: int | None, ratio: float | None, text: str) -> None:
    c = Change(current, previous)
    assert c.delta == delta
    assert c.ratio == (pytest.approx(ratio) if ratio is not None else None)
    assert trends.change_text(c) == text


@pytest.mark.parametrize(
    ("recent", "earlier", "expected"),
    [
        (12, 10, "rising"),  # +20% exactly
        (11, 10, "steady"),
        (8, 10, "falling"),  # -20% exactly
        (9, 10, "steady"),
        (6, 0, "new"),
        (5, 0, "new"),
        (4, 0, "steady"),  # too few to call it new
        (4, 1, "steady"),  # +300%, but four cases after one is not a trend
        (0, 4, "steady"),
        (0, 5, "falling"),
        (0, 0, "steady"),
    ],
)
def test_tendency(recent: int, earlier: int, expected: str) -> None:
    assert trends.tendency(recent, earlier, RULES) == expected
    assert trends.TENDENCY_LABELS[expected]


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(3, 1000, 3.0), (1, 3, 1000 / 3), (0, 10, 0.0), (5, 0, None)],
)
def test_per_thousand(part: int, whole: int, expected: float | None) -> None:
    value = trends.per_thousand(part, whole)
    assert value == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("values", "levels", "expected"),
    [
        ([0.0, 1.0, 2.0, 3.0, 4.0], 5, [0, 1, 2, 3, 4]),
        ([10.0, 9.9, 9.8], 5, [4, 4, 4]),  # nearly equal rates: nearly equal shades (not lightest vs darkest)
        ([1.0, None, 4.0], 4, [1, None, 3]),  # no rate: not shaded
        ([0.0, 0.0], 5, [0, 0]),
        ([None, None], 5, [None, None]),
        ([], 5, []),
        ([2.0, 8.0], 2, [0, 1]),
    ],
)
def test_heat_levels(values: list[float | None], levels: int, expected: list[int | None]) -> None:
    assert trends.heat_levels(values, levels) == expected


@given(st.lists(st.one_of(st.none(), st.floats(0, 1e6)), max_size=30), st.integers(2, 9))
def test_heat_levels_are_in_range_and_follow_the_values(values: list[float | None], levels: int) -> None:
    shades = trends.heat_levels(values, levels)
    assert len(shades) == len(values)
    for v, s in zip(values, shades, strict=True):
        assert (s is None) == (v is None)
        assert s is None or 0 <= s < levels
    known = [(v, s) for v, s in zip(values, shades, strict=True) if v is not None and s is not None]
    for v1, s1 in known:
        for v2, s2 in known:
            if v1 < v2:
                assert s1 <= s2  # a higher rate is never lighter


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (10, [0, 5, 10]),
        (2448, [0, 1000, 2000, 3000]),
        (3066, [0, 1000, 2000, 3000, 4000]),
        (400, [0, 100, 200, 300, 400]),
        (7, [0, 2, 4, 6, 8]),
    ],
)
def test_nice_ticks(maximum: int, expected: list[int]) -> None:
    assert trends.nice_ticks(maximum) == expected


@given(st.lists(st.tuples(st.text(max_size=5), st.integers(-5, 10**7), st.integers(-5, 10**7)), max_size=40))
def test_bar_chart_stays_in_its_plot_area(points: list[tuple[str, int, int]]) -> None:
    c = trends.bar_chart(points)
    assert len(c.bars) == len(points)
    assert c.ticks[0].value == 0
    assert c.ticks[-1].value >= max((max(v, 0) for _, v, _ in points), default=0)
    for b in c.bars:
        assert c.left <= b.x
        assert b.x + b.width <= c.width - c.right + 0.01
        assert c.top - 0.01 <= b.y <= c.bottom
        assert abs(b.y + b.height - c.bottom) < 0.02
        assert 0 <= b.part <= b.value
        assert b.part_height <= b.height + 0.01
    for b1 in c.bars:
        for b2 in c.bars:
            if b1.value < b2.value:
                assert b1.height <= b2.height  # a larger value is never a shorter bar


def test_the_shipped_rules_load_and_a_window_longer_than_allowed_is_refused() -> None:
    shipped = trends.analysis_rules()
    assert shipped.default_months <= shipped.max_months
    with pytest.raises(ValidationError):
        AnalysisRules.model_validate({**RULES.model_dump(), "default_months": 40, "max_months": 36})
    with pytest.raises(ValidationError):
        AnalysisRules.model_validate({**RULES.model_dump(), "falling_ratio": 1.0})


@pytest.mark.parametrize(("bars", "labelled"), [(0, 0), (1, 1), (12, 12), (18, 18), (19, 10), (24, 12), (36, 18)])
def test_bar_labels_never_crowd(bars: int, labelled: int) -> None:
    c = trends.bar_chart([(f"m{i}", i, 0) for i in range(bars)])
    shown = [b for b in c.bars if b.show_label]
    assert len(shown) == labelled
    if bars:
        assert c.bars[-1].show_label  # the latest month is always named
