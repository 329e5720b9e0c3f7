"""Use cases of sharing (信用信息共享交换): generate a target's next package, list packages, verify a package.

A package is a directory ``<target>-<sequence>-<kind>-<YYYY-MM>`` holding the records (``records.jsonl``, or one
``<category>.csv`` per category in GB18030-safe UTF-8 with BOM) and ``manifest.json`` (format version, target,
range, counts per category and operation, each file's SHA-256 and row count, the field dictionary, and the
SHA-256 of the previous package's manifest, which chains the packages). Files are written to a temporary
directory, checked, and renamed into place; the package row and its audit entry are written in the caller's
transaction. The files may hold personal data for the receiving government platform (``personal_ids: clear``):
they are readable by the owner only.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.catalog.schema import CategoryDef
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.disclosure.rules import china_today
from transport_credit.exchange import rules
from transport_credit.exchange.models import ExchangePackage
from transport_credit.lists.models import TypicalCase
from transport_credit.records.ids import settled_max_record_id
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import PiiKeys, pii_keys

MANIFEST = "manifest.json"
_BATCH = 2000


@dataclass(frozen=True)
class PackageView:
    id: int
    target: str
    target_name: str
    sequence: int
    kind: str
    period: str
    from_record_id: int
    to_record_id: int
    rows: int
    counts: dict[str, dict[str, int]]
    directory: str
    manifest_sha256: str
    previous_sha256: str | None
    created_by: str
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    sent_to: str | None = None


def _view(p: ExchangePackage, settings: Settings) -> PackageView:
    known = rules.targets(settings.province)
    return PackageView(
        id=p.id,
        target=p.target,
        target_name=known[p.target].name if p.target in known else p.target,
        sequence=p.sequence,
        kind=p.kind,
        period=p.period,
        from_record_id=p.from_record_id,
        to_record_id=p.to_record_id,
        rows=p.rows,
        counts={k: dict(v) for k, v in (p.counts or {}).items()},
        directory=p.directory,
        manifest_sha256=p.manifest_sha256,
        previous_sha256=p.previous_sha256,
        created_by=p.created_by,
        created_at=p.created_at,
        sent_at=p.sent_at,
        sent_to=p.sent_to,
    )


def list_packages(
    session: Session, actor: Actor, settings: Settings, *, target: str | None = None, limit: int = 100
) -> list[PackageView]:
    """Packages newest first (credit office and viewers: the monthly report counts them)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    P = ExchangePackage
    stmt = select(P).order_by(P.created_at.desc(), P.id.desc()).limit(limit)
    if target:
        rules.target(settings.province, target)
        stmt = stmt.where(P.target == target)
    return [_view(p, settings) for p in session.scalars(stmt)]


def package_by_sequence(session: Session, settings: Settings, target: str, sequence: int) -> ExchangePackage:
    """A target's package by its sequence number; :class:`NotFound` otherwise."""
    t = rules.target(settings.province, target)
    P = ExchangePackage
    package = session.scalar(select(P).where(P.target == t.code, P.sequence == sequence))
    if package is None:
        raise NotFound(f"{t.name}没有第 {sequence} 号交换包", code="package_not_found")
    return package


