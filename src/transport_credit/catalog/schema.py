"""Schema of the catalog data files (信用信息目录), validated by pydantic at load.

A catalog document lists categories (信用信息类别) and their fields. The national document ships with the package;
a province or city document may add categories, or add fields to existing categories (``extends``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal[
    "string",  # short text
    "text",  # long text
    "date",  # YYYY/MM/DD, YYYY-MM-DD, YYYYMMDD, Excel serial; 2099/12/31 = long-term
    "amount_wan",  # money in 万元, non-negative decimal
    "integer",
    "decimal",
    "enum",  # one of ``enum``
    "uscc",  # 统一社会信用代码 (GB 32100)
    "id_number",  # 证件号码 (GB 11643 for 身份证); personal information
    "phone",  # personal information
    "region",  # GB/T 2260 code
    "plate",  # 车牌号
]
Disclosure = Literal["public", "shared", "private"]  # 社会公开 / 政务共享 / 不公开
SubjectKind = Literal["org", "individual_business", "person"]
Severity = Literal["minor", "general", "serious"]  # 轻微 / 一般 / 严重


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldDef(_Strict):
    """One data item (数据项) of a category."""

    name: str = Field(description="standard name, the Chinese data item name, e.g. 行政相对人名称")
    key: str = Field(description="stable English identifier, e.g. subject_name")
    type: FieldType = "string"
    mandatory: bool = False
    # Mandatory only when another field has one of the values: {"field_key": ["value", …]}
    mandatory_when: dict[str, list[str]] | None = None
    enum: list[str] | None = None
    # Tolerated spellings mapped onto enum values (e.g. 法人 → 法人及非法人组织).
    enum_aliases: dict[str, str] = Field(default_factory=dict)
    pattern: str | None = Field(default=None, description="regular expression the normalised value must match")
    max_length: int | None = None
    # Plausibility: a value at or above this is accepted with a warning (e.g. 万元 amounts entered in 元).
    warn_at_least: float | None = None
    disclosure: Disclosure = "public"
    description: str | None = None
    # An enum field whose value may hold several enum values joined by ；;，,、 (e.g. 处罚类别 "警告；罚款").
    multiple: bool = False

    @model_validator(mode="after")
    def _enum_has_values(self) -> FieldDef:
        if self.type == "enum" and not self.enum:
            raise ValueError(f"field {self.key}: type enum needs enum values")
        if self.enum_aliases and not self.enum:
            raise ValueError(f"field {self.key}: enum_aliases without enum values")
        if self.enum:
            bad = sorted({v for v in self.enum_aliases.values() if v not in self.enum})
            if bad:
                raise ValueError(f"field {self.key}: enum_aliases point to values not in enum: {bad}")
        if self.multiple and self.type != "enum":
            raise ValueError(f"field {self.key}: multiple is only for enum fields")
        return self


class SubjectBinding(_Strict):
    """Which fields identify the record's subject (信用主体)."""

    name: str = Field(description="field key of the subject name")
    kind: str | None = Field(default=None, description="field key of 行政相对人类别 (enum mapped by kind_values)")
    kind_values: dict[str, SubjectKind] = Field(default_factory=dict)
    default_kind: SubjectKind = "org"
    uscc: str | None = None
    id_number: str | None = Field(default=None, description="field key of the person's 证件号码")
    id_type: str | None = Field(default=None, description="field key of 证件类型")
    # Old identifiers kept as aliases: alias kind → field key.
    aliases: dict[str, str] = Field(default_factory=dict)
    legal_representative: str | None = None


class SeverityRule(_Strict):
    """Classify a record's severity from field values; the first matching rule wins."""

    severity: Severity
    # All conditions must hold. ``field_in``: field key → accepted values (for a ``multiple`` field: at least one
    # of its values is accepted); ``field_all_in``: every value of the field is accepted (and there is one);
    # ``amount_at_least``: field key → 万元; ``text_contains``: the text holds one of the fragments.
    # Values are compared after stripping and mapping ``enum_aliases``.
    field_in: dict[str, list[str]] = Field(default_factory=dict)
    field_all_in: dict[str, list[str]] = Field(default_factory=dict)
    amount_at_least: dict[str, float] = Field(default_factory=dict)
    text_contains: dict[str, list[str]] = Field(default_factory=dict)

    def field_keys(self) -> set[str]:
        """The field keys the rule reads."""
        return {*self.field_in, *self.field_all_in, *self.amount_at_least, *self.text_contains}

    @model_validator(mode="after")
    def _has_condition(self) -> SeverityRule:
        if not self.field_keys():
            raise ValueError(f"severity rule {self.severity}: no condition (use default_severity instead)")
        return self


class Domain(_Strict):
    name: str  # 行业领域, e.g. 道路运输
    subdomains: list[str] = Field(default_factory=list)  # 二级领域, e.g. 汽车维修


