"""The collection pipeline (归集): header → chunks → validation → subjects → revisions → store / quarantine.

Everything a batch writes happens in the caller's transaction: a crash or a refused file leaves no half batch.
Chunks are processed set-wise (Polars for validation, one statement per chunk and table for the database); no
Python code touches the database per row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Integer, Table, select, update
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.auth.models import Department
from transport_credit.auth.permissions import require_submit
from transport_credit.calendar.service import build_calendar
from transport_credit.catalog.rules import Catalog, publicity_window, severity_expr
from transport_credit.catalog.schema import CategoryDef
from transport_credit.common.actor import Actor
from transport_credit.common.errors import InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.db.dialect import bulk_insert_frame, insert_for, values_in
from transport_credit.identifiers.citizen_id import mask_id_number, mask_phone
from transport_credit.ingest.headers import header_lookup, match_header, normalize_header, required_columns
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.ingest.readers import FileRefused
from transport_credit.ingest.sources import RowSource
from transport_credit.ingest.validate import ChunkValidator, ValidationContext
from transport_credit.records.models import CreditRecord
from transport_credit.search.index import deferred_name_index
from transport_credit.subjects.models import Subject, SubjectAlias
from transport_credit.subjects.pii import PiiKeys

RECORDS = cast(Table, CreditRecord.__table__)
SUBJECTS = cast(Table, Subject.__table__)
ALIASES = cast(Table, SubjectAlias.__table__)
QUARANTINE = cast(Table, QuarantineRow.__table__)

CHINA = ZoneInfo("Asia/Shanghai")
QUARANTINE_ID_HEADER = "问题数据编号"
ERROR_HEADER = "错误说明"
_LOOKUP_SLICE = 20_000


@dataclass
class RowResult:
    """The outcome of one row (returned to API callers; files get counts plus quarantine)."""

    row: int
    outcome: str
    natural_key: str | None
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    revision: int | None = None


@dataclass
class BatchSummary:
    batch_no: str
    category: str
    department_code: str
    file_name: str | None
    file_sha256: str | None
    file_format: str | None
    encoding: str | None
    mapping: str | None
    total: int = 0
    accepted: int = 0
    warned: int = 0
    rejected: int = 0
    unchanged: int = 0
    revised: int = 0
    new_subjects: int = 0
    already_imported: bool = False
    header_row: int | None = None
    ignored_columns: list[str] = field(default_factory=list)
    started_at: dt.datetime | None = None  # when the batch began (UTC)
    results: list[RowResult] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "results"}
        if self.results is not None:
            out["results"] = [r.__dict__ for r in self.results]
        return out


@dataclass
class PipelineContext:
    """What a batch needs besides the rows; built by the service from settings and the database."""

    catalog: Catalog
    pii: PiiKeys
    chunk_rows: int = 50_000
    max_cell_chars: int = 4000
    now: dt.datetime | None = None
    keep_row_results: bool = False


@dataclass
class SourceMeta:
    channel: str  # file / api / resubmit / declaration
    file_name: str | None = None
    file_sha256: str | None = None
    file_format: str | None = None
    encoding: str | None = None
    mapping: str | None = None  # a mapping name to force; None = recognise


def _batch_no(now: dt.datetime) -> str:
    return now.astimezone(CHINA).strftime("B%Y%m%d%H%M%S") + uuid.uuid4().hex[:6].upper()


def _context_defaults(category: CategoryDef, dept: Department) -> dict[str, str]:
    """Fields a department's own export often omits: 数据来源单位 and its code default to the department."""
    out: dict[str, str] = {}
    for f in category.fields:
        if f.name == "数据来源单位":
            out[f.key] = dept.name
        elif f.name == "数据来源单位统一社会信用代码" and dept.uscc:
            out[f.key] = dept.uscc
    return out


