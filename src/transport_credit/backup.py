"""Backups of the platform's database (数据备份) and their verification, for the server's operator (cron).

- **SQLite (the embedded database).** Copying the file while the platform runs would copy a database in the middle
  of a write (and miss what still sits in the WAL). SQLite's online backup API copies a consistent snapshot in one
  read transaction: under WAL, imports and checks go on writing meanwhile. The copy is written next to its final
  name and renamed only once complete and checked (``PRAGMA quick_check``), so a backup file is never half written;
  it is a single self-contained file (rollback journal mode), openable with any SQLite.
- **PostgreSQL.** ``pg_dump`` in its custom format (restore with ``pg_restore``); the platform does not reinvent it.

Every backup gets a manifest next to it (``<file>.json``): when, what schema revision, the file's SHA-256, and the
audit chain's length and head hash at the time. ``verify_backup`` checks a backup against its manifest: the digest
(the file was not altered or truncated since), and for SQLite the database's integrity and the whole audit chain in
the copy (audit/verify.py), whose head must match the manifest's. Personal identifiers in a backup are as in the
database: encrypted with the PII key, which is backed up separately (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from transport_credit import __version__
from transport_credit.audit.models import AuditEntry
from transport_credit.audit.verify import verify as verify_chain
from transport_credit.common.errors import InvalidInput
from transport_credit.db.uow import Database

BackupFormat = Literal["sqlite", "pg_dump"]
MANIFEST_SUFFIX = ".json"


@dataclass(frozen=True)
class BackupManifest:
    format: BackupFormat
    file: str  # the backup's file name (the manifest sits next to it)
    created_at: str  # ISO 8601, UTC
    platform_version: str
    schema_revision: str | None
    bytes: int
    sha256: str
    audit_entries: int
    audit_head: str | None
    seconds: float


@dataclass(frozen=True)
class BackupCheck:
    ok: bool
    problems: list[str]
    manifest: BackupManifest | None
    audit_entries: int | None = None  # found intact in the copy (SQLite)


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _audit_head(db: Database) -> tuple[int, str | None]:
    with db.read() as session:
        row = session.execute(select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc())).first()
    return (int(row[0]), str(row[1])) if row is not None else (0, None)


def _revision(db: Database) -> str | None:
    with db.read() as session:
        try:
            value = session.scalar(text("SELECT version_num FROM alembic_version"))
        except SQLAlchemyError:  # a database never migrated has no version table
            return None
    return str(value) if value is not None else None


def create_backup(db: Database, target: Path) -> BackupManifest:
    """Back the database up to ``target`` (a new file) and write its manifest. The caller records the backup in
    the audit log if it wants to (the CLI does)."""
    target = target.resolve()
    if target.exists() or manifest_path(target).exists():
        raise InvalidInput(f"备份文件 {target} 已存在：请换一个文件名", code="backup_exists")
    if not target.parent.is_dir():
        raise InvalidInput(f"备份目录 {target.parent} 不存在", code="backup_dir_missing")
    started = time.perf_counter()
    backend = db.engine.dialect.name
    revision = _revision(db)
    if backend == "sqlite":
        entries, head = _sqlite_backup(db.engine, target)
        fmt: BackupFormat = "sqlite"
    elif backend == "postgresql":
        entries, head = _audit_head(db)  # the dump's snapshot is taken after: it holds at least these
        _pg_dump(db.engine, target)
        fmt = "pg_dump"
    else:  # pragma: no cover - only the two supported databases
        raise InvalidInput(f"不支持备份 {backend} 数据库", code="backup_unsupported")
    manifest = BackupManifest(
        format=fmt,
        file=target.name,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        platform_version=__version__,
        schema_revision=revision,
        bytes=target.stat().st_size,
        sha256=_digest(target),
        audit_entries=entries,
        audit_head=head,
        seconds=round(time.perf_counter() - started, 2),
    )
    manifest_path(target).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _sqlite_backup(engine: Engine, target: Path) -> tuple[int, str | None]:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        raise InvalidInput("内存数据库无法备份", code="backup_unsupported")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(database, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # one step: one read transaction, a consistent snapshot; writers go on (WAL)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            problem = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise InvalidInput(f"备份副本校验未通过：{problem}", code="backup_corrupt")
            row = copy.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        finally:
            copy.close()
            source.close()
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return (int(row[0]), str(row[1])) if row is not None else (0, None)


def _libpq_url(engine: Engine) -> str:
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def _pg_dump(engine: Engine, target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise InvalidInput("未找到 pg_dump：请安装 PostgreSQL 客户端工具（postgresql-client）", code="pg_dump_missing")
    partial = target.with_name(f".{target.name}.partial")
    try:
        done = subprocess.run(  # noqa: S603 (fixed program, arguments from the settings)
            [program, "--format=custom", "--no-password", f"--file={partial}", _libpq_url(engine)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            # The URL may carry a password: only pg_dump's own last message is shown.
            lines = [line for line in done.stderr.strip().splitlines() if line]
            raise InvalidInput(f"pg_dump 失败：{lines[-1] if lines else done.returncode}", code="pg_dump_failed")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _read_manifest(backup: Path) -> BackupManifest | None:
    path = manifest_path(backup)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return BackupManifest(**data)
    except (OSError, ValueError, TypeError):
        return None


def verify_backup(backup: Path) -> BackupCheck:
    """Check a backup against its manifest (see the module's docstring). Problems are Chinese text for people."""
    if not backup.is_file():
        raise InvalidInput(f"备份文件 {backup} 不存在", code="backup_missing")
    manifest = _read_manifest(backup)
    if manifest is None:
        return BackupCheck(False, [f"缺少或无法读取备份说明文件 {manifest_path(backup).name}"], None)
    problems: list[str] = []
    if backup.stat().st_size != manifest.bytes or _digest(backup) != manifest.sha256:
        problems.append("备份文件的大小或 SHA-256 摘要与备份说明不符：文件在备份后被改动或不完整")
    entries: int | None = None
    if manifest.format == "sqlite":
        entries = _check_sqlite_copy(backup, manifest, problems)
    else:
        program = shutil.which("pg_restore")
        if program is not None:
            listed = subprocess.run(  # noqa: S603 (fixed program)
                [program, "--list", str(backup)], capture_output=True, text=True, check=False
            )
            if listed.returncode != 0:
                problems.append("pg_restore 无法读取该备份文件")
    return BackupCheck(not problems, problems, manifest, entries)


def _check_sqlite_copy(backup: Path, manifest: BackupManifest, problems: list[str]) -> int | None:
    try:
        # Read-only and immutable: verifying never writes to the backup (no journal, no WAL files beside it).
        conn = sqlite3.connect(f"file:{backup.resolve()}?mode=ro&immutable=1", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        problems.append(f"不是可读取的 SQLite 数据库：{exc}")
        return None
    if result != "ok":
        problems.append(f"数据库完整性检查未通过：{result}")
        return None
    uri = f"file:{backup.resolve()}?mode=ro&immutable=1"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    try:
        with Session(engine) as session:
            report = verify_chain(session)
    finally:
        engine.dispose()
    if not report.ok:
        problems.append(f"审计日志哈希链校验未通过：{report.problem}")
    elif (report.last_seq or 0, report.head_hash) != (manifest.audit_entries, manifest.audit_head):
        problems.append("审计日志的条数或末条哈希与备份说明不符")
    return report.checked