class CategoryDef(_Strict):
    """A category of credit information (信用信息类别)."""

    code: str = Field(description="stable code, e.g. XZCF")
    name: str = Field(description="Chinese name, e.g. 行政处罚")
    kind: Literal["dishonest", "honest", "neutral"] = "neutral"  # 失信 / 守信 / 一般信息
    dual_publicity: bool = Field(default=False, description="双公示: report within N working days of decision")
    report_within_workdays: int | None = None
    # 合格记录: a record is qualified when more than this share of its indicators is non-empty (seed 000: 60%).
    quality_threshold: float = Field(default=0.6, ge=0, le=1)
    natural_key: list[str] = Field(description="field keys that identify a record, e.g. [decision_no]")
    subject_kinds: list[SubjectKind]
    subject: SubjectBinding
    decision_date: str | None = Field(default=None, description="field key of the decision date")
    valid_until: str | None = Field(default=None, description="field key of the end of validity (有效期至)")
    domains: list[Domain] = Field(default_factory=list)
    domain_field: str | None = None
    source_department_kinds: list[str] = Field(description="department kinds that are sources (数据来源单位)")
    severity_rules: list[SeverityRule] = Field(default_factory=list)
    default_severity: Severity | None = None
    # Publicity rule family used for dishonest records (see publicity rule sets); None = publish while valid.
    publicity_family: str | None = None
    fields: list[FieldDef]

    @model_validator(mode="after")
    def _keys_exist(self) -> CategoryDef:
        keys = {f.key for f in self.fields}
        if len(keys) != len(self.fields):
            raise ValueError(f"category {self.code}: duplicate field keys")
        refs = [*self.natural_key, self.subject.name]
        optional_refs = (
            self.subject.kind,
            self.subject.uscc,
            self.subject.id_number,
            self.subject.id_type,
            self.subject.legal_representative,
            self.decision_date,
            self.valid_until,
            self.domain_field,
        )
        refs += [k for k in optional_refs if k]
        refs += list(self.subject.aliases.values())
        for rule in self.severity_rules:
            refs += sorted(rule.field_keys())
        for f in self.fields:
            refs += list((f.mandatory_when or {}).keys())
        missing = [r for r in refs if r not in keys]
        if missing:
            raise ValueError(f"category {self.code}: unknown field keys {missing}")
        return self

    def field(self, key: str) -> FieldDef:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)


class CategoryExtension(_Strict):
    """A city or province adding fields to an existing category."""

    code: str
    fields: list[FieldDef]


class CatalogDocument(_Strict):
    """One catalog data file."""

    kind: Literal["catalog"] = "catalog"
    name: str
    version: str
    scope: str = Field(description="region code: 000000 national, 410000 province, 410400 city")
    effective_from: dt.date | None = None
    categories: list[CategoryDef] = Field(default_factory=list)
    extends: list[CategoryExtension] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_codes(self) -> CatalogDocument:
        codes = [c.code for c in self.categories]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"catalog {self.name}: duplicate category codes {dupes}")
        return self


class PublicityPeriod(_Strict):
    """Publicity bounds for one severity, in months (0 = not published)."""

    min_months: int = Field(ge=0)
    max_months: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PublicityPeriod:
        if self.min_months > self.max_months:
            raise ValueError(f"min_months {self.min_months} > max_months {self.max_months}")
        return self


class PublicityRuleSet(_Strict):
    """Publicity periods of dishonest records, by severity, in force for decisions from ``effective_from``."""

    version: str
    name: str
    basis: str  # legal basis (依据)
    effective_from: dt.date
    periods: dict[Severity, PublicityPeriod]


class PublicityDocument(_Strict):
    """Publicity rule sets of one family (e.g. ``dishonest``); the document's name is its family."""

    kind: Literal["publicity"] = "publicity"
    family: str
    version: str = Field(description="version of this document (not of a rule set)")
    scope: str = "000000"
    rule_sets: list[PublicityRuleSet] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_rule_sets(self) -> PublicityDocument:
        versions = [r.version for r in self.rule_sets]
        if len(set(versions)) != len(versions):
            raise ValueError(f"publicity {self.family}: duplicate rule set versions")
        dates = [r.effective_from for r in self.rule_sets]
        if len(set(dates)) != len(dates):
            raise ValueError(f"publicity {self.family}: two rule sets effective on the same date")
        return self


class ColumnMapping(_Strict):
    """Column headers of an export format mapped to catalog field keys (one category)."""

    kind: Literal["mapping"] = "mapping"
    name: str = Field(description="mapping id, e.g. xzcf-legacy-2016")
    title: str
    category: str
    version: str
    scope: str = Field(default="000000", description="region code of the body that defined the mapping")
    columns: dict[str, str] = Field(description="header text → field key")