def import_rows(
    session: Session,
    actor: Actor,
    ctx: PipelineContext,
    *,
    category_code: str,
    department_code: str,
    source: RowSource,
    meta: SourceMeta,
) -> BatchSummary:
    """Run one batch. Raises ``InvalidInput``/``FileRefused`` (nothing written) when the file as a whole is unusable."""
    catalog = ctx.catalog
    try:
        category = catalog.category(category_code)
    except KeyError as exc:
        raise NotFound(f"信用信息目录中没有类别「{category_code}」", code="unknown_category") from exc
    dept = session.scalar(select(Department).where(Department.code == department_code))
    if dept is None:
        raise NotFound(f"部门「{department_code}」不存在", code="unknown_department")
    require_submit(actor, category.code, dept)

    now = ctx.now or utcnow()
    if meta.file_sha256:
        previous = session.scalar(
            select(Batch).where(
                Batch.file_sha256 == meta.file_sha256,
                Batch.category == category.code,
                Batch.department_code == dept.code,
            )
        )
        if previous is not None:
            return _summary_of(previous, already_imported=True)

    # --- header -------------------------------------------------------------------------------------------
    head = source.head()
    if not any(any(c.strip() for c in r) for r in head):
        raise FileRefused("文件中没有数据", code="empty_file")
    mappings = [m for m in catalog.mappings_for(category.code) if meta.mapping in (None, m.name)]
    if meta.mapping and not mappings:
        raise NotFound(f"没有名为「{meta.mapping}」的列映射", code="unknown_mapping")
    lookup = header_lookup(category, mappings)
    match = match_header(head, lookup)
    defaults = _context_defaults(category, dept)
    if match is None:
        raise FileRefused(
            _wrong_category_hint(catalog, category, head) or "未找到表头行：没有可识别的列名", code="no_header"
        )
    missing = [k for k in required_columns(category, defaults) if k not in match.columns]
    if missing:
        hint = _wrong_category_hint(catalog, category, head)
        if hint:
            raise FileRefused(hint, code="wrong_category")
        names = "、".join(category.field(k).name for k in missing)
        raise FileRefused(f"文件缺少必填列：{names}", code="missing_columns", details={"missing": missing})
    header = head[match.row_index]
    qid_col = next(
        (j for j, h in enumerate(header) if normalize_header(h) == normalize_header(QUARANTINE_ID_HEADER)), None
    )
    if qid_col is not None and qid_col < len(match.columns):
        match.ignored = [h for h in match.ignored if normalize_header(h) != normalize_header(QUARANTINE_ID_HEADER)]

    batch = Batch(
        batch_no=_batch_no(now),
        category=category.code,
        department_code=dept.code,
        actor=actor.label,
        channel=meta.channel,
        file_name=meta.file_name,
        file_sha256=meta.file_sha256,
        file_format=meta.file_format,
        encoding=meta.encoding,
        mapping=match.mapping,
        catalog_version=catalog.version,
        status="running",
        started_at=now,
        notes={"header_row": match.row_index + 1, "ignored_columns": match.ignored},
    )
    session.add(batch)
    session.flush()

    summary = BatchSummary(
        batch_no=batch.batch_no,
        category=category.code,
        department_code=dept.code,
        file_name=meta.file_name,
        file_sha256=meta.file_sha256,
        file_format=meta.file_format,
        encoding=meta.encoding,
        mapping=match.mapping,
        header_row=match.row_index + 1,
        ignored_columns=match.ignored,
        started_at=now,
        results=[] if ctx.keep_row_results else None,
    )
    worker = _ChunkWriter(session, ctx, category, dept, batch, now, defaults, summary)

    # Reading and validating chunk N+1 (Polars, no database) overlaps with writing chunk N.
    def prepared() -> Iterator[_Prepared | None]:
        for frame in source.frames(match.row_index, len(header), ctx.chunk_rows):
            yield worker.prepare(frame, header, match.columns, qid_col)

    for item in prefetch(prepared(), depth=1):
        if item is not None:
            worker.commit(item, header)

    if summary.total == 0:
        # Rolled back with the caller's transaction: a file with a header and no data leaves no batch behind.
        raise FileRefused("文件只有表头，没有数据行", code="no_rows")
    batch.status = "completed"
    batch.finished_at = utcnow()
    for name in ("total", "accepted", "warned", "rejected", "unchanged", "revised", "new_subjects"):
        setattr(batch, name, getattr(summary, name))
    audit(
        session,
        actor,
        "batch.import",
        "batch",
        batch.batch_no,
        {
            "category": category.code,
            "department": dept.code,
            "channel": meta.channel,
            "file_name": meta.file_name,
            "file_sha256": meta.file_sha256,
            "counts": {
                k: getattr(summary, k) for k in ("total", "accepted", "warned", "rejected", "unchanged", "revised")
            },
        },
    )
    return summary


def _wrong_category_hint(catalog: Catalog, chosen: CategoryDef, head: Sequence[Sequence[str]]) -> str | None:
    """If the file fits another category better than the chosen one, say which."""

    def score(cat: CategoryDef) -> int:
        m = match_header(head, header_lookup(cat, catalog.mappings_for(cat.code)))
        if m is None:
            return 0
        missing = [k for k in required_columns(cat) if k not in m.columns]
        return m.score if not missing else 0

    own = score(chosen)
    best = max((c for c in catalog.categories() if c.code != chosen.code), key=score, default=None)
    if best is not None and score(best) > own:
        return f"文件内容是「{best.name}」数据，与所选类别「{chosen.name}」不符"
    return None


def _summary_of(batch: Batch, *, already_imported: bool = False) -> BatchSummary:
    notes = batch.notes or {}
    return BatchSummary(
        batch_no=batch.batch_no,
        category=batch.category,
        department_code=batch.department_code,
        file_name=batch.file_name,
        file_sha256=batch.file_sha256,
        file_format=batch.file_format,
        encoding=batch.encoding,
        mapping=batch.mapping,
        total=batch.total,
        accepted=batch.accepted,
        warned=batch.warned,
        rejected=batch.rejected,
        unchanged=batch.unchanged,
        revised=batch.revised,
        new_subjects=batch.new_subjects,
        already_imported=already_imported,
        header_row=notes.get("header_row"),
        ignored_columns=list(notes.get("ignored_columns", [])),
        started_at=batch.started_at,
    )


