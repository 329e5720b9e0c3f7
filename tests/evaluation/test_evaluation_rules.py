"""Pure evaluation rules: every shipped model's grade bands from tables of cases, overrides, constraints, and
properties (a deduction never raises a grade, a grade rises at most one level a year, record order is irrelevant)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport_credit.common.errors import InvalidInput
from transport_credit.evaluation.loader import builtin_models, parse_model, policies
from transport_credit.evaluation.rules import (
    Rec,
    add_months,
    cycle_window,
    evaluate_subject,
    national_composite,
    period_window,
    score_grade,
)
from transport_credit.evaluation.schema import EvaluationModelDef

MODELS = {code: items[-1].model for code, items in builtin_models().items()}
MULTI = frozenset({"penalty_type"})


def model(code: str) -> EvaluationModelDef:
    return MODELS[code]


def test_all_five_models_ship() -> None:
    assert set(MODELS) == {
        "highway_construction",
        "road_transport_enterprise",
        "road_driver",
        "taxi_driver",
        "testing_personnel",
    }
    assert {p.policy.model for p in policies().values()} <= set(MODELS)


# score, deducted, tag points → grade, from each model's published rule (boundaries included)
HIGHWAY = [
    (100, 0, "AA"),
    (95, 5, "AA"),
    (94.99, 5.01, "A"),
    (85, 15, "A"),
    (84.99, 15.01, "B"),
    (75, 25, "B"),
    (74.99, 25.01, "C"),
    (60, 40, "C"),
    (59.99, 40.01, "D"),
    (0, 100, "D"),
]
ROAD_ENTERPRISE = [
    (100, 0, 0, "AA"),
    (90, 10, 10, "AA"),
    (89.99, 10.01, 0, "A"),
    (80, 20, 0, "A"),
    (79.99, 20.01, 0, "B"),
    (60, 40, 40, "B"),
    (59.99, 40.01, 19.99, "B"),
    (40, 60, 19.99, "B"),
    (59.99, 40.01, 20, "C"),
    (40, 60, 20, "C"),
    (39.99, 60.01, 0, "D"),
    (0, 100, 100, "D"),
]
ROAD_DRIVER = [(20, 0, "AAA"), (19, 1, "AA"), (10, 10, "AA"), (9, 11, "A"), (1, 19, "A"), (0, 20, "B"), (0, 40, "B")]
TAXI = [
    (30, 0, "AAA"),
    (20, 0, "AAA"),
    (19.99, 0.01, "AA"),
    (11, 9, "AA"),
    (10.99, 9.01, "A"),
    (4, 16, "A"),
    (3.99, 16.01, "B"),
    (0, 20, "B"),
]
TESTING = [
    (100, 0, "好"),
    (80.01, 19.99, "好"),
    (80, 20, "较差"),
    (61, 39, "较差"),
    (60.01, 39.99, "较差"),
    (60, 40, "差"),
    (0, 100, "差"),
]


@pytest.mark.parametrize(("score", "deducted", "grade"), HIGHWAY)
def test_highway_construction_bands(score: float, deducted: float, grade: str) -> None:
    assert score_grade(model("highway_construction"), score, deducted, {}) == grade


@pytest.mark.parametrize(("score", "deducted", "bad", "grade"), ROAD_ENTERPRISE)
def test_road_transport_enterprise_bands(score: float, deducted: float, bad: float, grade: str) -> None:
    assert score_grade(model("road_transport_enterprise"), score, deducted, {"bad_behaviour": bad}) == grade


@pytest.mark.parametrize(("score", "deducted", "grade"), ROAD_DRIVER)
def test_road_driver_bands(score: float, deducted: float, grade: str) -> None:
    assert score_grade(model("road_driver"), score, deducted, {}) == grade


@pytest.mark.parametrize(("score", "deducted", "grade"), TAXI)
def test_taxi_driver_bands(score: float, deducted: float, grade: str) -> None:
    assert score_grade(model("taxi_driver"), score, deducted, {}) == grade


@pytest.mark.parametrize(("score", "deducted", "grade"), TESTING)
def test_testing_personnel_bands(score: float, deducted: float, grade: str) -> None:
    assert score_grade(model("testing_personnel"), score, deducted, {}) == grade


Y2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
AS_OF = dt.date(2025, 12, 31)


def pen(
    i: int,
    day: dt.date,
    ptype: str = "罚款",
    fine: float = 0.5,
    severity: str = "general",
    violation: str = "未按规定随车携带道路运输证",
    **extra: str,
) -> Rec:
    data: dict[str, object] = {"penalty_type": ptype, "fine_amount": fine, "violation_type": violation, **extra}
    return Rec(id=i, category="XZCF", status="active", decision_date=day, data=data, severity=severity)


# (records, base level, expected grade, expected score) for 公路施工
HIGHWAY_CASES = [
    ([], None, "A", 100.0),  # newcomer → A at best, not AA
    ([], 1, "AA", 100.0),  # had A last year, clean → AA
    ([], 2, "A", 100.0),  # had B last year: rises one level only
    ([pen(1, dt.date(2025, 3, 1))], 0, "AA", 97.0),  # 罚款 3 points
    ([pen(1, dt.date(2025, 3, 1))], None, "A", 97.0),  # newcomer: A at best
    ([pen(1, dt.date(2025, 3, 1), fine=6)], 0, "A", 92.0),  # 3 + 5 (≥ 5万)
    ([pen(1, dt.date(2025, 3, 1), ptype="警告")], 0, "AA", 99.0),
    ([pen(i, dt.date(2025, i, 1)) for i in range(1, 4)], 1, "A", 86.0),  # 3×3 + 5 (three penalties)
    ([pen(i, dt.date(2025, i, 1)) for i in range(1, 7)], 1, "B", 77.0),  # 6×3 + 5
    ([pen(i, dt.date(2025, i, 1), fine=8) for i in range(1, 5)], 0, "C", 63.0),  # 4×(3+5) + 5
    ([pen(1, dt.date(2024, 12, 31))], 0, "AA", 100.0),  # outside the period
    ([pen(1, dt.date(2025, 6, 1), ptype="罚款；降低资质等级")], None, "D", 97.0),  # serious dishonesty → D
    ([pen(1, dt.date(2024, 6, 1), ptype="吊销许可证件", valid_until="2026-06-01")], 0, "D", 100.0),  # penalty length
    ([pen(1, dt.date(2024, 6, 1), ptype="吊销许可证件", valid_until="2024-12-01")], 0, "AA", 100.0),  # expired
    (
        [Rec(9, "HEIMD", "active", dt.date(2025, 2, 1), {}, None, None, dt.date(2025, 2, 1), dt.date(2027, 2, 1))],
        0,
        "D",
        100.0,
    ),
    (
        [Rec(9, "HEIMD", "removed", dt.date(2025, 2, 1), {}, None, None, dt.date(2025, 2, 1), dt.date(2027, 2, 1))],
        0,
        "AA",
        100.0,
    ),
]


@pytest.mark.parametrize(("recs", "base", "grade", "score"), HIGHWAY_CASES)
def test_highway_construction_cases(recs: list[Rec], base: int | None, grade: str, score: float) -> None:
    out = evaluate_subject(
        model("highway_construction"), recs, window=Y2025, as_of=AS_OF, base_level=base, multi_fields=MULTI
    )
    assert (out.grade, out.score) == (grade, score)


def test_highway_override_is_explained() -> None:
    out = evaluate_subject(
        model("highway_construction"),
        [pen(7, dt.date(2025, 6, 1), ptype="责令停产停业")],
        window=Y2025,
        as_of=AS_OF,
        base_level=0,
        multi_fields=MULTI,
    )
    assert out.adjustment == "override:HCO2"
    assert ("HCO2", "override", (7,)) in [(h.rule_code, h.rule_kind, h.record_ids) for h in out.hits]


def test_road_enterprise_bad_behaviour_band() -> None:
    m = model("road_transport_enterprise")
    # two serious (2×20 = 40, bad 40) + RT03 fine → score 57, bad points ≥ 20 → C
    recs = [
        pen(1, dt.date(2025, 2, 1), severity="serious", fine=0.1),
        pen(2, dt.date(2025, 3, 1), severity="serious", fine=0.1),
    ]
    out = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, multi_fields=MULTI)
    assert (out.score, out.tag_points, out.grade) == (60.0, 40.0, "B")
    recs.append(pen(3, dt.date(2025, 4, 1), severity="minor", fine=0.1))
    out = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, multi_fields=MULTI)
    assert (out.score, out.grade) == (55.0, "C")


def test_road_enterprise_bonus_is_capped() -> None:
    m = model("road_transport_enterprise")
    recs = [pen(1, dt.date(2025, 2, 1), severity="serious", fine=0.1)]
    recs += [Rec(10 + i, "XYCN", "active", dt.date(2025, 5, 1), {"fulfilment": "已履约"}) for i in range(8)]
    recs.append(Rec(30, "HMD", "active", dt.date(2025, 6, 1), {}))
    out = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, multi_fields=MULTI)
    assert out.bonus == 10.0  # 5 (capped) + 5, model cap 10
    assert out.score == 90.0


def test_road_driver_points_and_cycle() -> None:
    m = model("road_driver")
    recs = [
        pen(1, dt.date(2025, 3, 1), ptype="罚款", severity="general"),
        pen(2, dt.date(2025, 4, 1), violation="超载运输", ptype="警告", severity="minor"),
    ]
    out = evaluate_subject(m, recs, window=(dt.date(2025, 2, 10), AS_OF), as_of=AS_OF, multi_fields=MULTI)
    assert (out.deducted, out.grade) == (3 + 5 + 1, "AA")
    # a penalty before the cycle's start does not count (points are cleared at the cycle's end)
    out = evaluate_subject(m, recs, window=(dt.date(2025, 3, 15), AS_OF), as_of=AS_OF, multi_fields=MULTI)
    assert (out.deducted, out.grade) == (6, "AA")
    revoked = [pen(3, dt.date(2025, 5, 1), ptype="吊销许可证件", severity="serious")]
    assert evaluate_subject(m, revoked, window=Y2025, as_of=AS_OF, multi_fields=MULTI).grade == "B"


def test_taxi_driver_bonus() -> None:
    m = model("taxi_driver")
    recs = [
        pen(1, dt.date(2025, 3, 1), violation="巡游出租汽车拒载", ptype="警告", severity="minor"),
        Rec(2, "HMD", "active", dt.date(2025, 5, 1), {}),
    ]
    out = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, multi_fields=MULTI)
    assert (out.deducted, out.bonus, out.score, out.grade) == (6, 5, 19, "AA")


def test_testing_personnel_two_years_poor_becomes_bad() -> None:
    m = model("testing_personnel")
    recs = [pen(1, dt.date(2025, 3, 1)), pen(2, dt.date(2025, 4, 1)), pen(3, dt.date(2025, 5, 1), ptype="警告")]
    first = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, multi_fields=MULTI)
    assert (first.deducted, first.grade) == (25, "较差")
    second = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, base_level=m.level("较差"), multi_fields=MULTI)
    assert (second.grade, second.adjustment) == ("差", "escalation")


@pytest.mark.parametrize(
    ("grades", "expected"),
    [([], None), (["AA", "A"], None), (["D"], "C"), (["D", "A"], "C"), (["D", "D"], "D"), (["D", "C", "D"], "D")],
)
def test_national_composite(grades: list[str], expected: str | None) -> None:
    assert national_composite(grades) == expected


@pytest.mark.parametrize(
    ("anchor", "as_of", "start"),
    [
        (dt.date(2020, 3, 15), dt.date(2025, 12, 31), dt.date(2025, 3, 15)),
        (dt.date(2020, 3, 15), dt.date(2025, 3, 14), dt.date(2024, 3, 15)),
        (dt.date(2020, 3, 15), dt.date(2025, 3, 15), dt.date(2025, 3, 15)),
        (dt.date(2024, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 1, 31)),
        (dt.date(2026, 1, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 1)),
    ],
)
def test_cycle_window(anchor: dt.date, as_of: dt.date, start: dt.date) -> None:
    assert cycle_window(anchor, as_of, 12)[0] == start


def test_periods() -> None:
    assert period_window(model("highway_construction"), "2025") == Y2025
    assert add_months(dt.date(2025, 3, 31), -1) == dt.date(2025, 2, 28)
    with pytest.raises(ValueError):
        period_window(model("highway_construction"), "2025-06")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("bands: [{grade: AA, min_score: 95}, {grade: D, min_score: 10}]", "last band"),
        ("bands: [{grade: X}]", "not one of the grades"),
        ("grades: [AA]", "at least 2"),
        ("base_score: abc", "base_score"),
    ],
)
def test_invalid_model_files_are_refused_with_location(patch: str, message: str) -> None:
    from importlib import resources

    text = (
        resources.files("transport_credit")
        .joinpath("data", "evaluation", "highway_construction.yaml")
        .read_text("utf-8")
    )
    key = patch.split(":", 1)[0]
    lines = list(text.splitlines())
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"{key}:"))
    end = start + 1
    while end < len(lines) and (lines[end].startswith(" ") or lines[end].startswith("-")):
        end += 1
    broken = "\n".join([*lines[:start], patch, *lines[end:]])
    with pytest.raises(InvalidInput) as err:
        parse_model(broken, "evaluation/x.yaml")
    assert err.value.code == "evaluation_model_invalid"
    assert "evaluation/x.yaml" in err.value.message
    assert message in err.value.message


# ------------------------------------------------------------------------------------------------ properties

_categories = st.sampled_from(["XZCF", "XZCF", "XZCF", "XYCN", "HMD", "HEIMD"])
_ptypes = st.sampled_from(["罚款", "警告", "罚款；没收违法所得", "吊销许可证件", "降低资质等级", "通报批评"])


@st.composite
def records(draw: st.DrawFn, max_size: int = 12) -> list[Rec]:
    out = []
    for i in range(draw(st.integers(0, max_size))):
        cat = draw(_categories)
        day = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(-200, 364)))
        if cat == "XZCF":
            data: dict[str, object] = {
                "penalty_type": draw(_ptypes),
                "fine_amount": draw(st.sampled_from([0.1, 0.5, 1, 4.99, 5, 12])),
                "violation_type": draw(st.sampled_from(["超限运输", "违法分包", "未按规定", "拒载"])),
            }
        elif cat == "XYCN":
            data = {"fulfilment": draw(st.sampled_from(["已履约", "未履约", "履约中"]))}
        else:
            data = {}
        severity = draw(st.sampled_from(["minor", "general", "serious"])) if cat == "XZCF" else None
        out.append(Rec(i + 1, cat, "active", day, data, severity, None, day, day + dt.timedelta(days=365)))
    return out


_codes = st.sampled_from(sorted(MODELS))
_base = st.one_of(st.none(), st.integers(0, 3))


@given(_codes, records(), _base, st.randoms())
def test_result_does_not_depend_on_record_order(code: str, recs: list[Rec], base: int | None, rnd: object) -> None:
    m = model(code)
    shuffled = list(recs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, base_level=base, multi_fields=MULTI)
    b = evaluate_subject(m, shuffled, window=Y2025, as_of=AS_OF, base_level=base, multi_fields=MULTI)
    assert a == b


@given(_codes, records(), _base, st.data())
def test_adding_a_deduction_never_raises_the_grade(
    code: str, recs: list[Rec], base: int | None, data: st.DataObject
) -> None:
    m = model(code)
    before = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, base_level=base, multi_fields=MULTI)
    extra = data.draw(records(max_size=3))
    penalties = [
        Rec(1000 + r.id, "XZCF", r.status, r.decision_date, r.data, r.severity) for r in extra if r.category == "XZCF"
    ]
    after = evaluate_subject(m, recs + penalties, window=Y2025, as_of=AS_OF, base_level=base, multi_fields=MULTI)
    assert m.level(after.grade) >= m.level(before.grade)
    assert after.score <= before.score


@given(_codes, records(), st.integers(0, 4))
def test_a_grade_never_rises_more_than_the_limit_a_year(code: str, recs: list[Rec], base: int) -> None:
    m = model(code)
    base = min(base, len(m.grades) - 1)
    out = evaluate_subject(m, recs, window=Y2025, as_of=AS_OF, base_level=base, multi_fields=MULTI)
    if m.constraints.max_rise_levels is not None:
        assert m.level(out.grade) >= base - m.constraints.max_rise_levels
