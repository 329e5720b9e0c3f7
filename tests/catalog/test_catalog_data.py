"""Every shipped catalog file validates; the 双公示 field lists match docs/domain.md; provinces are consistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from transport_credit.catalog.loader import (
    CatalogFileError,
    data_dir,
    load_document,
    load_province,
    parse_document,
    shipped_documents,
    shipped_provinces,
)
from transport_credit.catalog.province import uscc_check_char, uscc_is_valid
from transport_credit.catalog.rules import merge_catalog

SHIPPED = sorted(p for sub in ("catalog", "mappings", "publicity") for p in (data_dir() / sub).rglob("*.yaml"))

XZCF_FIELDS = [
    "行政相对人名称", "行政相对人类别", "行政相对人代码_1（统一社会信用代码）", "行政相对人代码_2（工商注册号）",
    "行政相对人代码_3（组织机构代码）", "行政相对人代码_4（税务登记号）", "行政相对人代码_5（事业单位证书号）",
    "行政相对人代码_6（社会组织登记证号）", "法定代表人", "法定代表人证件类型", "法定代表人证件号码", "证件类型",
    "证件号码", "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容",
    "罚款金额（万元）", "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号", "处罚决定日期",
    "处罚有效期", "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
    "数据来源单位统一社会信用代码", "备注",
]  # fmt: skip
XZCF_MANDATORY = {
    "行政相对人名称", "行政相对人类别", "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别",
    "处罚内容", "处罚决定日期", "处罚有效期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
    "数据来源单位统一社会信用代码",
}  # fmt: skip
XZXK_FIELDS = [
    "行政相对人名称", "行政相对人类别", "行政相对人代码_1（统一社会信用代码）", "行政相对人代码_2（工商注册号）",
    "行政相对人代码_3（组织机构代码）", "行政相对人代码_4（税务登记号）", "行政相对人代码_5（事业单位证书号）",
    "行政相对人代码_6（社会组织登记证号）", "法定代表人", "法定代表人证件类型", "法定代表人证件号码", "证件类型",
    "证件号码", "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容",
    "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位",
    "数据来源单位统一社会信用代码", "备注",
]  # fmt: skip
XZXK_MANDATORY = {
    "行政相对人名称", "行政相对人类别", "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可内容",
    "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位",
    "数据来源单位统一社会信用代码",
}  # fmt: skip
EXTRA_FIELDS = ["地方编码", "行业领域", "二级领域"]  # catalog additions beyond the 双公示 items


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(data_dir())))
def test_shipped_file_validates(path: Path) -> None:
    loaded = load_document(path)
    assert len(loaded.sha256) == 64
    assert loaded.source == str(path.relative_to(data_dir()))


@pytest.mark.parametrize("province", ["henan", "ningxia", "410000", "宁"])
def test_shipped_documents_merge(province: str) -> None:
    docs = shipped_documents(province)
    catalog = merge_catalog(d.document for d in docs)
    assert docs[0].scope == "000000"
    assert {"XZCF", "XZXK", "XYPJ", "HMD", "HEIMD", "ZDGZ", "XYCN", "LHJC", "BZJL"} <= {
        c.code for c in catalog.categories()
    }
    for cat in catalog.categories():
        assert catalog.mappings_for(cat.code), f"no mapping for {cat.code}"
    assert len(catalog.version) <= 40


def test_city_documents_only_for_their_province() -> None:
    henan = {d.scope for d in shipped_documents("henan")}
    ningxia = {d.scope for d in shipped_documents("ningxia")}
    assert "410400" in henan
    assert "410400" not in ningxia


def _catalog():  # type: ignore[no-untyped-def]
    return merge_catalog(d.document for d in shipped_documents("henan"))


@pytest.mark.parametrize(
    ("code", "names", "mandatory"), [("XZCF", XZCF_FIELDS, XZCF_MANDATORY), ("XZXK", XZXK_FIELDS, XZXK_MANDATORY)]
)
def test_dual_publicity_fields_match_domain(code: str, names: list[str], mandatory: set[str]) -> None:
    national = load_document(data_dir() / "catalog" / "national.yaml").document
    cat = next(c for c in national.categories if c.code == code)  # type: ignore[union-attr]
    assert [f.name for f in cat.fields] == names + EXTRA_FIELDS
    assert {f.name for f in cat.fields if f.mandatory} == mandatory
    assert cat.dual_publicity
    assert cat.report_within_workdays == 7
    assert cat.natural_key == ["decision_no"]


def test_dual_publicity_details() -> None:
    cat = _catalog().category("XZCF")
    assert cat.field("uscc").mandatory_when == {"subject_kind": ["法人及非法人组织", "个体工商户"]}
    assert cat.field("id_number").mandatory_when == {"subject_kind": ["自然人"]}
    assert {f.key for f in cat.fields if f.disclosure == "private"} == {"id_number", "legal_rep_id_number"}
    assert cat.field("subject_kind").enum_aliases["法人"] == "法人及非法人组织"
    assert cat.field("subject_kind").enum_aliases["个人"] == "自然人"
    assert cat.field("id_type").enum_aliases["身份证"] == "01"
    assert cat.field("fine_amount").type == "amount_wan"
    assert cat.publicity_family == "dishonest"
    assert cat.kind == "dishonest"
    xk = _catalog().category("XZXK")
    assert xk.publicity_family is None
    assert xk.field("status").enum_aliases["注销"] == "无效"


def test_mappings() -> None:
    catalog = _catalog()
    std = catalog.mapping("xzcf-standard").columns
    assert std["罚款金额(万元)"] == "fine_amount"
    assert std["行政相对人代码_1(统一社会信用代码)"] == "uscc"
    legacy = catalog.mapping("xzcf-legacy").columns
    assert legacy["处罚事由"] == "violation_facts"
    assert legacy["处罚结果"] == "penalty_content"
    assert legacy["处罚截止期"] == "valid_until"
    assert legacy["地方编码"] == "region_code"
    assert legacy["行政相对人代码"] == "uscc"
    xk = catalog.mapping("xzxk-legacy").columns
    assert (xk["许可截止期"], xk["审批类别"], xk["许可决定书文号"]) == ("valid_until", "license_type", "decision_no")
    assert [m.name for m in catalog.mappings_for("XZCF")] == ["xzcf-legacy", "xzcf-standard"]


def test_provinces() -> None:
    catalog = _catalog()
    codes = {c.code for c in catalog.categories()}
    provinces = shipped_provinces()
    assert [p.code for p in provinces] == ["410000", "640000"]
    for prov in provinces:
        for dep in prov.departments:
            assert set(dep.categories) <= codes, dep.code
            assert dep.uscc is not None
            assert uscc_is_valid(dep.uscc)
            assert dep.uscc.startswith("11" + dep.region_code)
        bureaus = {d.region_code for d in prov.departments if d.kind == "city_bureau"}
        assert bureaus == set(prov.cities)
    henan = load_province("henan")
    assert (henan.short_name, henan.website_title) == ("豫", "信用交通·河南")
    assert "419001" in henan.cities
    assert len(henan.cities) == 18
    assert load_province("ningxia").short_name == "宁"
    assert len(load_province("640000").cities) == 5


def test_province_kinds_cover_category_sources() -> None:
    """Every department kind a category names as source exists in the province files' vocabulary."""
    kinds = {d.kind for p in shipped_provinces() for d in p.departments}
    for cat in _catalog().categories():
        assert set(cat.source_department_kinds) <= kinds, cat.code


