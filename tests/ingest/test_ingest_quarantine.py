"""Quarantine round trip, permission refusals and atomicity (a crash or a killed process leaves no half batch)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_kit import (
    ADMIN,
    OFFICER,
    XZCF_HEADERS,
    ZFJ,
    codes,
    counts,
    import_table,
    penalty_row,
    run_import,
    stored,
    table,
    write_csv,
)
from openpyxl import load_workbook
from sqlalchemy import select, text

from transport_credit.common.actor import ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.ingest import pipeline
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.ingest.service import dismiss_quarantine, list_quarantine, quarantine_template
from transport_credit.settings import Settings


def _flawed(platform: Database, settings: Settings, tmp_path: Path) -> str:
    rows = [
        penalty_row(1),
        penalty_row(2, decision_date="2025/13/45"),
        penalty_row(3, uscc="ABC", fine_amount="-1"),
        penalty_row(4),
    ]
    return import_table(platform, settings, tmp_path / "flawed.csv", rows, actor=OFFICER).batch_no


def test_quarantine_lists_raw_cells_and_chinese_errors(platform: Database, settings: Settings, tmp_path: Path) -> None:
    batch_no = _flawed(platform, settings, tmp_path)
    with platform.read() as session:
        total, items = list_quarantine(session, OFFICER, settings, batch_no=batch_no)
    assert total == 2
    by_row = {i.source_row: i for i in items}
    assert set(by_row) == {3, 4}
    two, three = by_row[3], by_row[4]
    assert two.raw is not None
    assert two.raw["处罚决定日期"] == "2025/13/45"
    assert two.raw["行政相对人名称"] == penalty_row(2)["subject_name"]
    assert codes(two.errors) == {"invalid_date"}
    assert codes(three.errors) == {"uscc_malformed", "negative_amount"}
    assert all("「" in e["message"] for e in three.errors)
    assert (two.batch_no, two.category, two.department_code, two.status) == (batch_no, "XZCF", ZFJ, "open")
    # The raw row is stored encrypted.
    with platform.read() as session:
        blob = session.scalars(select(QuarantineRow.raw_cipher)).first()
    assert blob is not None
    assert b"2025/13/45" not in bytes(blob)
    # Another department's officer sees none of it.
    other = Actor("o2", "account", department_code="410000-glj", roles=frozenset({ROLE_DATA_OFFICER}))
    with platform.read() as session:
        assert list_quarantine(session, other, settings)[0] == 0


def test_corrected_template_round_trip(platform: Database, settings: Settings, tmp_path: Path) -> None:
    batch_no = _flawed(platform, settings, tmp_path)
    with platform.unit_of_work() as session:
        name, content = quarantine_template(session, OFFICER, settings, category="XZCF", batch_no=batch_no)
    assert name.endswith(".xlsx")
    assert "行政处罚" in name
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[0] == "问题数据编号"
    assert header[-1] == "错误说明"
    assert header[1 : len(XZCF_HEADERS) + 1] == list(XZCF_HEADERS.values())  # then the province's own fields
    body = [list(r) for r in ws.iter_rows(min_row=2)]
    assert len(body) == 2
    col = {h: j for j, h in enumerate(header)}
    for cells in body:
        assert cells[-1].value  # the Chinese explanation
        if cells[col["处罚决定日期"]].value == "2025/13/45":
            cells[col["处罚决定日期"]].value = "2025/03/05"
        else:
            cells[col["行政相对人代码_1（统一社会信用代码）"]].value = penalty_row(3)["uscc"]
            cells[col["罚款金额（万元）"]].value = "0.1"
    fixed = tmp_path / "更正.xlsx"
    wb.save(fixed)
    summary = run_import(platform, settings, fixed, actor=OFFICER)
    assert (summary.accepted, summary.rejected, summary.total) == (2, 0, 2)
    assert summary.ignored_columns == ["错误说明"] or summary.ignored_columns == []
    with platform.read() as session:
        rows = list(session.scalars(select(QuarantineRow)))
        resolved = session.scalars(select(Batch.id).where(Batch.batch_no == summary.batch_no)).one()
        original = session.scalars(select(Batch.id).where(Batch.batch_no == batch_no)).one()
        resub = session.scalars(select(Batch).where(Batch.batch_no == summary.batch_no)).one()
        assert resub.resubmits_batch_id == original
        assert {(q.status, q.resolved_batch_id) for q in rows} == {("resubmitted", resolved)}
        assert list_quarantine(session, OFFICER, settings)[0] == 0
    recs = stored(platform)
    assert recs["豫交执罚〔2026〕000002号"].data["decision_date"] == "2025-03-05"
    assert recs["豫交执罚〔2026〕000003号"].data["fine_amount"] == 0.1


def test_template_as_csv(platform: Database, settings: Settings, tmp_path: Path) -> None:
    _flawed(platform, settings, tmp_path)
    with platform.unit_of_work() as session:
        name, content = quarantine_template(session, OFFICER, settings, category="行政处罚", fmt="csv")
    assert name.endswith(".csv")
    assert content.decode("gb18030").splitlines()[0].startswith("问题数据编号,")


def test_dismiss(platform: Database, settings: Settings, tmp_path: Path) -> None:
    _flawed(platform, settings, tmp_path)
    with platform.unit_of_work() as session:
        _, items = list_quarantine(session, OFFICER, settings)
        assert dismiss_quarantine(session, OFFICER, [items[0].id], "测试数据") == 1
    with platform.read() as session:
        assert list_quarantine(session, OFFICER, settings)[0] == 1


# --- permissions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "department", "code"),
    [
        (
            Actor("x", "account", department_code="410000-jgc", roles=frozenset({ROLE_DATA_OFFICER})),
            ZFJ,
            "other_department",
        ),
        (
            Actor("x", "account", department_code="410000-ghc", roles=frozenset({ROLE_DATA_OFFICER})),
            "410000-ghc",
            "category_not_sourced",
        ),
        (ADMIN, "410000-ghc", "category_not_sourced"),
        (
            Actor(
                "sys",
                "api_client",
                department_code=ZFJ,
                roles=frozenset({ROLE_DATA_OFFICER}),
                categories=frozenset({"HEIMD"}),
            ),
            ZFJ,
            "category_out_of_scope",
        ),
        (
            Actor("sys", "api_client", department_code="410000-jgc", roles=frozenset({ROLE_DATA_OFFICER})),
            ZFJ,
            "other_department",
        ),
        (Actor("v", "account", department_code=ZFJ, roles=frozenset({ROLE_VIEWER})), ZFJ, "role_required"),
    ],
    ids=["other-dept", "not-a-source", "admin-not-a-source", "key-scope", "key-other-dept", "viewer"],
)
def test_permission_refusals_write_nothing(
    platform: Database, settings: Settings, tmp_path: Path, actor: Actor, department: str, code: str
) -> None:
    path = write_csv(tmp_path / "p.csv", table(XZCF_HEADERS, [penalty_row(1)]))
    before = counts(platform)
    with pytest.raises(PermissionDenied) as err:
        run_import(platform, settings, path, actor=actor, department=department)
    assert err.value.code == code
    assert err.value.message
    assert counts(platform) == before


def test_api_client_in_scope_may_submit(platform: Database, settings: Settings, tmp_path: Path) -> None:
    actor = Actor(
        "sys", "api_client", department_code=ZFJ, roles=frozenset({ROLE_DATA_OFFICER}), categories=frozenset({"XZCF"})
    )
    summary = import_table(platform, settings, tmp_path / "ok.csv", [penalty_row(1)], actor=actor)
    assert summary.accepted == 1


# --- atomicity -------------------------------------------------------------------------------------------------


def test_crash_in_a_later_chunk_leaves_nothing(
    platform: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = settings.model_copy(update={"import_chunk_rows": 100})
    rows = [penalty_row(n) for n in range(1, 251)] + [penalty_row(251, decision_date="x")]
    path = write_csv(tmp_path / "crash.csv", table(XZCF_HEADERS, rows))
    before = counts(platform)
    calls = {"n": 0}
    real = pipeline.bulk_insert_frame

    def failing(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "bulk_insert_frame", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(platform, small, path)
    assert calls["n"] == 2
    assert counts(platform) == before
    monkeypatch.setattr(pipeline, "bulk_insert_frame", real)
    # The same file imports fine afterwards (the hash of the failed attempt was not kept).
    summary = run_import(platform, small, path)
    assert (summary.already_imported, summary.accepted, summary.rejected) == (False, 250, 1)


def test_refused_file_after_rows_were_read_leaves_nothing(
    platform: Database, settings: Settings, tmp_path: Path
) -> None:
    """A decoding error deep in the file (after chunks were written) aborts the whole batch."""
    small = settings.model_copy(update={"import_chunk_rows": 100})
    rows = [penalty_row(n) for n in range(1, 400)]
    path = write_csv(tmp_path / "late.csv", table(XZCF_HEADERS, rows), "gb18030")
    path.write_bytes(path.read_bytes() + b"\x81\x20broken\r\n")
    with pytest.raises(Exception):  # noqa: B017 - the file is refused, whatever the reader calls it
        run_import(platform, small, path)
    assert counts(platform)["batches"] == 0
    assert counts(platform)["credit_records"] == 0


KILL_SCRIPT = r"""
import sys
from pathlib import Path
from transport_credit.common.actor import Actor
from transport_credit.db.engine import make_engine
from transport_credit.db.uow import Database
from transport_credit.ingest.service import import_file
from transport_credit.settings import Settings

