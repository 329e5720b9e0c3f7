"""GB/T 2260 region table: the shipped file's content and the schema's checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from transport_credit.identifiers.regions import (
    builtin_regions,
    children,
    get_region,
    is_known,
    load_regions,
    province_of,
    region_name,
)


def test_all_34_province_level_units() -> None:
    provinces = [r for r in builtin_regions().all() if r.level == "province"]
    assert len(provinces) == 34
    assert {"110000", "410000", "640000", "710000", "810000", "820000"} <= {r.code for r in provinces}
    assert builtin_regions().version


@pytest.mark.parametrize(
    ("province", "count", "first", "last"),
    [
        ("410000", 18, ("410100", "郑州市"), ("419001", "济源市")),
        ("640000", 5, ("640100", "银川市"), ("640500", "中卫市")),
        ("230000", 13, ("230100", "哈尔滨市"), ("232700", "大兴安岭地区")),
        ("330000", 11, ("330100", "杭州市"), ("331100", "丽水市")),
    ],
)
def test_children(province: str, count: int, first: tuple[str, str], last: tuple[str, str]) -> None:
    kids = children(province)
    assert len(kids) == count
    assert (kids[0].code, kids[0].name) == first
    assert (kids[-1].code, kids[-1].name) == last


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("410000", "河南省"),
        ("410400", "平顶山市"),
        ("411700", "驻马店市"),
        ("419001", "济源市"),
        ("419000", None),  # does not exist
        ("640300", "吴忠市"),
        ("999999", None),
    ],
)
def test_region_name(code: str, name: str | None) -> None:
    assert region_name(code) == name
    assert is_known(code) == (name is not None)


def test_jiyuan_is_a_county_directly_under_henan() -> None:
    jiyuan = get_region("419001")
    assert jiyuan is not None
    assert (jiyuan.level, jiyuan.parent) == ("county", "410000")


@pytest.mark.parametrize(
    ("code", "province"),
    [
        ("410102", "河南省"),
        ("419001", "河南省"),
        ("640000", "宁夏回族自治区"),
        ("990000", None),
        ("", None),
        ("４１", None),
    ],
)
def test_province_of(code: str, province: str | None) -> None:
    region = province_of(code)
    assert (region.name if region else None) == province


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            '- {code: "410000", name: 河南省, level: province}\n  - {code: "410000", name: X, level: province}',
            "duplicate",
        ),
        ('- {code: "410100", name: 郑州市, level: city, parent: "410000"}', "unknown parent"),
        ('- {code: "410100", name: 郑州市, level: province}', "0000"),
        ('- {code: "41010", name: 郑州市, level: city, parent: "410000"}', "pattern"),
        (
            '- {code: "410000", name: 河南省, level: province}\n'
            '  - {code: "420100", name: 武汉市, level: city, parent: "410000"}',
            "same province",
        ),
    ],
)
def test_bad_files_are_rejected(tmp_path: Path, body: str, error: str) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text(f"version: t\nregions:\n  {body}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=error):
        load_regions(path)