def package_paths(session: Session, actor: Actor, settings: Settings, package_id: int) -> tuple[str, list[Path]]:
    """The files of a registered package (manifest first), checked against the manifest, for a download; the
    download is audited (the files may hold personal data)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    package = session.get(ExchangePackage, package_id)
    if package is None:
        raise NotFound("未找到该交换包", code="package_not_found")
    directory = Path(package.directory)
    report = verify_directory(directory)
    if not report.ok or report.manifest is None:
        raise Conflict("交换包文件缺失或已被改动，无法下载：" + "；".join(report.problems), code="package_damaged")
    manifest = directory / MANIFEST
    if sha256_of(manifest) != package.manifest_sha256:
        raise Conflict("交换包的清单与生成时不一致，无法下载", code="package_damaged")
    paths = [manifest, *(directory / str(f["name"]) for f in report.manifest["files"])]
    audit(session, actor, "exchange.download", "exchange_package", f"{package.target}#{package.sequence}", {})
    return directory.name, paths


def write_zip(paths: list[Path], destination: IO[bytes]) -> None:
    """The files into a ZIP, each streamed from disk (a package can be large)."""
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in paths:
            zf.write(path, arcname=path.name)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- reading the records ---------------------------------------------------------------------------------------


def _source_rows(
    session: Session,
    keys: PiiKeys | None,
    categories: list[str],
    *,
    full: bool,
    from_id: int,
    to_id: int,
) -> Iterator[rules.SourceRow]:
    """The records of a package, category by category in id order, streamed (``yield_per``)."""
    R, S = CreditRecord, Subject
    cond = [R.category.in_(categories), R.id > from_id, R.id <= to_id, R.is_current.is_(True)]
    if full:
        cond.append(R.status == "active")
    stmt = (
        select(
            R.id,
            R.category,
            R.natural_key,
            R.revision,
            R.status,
            R.decision_date,
            R.publicity_start,
            R.publicity_end,
            R.department_code,
            R.reported_at,
            R.data,
            R.pii_cipher,
            S.kind,
            S.name,
            S.uscc,
            S.id_masked,
            S.id_cipher,
        )
        .join(S, S.id == R.subject_id)
        .where(*cond)
        .order_by(R.category, R.id)
        .execution_options(yield_per=_BATCH)
    )
    for r in session.execute(stmt):
        data: dict[str, Any] = dict(r.data or {})
        id_number = r.id_masked
        if keys is not None:
            if r.pii_cipher is not None:
                clear = keys.decrypt_json(r.pii_cipher)
                if isinstance(clear, dict):
                    data.update(clear)
            if r.id_cipher is not None:
                id_number = keys.decrypt(r.id_cipher).decode("utf-8")
        yield rules.SourceRow(
            record_id=r.id,
            category=r.category,
            natural_key=r.natural_key,
            revision=r.revision,
            status=r.status,
            decision_date=r.decision_date,
            publicity_start=r.publicity_start,
            publicity_end=r.publicity_end,
            department_code=r.department_code,
            reported_at=r.reported_at,
            data=data,
            subject_kind=r.kind,
            subject_name=r.name,
            subject_uscc=r.uscc,
            subject_id_number=id_number,
        )


# --- writing a package -----------------------------------------------------------------------------------------


@dataclass
class _File:
    name: str
    handle: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    rows: int = 0

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)


def _open(directory: Path, name: str) -> _File:
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return _File(name, os.fdopen(fd, "wb"))


def _csv_line(values: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue().encode("utf-8")


def _write_records(
    directory: Path, t: rules.Target, cats: list[CategoryDef], rows: Iterator[rules.SourceRow]
) -> tuple[list[_File], dict[str, Counter[str]]]:
    fields = {c.code: rules.shared_fields(c, t) for c in cats}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    files: dict[str, _File] = {}
    try:
        if t.format == "jsonl":
            files["*"] = _open(directory, rules.file_name(t))
        for row in rows:
            line = rules.package_row(row, fields[row.category])
            counts[row.category][line["op"]] += 1
            if t.format == "jsonl":
                f = files["*"]
                f.write(orjson.dumps(line) + b"\n")
            else:
                f = files.get(row.category) or files.setdefault(
                    row.category, _csv_file(directory, t, row.category, fields)
                )
                f.write(_csv_line(rules.csv_values(line, [name for _, name in fields[row.category]])))
            f.rows += 1
    finally:
        for f in files.values():
            f.handle.close()
    return list(files.values()), counts


def _write_cases(
    directory: Path,
    t: rules.Target,
    session: Session,
    settings: Settings,
    since: dt.datetime | None,
    until: dt.datetime,
    counts: dict[str, Counter[str]],
) -> _File | None:
    """The typical cases of the package: published (and still published) since ``since`` (all, for a full package or
    a target's first package with cases), and those withdrawn since then that an earlier package had sent."""
    C = TypicalCase
    published = [C.status == "published", C.published_at <= until]
    if since is not None:
        published.append(C.published_at > since)
    wanted: list[tuple[rules.Operation, TypicalCase]] = [
        ("upsert", c) for c in session.scalars(select(C).where(*published).order_by(C.published_at, C.id))
    ]
    if since is not None:
        withdrawn = session.scalars(
            select(C)
            .where(C.status == "withdrawn", C.withdrawn_at > since, C.withdrawn_at <= until, C.published_at <= since)
            .order_by(C.withdrawn_at, C.id)
        )
        wanted += [("withdraw", c) for c in withdrawn]
    if not wanted:
        return None
    f = _open(directory, rules.cases_file_name(t))
    try:
        if t.format == "csv":
            f.write(codecs.BOM_UTF8)
            f.write(_csv_line(list(rules.CASE_FIELDS)))
        for op, c in wanted:
            row = rules.CaseRow(
                c.id, c.title, c.kind, c.domain, c.region_code, c.subject_name, c.summary, c.body, c.published_at
            )
            line = rules.case_line(row, op, settings.public_base_url)
            if t.format == "csv":
                f.write(_csv_line([rules.cell(line.get(k)) for k in rules.CASE_FIELDS]))
            else:
                f.write(orjson.dumps(line) + b"\n")
            f.rows += 1
            counts[rules.CASE_CATEGORY][op] += 1
    finally:
        f.handle.close()
    return f


def _csv_file(directory: Path, t: rules.Target, category: str, fields: dict[str, list[tuple[str, str]]]) -> _File:
    f = _open(directory, rules.file_name(t, category))
    f.write(codecs.BOM_UTF8)  # Excel and the offices' tools read the Chinese text right
    f.write(_csv_line([*rules.CSV_FIXED, *(name for _, name in fields[category])]))
    return f


# PostgreSQL advisory lock (first int; the second is the schema and target): ASCII "texc".
EXPORT_LOCK_KEY = 0x7465_7863


def _lock_target(session: Session, target_code: str) -> None:
    """One export of a target at a time, so concurrent exports (two officials pressing the button) come out as
    consecutive packages. The last package's row lock does not cover the first package (there is no row yet); on
    PostgreSQL an advisory lock held to the end of the transaction does, keyed by schema too (several platforms may
    share a database). SQLite's write transactions (BEGIN IMMEDIATE) are serial already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema() || ':' || :target))"),
            {"key": EXPORT_LOCK_KEY, "target": target_code},
        )


def export_package(
    session: Session,
    actor: Actor,
    settings: Settings,
    target_code: str,
    *,
    full: bool = False,
    today: dt.date | None = None,
    out_dir: Path | None = None,
    wait_seconds: float = 600.0,
) -> PackageView:
    """Generate the target's next package: the full set when asked or when the target has none yet, else the
    increment since its last package (possibly empty: the month is then reported as having no changes).

    The package ends at the settled record id (``records/ids.py``): on PostgreSQL the export waits, up to
    ``wait_seconds``, for transactions still writing records, so none of their records falls between two
    packages."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    t = rules.target(settings.province, target_code)
    catalog = active_catalog(session)
    cats = [catalog.category(c) for c in t.categories if catalog.has_category(c)]
    if not cats:
        raise InvalidInput(f"共享交换对象「{t.name}」的信息类别都不在目录中", code="no_exchange_categories")
    P = ExchangePackage
    _lock_target(session, t.code)
    last = session.scalar(select(P).where(P.target == t.code).order_by(P.sequence.desc()).limit(1).with_for_update())
    kind = "full" if full or last is None else "increment"
    from_id = 0 if kind == "full" else last.to_record_id  # type: ignore[union-attr]  # increment ⇒ last exists
    to_id = max(from_id, settled_max_record_id(session, wait_seconds=wait_seconds))
    sequence = (last.sequence + 1) if last is not None else 1
    period = rules.period_of(today or china_today())
    root = (out_dir or settings.data_dir / "exchange") / t.code
    final = root / rules.package_dir_name(t.code, sequence, kind, period)
    if final.exists():
        if session.scalar(select(P.id).where(P.directory == str(final))) is not None:
            raise InvalidInput(f"交换包目录已存在：{final}", code="package_exists")
        shutil.rmtree(final)  # left by an export whose transaction did not commit
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    try:
        keys = pii_keys(settings.pii_key.get_secret_value()) if t.personal_ids == "clear" else None
        rows = _source_rows(session, keys, [c.code for c in cats], full=kind == "full", from_id=from_id, to_id=to_id)
        files, counts = _write_records(partial, t, cats, rows)
        cases_through = None
        if t.cases:
            cases_through = utcnow()
            since = None if kind == "full" or last is None else last.cases_through
            case_file = _write_cases(partial, t, session, settings, since, cases_through, counts)
            if case_file is not None:
                files.append(case_file)
        total_rows = sum(f.rows for f in files)
        count_map = {c: dict(n) for c, n in sorted(counts.items())}
        previous = last.manifest_sha256 if last is not None else None
        manifest = {
            "format": rules.FORMAT_VERSION,
            "target": t.code,
            "target_name": t.name,
            "kind": kind,
            "sequence": sequence,
            "period": period,
            "from_record_id": from_id,
            "to_record_id": to_id,
            "previous_sha256": previous,
            "generated_at": utcnow().isoformat(),
            "catalog_version": catalog.version,
            "personal_ids": t.personal_ids,
            "cases_through": cases_through.isoformat() if cases_through else None,
            "rows": total_rows,
            "counts": count_map,
            "files": [{"name": f.name, "sha256": f.digest.hexdigest(), "rows": f.rows} for f in files],
            "fields": {c.code: [{"key": k, "name": n} for k, n in rules.shared_fields(c, t)] for c in cats},
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        mf = _open(partial, MANIFEST)
        mf.write(body)
        mf.handle.close()
        problems = verify_directory(partial).problems
        if problems:
            raise RuntimeError(f"package failed its own verification: {problems}")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    package = P(
        target=t.code,
        sequence=sequence,
        kind=kind,
        period=period,
        from_record_id=from_id,
        to_record_id=to_id,
        rows=total_rows,
        counts=count_map,
        directory=str(final),
        manifest_sha256=hashlib.sha256(body).hexdigest(),
        previous_sha256=previous,
        cases_through=cases_through,
        created_by=actor.label[:120],
        created_at=utcnow(),
    )
    session.add(package)
    try:
        session.flush()
    except IntegrityError as exc:  # another export of this target took the sequence number first
        raise Conflict("该交换对象的另一个交换包正在生成，请稍后刷新查看", code="export_in_progress") from exc
    audit(
        session,
        actor,
        "exchange.export",
        "exchange_package",
        f"{t.code}#{sequence}",
        {"kind": kind, "range": [from_id, to_id], "rows": package.rows, "manifest_sha256": package.manifest_sha256},
    )
    return _view(package, settings)


# --- verifying a package ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    directory: str
    ok: bool
    problems: list[str]
    manifest: dict[str, Any] | None


class _Hashing(io.RawIOBase):
    """Reads a file and hashes every byte read (one pass for the checksum and the lines)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.fh.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def _count_lines(path: Path, fmt: str) -> tuple[str, int, Counter[tuple[str, str]]]:
    ops: Counter[tuple[str, str]] = Counter()
    rows = 0
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        stream = io.BufferedReader(hashing, buffer_size=1 << 20)
        if fmt == "jsonl":
            for line_bytes in stream:
                line = orjson.loads(line_bytes)
                ops[(line["category"], line["op"])] += 1
                rows += 1
        else:
            reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
            header = next(reader, [])
            op_at, cat_at = header.index("op"), header.index("category")
            for values in reader:
                ops[(values[cat_at], values[op_at])] += 1
                rows += 1
        stream.read()  # the rest (nothing after the last line), so the checksum covers the whole file
    return hashing.digest.hexdigest(), rows, ops


def verify_directory(directory: Path) -> Verification:
    """Check a package as a receiver would: the manifest's format, every file's SHA-256 and row count, and the
    counts per category and operation against the lines themselves. Problems are Chinese sentences."""
    problems: list[str] = []
    path = Path(directory)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Verification(str(path), False, [f"无法读取清单文件 {MANIFEST}：{exc}"], None)
    if manifest.get("format") != rules.FORMAT_VERSION:
        problems.append(f"清单格式版本「{manifest.get('format')}」无法识别")
        return Verification(str(path), False, problems, manifest)
    fmt = "csv" if any(str(f.get("name", "")).endswith(".csv") for f in manifest.get("files", [])) else "jsonl"
    seen: Counter[tuple[str, str]] = Counter()
    total = 0
    for f in manifest.get("files", []):
        name = str(f.get("name", ""))
        file_path = path / name
        if "/" in name or "\\" in name or not file_path.is_file():
            problems.append(f"缺少数据文件 {name}")
            continue
        try:
            sha, rows, ops = _count_lines(file_path, fmt)
        except (ValueError, KeyError, IndexError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            problems.append(f"数据文件 {name} 无法解析：{exc}")
            continue
        if sha != f.get("sha256"):
            problems.append(f"数据文件 {name} 的 SHA-256 与清单不符（文件被改动或不完整）")
        if rows != f.get("rows"):
            problems.append(f"数据文件 {name} 有 {rows} 行，清单记载 {f.get('rows')} 行")
        seen.update(ops)
        total += rows
    if total != manifest.get("rows"):
        problems.append(f"数据共 {total} 行，清单记载 {manifest.get('rows')} 行")
    declared = Counter(
        {(cat, op): int(n) for cat, by_op in (manifest.get("counts") or {}).items() for op, n in by_op.items()}
    )
    if +declared != +seen:
        problems.append("各类别的新增、撤回条数与清单记载不符")
    return Verification(str(path), not problems, problems, manifest)