url, path, data_dir = sys.argv[1:4]
settings = Settings(env="test", data_dir=Path(data_dir), database_url=url, import_chunk_rows=1000,
                    secret_key="test-secret-key-for-the-test-suite-0123",
                    pii_key="test-pii-key-for-the-test-suite-0123456")
db = Database(make_engine(settings.effective_database_url))
print("started", flush=True)
with db.unit_of_work() as session:
    import_file(session, Actor("k", "cli", roles=frozenset({"admin"})), settings, Path(path),
                category="XZCF", department="410000-zfj")
print("finished", flush=True)
"""


def _writing(db: Database, database_url: str) -> bool:
    """Whether another connection has begun writing import rows (uncommitted)."""
    if db.dialect == "sqlite":
        wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > 256 * 1024  # pages spilled from an open transaction
    with db.read() as session:
        held = session.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'credit_records' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
            )
        ).scalar()
    return bool(held)


@pytest.mark.slow
def test_killed_import_leaves_no_partial_batch(
    platform: Database, settings: Settings, tmp_path: Path, database_url: str
) -> None:
    rows = (penalty_row(n) for n in range(1, 50_001))
    path = write_csv(tmp_path / "big.csv", table(XZCF_HEADERS, rows))
    before = counts(platform)
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, database_url, str(path), str(tmp_path / "var")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"started"
        deadline = time.monotonic() + 60
        while not _writing(platform, database_url):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert counts(platform) == before
    # The database is usable and the file imports completely afterwards.
    small = run_import(platform, settings, write_csv(tmp_path / "after.csv", table(XZCF_HEADERS, [penalty_row(1)])))
    assert small.accepted == 1


def test_template_of_rows_with_control_characters(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """A rejected row whose raw cells hold control characters still downloads: spreadsheets cannot hold them
    (openpyxl refused the whole file), so the template carries the cells without them."""
    rows = [penalty_row(1, decision_date="2025/13/45", subject_name="郑州\x00顺达\x1b物流有限公司")]
    batch_no = import_table(platform, settings, tmp_path / "flawed.csv", rows, actor=OFFICER).batch_no
    with platform.unit_of_work() as session:
        _, content = quarantine_template(session, OFFICER, settings, category="XZCF", batch_no=batch_no)
        _, csv_content = quarantine_template(session, OFFICER, settings, category="XZCF", batch_no=batch_no, fmt="csv")
    ws = load_workbook(io.BytesIO(content)).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    [row] = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert row[header.index("行政相对人名称")] == "郑州顺达物流有限公司"
    assert "郑州顺达物流有限公司" in csv_content.decode("gb18030")
