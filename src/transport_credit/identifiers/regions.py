"""GB/T 2260 administrative division codes (行政区划代码), loaded from a versioned data file.

The shipped file ``data/regions/gb2260.yaml`` holds all 34 province-level units and the prefecture-level units of
the provinces the platform was specified for; the platform is not tied to one province (the province is
configuration). Codes are 6 digits: ``410000`` 河南省, ``410100`` 郑州市. A 省直辖县级行政单位 such as 济源
(``419001``) is a county whose parent is the province itself (there is no ``419000``).

The file is validated by pydantic on load and cached; ``load_regions(path)`` reads another file of the same schema.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

RegionLevel = Literal["province", "city", "county"]  # 省级 / 地级 / 县级

_PARENT_LEVELS: dict[RegionLevel, tuple[RegionLevel, ...]] = {
    "province": (),
    "city": ("province",),
    "county": ("city", "province"),  # a 省直辖县级行政单位 hangs directly under its province
}


class Region(BaseModel):
    """One administrative division."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[1-9][0-9]{5}$", description="6-digit GB/T 2260 code")
    name: str = Field(min_length=1)
    level: RegionLevel
    parent: str | None = Field(default=None, description="code of the parent region; none for a province")

    @model_validator(mode="after")
    def _shape(self) -> Region:
        if self.level == "province":
            if not self.code.endswith("0000") or self.parent is not None:
                raise ValueError(f"{self.code}: a province code ends in 0000 and has no parent")
        elif self.parent is None or self.parent[:2] != self.code[:2]:
            raise ValueError(f"{self.code}: needs a parent in the same province")
        elif self.level == "city" and (self.code.endswith("0000") or not self.code.endswith("00")):
            raise ValueError(f"{self.code}: a city code ends in 00 (not 0000)")
        return self

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


class RegionTable(BaseModel):
    """The data file: a version, its source, and the regions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    source: str | None = None
    regions: tuple[Region, ...]

    @model_validator(mode="after")
    def _consistent(self) -> RegionTable:
        by_code: dict[str, Region] = {}
        for region in self.regions:
            if region.code in by_code:
                raise ValueError(f"duplicate region code {region.code}")
            by_code[region.code] = region
        for region in self.regions:
            if region.parent is None:
                continue
            parent = by_code.get(region.parent)
            if parent is None:
                raise ValueError(f"{region.code}: unknown parent {region.parent}")
            if parent.level not in _PARENT_LEVELS[region.level]:
                raise ValueError(f"{region.code}: a {region.level} cannot have a {parent.level} parent")
        return self


class Regions:
    """Look-ups over a ``RegionTable``."""

    def __init__(self, table: RegionTable) -> None:
        self.version = table.version
        self._by_code = {r.code: r for r in table.regions}
        self._children: dict[str, list[Region]] = {}
        for region in table.regions:
            if region.parent is not None:
                self._children.setdefault(region.parent, []).append(region)

    def get(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def children(self, code: str) -> list[Region]:
        return sorted(self._children.get(code, []), key=lambda r: r.code)

    def all(self) -> list[Region]:
        return sorted(self._by_code.values(), key=lambda r: r.code)


def load_regions(path: Path) -> Regions:
    """Read and validate a region file (raises ``pydantic.ValidationError`` on a bad file)."""
    with path.open(encoding="utf-8") as fh:
        return Regions(RegionTable.model_validate(yaml.safe_load(fh)))


@functools.cache
def builtin_regions() -> Regions:
    """The shipped GB/T 2260 table (read once)."""
    ref = resources.files("transport_credit") / "data" / "regions" / "gb2260.yaml"
    return Regions(RegionTable.model_validate(yaml.safe_load(ref.read_text(encoding="utf-8"))))


def get_region(code: str) -> Region | None:
    """The region with this 6-digit code, or None."""
    return builtin_regions().get(code.strip())


def is_known(code: str) -> bool:
    return get_region(code) is not None


def region_name(code: str) -> str | None:
    """The region's name (郑州市), or None for an unknown code."""
    region = get_region(code)
    return region.name if region else None


def children(code: str) -> list[Region]:
    """The regions directly under ``code`` (a province's cities and 省直辖县级 units), ordered by code."""
    return builtin_regions().children(code.strip())


def province_of(code: str) -> Region | None:
    """The province-level unit a code (of any level, known or not, e.g. a USCC's chars 3–8) belongs to."""
    code = code.strip()
    if len(code) < 2 or not (code[:2].isascii() and code[:2].isdigit()):
        return None
    return get_region(code[:2] + "0000")
