"""Pure catalog rules: severity (scalar and vectorised), publicity windows, merging."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transport_credit.catalog.loader import shipped_documents
from transport_credit.catalog.rules import (
    Catalog,
    CatalogMergeError,
    UnknownCategory,
    add_months,
    classify_severity,
    merge_catalog,
    publicity_window,
    severity_columns,
    severity_expr,
)
from transport_credit.catalog.schema import CatalogDocument, CategoryExtension, FieldDef, PublicityRuleSet
from transport_credit.common.errors import NotFound

CATALOG: Catalog = merge_catalog(d.document for d in shipped_documents("henan"))
XZCF = CATALOG.category("XZCF")
RULES: tuple[PublicityRuleSet, ...] = CATALOG.publicity_rule_sets("dishonest")


@pytest.mark.parametrize(
    ("penalty_type", "fine", "expected"),
    [
        ("警告", None, "minor"),
        ("通报批评", None, "minor"),
        ("警告；通报批评", None, "minor"),
        (" 通报 ", None, "minor"),  # alias, padded
        ("罚款", 0.5, "general"),
        ("罚款", "4.99", "general"),
        ("罚款", 5, "serious"),  # configurable default threshold (5 万元)
        ("罚款", "12.0", "serious"),
        ("警告、罚款", 1.0, "general"),
        ("警告,罚款", None, "general"),
        ("吊销许可证件", None, "serious"),
        ("吊销许可证、执照", None, "serious"),  # alias holding a separator
        ("罚款；责令停产停业", 0.1, "serious"),
        ("降低资质等级", None, "serious"),
        ("禁止从业", None, "serious"),  # alias of 限制从业
        ("没收违法所得", None, "general"),
        ("其他", None, "general"),
        (None, None, "general"),
        ("", None, "general"),
        ("罚款", "not a number", "general"),
    ],
)
def test_classify_severity(penalty_type: str | None, fine: object, expected: str) -> None:
    values = {"penalty_type": penalty_type, "fine_amount": fine}
    assert classify_severity(XZCF, values) == expected


@pytest.mark.parametrize(("code", "expected"), [("HEIMD", "serious"), ("ZDGZ", "general"), ("XZXK", None)])
def test_default_severity(code: str, expected: str | None) -> None:
    assert classify_severity(CATALOG.category(code), {}) == expected


def test_severity_expr_table() -> None:
    frame = pl.DataFrame(
        {
            "penalty_type": ["警告", "警告；罚款", "罚款", "吊销许可证、执照", None, "通报"],
            "fine_amount": [None, 1.0, 6.0, None, None, float("nan")],
        }
    )
    out = frame.select(severity_expr(XZCF))["severity"].to_list()
    assert out == ["minor", "general", "serious", "serious", "general", "minor"]
    assert severity_columns(XZCF) == {"penalty_type", "fine_amount"}
    none = pl.DataFrame({"x": [1, 2]}).with_columns(severity_expr(CATALOG.category("XZXK")))
    assert none["severity"].to_list() == [None, None]


_PARTS = [
    "警告",
    "通报批评",
    "通报",
    "罚款",
    "吊销许可证件",
    "吊销许可证、执照",
    "责令关闭",
    "其他",
    "没收违法所得",
    "",
    " ",
]
_SEPS = ["；", ";", "，", ",", "、", " ； "]


@st.composite
def _penalty(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    parts = draw(st.lists(st.sampled_from(_PARTS), min_size=1, max_size=3))
    seps = draw(st.lists(st.sampled_from(_SEPS), min_size=len(parts), max_size=len(parts)))
    text = parts[0]
    for sep, part in zip(seps, parts[1:], strict=False):
        text += sep + part
    return "\u3000" + text if draw(st.booleans()) else text


_rows = st.lists(
    st.tuples(
        _penalty(),
        st.one_of(st.none(), st.floats(min_value=0, max_value=100), st.sampled_from([4.99, 5.0, float("nan")])),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_rows)
def test_vectorised_equals_scalar(rows: list[tuple[str | None, float | None]]) -> None:
    frame = pl.DataFrame(
        {"penalty_type": [r[0] for r in rows], "fine_amount": [r[1] for r in rows]},
        schema={"penalty_type": pl.String, "fine_amount": pl.Float64},
    )
    vectorised = frame.select(severity_expr(XZCF))["severity"].to_list()
    scalar = [classify_severity(XZCF, {"penalty_type": p, "fine_amount": f}) for p, f in rows]
    assert vectorised == scalar


D = dt.date


@pytest.mark.parametrize(
    ("severity", "decided", "version", "min_end", "end"),
    [
        ("serious", D(2026, 3, 31), "2019", D(2026, 9, 30), D(2029, 3, 31)),  # 6..36 months (old rules)
        ("serious", D(2026, 4, 1), "2026-04", D(2027, 4, 1), D(2029, 4, 1)),  # 12..36 months
        ("general", D(2026, 3, 31), "2019", D(2026, 6, 30), D(2027, 3, 31)),
        ("general", D(2026, 5, 15), "2026-04", D(2026, 8, 15), D(2027, 5, 15)),
        ("minor", D(2026, 5, 15), "2026-04", D(2026, 5, 15), D(2026, 8, 15)),
        ("serious", D(2015, 6, 1), "2019", D(2015, 12, 1), D(2018, 6, 1)),  # before every rule set → oldest
        ("serious", D(2024, 2, 29), "2019", D(2024, 8, 29), D(2027, 2, 28)),  # leap day clamps
        ("general", D(2025, 8, 31), "2019", D(2025, 11, 30), D(2026, 8, 31)),
    ],
)
def test_publicity_window(severity: str, decided: dt.date, version: str, min_end: dt.date, end: dt.date) -> None:
    w = publicity_window(RULES, severity, decided)  # type: ignore[arg-type]
    assert (w.rule_version, w.start, w.min_end, w.end) == (version, decided, min_end, end)
    assert w.published


def test_minor_not_published() -> None:
    rs = PublicityRuleSet.model_validate(
        {
            "version": "x",
            "name": "n",
            "basis": "b",
            "effective_from": "2020-01-01",
            "periods": {"minor": {"min_months": 0, "max_months": 0}},
        }
    )
    w = publicity_window([rs], "minor", D(2026, 1, 5))
    assert w.end == w.start == w.min_end
    assert not w.published
    assert not w.is_public_on(D(2026, 1, 5))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
        (D(2025, 3, 31), 36, D(2028, 3, 31)),
        (D(2025, 3, 31), 0, D(2025, 3, 31)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_city_extension_merge() -> None:
    keys = [f.key for f in XZCF.fields]
    assert keys[-1] == "enforcement_area"
    assert CATALOG.category("PDS-GJKH").name == "城市公交企业服务质量考核"
    assert CATALOG.category_scope("PDS-GJKH") == "410400"
    ningxia = merge_catalog(d.document for d in shipped_documents("ningxia"))
    assert "enforcement_area" not in [f.key for f in ningxia.category("XZCF").fields]
    assert not ningxia.has_category("PDS-GJKH")
    assert ningxia.version != CATALOG.version


def _national() -> CatalogDocument:
    doc = next(d.document for d in shipped_documents("ningxia") if d.kind == "catalog")
    assert isinstance(doc, CatalogDocument)
    return doc


def _city(**kw: object) -> CatalogDocument:
    base = {"kind": "catalog", "name": "city", "version": "1", "scope": "410100"}
    return CatalogDocument.model_validate({**base, **kw})


def test_merge_errors() -> None:
    national = _national()
    xzcf = national.categories[0]
    # The same definition repeated is fine; a different one is not.
    merge_catalog([national, _city(categories=[xzcf.model_dump()])])
    changed = xzcf.model_copy(update={"name": "处罚"})
    with pytest.raises(CatalogMergeError, match="重复定义了类别 XZCF"):
        merge_catalog([national, _city(categories=[changed.model_dump()])])
    with pytest.raises(CatalogMergeError, match="扩展了不存在的类别 NOPE"):
        merge_catalog([national, _city(extends=[{"code": "NOPE", "fields": [{"name": "a", "key": "a"}]}])])
    ext = CategoryExtension(code="XZCF", fields=[FieldDef(name="罚款金额", key="fine_amount", type="decimal")])
    with pytest.raises(CatalogMergeError, match="重复定义了数据项 fine_amount"):
        merge_catalog([national, _city(extends=[ext.model_dump()])])
    mandatory = {"code": "XZCF", "fields": [{"name": "a", "key": "a", "mandatory": True}]}
    with pytest.raises(CatalogMergeError, match="不能设为必填"):
        merge_catalog([national, _city(extends=[mandatory])])


def test_catalog_lookup_errors() -> None:
    with pytest.raises(UnknownCategory, match="没有类别 NOPE"):
        CATALOG.category("NOPE")
    with pytest.raises(NotFound, match="没有名为 nope 的表头映射"):
        CATALOG.mapping("nope")
    with pytest.raises(NotFound):
        CATALOG.publicity_rule_sets("nope")
