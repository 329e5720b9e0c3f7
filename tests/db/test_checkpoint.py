"""The background WAL checkpointer (db/checkpoint.py) on real SQLite files."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from transport_credit.db.checkpoint import CHECKPOINTER, Checkpointer
from transport_credit.db.engine import make_engine


def _rows_in_main_file(db: Path, tmp: Path) -> int:
    """Rows of ``t`` visible in the main database file alone, i.e. already checkpointed out of the WAL."""
    copy = tmp / "main-only.db"
    shutil.copyfile(db, copy)  # without the -wal file: only what a checkpoint has copied back
    conn = sqlite3.connect(copy)
    try:
        exists = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone()[0]
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0]) if exists else 0
    finally:
        conn.close()
        copy.unlink()


def test_a_pass_copies_committed_pages_into_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{db}", background_checkpoint=False)
    checkpointer = Checkpointer(interval=3600)  # passes only when the test asks
    checkpointer.register(engine, str(db))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"))
    # the commit itself left the pages in the WAL (far below the automatic threshold of 1,000 pages)
    assert _rows_in_main_file(db, tmp_path) == 0
    checkpointer.run_once()
    assert _rows_in_main_file(db, tmp_path) == 3
    # an unchanged WAL is not checkpointed again; a new commit is
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (v) VALUES ('d')"))
    checkpointer.run_once()
    assert _rows_in_main_file(db, tmp_path) == 4
    engine.dispose()


def test_engines_are_checkpointed_by_the_process_thread(tmp_path: Path) -> None:
    db = tmp_path / "bg.db"
    engine = make_engine(f"sqlite:///{db}")
    assert str(db.resolve()) in CHECKPOINTER.registered()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
    deadline = time.monotonic() + 10
    while _rows_in_main_file(db, tmp_path) < 2:
        assert time.monotonic() < deadline, "the background thread never checkpointed the WAL"
        time.sleep(0.05)
    engine.dispose()


def test_a_disposed_database_is_one_complete_file(tmp_path: Path) -> None:
    """After ``dispose()`` nothing holds the file open: the WAL is checkpointed and removed, so copying the main
    file alone copies everything (the test suite's template database is copied that way)."""
    db = tmp_path / "d.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
    CHECKPOINTER.run_once()  # the checkpointer now holds its own connection to the file
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (v) VALUES ('c')"))
    engine.dispose()
    assert not Path(str(db) + "-wal").exists()
    assert _rows_in_main_file(db, tmp_path) == 3
    # the engine still works after dispose, and is checkpointed again
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (v) VALUES ('d')"))
    CHECKPOINTER.run_once()
    assert _rows_in_main_file(db, tmp_path) == 4
    engine.dispose()


def test_a_dropped_engine_is_forgotten_and_opt_out_is_respected(tmp_path: Path) -> None:
    kept = tmp_path / "optout.db"
    make_engine(f"sqlite:///{kept}", background_checkpoint=False)
    assert str(kept.resolve()) not in CHECKPOINTER.registered()
    make_engine("sqlite://")  # in memory: no file, no WAL
    db = tmp_path / "gone.db"
    engine = make_engine(f"sqlite:///{db}")
    assert str(db.resolve()) in CHECKPOINTER.registered()
    del engine
    gc.collect()
    assert str(db.resolve()) not in CHECKPOINTER.registered()


def test_a_removed_database_does_not_stop_the_others(tmp_path: Path) -> None:
    checkpointer = Checkpointer(interval=3600)
    gone_dir = tmp_path / "gone"
    gone_dir.mkdir()
    gone = make_engine(f"sqlite:///{gone_dir / 'x.db'}", background_checkpoint=False)
    live_db = tmp_path / "live.db"
    live = make_engine(f"sqlite:///{live_db}", background_checkpoint=False)
    for engine, path in ((gone, gone_dir / "x.db"), (live, live_db)):
        checkpointer.register(engine, str(path))
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO t DEFAULT VALUES"))
    gone.dispose()
    shutil.rmtree(gone_dir)
    checkpointer.run_once()
    assert _rows_in_main_file(live_db, tmp_path) == 1
    live.dispose()
