"""Schema of a province configuration file (``data/provinces/<name>.yaml``): the province is configuration.

A province file names the province, its website, its credit office, its cities (region codes only: names come from
the regions data) and its departments (数据来源单位) with the catalog categories each is a source for.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

DepartmentKind = Literal[
    "office",  # 厅机关处室（规划处、建管处、运输处、安监处、财审处 …）
    "credit_office",  # 厅法规处 / 信用办
    "highway",  # 公路局 / 公路事业发展中心 / 高管中心
    "transport",  # 运输局 / 道路运输事业发展中心
    "enforcement",  # 执法局 / 综合执法
    "waterway",  # 航务局 / 港航 / 海事
    "quality",  # 质监站 / 工程质量监督
    "city_bureau",  # 市县交通运输局
]
DEPARTMENT_KINDS: tuple[str, ...] = get_args(DepartmentKind)
DepartmentLevel = Literal["province", "city", "county"]

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters (weights 3^i mod 31)."""
    total = sum(_USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """Shape and checksum of a USCC (no registry lookup)."""
    return (
        len(code) == 18
        and all(c in _USCC_ALPHABET for c in code)
        and code[2:8].isdigit()
        and uscc_check_char(code[:17]) == code[17]
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DepartmentConfig(_Strict):
    """A department (部门) of the province: a source of records and/or a user of the platform."""

    code: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    name: str
    kind: DepartmentKind
    level: DepartmentLevel
    region_code: str = Field(pattern=r"^\d{6}$")
    parent_code: str | None = None
    uscc: str | None = None
    categories: list[str] = Field(default_factory=list, description="catalog category codes it is a source for")

    @model_validator(mode="after")
    def _valid_uscc(self) -> DepartmentConfig:
        if self.uscc is not None and not uscc_is_valid(self.uscc):
            raise ValueError(f"department {self.code}: invalid USCC {self.uscc}")
        return self


class ProvinceConfig(_Strict):
    """One province's configuration."""

    kind: Literal["province"] = "province"
    code: str = Field(pattern=r"^\d{2}0000$", description="GB/T 2260 province code, e.g. 410000")
    name: str  # 河南省
    short_name: str  # 豫
    website_title: str  # 信用交通·河南
    authority_name: str  # 河南省交通运输厅
    credit_office: str  # 厅法规处（信用办）
    cities: list[str] = Field(description="region codes of the cities (地市) and directly administered counties")
    departments: list[DepartmentConfig]
    map_tiles: dict[str, tuple[int, int]] = Field(
        default_factory=dict,
        description="诚信地图: city code → (row, column) of its tile on a schematic map of the province (optional)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProvinceConfig:
        prefix = self.code[:2]
        bad_cities = [c for c in self.cities if len(c) != 6 or not c.isdigit() or c[:2] != prefix]
        if bad_cities:
            raise ValueError(f"province {self.code}: city codes outside the province: {bad_cities}")
        stray = sorted(set(self.map_tiles) - set(self.cities))
        if stray:
            raise ValueError(f"province {self.code}: map_tiles for codes that are not its cities: {stray}")
        places = list(self.map_tiles.values())
        if len(set(places)) != len(places) or any(not (0 <= r < 20 and 0 <= c < 20) for r, c in places):
            raise ValueError(f"province {self.code}: map_tiles must give each city its own tile within 20 × 20")
        codes = [d.code for d in self.departments]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"province {self.code}: duplicate department codes {dupes}")
        known = set(codes)
        regions = {self.code, *self.cities}
        for d in self.departments:
            if d.parent_code is not None and d.parent_code not in known:
                raise ValueError(f"department {d.code}: unknown parent_code {d.parent_code}")
            if d.region_code[:2] != prefix:
                raise ValueError(f"department {d.code}: region {d.region_code} outside the province")
            if d.level != "county" and d.region_code not in regions:
                raise ValueError(
                    f"department {d.code}: region {d.region_code} is not the province or one of its cities"
                )
        if not any(d.kind == "credit_office" for d in self.departments):
            raise ValueError(f"province {self.code}: no credit_office department")
        return self

    def department(self, code: str) -> DepartmentConfig:
        for d in self.departments:
            if d.code == code:
                return d
        raise KeyError(code)
