"""List kinds, entry criteria, measures (措施清单), matters (事项), notice templates: versioned data files.

Files live in ``data/lists/*.yaml`` and are validated by the pydantic schemas below at load. A file either applies
to every province (``province`` absent) or to one (``province: ningxia``); a province file overrides items of the
same ``code`` and adds new ones, so a province never needs a code change. The merged result is cached per province.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.common.datafiles import load_yaml_model
from transport_credit.common.errors import NotFound

ListType = Literal["red", "black", "watch"]
MeasureKind = Literal["incentive", "punishment"]
MatterKind = Literal[
    "licensing", "bidding", "procurement", "award", "funding", "inspection", "service", "enforcement", "xinyi"
]
SubjectKind = Literal["org", "individual_business", "person"]
ConditionOp = Literal["contains_any", "equals_any", "gte", "lte"]

LIST_TYPE_LABELS: dict[str, str] = {"red": "红名单", "black": "黑名单", "watch": "重点关注名单"}
RECORD_CATEGORY: dict[str, str] = {"red": "HMD", "black": "HEIMD", "watch": "ZDGZ"}
MATTER_KIND_LABELS: dict[str, str] = {
    "licensing": "行政许可",
    "bidding": "招标投标",
    "procurement": "政府采购",
    "award": "评优评先",
    "funding": "财政资金",
    "inspection": "日常检查",
    "service": "公共服务",
    "enforcement": "行政执法",
    "xinyi": "信易+应用",
}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ListKind(_Strict):
    """A list (名单): the three lists of 181号 and national special lists (超限超载严重失信 …)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str
    type: ListType
    national: bool = False  # imported from the national platform's files rather than decided here
    period_months: int = Field(ge=1, le=120)  # default validity (有效期)
    objection_workdays: int | None = Field(default=None, ge=1, le=60)  # overrides the document default
    basis: str


class Condition(_Strict):
    """A test on one field of a record's stored data: text contains any / equals any, number ≥ / ≤."""

    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    op: ConditionOp
    values: tuple[str, ...] = ()
    number: float | None = None

    @model_validator(mode="after")
    def _operands(self) -> Condition:
        if self.op in ("contains_any", "equals_any") and not self.values:
            raise ValueError(f"{self.op} needs values")
        if self.op in ("gte", "lte") and self.number is None:
            raise ValueError(f"{self.op} needs number")
        return self


class Criterion(_Strict):
    """An entry criterion (认定标准): at least ``min_count`` matching current records within ``window_days``."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    name: str
    list: str
    source_category: str
    conditions: tuple[Condition, ...] = ()
    subject_kinds: tuple[Literal["org", "individual_business", "person"], ...] = (
        "org",
        "individual_business",
        "person",
    )
    window_days: int = Field(ge=1, le=3660)
    min_count: int = Field(ge=1, le=1000)
    period_months: int | None = Field(default=None, ge=1, le=120)
    basis: str
    domain: str | None = None


class GradeRule(_Strict):
    """Grades a measure applies to, optionally only those of some evaluation models."""

    grades: tuple[str, ...]
    models: tuple[str, ...] = ()


class Measure(_Strict):
    """A measure of the measure list (措施清单)."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9\-]{1,59}$")
    name: str
    kind: MeasureKind
    basis: str  # 法律依据
    departments: tuple[str, ...]  # 实施部门
    lists: tuple[str, ...] = ()  # list types (red/black/watch) or list codes
    grades: tuple[GradeRule, ...] = ()
    matters: tuple[str, ...] = ()  # matter codes
    matter_kinds: tuple[MatterKind, ...] = ()
    description: str | None = None

    @model_validator(mode="after")
    def _targets(self) -> Measure:
        if not self.lists and not self.grades:
            raise ValueError(f"measure {self.code} applies to no list and no grade")
        if not self.matters and not self.matter_kinds:
            raise ValueError(f"measure {self.code} applies to no matter")
        return self


class Matter(_Strict):
    """A business matter (事项) in which credit is checked: a 行政许可 item, a tender, procurement …"""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9\-]{1,39}$")
    name: str
    kind: MatterKind
    department_kinds: tuple[str, ...] = ()


class CasesRule(_Strict):
    min_per_quarter: int = Field(default=2, ge=0, le=100)


