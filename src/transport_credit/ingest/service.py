"""Collection use cases (归集): import a file, push records, follow batches, correct and resubmit rejected rows.

Each function owns one use case and its permission check; the caller owns the transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.catalog.schema import CategoryDef
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.ingest.codes import CODES
from transport_credit.ingest.headers import header_lookup, normalize_header
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.ingest.pipeline import (
    ERROR_HEADER,
    QUARANTINE_ID_HEADER,
    BatchSummary,
    PipelineContext,
    SourceMeta,
    import_rows,
    iter_json_rows,
    summary_of,
)
from transport_credit.ingest.readers import open_rows
from transport_credit.ingest.sources import CsvSource, ListSource, RowSource
from transport_credit.ingest.validate import CONTROL
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.pii import pii_keys

MAX_PUSH_RECORDS = 5_000
_CONTROL = re.compile(CONTROL)


def build_context(session: Session, settings: Settings, *, keep_row_results: bool = False) -> PipelineContext:
    return PipelineContext(
        catalog=active_catalog(session),
        pii=pii_keys(settings.pii_key.get_secret_value()),
        chunk_rows=settings.import_chunk_rows,
        max_cell_chars=settings.max_cell_chars,
        keep_row_results=keep_row_results,
    )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_file(
    session: Session,
    actor: Actor,
    settings: Settings,
    path: Path,
    *,
    category: str,
    department: str,
    mapping: str | None = None,
    file_name: str | None = None,
) -> BatchSummary:
    """Import one file as one atomic batch (归集). Re-importing the same file changes nothing."""
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    ctx = build_context(session, settings)
    category = _category_code(ctx, category)
    digest = file_sha256(path)
    with path.open("rb") as stream:
        opened = open_rows(path, stream)
        source: RowSource
        if opened.format == "csv" and opened.encoding:
            source = CsvSource(path, opened.encoding)
        else:
            source = ListSource(opened.rows)
        return import_rows(
            session,
            actor,
            ctx,
            category_code=category,
            department_code=department,
            source=source,
            meta=SourceMeta(
                channel="file",
                file_name=file_name or path.name,
                file_sha256=digest,
                file_format=opened.format,
                encoding=opened.encoding,
                mapping=mapping,
            ),
        )


def push_records(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    category: str,
    records: Sequence[Mapping[str, Any]],
    department: str | None = None,
    channel: str = "api",
) -> BatchSummary:
    """A business system pushes records (JSON objects keyed by field key or standard Chinese name); ``channel``
    names where they came from in the batch's provenance (``declaration``: adopted from a subject's 自主申报)."""
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    if not records:
        raise InvalidInput("没有提交任何记录", code="empty_batch")
    if len(records) > MAX_PUSH_RECORDS:
        raise InvalidInput(f"单次最多提交 {MAX_PUSH_RECORDS} 条记录", code="batch_too_large")
    department = department or actor.department_code
    if not department:
        raise InvalidInput("未指定报送部门", code="department_required")
    ctx = build_context(session, settings, keep_row_results=True)
    category = _category_code(ctx, category)
    return import_rows(
        session,
        actor,
        ctx,
        category_code=category,
        department_code=department,
        source=ListSource(iter_json_rows(records)),
        meta=SourceMeta(channel=channel, file_format="json"),
    )


def _category_code(ctx: PipelineContext, value: str) -> str:
    """Accept a category code (XZCF) or its Chinese name (行政处罚)."""
    for cat in ctx.catalog.categories():
        if value in (cat.code, cat.name):
            return cat.code
    raise NotFound(f"信用信息目录中没有类别「{value}」", code="unknown_category")


# --- batches ------------------------------------------------------------------------------------------------


def _visible_department(actor: Actor, department_code: str) -> bool:
    return actor.has_role(ROLE_CREDIT_OFFICE) or actor.department_code == department_code


def list_batches(
    session: Session,
    actor: Actor,
    *,
    department: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[BatchSummary]:
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    stmt = select(Batch).order_by(Batch.id.desc()).limit(min(limit, 500)).offset(offset)
    if not actor.has_role(ROLE_CREDIT_OFFICE):
        stmt = stmt.where(Batch.department_code == actor.department_code)
    elif department:
        stmt = stmt.where(Batch.department_code == department)
    if category:
        stmt = stmt.where(Batch.category == category)
    return [summary_of(b) for b in session.scalars(stmt)]


def get_batch(session: Session, actor: Actor, batch_no: str) -> BatchSummary:
    batch = _batch(session, actor, batch_no)
    return summary_of(batch)


def _batch(session: Session, actor: Actor, batch_no: str) -> Batch:
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    batch = session.scalar(select(Batch).where(Batch.batch_no == batch_no))
    if batch is None or not _visible_department(actor, batch.department_code):
        raise NotFound(f"批次「{batch_no}」不存在", code="batch_not_found")
    return batch


@dataclass
class WarnedRow:
    source_row: int | None
    natural_key: str
    subject_name: str | None
    warnings: list[dict[str, str]]


def batch_warnings(session: Session, actor: Actor, batch_no: str, *, limit: int = 200) -> list[WarnedRow]:
    """Rows of a batch that were accepted with warnings."""
    batch = _batch(session, actor, batch_no)
    R = CreditRecord
    stmt = (
        select(R.source_row, R.natural_key, R.data, R.warnings)
        .where(R.batch_id == batch.id, R.warnings.is_not(None))
        .order_by(R.source_row)
        .limit(limit)
    )
    catalog = active_catalog(session)
    name_key = catalog.category(batch.category).subject.name
    out = []
    for row, key, data, warnings in session.execute(stmt):
        if not warnings:
            continue
        out.append(WarnedRow(row, key, (data or {}).get(name_key), list(warnings)))
    return out


# --- quarantine (问题数据) -------------------------------------------------------------------------------------


@dataclass
class QuarantineItem:
    id: int
    batch_no: str
    category: str
    department_code: str
    source_row: int
    subject_name: str | None
    natural_key: str | None
    errors: list[dict[str, str]]
    status: str
    raw: dict[str, str] | None  # decrypted for officials of the department


def list_quarantine(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    batch_no: str | None = None,
    category: str | None = None,
    status: str = "open",
    limit: int = 100,
    offset: int = 0,
    with_raw: bool = True,
) -> tuple[int, list[QuarantineItem]]:
    """Rejected rows awaiting correction, newest first; officials of the department see the raw cells."""
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    Q = QuarantineRow
    cond = [Q.status == status]
    if batch_no:
        cond.append(Q.batch_id == _batch(session, actor, batch_no).id)
    if category:
        cond.append(Q.category == category)
    if not actor.has_role(ROLE_CREDIT_OFFICE):
        cond.append(Q.department_code == (actor.department_code or ""))
    total = session.scalar(select(func.count()).select_from(Q).where(*cond)) or 0
    stmt = (
        select(Q, Batch.batch_no)
        .join(Batch, Batch.id == Q.batch_id)
        .where(*cond)
        .order_by(Q.batch_id.desc(), Q.source_row)
        .limit(min(limit, 10_000))
        .offset(offset)
    )
    keys = pii_keys(settings.pii_key.get_secret_value())
    items = []
    for q, bno in session.execute(stmt):
        raw = keys.decrypt_json(q.raw_cipher) if with_raw else None
        items.append(
            QuarantineItem(
                id=q.id,
                batch_no=bno,
                category=q.category,
                department_code=q.department_code,
                source_row=q.source_row,
                subject_name=q.subject_name,
                natural_key=q.natural_key,
                errors=list(q.errors),
                status=q.status,
                raw=raw if isinstance(raw, dict) else None,
            )
        )
    return total, items


def quarantine_template(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    category: str,
    batch_no: str | None = None,
    fmt: Literal["xlsx", "csv"] = "xlsx",
) -> tuple[str, bytes]:
    """The open rejected rows as a corrected-template file (标准表头 + 问题数据编号 + 错误说明).

    Fix the cells and import the file again: rows that come back are marked resubmitted.
    """
    catalog = active_catalog(session)
    # A category code (XZCF) or its Chinese name (行政处罚), as import_file accepts.
    cat = next((c for c in catalog.categories() if category in (c.code, c.name)), None) or catalog.category(category)
    _, items = list_quarantine(session, actor, settings, batch_no=batch_no, category=cat.code, limit=10_000)
    headers, rows = _template_rows(cat, catalog.mappings_for(cat.code), items)
    stamp = dt.date.today().strftime("%Y%m%d")
    name = f"{cat.name}-待更正数据-{batch_no or stamp}"
    audit(session, actor, "quarantine.download", "category", cat.code, {"batch_no": batch_no, "rows": len(rows)})
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerows(rows)
        return f"{name}.csv", buf.getvalue().encode("gb18030")
    return f"{name}.xlsx", _xlsx(headers, rows)


def _template_rows(
    cat: CategoryDef, mappings: Sequence[Any], items: Sequence[QuarantineItem]
) -> tuple[list[str], list[list[str]]]:
    lookup = header_lookup(cat, mappings)
    headers = [QUARANTINE_ID_HEADER] + [f.name for f in cat.fields] + [ERROR_HEADER]
    index = {f.key: i + 1 for i, f in enumerate(cat.fields)}
    rows: list[list[str]] = []
    for item in items:
        row = [""] * len(headers)
        row[0] = str(item.id)
        for header, value in (item.raw or {}).items():
            hit = lookup.get(normalize_header(header))
            if hit and hit[0] in index:
                # Control characters go (spreadsheets cannot hold them; validation removes them on re-import).
                row[index[hit[0]]] = _CONTROL.sub("", value) if isinstance(value, str) else value
        row[-1] = "；".join(e["message"] for e in item.errors)
        rows.append(row)
    return headers, rows


def _xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "待更正数据"
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws[1][-1].fill = PatternFill("solid", fgColor="FFE0E0")
    for r in rows:
        ws.append(r)
    # Text format keeps long codes (身份证号码, 代码) from turning into numbers in Excel.
    for column in ws.iter_cols(min_row=2):
        for cell in column:
            cell.number_format = "@"
    ws.freeze_panes = "B2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def dismiss_quarantine(session: Session, actor: Actor, ids: Sequence[int], reason: str) -> int:
    """Close rejected rows that will not be corrected (e.g. a test row). Returns how many were closed."""
    actor.require_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    if not reason.strip():
        raise InvalidInput("请填写关闭原因", code="reason_required")
    Q = QuarantineRow
    rows = list(session.scalars(select(Q).where(Q.id.in_(list(ids)), Q.status == "open")))
    for q in rows:
        if not _visible_department(actor, q.department_code):
            raise PermissionDenied("只能处理本部门的问题数据", code="not_own_department")
        q.status = "dismissed"
    audit(session, actor, "quarantine.dismiss", "quarantine", ",".join(str(q.id) for q in rows), {"reason": reason})
    return len(rows)


def error_codes() -> dict[str, dict[str, str]]:
    """The row-level codes with their severity and description (for docs and API clients)."""
    return {code: {"severity": sev, "description": desc} for code, (sev, desc) in CODES.items()}