summary_of = _summary_of


@dataclass
class _Prepared:
    frame: pl.DataFrame  # raw cells of the non-blank rows, with ``_i``
    rows: pl.DataFrame  # validated rows


def prefetch(items: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """Run ``items`` in a background thread, ``depth`` items ahead; exceptions are re-raised here.

    Used for CPU work that releases the GIL (Polars) while the caller's thread waits on the database.
    """
    results: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        results.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            results.put(("done", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            results.put(("error", exc))

    thread = threading.Thread(target=run, name="ingest-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = results.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():
            try:
                results.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


class _ChunkWriter:
    """Processes chunks of one batch."""

    def __init__(
        self,
        session: Session,
        ctx: PipelineContext,
        category: CategoryDef,
        dept: Department,
        batch: Batch,
        now: dt.datetime,
        defaults: Mapping[str, str],
        summary: BatchSummary,
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.category = category
        self.dept = dept
        self.batch = batch
        self.now = now
        self.summary = summary
        self.dialect = session.get_bind().dialect.name
        self.validator = ChunkValidator(
            category,
            ValidationContext(today=now.astimezone(CHINA).date(), max_cell_chars=ctx.max_cell_chars, defaults=defaults),
        )
        self.calendar = build_calendar(session) if category.dual_publicity else None
        self.rule_sets = ctx.catalog.publicity_rule_sets(category.publicity_family) if category.publicity_family else []
        self.pii_keys = [f.key for f in category.fields if f.type in ("id_number", "phone")]
        self.reported_date = now.astimezone(CHINA).date()
        self.severity = severity_expr(category) if category.severity_rules or category.default_severity else None
        self.hash_key = ctx.pii.mac_key[:32]

    # ------------------------------------------------------------------------------------------------------
    def prepare(
        self, frame: pl.DataFrame, header: list[str], columns: list[str | None], qid_col: int | None
    ) -> _Prepared | None:
        """The database-free part of a chunk (blank rows, column mapping, validation); safe to run in a thread.

        ``frame`` holds the raw cells ``c0 …`` and ``_row``.
        """
        width = len(header)
        cells = [f"c{j}" for j in range(width)]
        # Rows whose cells are all blank are skipped (offices leave empty rows between blocks).
        blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cells])
        frame = frame.filter(~blank).with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64))
        if frame.height == 0:
            return None
        select = [pl.col(f"c{j}").alias(k) for j, k in enumerate(columns) if k is not None and j < width]
        raw = frame.select("_row", "_i", *select)
        df = self.validator.run(raw)
        if qid_col is not None:
            qid = frame.select("_i", pl.col(f"c{qid_col}").str.strip_chars().cast(pl.Int64, strict=False).alias("_qid"))
            df = df.join(qid, on="_i", how="left", maintain_order="left")
        else:
            df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("_qid"))
        return _Prepared(frame=frame, rows=self._derive(df))

    def _derive(self, df: pl.DataFrame) -> pl.DataFrame:
        """Everything about a row that needs no database, computed here so it overlaps the previous chunk's writes.

        Adds the natural key ``_nk``, the keyed content hash ``_hash``, ``_quality``, ``_decision``, ``_severity``
        and the stored forms: ``_data`` (JSON, personal fields masked), ``_pii`` (AES-GCM of the clear personal
        fields) and ``_warn`` (JSON list of warnings).
        """
        cat = self.category
        key_expr = pl.concat_str([pl.col(k).str.replace_all(r"\s+", "") for k in cat.natural_key], separator="|")
        values = self._normalised_values()
        dd = f"{cat.decision_date}__date" if cat.decision_date else None
        df = df.with_columns(
            key_expr.alias("_nk"),
            pl.struct(values).struct.json_encode().alias("_full"),
            self.validator.quality_expr().alias("_quality"),
            (pl.col(dd) if dd else pl.lit(None, dtype=pl.Date)).alias("_decision"),
        )
        # Keyed content hash: detects changes without revealing personal data.
        key = self.hash_key
        blake = hashlib.blake2b
        hashes = [blake(s.encode(), key=key, digest_size=16).hexdigest() for s in df["_full"].to_list()]
        df = df.with_columns(pl.Series("_hash", hashes, dtype=pl.String))
        if self.severity is not None:
            # severity_expr reads amounts already parsed (万元, Float64) under the field key, not the raw text.
            parsed = [
                pl.col(f"{f.key}__num").alias(f.key)
                for f in cat.fields
                if f.type in ("amount_wan", "decimal", "integer")
            ]
            df = df.with_columns(df.with_columns(parsed).select(self.severity.alias("_severity")).to_series())
        else:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias("_severity"))

        # Stored data: personal fields masked; clear values encrypted.
        data_cols = values
        pii_cipher: list[bytes | None]
        if self.pii_keys:
            masked = [
                pl.col(f"{k}__norm")
                .map_batches(_mask_series(self.category.field(k).type), return_dtype=pl.String)
                .alias(k)
                for k in self.pii_keys
            ]
            data_cols = [c for c in data_cols if c.meta.output_name() not in self.pii_keys] + masked
            pii_json = df.select(
                pl.struct([pl.col(f"{k}__norm").alias(k) for k in self.pii_keys]).struct.json_encode()
            ).to_series()
            has_pii = df.select(
                pl.any_horizontal([pl.col(f"{k}__norm").is_not_null() for k in self.pii_keys])
            ).to_series()
            enc = self.ctx.pii.encrypt
            pii_cipher = [enc(s.encode()) if h else None for s, h in zip(pii_json, has_pii, strict=True)]
        else:
            pii_cipher = [None] * df.height
        return df.with_columns(
            _drop_json_nulls(pl.struct(data_cols).struct.json_encode()).alias("_data"),
            pl.Series("_pii", pii_cipher, dtype=pl.Binary),
            pl.when(pl.col("_warnings").list.len() > 0)
            .then(
                pl.concat_str(
                    [
                        pl.lit("["),
                        pl.col("_warnings").list.eval(pl.element().struct.json_encode()).list.join(","),
                        pl.lit("]"),
                    ]
                )
            )
            .otherwise(None)
            .alias("_warn"),
        )

    def commit(self, prepared: _Prepared, header: list[str]) -> None:
        """The database part of a chunk: subjects, revisions, records, quarantine."""
        df, frame = prepared.rows, prepared.frame
        self.summary.total += df.height
        ok = df.filter(pl.col("_errors").list.len() == 0)
        bad = df.filter(pl.col("_errors").list.len() > 0)
        dup_bad = pl.DataFrame()
        if ok.height:
            ok, dup_bad = self._store(ok)
        rejected = pl.concat([bad, dup_bad], how="diagonal_relaxed") if dup_bad.height else bad
        if rejected.height:
            self._quarantine(rejected, frame, header)
        self._resolve_resubmitted(df)

    def process(self, frame: pl.DataFrame, header: list[str], columns: list[str | None], qid_col: int | None) -> None:
        """Prepare and commit one chunk in the calling thread."""
        prepared = self.prepare(frame, header, columns, qid_col)
        if prepared is not None:
            self.commit(prepared, header)

    # ------------------------------------------------------------------------------------------------------
    def _store(self, ok: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        cat = self.category
        # Duplicates inside the chunk: the first occurrence stands.
        ok = ok.with_columns(pl.col("_nk").is_first_distinct().alias("_first"))
        firsts = ok.filter(pl.col("_first"))
        later = ok.filter(~pl.col("_first")).join(
            firsts.select("_nk", pl.col("_hash").alias("_first_hash"), pl.col("_row").alias("_first_row")), on="_nk"
        )
        dup_same = later.filter(pl.col("_hash") == pl.col("_first_hash"))
        dup_diff = later.filter(pl.col("_hash") != pl.col("_first_hash"))

        existing = self._existing(firsts["_nk"].to_list())
        firsts = firsts.join(existing, on="_nk", how="left")
        same_batch = pl.col("_old_batch") == self.batch.id
        unchanged = firsts.filter(pl.col("_old_hash") == pl.col("_hash"))
        cross_dup = firsts.filter(same_batch & (pl.col("_old_hash") != pl.col("_hash")))
        writes = firsts.filter(pl.col("_old_hash").is_null() | ((pl.col("_old_hash") != pl.col("_hash")) & ~same_batch))

        self.summary.unchanged += unchanged.height + dup_same.height
        dup_rows = pl.concat(
            [
                dup_diff.select("_i", pl.col("_first_row").alias("_dup_of")),
                cross_dup.select("_i", pl.lit(None, dtype=pl.Int64).alias("_dup_of")),
            ]
        )
        if writes.height:
            self._write(writes)
        if self.summary.results is not None:
            for r in unchanged.iter_rows(named=True):
                self.summary.results.append(RowResult(r["_row"], "unchanged", r["_nk"], revision=r["_old_rev"]))
            for r in dup_same.iter_rows(named=True):
                self.summary.results.append(RowResult(r["_row"], "unchanged", r["_nk"]))
        if not dup_rows.height:
            return writes, pl.DataFrame()
        dups = ok.join(dup_rows, on="_i").with_columns(
            pl.concat_list(
                pl.struct(
                    field=pl.lit(cat.natural_key[0]),
                    code=pl.lit("duplicate_in_file"),
                    message=pl.when(pl.col("_dup_of").is_not_null())
                    .then(
                        pl.format(
                            "与本批次第 {} 行的「{}」相同但内容不同",
                            pl.col("_dup_of"),
                            pl.lit(cat.field(cat.natural_key[0]).name),
                        )
                    )
                    .otherwise(pl.lit(f"与本批次前面的记录「{cat.field(cat.natural_key[0]).name}」相同但内容不同")),
                )
            ).alias("_errors")
        )
        return writes, dups

    def _normalised_values(self) -> list[pl.Expr]:
        """Values as stored: dates ISO, amounts numbers, codes normalised, enums canonical."""
        out: list[pl.Expr] = []
        for f in self.category.fields:
            c = pl.col(f.key)
            if f.type == "date":
                out.append(pl.col(f"{f.key}__date").dt.to_string("%Y-%m-%d").alias(f.key))
            elif f.type in ("amount_wan", "decimal", "integer"):
                out.append(pl.col(f"{f.key}__num").alias(f.key))
            elif f.type in ("uscc", "id_number", "region", "plate", "enum"):
                out.append(pl.col(f"{f.key}__norm").alias(f.key))
            else:
                out.append(c)
        return out

    def _existing(self, keys: list[str]) -> pl.DataFrame:
        schema = {
            "_nk": pl.String,
            "_old_id": pl.Int64,
            "_old_rev": pl.Int64,
            "_old_hash": pl.String,
            "_old_batch": pl.Int64,
        }
        found: list[tuple[Any, ...]] = []
        R = CreditRecord
        for start in range(0, len(keys), _LOOKUP_SLICE):
            part = keys[start : start + _LOOKUP_SLICE]
            stmt = select(R.natural_key, R.id, R.revision, R.content_hash, R.batch_id).where(
                R.category == self.category.code, R.is_current.is_(True), values_in(self.session, R.natural_key, part)
            )
            found.extend(tuple(r) for r in self.session.execute(stmt))
        return pl.DataFrame(found, schema=schema, orient="row")

    # ------------------------------------------------------------------------------------------------------
    def _write(self, w: pl.DataFrame) -> None:
        cat = self.category
        w = self._attach_subjects(w)
        # Deadline (双公示) and publicity window, computed once per distinct date / severity.
        w = self._deadlines(w)
        w = self._publicity(w)

        # Revisions: supersede the current ones.
        revised_ids = w.filter(pl.col("_old_id").is_not_null())["_old_id"].to_list()
        if revised_ids:
            R = RECORDS
            for start in range(0, len(revised_ids), _LOOKUP_SLICE):
                part = revised_ids[start : start + _LOOKUP_SLICE]
                self.session.execute(
                    update(R)
                    .where(values_in(self.session, R.c.id, part, Integer()))
                    .values(is_current=False, status="superseded")
                )
        w = w.with_columns(
            (pl.col("_old_rev").fill_null(0) + 1).alias("_rev"),
            pl.when(pl.col("_old_id").is_not_null())
            .then(pl.lit("revised"))
            .when(pl.col("_warnings").list.len() > 0)
            .then(pl.lit("warned"))
            .otherwise(pl.lit("accepted"))
            .alias("_outcome"),
        )
        counts = dict(w.group_by("_outcome").len().iter_rows())
        self.summary.accepted += counts.get("accepted", 0)
        self.summary.warned += counts.get("warned", 0)
        self.summary.revised += counts.get("revised", 0)

        created = self._ts(self.now)
        out = w.select(
            pl.lit(cat.code).alias("category"),
            pl.col("_nk").alias("natural_key"),
            pl.col("_rev").alias("revision"),
            pl.lit(True).alias("is_current"),
            pl.lit("active").alias("status"),
            pl.col("_subject_id").alias("subject_id"),
            pl.lit(self.batch.id).alias("batch_id"),
            pl.col("_row").alias("source_row"),
            pl.lit(self.dept.code).alias("department_code"),
            pl.col("_decision").dt.to_string("%Y-%m-%d").alias("decision_date"),
            pl.lit(created).alias("reported_at"),
            pl.col("_deadline").dt.to_string("%Y-%m-%d").alias("report_deadline"),
            pl.col("_on_time").alias("on_time"),
            pl.col("_estimated").alias("deadline_estimated"),
            pl.col("_severity").alias("severity"),
            pl.col("_rule_version").alias("publicity_rule_version"),
            pl.col("_pub_start").dt.to_string("%Y-%m-%d").alias("publicity_start"),
            pl.col("_pub_min_end").dt.to_string("%Y-%m-%d").alias("publicity_min_end"),
            pl.col("_pub_end").dt.to_string("%Y-%m-%d").alias("publicity_end"),
            pl.col("_quality").alias("quality_score"),
            pl.col("_hash").alias("content_hash"),
            pl.col("_data").alias("data"),
            pl.col("_pii").alias("pii_cipher"),
            pl.col("_warn").alias("warnings"),
            pl.lit(created).alias("created_at"),
        )
        if self.dialect == "postgresql":
            out = out.with_columns(_hex_bytea("pii_cipher"))
        bulk_insert_frame(self.session, RECORDS, out)

        if self.summary.results is not None:
            for r in w.select("_row", "_outcome", "_nk", "_warnings", "_rev").iter_rows():
                self.summary.results.append(RowResult(r[0], r[1], r[2], warnings=list(r[3]), revision=r[4]))

    def _ts(self, value: dt.datetime) -> str:
        value = value.astimezone(dt.UTC)
        if self.dialect == "sqlite":
            return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return value.isoformat(sep=" ", timespec="microseconds")

    def _deadlines(self, w: pl.DataFrame) -> pl.DataFrame:
        cat = self.category
        if self.calendar is None or not cat.report_within_workdays:
            return w.with_columns(
                pl.lit(None, dtype=pl.Date).alias("_deadline"),
                pl.lit(None, dtype=pl.Boolean).alias("_on_time"),
                pl.lit(False).alias("_estimated"),
            )
        dates = [d for d in w["_decision"].unique().to_list() if d is not None]
        table = self.calendar.deadlines_for(dates, cat.report_within_workdays)
        lut = pl.DataFrame(
            {
                "_decision": list(table.keys()),
                "_deadline": [r.date for r in table.values()],
                "_estimated": [r.estimated for r in table.values()],
            },
            schema={"_decision": pl.Date, "_deadline": pl.Date, "_estimated": pl.Boolean},
        )
        w = w.join(lut, on="_decision", how="left")
        return w.with_columns(
            (pl.col("_deadline") >= pl.lit(self.reported_date)).alias("_on_time"),
            pl.col("_estimated").fill_null(False),
        )

    def _publicity(self, w: pl.DataFrame) -> pl.DataFrame:
        cat = self.category
        if self.rule_sets:
            combos = w.select("_severity", "_decision").unique().drop_nulls().rows()
            rows = []
            for sev, d in combos:
                win = publicity_window(self.rule_sets, sev, d)
                rows.append((sev, d, win.rule_version, win.start, win.min_end, win.end))
            lut = pl.DataFrame(
                rows,
                schema={
                    "_severity": pl.String,
                    "_decision": pl.Date,
                    "_rule_version": pl.String,
                    "_pub_start": pl.Date,
                    "_pub_min_end": pl.Date,
                    "_pub_end": pl.Date,
                },
                orient="row",
            )
            return w.join(lut, on=["_severity", "_decision"], how="left")
        end = pl.col(f"{cat.valid_until}__date") if cat.valid_until else pl.lit(None, dtype=pl.Date)
        return w.with_columns(
            pl.lit(None, dtype=pl.String).alias("_rule_version"),
            pl.col("_decision").alias("_pub_start"),
            pl.lit(None, dtype=pl.Date).alias("_pub_min_end"),
            end.alias("_pub_end"),
        )

    # ------------------------------------------------------------------------------------------------------
    def _attach_subjects(self, w: pl.DataFrame) -> pl.DataFrame:
        """Find or create the subjects of the rows (set-wise), add ``_subject_id``."""
        b = self.category.subject
        w = w.with_columns(
            pl.when(pl.col("_subject_kind") == "person").then(pl.col("_person_id")).otherwise(None).alias("_pid"),
            pl.when((pl.col("_subject_kind") != "person") & (pl.col("_uscc") != "00000000000000000X"))
            .then(pl.col("_uscc"))
            .otherwise(None)
            .alias("_org"),
        )
        # Persons: keyed hash of the ID number.
        pids = w["_pid"].unique().drop_nulls().to_list()
        keyed = {p: self.ctx.pii.keyed_hash(p) for p in pids}
        w = w.with_columns(pl.col("_pid").replace_strict(keyed, default=None, return_dtype=pl.String).alias("_pkey"))
        reg_key = b.aliases.get("reg_no")
        placeholder = (pl.col("_subject_kind") != "person") & pl.col("_org").is_null()
        w = w.with_columns(
            pl.when(placeholder & (pl.lit(reg_key is not None)))
            .then(pl.col(reg_key) if reg_key else pl.lit(None, dtype=pl.String))
            .otherwise(None)
            .str.replace_all(r"\s+", "")
            .alias("_regno")
        )

        S = Subject
        ids: dict[tuple[str, str | None], int] = {}
        orgs = w["_org"].unique().drop_nulls().to_list()
        for start in range(0, len(orgs), _LOOKUP_SLICE):
            part = orgs[start : start + _LOOKUP_SLICE]
            for sid, code in self.session.execute(select(S.id, S.uscc).where(values_in(self.session, S.uscc, part))):
                ids[("org", code)] = sid
        pkeys = list(keyed.values())
        for start in range(0, len(pkeys), _LOOKUP_SLICE):
            part = pkeys[start : start + _LOOKUP_SLICE]
            for sid, pk in self.session.execute(
                select(S.id, S.person_key).where(values_in(self.session, S.person_key, part))
            ):
                ids[("person", pk)] = sid
        regnos = w["_regno"].unique().drop_nulls().to_list()
        if regnos:
            A = SubjectAlias
            for sid, val in self.session.execute(
                select(A.subject_id, A.value).where(A.kind == "reg_no", values_in(self.session, A.value, regnos))
            ):
                ids[("regno", val)] = sid

        w = w.with_columns(
            pl.when(pl.col("_pkey").is_not_null())
            .then(pl.concat_str([pl.lit("person\x00"), pl.col("_pkey")]))
            .when(pl.col("_org").is_not_null())
            .then(pl.concat_str([pl.lit("org\x00"), pl.col("_org")]))
            .otherwise(pl.concat_str([pl.lit("regno\x00"), pl.col("_regno")]))
            .alias("_skey")
        )
        known = {f"{k[0]}\x00{k[1]}": v for k, v in ids.items()}
        new = w.filter(~pl.col("_skey").is_in(list(known.keys()))).unique("_skey", keep="first", maintain_order=True)
        if new.height:
            known.update(self._create_subjects(new))
        w = w.with_columns(
            pl.col("_skey").replace_strict(known, default=None, return_dtype=pl.Int64).alias("_subject_id")
        )
        self._add_aliases(w)
        return w

    def _create_subjects(self, new: pl.DataFrame) -> dict[str, int]:
        """Insert the chunk's new subjects in one statement and read their ids back by identifying column."""
        b = self.category.subject
        enc = self.ctx.pii.encrypt
        region = (
            pl.when(pl.col("_org").is_not_null())
            .then(pl.col("_org").str.slice(2, 6))
            .when(pl.col("_pid").is_not_null())
            .then(pl.col("_pid").str.slice(0, 6))
            .otherwise(None)
        )
        legal = pl.col(b.legal_representative) if b.legal_representative else pl.lit(None, dtype=pl.String)
        pids = new["_pid"].to_list()
        created = self._ts(self.now)
        frame = new.select(
            pl.col("_subject_kind").alias("kind"),
            pl.col(b.name).alias("name"),
            pl.col("_org").alias("uscc"),
            pl.col("_pkey").alias("person_key"),
            pl.Series("id_cipher", [enc(p.encode()) if p else None for p in pids], dtype=pl.Binary),
            pl.Series("id_masked", [mask_id_number(p) if p else None for p in pids], dtype=pl.String),
            pl.when(region.str.contains(r"^\d{6}$"))
            .then(region)
            .otherwise(pl.lit(self.dept.region_code))
            .alias("region_code"),
            legal.alias("legal_representative"),
            pl.lit(created).alias("created_at"),
            pl.lit(created).alias("updated_at"),
            pl.lit(self.batch.id).alias("created_batch_id"),
        )
        if self.dialect == "postgresql":
            frame = frame.with_columns(_hex_bytea("id_cipher"))
        with deferred_name_index(self.session):  # the search index, set-wise after the insert (SQLite)
            bulk_insert_frame(self.session, SUBJECTS, frame)
        # Read the new ids back by their identifying column (one statement per kind).
        ids: dict[str, int] = {}
        keys = new["_skey"].to_list()
        orgs, pkeys = new["_org"].to_list(), new["_pkey"].to_list()
        by_org = {o: k for k, o in zip(keys, orgs, strict=True) if o}
        by_person = {p: k for k, p in zip(keys, pkeys, strict=True) if p}
        by_regno = [k for k, o, p in zip(keys, orgs, pkeys, strict=True) if not o and not p]
        S = Subject
        if by_org:
            stmt = select(S.id, S.uscc).where(values_in(self.session, S.uscc, list(by_org)))
            for sid, code in self.session.execute(stmt):
                ids[by_org[code]] = sid
        if by_person:
            stmt = select(S.id, S.person_key).where(values_in(self.session, S.person_key, list(by_person)))
            for sid, pk in self.session.execute(stmt):
                ids[by_person[pk]] = sid
        if by_regno:
            # Individual businesses without a code (identified by 工商注册号): the newest rows of this batch without
            # a code, in insertion order.
            fresh_stmt = (
                select(S.id)
                .where(S.created_batch_id == self.batch.id, S.uscc.is_(None), S.person_key.is_(None))
                .order_by(S.id.desc())
                .limit(len(by_regno))
            )
            fresh = sorted(self.session.scalars(fresh_stmt))
            ids.update(zip(by_regno, fresh, strict=True))
        self.summary.new_subjects += new.height
        return ids

    def _add_aliases(self, w: pl.DataFrame) -> None:
        b = self.category.subject
        if not b.aliases:
            return
        pairs: dict[tuple[str, str], int] = {}
        for kind, key in b.aliases.items():
            sub = w.select(pl.col(key).str.replace_all(r"\s+", "").alias("v"), "_subject_id").drop_nulls().unique("v")
            for value, sid in sub.iter_rows():
                if value and len(value) <= 40:
                    pairs.setdefault((kind, value), sid)
        if not pairs:
            return
        stmt: Any = insert_for(self.session, ALIASES)
        stmt = stmt.on_conflict_do_nothing(index_elements=["kind", "value"])
        rows = [{"kind": k, "value": v, "subject_id": s} for (k, v), s in pairs.items()]
        for start in range(0, len(rows), 5_000):
            self.session.execute(stmt, rows[start : start + 5_000])

    # ------------------------------------------------------------------------------------------------------
    def _quarantine(self, rejected: pl.DataFrame, frame: pl.DataFrame, header: list[str]) -> None:
        self.summary.rejected += rejected.height
        cat = self.category
        enc = self.ctx.pii.encrypt_json
        cells_of = frame.filter(pl.col("_i").is_in(rejected["_i"].to_list())).select(
            "_i", *[pl.col(f"c{j}").fill_null("") for j in range(len(header))]
        )
        by_index = {r[0]: list(r[1:]) for r in cells_of.iter_rows()}
        names = [h.strip() or f"列{j + 1}" for j, h in enumerate(header)]
        nk = pl.concat_str([pl.col(k) for k in cat.natural_key], separator="|", ignore_nulls=True)
        view = rejected.select("_i", "_row", "_errors", pl.col(cat.subject.name).alias("_name"), nk.alias("_nk"))
        rows = []
        for i, row_no, errors, name, key in view.iter_rows():
            cells = by_index[i]
            raw = {names[j]: (cells[j] if j < len(cells) else "") for j in range(len(names))}
            rows.append(
                {
                    "batch_id": self.batch.id,
                    "category": cat.code,
                    "department_code": self.dept.code,
                    "source_row": row_no,
                    "raw_cipher": enc(raw),
                    "subject_name": (name or "")[:200] or None,
                    "natural_key": (key or "")[:200] or None,
                    "errors": list(errors),
                    "status": "open",
                    "created_at": self.now,
                }
            )
            if self.summary.results is not None:
                self.summary.results.append(RowResult(row_no, "rejected", key or None, errors=list(errors)))
        for start in range(0, len(rows), 5_000):
            self.session.execute(QUARANTINE.insert(), rows[start : start + 5_000])

    def _resolve_resubmitted(self, df: pl.DataFrame) -> None:
        qids = df["_qid"].drop_nulls().unique().to_list()
        if not qids:
            return
        Q = QuarantineRow
        resolved = self.session.execute(
            update(Q)
            .where(
                Q.id.in_(qids),
                Q.department_code == self.dept.code,
                Q.category == self.category.code,
                Q.status == "open",
                Q.batch_id != self.batch.id,
            )
            .values(status="resubmitted", resolved_batch_id=self.batch.id)
            .returning(Q.batch_id)
        ).all()
        if resolved and self.batch.resubmits_batch_id is None:
            self.batch.resubmits_batch_id = resolved[0][0]


def _hex_bytea(column: str) -> pl.Expr:
    """A binary column as PostgreSQL's hex bytea text (``\\x…``) for COPY in CSV format."""
    return (
        pl.when(pl.col(column).is_not_null())
        .then(pl.concat_str([pl.lit("\\x"), pl.col(column).bin.encode("hex")]))
        .alias(column)
    )


def _drop_json_nulls(e: pl.Expr) -> pl.Expr:
    """Remove ``"key":null`` members from flat JSON objects (empty fields are simply absent in stored data)."""
    return (
        e.str.replace_all(r'"[A-Za-z0-9_]+":null,', "")
        .str.replace_all(r',"[A-Za-z0-9_]+":null\}', "}")
        .str.replace_all(r'^\{"[A-Za-z0-9_]+":null\}$', "{}")
    )


def _mask_series(field_type: str) -> Any:
    mask = mask_phone if field_type == "phone" else mask_id_number

    def apply(s: pl.Series) -> pl.Series:
        return pl.Series([mask(v) if v else None for v in s], dtype=pl.String)

    return apply


def iter_json_rows(records: Iterable[Mapping[str, Any]]) -> Iterator[list[str]]:
    """JSON records (API push) as rows: header = union of keys in first-seen order."""
    items = list(records)
    header: list[str] = []
    seen: set[str] = set()
    for r in items:
        for k in r:
            if k not in seen:
                seen.add(k)
                header.append(k)
    yield header
    for r in items:
        yield ["" if r.get(h) is None else str(r.get(h)) for h in header]


__all__ = [
    "BatchSummary",
    "InvalidInput",
    "PipelineContext",
    "RowResult",
    "SourceMeta",
    "import_rows",
    "iter_json_rows",
    "summary_of",
]
