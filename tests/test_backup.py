"""Backups (backup.py, ``tcredit backup``) on a real database: a consistent copy while the platform writes, a
manifest the copy is checked against, and every way a backup can be wrong found by ``verify``."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transport_credit.audit import drop_append_only_ddl, list_entries
from transport_credit.audit.events import record
from transport_credit.backup import create_backup, manifest_path, verify_backup
from transport_credit.bootstrap import initialize
from transport_credit.cli.main import app
from transport_credit.common.actor import SYSTEM
from transport_credit.common.errors import InvalidInput
from transport_credit.db.uow import Database
from transport_credit.settings import Settings


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    initialize(db, settings)
    with db.unit_of_work() as s:
        for n in range(20):
            record(s, SYSTEM, "test.event", "thing", str(n), {"n": n})
    return db


def _sqlite_only(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the embedded database's backup")


def test_a_backup_taken_while_the_platform_writes_is_consistent(platform: Database, tmp_path: Path) -> None:
    _sqlite_only(platform)
    stop = threading.Event()
    written = 0

    def writer() -> None:
        nonlocal written
        while not stop.is_set():
            with platform.unit_of_work() as s:
                record(s, SYSTEM, "test.busy", "thing", str(written), {"n": written})
            written += 1

    out = tmp_path / "backups"
    out.mkdir()
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        manifests = [create_backup(platform, out / f"b{n}.db") for n in range(3)]
    finally:
        stop.set()
        thread.join()
    assert written > 0
    for manifest in manifests:
        check = verify_backup(out / manifest.file)
        assert check.ok, check.problems
        assert check.audit_entries == manifest.audit_entries  # the whole chain, intact, up to the snapshot
        assert manifest.format == "sqlite"
        assert manifest.schema_revision is not None
    assert manifests[-1].audit_entries >= manifests[0].audit_entries
    # A single self-contained file: no WAL beside it, and nothing half written left over.
    assert sorted(p.name for p in out.iterdir()) == [
        "b0.db",
        "b0.db.json",
        "b1.db",
        "b1.db.json",
        "b2.db",
        "b2.db.json",
    ]
    with sqlite3.connect(out / "b0.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM departments").fetchone()[0] > 0


def test_verify_finds_what_is_wrong(platform: Database, tmp_path: Path) -> None:
    _sqlite_only(platform)
    good = tmp_path / "good.db"
    manifest = create_backup(platform, good)

    # A changed byte: the digest says so.
    changed = tmp_path / "changed.db"
    shutil.copy(good, changed)
    shutil.copy(manifest_path(good), manifest_path(changed))
    with changed.open("r+b") as fh:
        fh.seek(manifest.bytes // 2)
        byte = fh.read(1)
        fh.seek(manifest.bytes // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    problems = verify_backup(changed).problems
    assert any("SHA-256" in p for p in problems)

    # An edited audit entry with a forged manifest digest: the chain in the copy says so.
    forged = tmp_path / "forged.db"
    shutil.copy(good, forged)
    with sqlite3.connect(forged) as conn:
        for statement in drop_append_only_ddl("sqlite"):
            conn.execute(statement)
        conn.execute("UPDATE audit_log SET target_id = 'x' WHERE seq = 3")
    data = json.loads(manifest_path(good).read_text(encoding="utf-8"))
    data.update(bytes=forged.stat().st_size, sha256=hashlib.sha256(forged.read_bytes()).hexdigest())
    manifest_path(forged).write_text(json.dumps(data), encoding="utf-8")
    check = verify_backup(forged)
    assert not check.ok
    assert any("审计日志哈希链" in p for p in check.problems)

    # Entries cut off the end (with a forged digest): the head no longer matches the manifest.
    cut = tmp_path / "cut.db"
    shutil.copy(good, cut)
    with sqlite3.connect(cut) as conn:
        for statement in drop_append_only_ddl("sqlite"):
            conn.execute(statement)
        conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    data.update(bytes=cut.stat().st_size, sha256=hashlib.sha256(cut.read_bytes()).hexdigest())
    manifest_path(cut).write_text(json.dumps(data), encoding="utf-8")
    assert any("末条哈希" in p for p in verify_backup(cut).problems)

    # No manifest, not a database.
    lone = tmp_path / "lone.db"
    shutil.copy(good, lone)
    assert not verify_backup(lone).ok
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    data.update(bytes=junk.stat().st_size, sha256=hashlib.sha256(junk.read_bytes()).hexdigest())
    manifest_path(junk).write_text(json.dumps(data), encoding="utf-8")
    assert any("SQLite" in p for p in verify_backup(junk).problems)
    assert verify_backup(good).ok  # and the original still verifies


def test_a_backup_never_overwrites(platform: Database, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    create_backup(platform, target)
    with pytest.raises(InvalidInput) as excinfo:
        create_backup(platform, target)
    assert excinfo.value.code == "backup_exists"
    with pytest.raises(InvalidInput) as excinfo:
        create_backup(platform, tmp_path / "no-such-dir" / "b.db")
    assert excinfo.value.code == "backup_dir_missing"


def test_the_cli_backs_up_verifies_and_audits(platform: Database, cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "nightly.backup"
    created = runner.invoke(app, ["backup", "create", str(target), "--json"])
    assert created.exit_code == 0, created.output
    manifest = json.loads(created.stdout)
    assert manifest["file"] == "nightly.backup"
    assert manifest["format"] == ("sqlite" if platform.engine.dialect.name == "sqlite" else "pg_dump")
    verified = runner.invoke(app, ["backup", "verify", str(target), "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"] is True
    with platform.read() as s:
        [entry] = list_entries(s, SYSTEM, target_type="backup")
        assert entry.action == "platform.backup"
        assert entry.details["sha256"] == manifest["sha256"]
    with target.open("ab") as fh:
        fh.write(b"\0")
    broken = runner.invoke(app, ["backup", "verify", str(target)])
    assert broken.exit_code == 1
    assert "备份校验未通过" in broken.stderr
