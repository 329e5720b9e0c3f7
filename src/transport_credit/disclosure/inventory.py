"""The public disclosure inventory (信用信息公开目录 / 公开清单; seeds 000 and 003: 明确信用信息公开清单、公开方式和
内容): for each category the website publishes, what is published (the 社会公开 fields, and which of them are masked),
what is not (fields shared between government departments only, or not disclosed), for how long (the publicity
rule sets in force by decision date, or the record's validity), and where (the website's column). Pure: built from
the catalog in force and the disclosure policy, the same data the public pages and exports obey, so the list cannot
say other than what the site does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from transport_credit.catalog.rules import Catalog
from transport_credit.catalog.schema import CategoryDef, FieldType, SubjectKind
from transport_credit.disclosure.schema import DisclosurePolicy

SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
KIND_LABELS = {"dishonest": "失信信息", "honest": "守信信息", "neutral": "一般信息"}
SUBJECT_KIND_LABELS = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}
# The website's column of each public-list section of the policy (its attribute) and its path.
COLUMNS = (
    ("dual_publicity", "双公示", "/disclosures"),
    ("lists", "红黑名单", "/lists"),
    ("commitments", "信用承诺", "/commitments"),
    ("evaluations", "信用评价", "/evaluations"),
)
SUBJECT_PAGE = ("信用档案（主体查询）", "/search")


@dataclass(frozen=True)
class PublishedField:
    name: str
    masked_for: tuple[str, ...]  # subject kinds (labels) for which the value is shown masked; all: ("全部",)


@dataclass(frozen=True)
class Period:
    severity: str  # 轻微 / 一般 / 严重
    min_months: int
    max_months: int  # 0: not published


@dataclass(frozen=True)
class PeriodRules:
    name: str
    basis: str
    effective_from: dt.date
    periods: tuple[Period, ...]


@dataclass(frozen=True)
class PublicCategory:
    code: str
    title: str  # as the website's credit file names the section
    kind: str  # 失信信息 / 守信信息 / 一般信息
    subject_kinds: tuple[str, ...]
    dual_publicity: bool
    report_within_workdays: int | None
    published: tuple[PublishedField, ...]
    withheld: tuple[str, ...]  # 政务共享 or 不公开: never on the website
    period_rules: tuple[PeriodRules, ...]  # newest first; empty: published from the decision until validity ends
    until_validity: bool  # without period rules: whether the record's validity (有效期至) ends its publicity
    columns: tuple[tuple[str, str], ...]  # (label, href) where the public finds these records


def _masked_for(
    policy: DisclosurePolicy, key: str, field_type: FieldType, kinds: tuple[SubjectKind, ...]
) -> tuple[str, ...]:
    """The subject kinds (labels) whose value of this field the website masks; ("全部",) for every subject."""
    if field_type in policy.masked_field_types:
        return ("全部",)
    if key == "subject_name":
        return tuple(SUBJECT_KIND_LABELS[k] for k in kinds if policy.subject_name.get(k) == "surname")
    return tuple(SUBJECT_KIND_LABELS[k] for k in kinds if key in policy.person_name_fields.get(k, []))


def _columns(policy: DisclosurePolicy, code: str) -> tuple[tuple[str, str], ...]:
    found = [(label, f"{path}?kind={code}") for attr, label, path in COLUMNS if code in getattr(policy, attr, [])]
    return (*found, SUBJECT_PAGE)


def public_inventory(catalog: Catalog, policy: DisclosurePolicy) -> list[PublicCategory]:
    """The categories of the website's credit file (the policy's sections, in order) that the catalog holds."""
    out: list[PublicCategory] = []
    for section in policy.sections:
        if not catalog.has_category(section.code):
            continue
        cat: CategoryDef = catalog.category(section.code)
        kinds = tuple(cat.subject_kinds)
        published = tuple(
            PublishedField(f.name, _masked_for(policy, f.key, f.type, kinds))
            for f in cat.fields
            if f.disclosure == "public"
        )
        families = set(catalog.publicity_families())
        rules = catalog.publicity_rule_sets(cat.publicity_family) if cat.publicity_family in families else ()
        out.append(
            PublicCategory(
                code=cat.code,
                title=section.title,
                kind=KIND_LABELS.get(cat.kind, cat.kind),
                subject_kinds=tuple(SUBJECT_KIND_LABELS.get(k, k) for k in kinds),
                dual_publicity=cat.dual_publicity,
                report_within_workdays=cat.report_within_workdays,
                published=published,
                withheld=tuple(f.name for f in cat.fields if f.disclosure != "public"),
                period_rules=tuple(
                    PeriodRules(
                        r.name,
                        r.basis,
                        r.effective_from,
                        tuple(
                            Period(SEVERITY_LABELS.get(sev, sev), p.min_months, p.max_months)
                            for sev, p in r.periods.items()
                        ),
                    )
                    for r in sorted(rules, key=lambda r: r.effective_from, reverse=True)
                ),
                until_validity=cat.valid_until is not None,
                columns=_columns(policy, cat.code),
            )
        )
    return out