class ListsDocument(_Strict):
    """One file of ``data/lists``."""

    kind: Literal["lists"]
    name: str
    version: str
    province: str | None = None
    effective_from: dt.date
    objection_workdays: int | None = Field(default=None, ge=1, le=60)  # 异议期（工作日）
    notice_template: str | None = None  # string.Template with $placeholders
    cases: CasesRule | None = None
    list_kinds: tuple[ListKind, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    measures: tuple[Measure, ...] = ()
    matters: tuple[Matter, ...] = ()


NOTICE_PLACEHOLDERS = frozenset(
    {
        "notice_no",
        "subject_name",
        "subject_code",
        "list_name",
        "reason",
        "basis",
        "authority",
        "notice_date",
        "objection_deadline",
        "objection_workdays",
        "period_months",
    }
)


class ListRules:
    """The merged data of one province: list kinds, criteria, measures, matters, the notice template."""

    def __init__(self, docs: Iterable[ListsDocument]) -> None:
        self.documents = tuple(docs)
        self.list_kinds: dict[str, ListKind] = {}
        self.criteria: dict[str, Criterion] = {}
        self.measures: dict[str, Measure] = {}
        self.matters: dict[str, Matter] = {}
        self.objection_workdays = 5
        self.notice_template = ""
        self.cases = CasesRule()
        for d in self.documents:
            self.list_kinds.update({k.code: k for k in d.list_kinds})
            self.criteria.update({c.code: c for c in d.criteria})
            self.measures.update({m.code: m for m in d.measures})
            self.matters.update({m.code: m for m in d.matters})
            if d.objection_workdays is not None:
                self.objection_workdays = d.objection_workdays
            if d.notice_template:
                self.notice_template = d.notice_template
            if d.cases is not None:
                self.cases = d.cases
        self._validate()
        self.list_codes_by_name = {k.name: k.code for k in self.list_kinds.values()}
        self._version = "+".join(f"{d.name}@{d.version}" for d in self.documents)
        # (status, matter code) → matched measures: ``matching.applicable_measures``'s memo (the rules never change)
        self.match_memo: dict[tuple[Any, str], tuple[Any, ...]] = {}

    def _validate(self) -> None:
        if not self.notice_template:
            raise ValueError("no notice_template in data/lists")
        unknown = {
            m.group("named") or m.group("braced")
            for m in string.Template.pattern.finditer(self.notice_template)
            if m.group("named") or m.group("braced")
        } - NOTICE_PLACEHOLDERS
        if unknown:
            raise ValueError(f"notice_template uses unknown placeholders: {sorted(unknown)}")
        types = set(LIST_TYPE_LABELS)
        for c in self.criteria.values():
            if c.list not in self.list_kinds:
                raise ValueError(f"criterion {c.code}: unknown list {c.list}")
        for m in self.measures.values():
            for ref in m.lists:
                if ref not in types and ref not in self.list_kinds:
                    raise ValueError(f"measure {m.code}: unknown list {ref}")
            for code in m.matters:
                if code not in self.matters:
                    raise ValueError(f"measure {m.code}: unknown matter {code}")

    @property
    def version(self) -> str:
        return self._version

    def list_kind(self, code: str) -> ListKind:
        try:
            return self.list_kinds[code]
        except KeyError:
            raise NotFound(f"未知的名单类型「{code}」", code="unknown_list") from None

    def matter(self, code: str) -> Matter:
        try:
            return self.matters[code]
        except KeyError:
            raise NotFound(f"未知的核查事项「{code}」，请使用事项清单中的编码", code="unknown_matter") from None

    def objection_days(self, kind: ListKind) -> int:
        return kind.objection_workdays or self.objection_workdays


def _data_dir() -> Path:
    return Path(str(resources.files("transport_credit") / "data" / "lists"))


def load_document(path: Path) -> ListsDocument:
    return load_yaml_model(path, ListsDocument, "名单规则文件", "lists_file_invalid")


@functools.cache
def list_rules(province: str | None = None) -> ListRules:
    """The rules in force for ``province`` (national files, then the province's files), cached."""
    docs = [load_document(p) for p in sorted(_data_dir().glob("*.yaml"))]
    chosen = [d for d in docs if d.province is None] + [d for d in docs if province and d.province == province]
    return ListRules(chosen)
