"""Service results → API models, and the small parsing helpers the routes share (category names, record keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from transport_credit.api import schemas
from transport_credit.audit.rules import find_personal_info
from transport_credit.catalog.rules import Catalog, UnknownCategory
from transport_credit.catalog.schema import CategoryDef
from transport_credit.catalog.service import active_catalog
from transport_credit.identifiers.citizen_id import mask_id_number, mask_phone
from transport_credit.ingest.headers import header_lookup, normalize_header
from transport_credit.ingest.pipeline import BatchSummary
from transport_credit.ingest.service import QuarantineItem

PERSONAL_TYPES = ("id_number", "phone")
HIDDEN = "（含个人信息，已隐藏）"


def find_category(catalog: Catalog, value: str) -> CategoryDef:
    """A category by code (XZCF, case-insensitive) or Chinese name (行政处罚); 404 ``unknown_category``."""
    text = value.strip()
    for cat in catalog.categories():
        if text.upper() == cat.code or text == cat.name:
            return cat
    known = "、".join(f"{c.code}（{c.name}）" for c in catalog.categories())
    raise UnknownCategory(f"信用信息目录中没有类别「{text}」（现有：{known}）", details={"category": text})


def resolve_category(session: Session, value: str) -> CategoryDef:
    return find_category(active_catalog(session), value)


def canonical_records(category: CategoryDef, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records keyed by standard Chinese name: a business system may use field keys or standard names, even mixed
    in one request (the pipeline reads the union of keys as one header row, where two spellings of one field would
    clash). Standard names keep the stored raw cells of rejected rows alike for files and pushes.

    Keys that are neither stay as they are (the pipeline tries the category's column mappings and otherwise
    reports them as ignored columns). When one record names a field twice, the first non-empty value wins.
    """
    names: dict[str, str] = {}
    for f in category.fields:
        names[normalize_header(f.name)] = f.name
        names.setdefault(normalize_header(f.key), f.name)
    out: list[dict[str, Any]] = []
    for record in records:
        row: dict[str, Any] = {}
        for key, value in record.items():
            target = names.get(normalize_header(key), key)
            if row.get(target) in (None, ""):
                row[target] = value
        out.append(row)
    return out


def _issues(items: Sequence[Mapping[str, Any]] | None) -> list[schemas.RowIssue]:
    return [
        schemas.RowIssue(code=str(i.get("code", "")), message=str(i.get("message", "")), field=i.get("field"))
        for i in items or []
    ]


def batch_out(summary: BatchSummary) -> schemas.BatchOut:
    data = {k: v for k, v in summary.__dict__.items() if k != "results"}
    return schemas.BatchOut.model_validate(data)


def push_out(summary: BatchSummary) -> schemas.PushResult:
    """The push summary; ``row`` is renumbered from the pipeline's row (header = row 1) to the record's index."""
    offset = summary.header_row or 1
    data = {k: v for k, v in summary.__dict__.items() if k != "results"}
    results = [
        schemas.RecordResult(
            row=r.row - offset,
            outcome=r.outcome,
            natural_key=r.natural_key,
            errors=_issues(r.errors),
            warnings=_issues(r.warnings),
            revision=r.revision,
        )
        for r in sorted(summary.results or [], key=lambda r: r.row)
    ]
    return schemas.PushResult.model_validate({**data, "results": results})


def masked_raw(catalog: Catalog, item: QuarantineItem) -> dict[str, str] | None:
    """The raw cells of a rejected row with personal identifiers masked.

    Columns mapped to 证件号码 / phone fields are masked like stored values; any other cell that looks like a
    citizen ID or mobile number is hidden. The full values are in the correction template (a file download).
    """
    if item.raw is None:
        return None
    try:
        cat = catalog.category(item.category)
    except UnknownCategory:
        return {k: HIDDEN if find_personal_info(v) else v for k, v in item.raw.items()}
    lookup = header_lookup(cat, catalog.mappings_for(cat.code))
    types = {f.key: f.type for f in cat.fields}
    out: dict[str, str] = {}
    for header, value in item.raw.items():
        hit = lookup.get(normalize_header(header))
        kind = types.get(hit[0]) if hit else None
        if value and kind == "id_number":
            out[header] = mask_id_number(value)
        elif value and kind == "phone":
            out[header] = mask_phone(value)
        elif find_personal_info(value) is not None:
            out[header] = HIDDEN
        else:
            out[header] = value
    return out


def quarantine_out(catalog: Catalog, item: QuarantineItem) -> schemas.QuarantineItemOut:
    return schemas.QuarantineItemOut(
        id=item.id,
        batch_no=item.batch_no,
        category=item.category,
        department_code=item.department_code,
        source_row=item.source_row,
        subject_name=item.subject_name,
        natural_key=item.natural_key,
        errors=_issues(item.errors),
        status=item.status,
        raw=masked_raw(catalog, item),
    )
