"""Pure catalog rules (no I/O): merging catalog documents, severity classification, publicity windows.

- ``merge_catalog`` combines national, provincial and city documents into one ``Catalog``.
- ``classify_severity`` classifies one record (a mapping of field key → value); ``severity_expr`` is the same rule
  as a Polars expression for set-based work. Both read the category's ``severity_rules`` (first match wins) and fall
  back to its ``default_severity``.
- ``publicity_window`` gives the publicity period (公示期) of a dishonest record from the rule set in force at its
  decision date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import polars as pl

from transport_credit.catalog.schema import (
    CatalogDocument,
    CategoryDef,
    ColumnMapping,
    FieldDef,
    PublicityDocument,
    PublicityRuleSet,
    Severity,
    SeverityRule,
)
from transport_credit.common.errors import InvalidInput, NotFound

NATIONAL_SCOPE = "000000"
# Separators between several values of a ``multiple`` enum field (e.g. 处罚类别 "警告；罚款").
MULTI_SEPARATORS = "；;，,、"
_SPLIT_RE = re.compile(f"[{MULTI_SEPARATORS}]")
# Characters stripped around values (ASCII whitespace and the ideographic space), the same in both variants.
STRIP_CHARS = " \t\r\n\u3000"


class CatalogMergeError(InvalidInput):
    """Catalog documents that contradict each other (duplicate category, unknown extension target …)."""

    code = "catalog_conflict"


class UnknownCategory(NotFound):
    code = "unknown_category"


def scope_rank(scope: str) -> int:
    """0 national, 1 province (xx0000), 2 city or county."""
    if scope == NATIONAL_SCOPE:
        return 0
    if scope.endswith("0000"):
        return 1
    return 2


# ----------------------------------------------------------------------------------------------------------------
# The merged catalog


@dataclass(frozen=True)
class Catalog:
    """The catalog in force: categories (with city/province extensions merged in), mappings and publicity rules.

    ``version`` is a short combined version: the national catalog's version plus a digest of every component's
    (kind, scope, name, version), at most 40 characters. ``components`` lists those components.
    """

    version: str
    components: tuple[tuple[str, str, str, str], ...]
    _categories: dict[str, CategoryDef] = field(repr=False)
    _mappings: dict[str, ColumnMapping] = field(repr=False)
    _publicity: dict[str, tuple[PublicityRuleSet, ...]] = field(repr=False)
    _category_scopes: dict[str, str] = field(repr=False, default_factory=dict)

    def category(self, code: str) -> CategoryDef:
        """The category with this code; raises ``UnknownCategory`` (a ``NotFound``) naming the known codes."""
        try:
            return self._categories[code]
        except KeyError:
            known = "、".join(sorted(self._categories))
            raise UnknownCategory(
                f"信用信息目录中没有类别 {code}（现有：{known}）", details={"category": code}
            ) from None

    def has_category(self, code: str) -> bool:
        return code in self._categories

    def categories(self) -> list[CategoryDef]:
        """All categories, national first, then in document order."""
        return list(self._categories.values())

    def category_scope(self, code: str) -> str:
        """The region code of the document that defined the category."""
        self.category(code)
        return self._category_scopes.get(code, NATIONAL_SCOPE)

    def mapping(self, name: str) -> ColumnMapping:
        try:
            return self._mappings[name]
        except KeyError:
            known = "、".join(sorted(self._mappings))
            raise NotFound(
                f"没有名为 {name} 的表头映射（现有：{known}）", code="unknown_mapping", details={"mapping": name}
            ) from None

    def mappings(self) -> list[ColumnMapping]:
        return list(self._mappings.values())

    def mappings_for(self, category: str) -> list[ColumnMapping]:
        """The column mappings of a category, by name."""
        self.category(category)
        return sorted((m for m in self._mappings.values() if m.category == category), key=lambda m: m.name)

    def publicity_rule_sets(self, family: str) -> tuple[PublicityRuleSet, ...]:
        """Rule sets of a publicity family, oldest first."""
        try:
            return self._publicity[family]
        except KeyError:
            raise NotFound(
                f"没有公示期限规则族 {family}", code="unknown_publicity_family", details={"family": family}
            ) from None

    def publicity_families(self) -> list[str]:
        return sorted(self._publicity)


def _same(a: object, b: object) -> bool:
    return a == b


def merge_catalog(docs: Iterable[CatalogDocument | ColumnMapping | PublicityDocument]) -> Catalog:
    """Merge documents into one ``Catalog``.

    Catalog documents are applied national → province → city (by scope). A category code defined twice is an error
    unless both definitions are identical; an extension (``extends``) adds optional fields to a category defined in
    the same or a higher scope (a field key already present is an error unless identical; extension fields may not
    be ``mandatory``, since the merged catalog applies to the whole province). Mappings and publicity documents are
    keyed by name / family, with the same duplicate rule. Every mapping must target a known category and its
    field keys.
    """
    all_docs = list(docs)
    catalogs = sorted(
        (d for d in all_docs if isinstance(d, CatalogDocument)), key=lambda d: (scope_rank(d.scope), d.scope)
    )
    categories: dict[str, CategoryDef] = {}
    scopes: dict[str, str] = {}
    for doc in catalogs:
        for cat in doc.categories:
            existing = categories.get(cat.code)
            if existing is not None and not _same(existing, cat):
                raise CatalogMergeError(
                    f"目录 {doc.name}（{doc.scope}）重复定义了类别 {cat.code}，与 {scopes[cat.code]} 的定义不同",
                    details={"document": doc.name, "category": cat.code},
                )
            if existing is None:
                categories[cat.code] = cat
                scopes[cat.code] = doc.scope
    for doc in catalogs:
        for ext in doc.extends:
            base = categories.get(ext.code)
            if base is None:
                raise CatalogMergeError(
                    f"目录 {doc.name}（{doc.scope}）扩展了不存在的类别 {ext.code}",
                    details={"document": doc.name, "category": ext.code},
                )
            categories[ext.code] = _extend(base, ext.fields, doc.name)

    mappings: dict[str, ColumnMapping] = {}
    for m in (d for d in all_docs if isinstance(d, ColumnMapping)):
        if m.name in mappings and not _same(mappings[m.name], m):
            raise CatalogMergeError(f"表头映射 {m.name} 重复定义且内容不同", details={"mapping": m.name})
        target = categories.get(m.category)
        if target is None:
            raise CatalogMergeError(f"表头映射 {m.name} 指向不存在的类别 {m.category}", details={"mapping": m.name})
        keys = {f.key for f in target.fields}
        unknown = sorted({k for k in m.columns.values() if k not in keys})
        if unknown:
            raise CatalogMergeError(
                f"表头映射 {m.name} 引用了类别 {m.category} 中不存在的数据项：{'、'.join(unknown)}",
                details={"mapping": m.name, "unknown": unknown},
            )
        mappings[m.name] = m

    publicity: dict[str, tuple[PublicityRuleSet, ...]] = {}
    for p in (d for d in all_docs if isinstance(d, PublicityDocument)):
        rule_sets = tuple(sorted(p.rule_sets, key=lambda r: r.effective_from))
        if p.family in publicity and publicity[p.family] != rule_sets:
            raise CatalogMergeError(f"公示期限规则 {p.family} 重复定义且内容不同", details={"family": p.family})
        publicity[p.family] = rule_sets
    # A category's publicity_family without a loaded rule document is not an error here: the document may be loaded
    # later; Catalog.publicity_rule_sets() then raises NotFound.
    components = sorted(
        {(d.kind, d.scope, d.family if isinstance(d, PublicityDocument) else d.name, d.version) for d in all_docs}
    )
    national = next((d.version for d in catalogs if d.scope == NATIONAL_SCOPE), "none")
    digest = hashlib.sha256(repr(components).encode()).hexdigest()[:8]
    version = f"{national}+{digest}"[:40]
    return Catalog(
        version=version,
        components=tuple(components),
        _categories=categories,
        _mappings=mappings,
        _publicity=publicity,
        _category_scopes=scopes,
    )


def _extend(base: CategoryDef, fields: Sequence[FieldDef], doc_name: str) -> CategoryDef:
    current = {f.key: f for f in base.fields}
    added: list[FieldDef] = []
    for f in fields:
        if f.mandatory:
            raise CatalogMergeError(
                f"目录 {doc_name} 扩展类别 {base.code} 的数据项 {f.key} 不能设为必填（扩展数据项须为选填）",
                details={"document": doc_name, "field": f.key},
            )
        if f.key in current:
            if current[f.key] != f:
                raise CatalogMergeError(
                    f"目录 {doc_name} 扩展类别 {base.code} 时重复定义了数据项 {f.key}",
                    details={"document": doc_name, "field": f.key},
                )
            continue
        current[f.key] = f
        added.append(f)
    if not added:
        return base
    return base.model_copy(update={"fields": [*base.fields, *added]})


# ----------------------------------------------------------------------------------------------------------------
# Severity (轻微 / 一般 / 严重)


def _norm(value: str, aliases: Mapping[str, str]) -> str:
    v = value.strip(STRIP_CHARS)
    return aliases.get(v, v)


def field_values(fdef: FieldDef | None, value: object) -> list[str]:
    """The normalised values of a field: stripped, aliases mapped; a ``multiple`` field split on its separators
    (after mapping the whole value, so an alias may contain a separator). Empty → []."""
    if value is None:
        return []
    aliases = fdef.enum_aliases if fdef is not None else {}
    whole = _norm(str(value), aliases)
    if fdef is None or not fdef.multiple:
        return [whole] if whole else []
    parts = (_norm(p, aliases) for p in _SPLIT_RE.split(whole))
    return [p for p in parts if p]


def _amount(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        result = float(value)
    else:
        try:
            result = float(Decimal(str(value).strip(STRIP_CHARS)))
        except (InvalidOperation, ValueError):
            return None
    return None if result != result else result  # NaN → no amount


def _field(category: CategoryDef, key: str) -> FieldDef | None:
    try:
        return category.field(key)
    except KeyError:
        return None


def _rule_matches(category: CategoryDef, rule: SeverityRule, values: Mapping[str, object]) -> bool:
    for key, accepted in rule.field_in.items():
        if not set(field_values(_field(category, key), values.get(key))) & set(accepted):
            return False
    for key, accepted in rule.field_all_in.items():
        got = field_values(_field(category, key), values.get(key))
        if not got or not set(got) <= set(accepted):
            return False
    for key, threshold in rule.amount_at_least.items():
        amount = _amount(values.get(key))
        if amount is None or amount < threshold:
            return False
    for key, fragments in rule.text_contains.items():
        raw = values.get(key)
        text = "" if raw is None else str(raw)
        if not any(frag in text for frag in fragments):
            return False
    return True


def classify_severity(category: CategoryDef, values: Mapping[str, object]) -> Severity | None:
    """The severity of one record (field key → value): the first matching rule, else ``default_severity``.

    None when the category has neither (e.g. 行政许可). Amounts may be numbers or numeric strings (万元).
    """
    for rule in category.severity_rules:
        if _rule_matches(category, rule, values):
            return rule.severity
    return category.default_severity


def severity_columns(category: CategoryDef) -> set[str]:
    """The columns ``severity_expr`` reads (the frame must have them; fill missing ones with nulls)."""
    keys: set[str] = set()
    for rule in category.severity_rules:
        keys |= rule.field_keys()
    return keys


def _values_expr(fdef: FieldDef | None, key: str) -> pl.Expr:
    """A List[String] of the normalised values of a column (same semantics as ``field_values``)."""
    aliases = dict(fdef.enum_aliases) if fdef is not None else {}
    whole = pl.col(key).cast(pl.String).str.strip_chars(STRIP_CHARS)
    if aliases:
        whole = whole.replace(aliases)
    if fdef is None or not fdef.multiple:
        parts = pl.concat_list([whole])
    else:
        parts = whole.str.replace_all(f"[{MULTI_SEPARATORS}]", "\x00").str.split("\x00")
    elem = pl.element().str.strip_chars(STRIP_CHARS)
    if aliases:
        elem = elem.replace(aliases)
    return parts.list.eval(elem).list.eval(pl.element().filter(pl.element() != ""))


def _rule_expr(category: CategoryDef, rule: SeverityRule) -> pl.Expr:
    conds: list[pl.Expr] = []
    for key, accepted in rule.field_in.items():
        vals = _values_expr(_field(category, key), key)
        conds.append(vals.list.eval(pl.element().is_in(accepted)).list.any())
    for key, accepted in rule.field_all_in.items():
        vals = _values_expr(_field(category, key), key)
        conds.append(vals.list.eval(pl.element().is_in(accepted)).list.all() & (vals.list.len() > 0))
    for key, threshold in rule.amount_at_least.items():
        col = pl.col(key).cast(pl.Float64)
        conds.append(col.is_not_nan() & (col >= threshold))
    for key, fragments in rule.text_contains.items():
        text = pl.col(key).cast(pl.String)
        conds.append(pl.any_horizontal([text.str.contains(f, literal=True) for f in fragments]))
    combined = pl.all_horizontal([c.fill_null(False) for c in conds])
    return combined.fill_null(False)


def severity_expr(category: CategoryDef) -> pl.Expr:
    """``classify_severity`` as a Polars expression, aliased ``severity`` (String; null when no severity).

    The frame's columns are field keys: text columns as strings (raw values: aliases and separators are handled
    here), amount columns (``amount_at_least`` keys) ALREADY PARSED to Float64 under the field key itself (万元).
    ``severity_columns(category)`` lists the columns read. Use it in ``with_columns`` (a category without rules
    yields a literal, which ``select`` would not broadcast).
    """
    default = pl.lit(category.default_severity, dtype=pl.String)
    if not category.severity_rules:
        return default.alias("severity")
    rules = category.severity_rules
    # Build from the last rule backwards so the first matching rule wins.
    result = default
    for rule in reversed(rules):
        result = pl.when(_rule_expr(category, rule)).then(pl.lit(rule.severity, dtype=pl.String)).otherwise(result)
    return result.alias("severity")


# ----------------------------------------------------------------------------------------------------------------
# Publicity windows (公示期)


@dataclass(frozen=True)
class PublicityWindow:
    """When a dishonest record is published: from ``start`` (the decision date) to ``end`` (publication stops
    automatically); repair may be applied for from ``min_end``. ``end == start`` means not published."""

    rule_version: str
    start: dt.date
    min_end: dt.date
    end: dt.date

    @property
    def published(self) -> bool:
        return self.end > self.start

    def is_public_on(self, day: dt.date) -> bool:
        return self.start <= day < self.end


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; the day is clamped to the month's end (2025-08-31 + 6 months = 2026-02-28)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rule_set_for(rule_sets: Sequence[PublicityRuleSet], decision_date: dt.date) -> PublicityRuleSet:
    """The latest rule set with ``effective_from <= decision_date``; before every rule set, the oldest."""
    if not rule_sets:
        raise InvalidInput("没有可用的公示期限规则", code="no_publicity_rules")
    ordered = sorted(rule_sets, key=lambda r: r.effective_from)
    chosen = ordered[0]
    for rs in ordered:
        if rs.effective_from <= decision_date:
            chosen = rs
    return chosen


def publicity_window(
    rule_sets: Sequence[PublicityRuleSet], severity: Severity, decision_date: dt.date
) -> PublicityWindow:
    """The publicity window of a record of this severity decided on ``decision_date``."""
    rs = rule_set_for(rule_sets, decision_date)
    period = rs.periods.get(severity)
    if period is None:
        raise InvalidInput(
            f"公示期限规则 {rs.version} 未规定 {severity} 级别的公示期限",
            code="no_publicity_period",
            details={"rule_version": rs.version, "severity": severity},
        )
    start = decision_date
    return PublicityWindow(
        rule_version=rs.version,
        start=start,
        min_end=add_months(start, period.min_months),
        end=add_months(start, period.max_months),
    )