def test_uscc_check_char_known_code() -> None:
    # 91350100M000100Y43 is a public sample with a valid check character.
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert not uscc_is_valid("91350100M000100Y44")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (b"kind: catalog\nname: x\nversion: '1'\nscope: '000000'\ncategories: [{code: A}]\n", "categories → 0 → name"),
        (b"kind: mapping\nname: m\ntitle: t\ncategory: XZCF\nversion: '1'\ncolumns: {a: 1}\n", "columns → a"),
        (b"kind: nonsense\n", "未知的文件类型"),
        (b"kind: catalog\nname: [unclosed\n", "YAML 格式错误"),
        (b"- a list\n", "映射"),
        ("name: 中文".encode("gb18030"), "UTF-8"),
        (
            b"kind: publicity\nfamily: f\nversion: '1'\nrule_sets:\n- {version: a, name: n, basis: b,"
            b" effective_from: 2020-01-01, periods: {serious: {min_months: 5, max_months: 2}}}\n",
            "min_months 5 > max_months 2",
        ),
    ],
)
def test_malformed_file_has_clear_error(text: bytes, fragment: str) -> None:
    with pytest.raises(CatalogFileError) as exc:
        parse_document(text, "bad/file.yaml")
    assert "bad/file.yaml" in exc.value.message
    assert fragment in exc.value.message


def test_malformed_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    text = (data_dir() / "catalog" / "national.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("type: amount_wan", "type: money", 1), encoding="utf-8")
    with pytest.raises(CatalogFileError) as exc:
        load_document(path)
    msg = exc.value.message
    assert str(path) in msg
    assert "categories → 0 → fields → 19 → type" in msg
    with pytest.raises(CatalogFileError, match="无法读取"):
        load_document(tmp_path / "missing.yaml")


def test_shipped_tile_maps_place_every_city_once() -> None:
    for prov in shipped_provinces():
        assert set(prov.map_tiles) == set(prov.cities), prov.code
        assert len(set(prov.map_tiles.values())) == len(prov.cities)


@pytest.mark.parametrize(
    ("tiles", "message"),
    [
        ({"410100": (0, 0), "419999": (0, 1)}, "not its cities"),
        ({"410100": (0, 0), "410200": (0, 0)}, "its own tile"),
        ({"410100": (0, 25)}, "its own tile"),
    ],
)
def test_a_tile_map_that_names_another_place_or_stacks_cities_is_refused(
    tiles: dict[str, tuple[int, int]], message: str
) -> None:
    from pydantic import ValidationError

    henan = load_province("henan").model_dump()
    with pytest.raises(ValidationError, match=message):
        type(load_province("henan")).model_validate({**henan, "map_tiles": tiles})
