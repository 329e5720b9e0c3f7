"""The audit chain on a real database: appends, verification, tampering, the append-only triggers."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import itertools
import json
import threading

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from transport_credit.audit import append_only_ddl, drop_append_only_ddl, head, list_entries, record, verify
from transport_credit.audit.events import AuditItem, record_many
from transport_credit.audit.models import AuditEntry
from transport_credit.audit.rules import GENESIS_HASH, entry_hash
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import InvalidInput, PermissionDenied
from transport_credit.db.uow import Database

OFFICER = Actor(name="zhang", kind="account", department_code="hn-yzc", roles=frozenset({ROLE_DATA_OFFICER}))
CREDIT_OFFICE = Actor(name="li", kind="account", department_code="hn-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))


@pytest.fixture
def append_only(engine: Engine) -> None:
    """The triggers the migration will carry (applied here until it does)."""
    with engine.begin() as conn:
        for stmt in append_only_ddl(engine.dialect.name):
            conn.exec_driver_sql(stmt)


def _drop_guard(engine: Engine) -> None:
    """What an attacker with database access does first."""
    with engine.begin() as conn:
        for stmt in drop_append_only_ddl(engine.dialect.name):
            conn.exec_driver_sql(stmt)


def _fill(db: Database, n: int, start: int = 0) -> None:
    with db.unit_of_work() as s:
        for i in range(start, start + n):
            record(s, OFFICER, "record.submit", "credit_record", str(i), {"n": i, "备注": f"第{i}条"})


def test_empty_log_verifies(db: Database) -> None:
    with db.read() as s:
        report = verify(s)
        assert head(s) is None
    assert report.ok
    assert report.checked == 0
    assert report.first_bad_seq is None
    assert report.problem is None


def test_chain_of_fifty_verifies(db: Database, append_only: None) -> None:
    _fill(db, 30)
    _fill(db, 20, start=30)  # across two transactions
    with db.read() as s:
        rows = list(s.query(AuditEntry).order_by(AuditEntry.seq))
        report = verify(s, page_size=7)  # pages that do not divide 50
        last = head(s)
        assert [r.seq for r in rows] == list(range(1, 51))
        assert rows[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(rows))
        assert {r.algorithm for r in rows} == {"sm3"}
        assert report.head_hash == rows[-1].entry_hash
    assert report.ok, report.problem
    assert report.checked == 50
    assert report.last_seq == 50
    assert last is not None
    assert report.head_hash == last.entry_hash


def test_hash_follows_the_documented_formula(db: Database) -> None:
    with db.unit_of_work() as s:
        entry = record(s, OFFICER, "account.create", "account", "7", {"b": 1, "a": "中文"})
    body = {
        "seq": 1,
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": "zhang",
        "actor_kind": "account",
        "department_code": "hn-yzc",
        "action": "account.create",
        "target_type": "account",
        "target_id": "7",
        "details": {"a": "中文", "b": 1},
        "algorithm": "sm3",
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert entry.entry_hash == hashlib.new("sm3", GENESIS_HASH.encode() + canonical).hexdigest()
    assert len(entry.entry_hash) == 64


def test_details_are_normalised_and_survive_the_round_trip(db: Database) -> None:
    details = {
        "when": dt.date(2025, 3, 1),
        "amount": decimal.Decimal("1.50"),
        "big": 1e16,
        "ratio": 0.1,
        "tiny": 1e-7,
        "list": (1, "二", None, True),
        "nested": {"z": [], "a": {}},
    }
    with db.unit_of_work() as s:
        entry = record(s, SYSTEM, "catalog.load", "catalog", "henan-2025", details)
    assert entry.details["when"] == "2025-03-01"
    assert entry.details["amount"] == "1.50"
    assert entry.details["big"] == 10**16
    with db.read() as s:
        report = verify(s)
    assert report.ok, report.problem


def test_edited_row_is_caught_at_its_seq(db: Database, engine: Engine, append_only: None) -> None:
    _fill(db, 50)
    _drop_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("""UPDATE audit_log SET details = '{"n": 999}' WHERE seq = 12"""))
    with db.read() as s:
        report = verify(s, page_size=5)
    assert not report.ok
    assert report.first_bad_seq == 12
    assert report.problem == "第 12 条记录内容被修改（哈希不符）"
    assert report.checked == 11
    assert report.last_seq == 11


def test_edit_hidden_in_an_open_session_is_still_caught(db: Database, engine: Engine) -> None:
    """verify() reads the database, not objects the session already holds."""
    _fill(db, 5)
    _drop_guard(engine)
    with db.read() as s:
        loaded = list(s.query(AuditEntry))  # keep them in the identity map
        s.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3"))
        assert loaded[2].actor == "zhang"  # the session still believes the old value
        report = verify(s)
    assert report.first_bad_seq == 3


def test_rehashed_edit_breaks_the_link_to_the_next_row(db: Database, engine: Engine) -> None:
    """An attacker who edits a row and recomputes its own hash still breaks the next row's link."""
    _fill(db, 20)
    _drop_guard(engine)
    with db.unit_of_work() as s:
        row = s.execute(select(AuditEntry.__table__).where(AuditEntry.seq == 12)).one()
        forged = entry_hash(
            algorithm=row.algorithm,
            prev_hash=row.prev_hash,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            actor_kind=row.actor_kind,
            department_code=row.department_code,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            details={"n": 999},
        )
        s.execute(text(f"""UPDATE audit_log SET details = '{{"n": 999}}', entry_hash = '{forged}' WHERE seq = 12"""))
    with db.read() as s:
        report = verify(s)
    assert report.first_bad_seq == 13
    assert report.problem == "第 13 条链接断开（前序哈希不符）"
    assert report.checked == 12


def test_relinked_row_is_caught(db: Database, engine: Engine) -> None:
    _fill(db, 20)
    _drop_guard(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_log SET prev_hash = '{'c' * 64}' WHERE seq = 8"))
    with db.read() as s:
        report = verify(s)
    assert report.first_bad_seq == 8
    assert report.problem == "第 8 条链接断开（前序哈希不符）"


def test_deleted_row_is_caught(db: Database, engine: Engine, append_only: None) -> None:
    _fill(db, 50)
    _drop_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 20"))
    with db.read() as s:
        report = verify(s, page_size=10)
    assert not report.ok
    assert report.first_bad_seq == 20
    assert report.problem == "第 20 条缺失（序号不连续）"
    assert report.checked == 19


def test_deleted_first_row_is_caught(db: Database, engine: Engine) -> None:
    _fill(db, 3)
    _drop_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 1"))
    with db.read() as s:
        report = verify(s)
    assert report.first_bad_seq == 1
    assert report.checked == 0
    assert report.problem == "第 1 条缺失（序号不连续）"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
        """UPDATE audit_log SET details = '{"n": 1}' WHERE seq = 1""",
        "DELETE FROM audit_log WHERE seq = 1",
        "DELETE FROM audit_log",
    ],
)
def test_append_only_trigger_refuses_changes(db: Database, engine: Engine, append_only: None, statement: str) -> None:
    _fill(db, 2)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with db.read() as s:
        assert verify(s).ok
        assert s.query(AuditEntry).count() == 2


def test_append_only_ddl_is_idempotent(engine: Engine) -> None:
    for _ in range(2):
        with engine.begin() as conn:
            for stmt in append_only_ddl(engine.dialect.name):
                conn.exec_driver_sql(stmt)
    with pytest.raises(ValueError, match="dialect"):
        append_only_ddl("oracle")


def test_rolled_back_entries_leave_no_gap(db: Database) -> None:
    _fill(db, 3)

    def failing_write() -> None:
        with db.unit_of_work() as s:
            record(s, OFFICER, "record.submit", "credit_record", "x")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    _fill(db, 2, start=3)
    with db.read() as s:
        report = verify(s)
        seqs = [e.seq for e in s.query(AuditEntry).order_by(AuditEntry.seq)]
    assert report.ok
    assert seqs == [1, 2, 3, 4, 5]


def test_one_session_across_rollback_and_mixed_appends_keeps_the_chain(db: Database) -> None:
    """Appends after the first in a transaction reuse the head it wrote (no lock or head query); that memory is
    tied to the transaction, so a session reused after a rollback reads the real head again."""
    _fill(db, 2)
    with Session(db.engine) as s:
        record(s, OFFICER, "record.submit", "credit_record", "a")
        s.rollback()  # the entry and the transaction are gone; the session goes on
        record(s, OFFICER, "record.submit", "credit_record", "b")
        record_many(s, [AuditItem(OFFICER, "record.revise", "credit_record", str(i)) for i in range(3)])
        record(s, CREDIT_OFFICE, "list.review", "list_entry", "c")
        s.commit()
    with db.read() as s:
        report = verify(s)
        rows = [(e.seq, e.target_id) for e in s.query(AuditEntry).order_by(AuditEntry.seq)]
    assert report.ok, report.problem
    assert rows == [(1, "0"), (2, "1"), (3, "b"), (4, "0"), (5, "1"), (6, "2"), (7, "c")]


def test_a_rolled_back_savepoint_is_forgotten_by_the_next_append(db: Database) -> None:
    _fill(db, 1)
    with db.unit_of_work() as s:
        record(s, OFFICER, "record.submit", "credit_record", "kept")
        savepoint = s.begin_nested()
        record(s, OFFICER, "record.submit", "credit_record", "rolled back")
        record_many(s, [AuditItem(OFFICER, "record.revise", "credit_record", "rolled back too")])
        savepoint.rollback()
        record(s, OFFICER, "record.revise", "credit_record", "after")
        inner = s.begin_nested()
        record(s, OFFICER, "record.revise", "credit_record", "in a released savepoint")
        inner.commit()
        record(s, OFFICER, "record.revise", "credit_record", "last")
    with db.read() as s:
        report = verify(s)
        rows = [(e.seq, e.target_id) for e in s.query(AuditEntry).order_by(AuditEntry.seq)]
    assert report.ok, report.problem
    assert rows == [(1, "0"), (2, "kept"), (3, "after"), (4, "in a released savepoint"), (5, "last")]


def test_concurrent_appends_stay_gapless(db: Database) -> None:
    threads_n, per_thread = 2, 15
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with db.unit_of_work() as s:
                    record(s, OFFICER, "record.submit", "credit_record", f"{t}-{i}", {"thread": t})
                    record(s, OFFICER, "record.revise", "credit_record", f"{t}-{i}", {"thread": t})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with db.read() as s:
        report = verify(s)
        seqs = [e.seq for e in s.query(AuditEntry).order_by(AuditEntry.seq)]
    assert seqs == list(range(1, threads_n * per_thread * 2 + 1))
    assert report.ok, report.problem


def test_personal_information_is_refused(db: Database) -> None:
    with db.unit_of_work() as s:
        with pytest.raises(ValueError, match="个人信息"):
            record(s, OFFICER, "record.submit", "credit_record", "1", {"电话": "13812345678"})
        with pytest.raises(ValueError, match="个人信息"):
            record(s, OFFICER, "subject.lookup", "subject", "11010519491231002X")
    with db.read() as s:
        assert head(s) is None


def test_list_entries_filters_and_pages(db: Database) -> None:
    with db.unit_of_work() as s:
        for i in range(10):
            record(s, OFFICER, "record.submit" if i % 2 else "record.revise", "credit_record", str(i % 3))
        record(s, OFFICER, "account.create", "account", "1")
    with db.read() as s:
        newest = list_entries(s, CREDIT_OFFICE, limit=4)
        assert [e.seq for e in newest] == [11, 10, 9, 8]
        older = list_entries(s, CREDIT_OFFICE, limit=4, before_seq=newest[-1].seq)
        assert [e.seq for e in older] == [7, 6, 5, 4]
        submits = list_entries(s, SYSTEM, action="record.submit")
        assert [e.seq for e in submits] == [10, 8, 6, 4, 2]
        by_target = list_entries(s, SYSTEM, target_type="credit_record", target_id="0")
        assert [e.target_id for e in by_target] == ["0"] * 4
        assert list_entries(s, SYSTEM, target_type="account")[0].action == "account.create"
        with pytest.raises(PermissionDenied):
            list_entries(s, OFFICER)
        with pytest.raises(InvalidInput):
            list_entries(s, SYSTEM, limit=0)


def test_record_many_continues_the_chain_like_single_records(db: Database, append_only: None) -> None:
    _fill(db, 3)
    items = [
        AuditItem(OFFICER if i % 2 else CREDIT_OFFICE, "warning.raise", "credit_warning", str(i), {"n": i})
        for i in range(5)
    ]
    with db.unit_of_work() as s:
        record(s, OFFICER, "account.create", "account", "9")  # an ORM entry earlier in the same transaction
        assert record_many(s, items) == 5
        record(s, OFFICER, "account.create", "account", "10")  # and one after
    with db.read() as s:
        rows = list(s.query(AuditEntry).order_by(AuditEntry.seq))
        s.expunge_all()
        report = verify(s)
    assert report.ok, report.problem
    assert [r.seq for r in rows] == list(range(1, 11))
    assert [(r.actor, r.target_id, r.details) for r in rows[4:9]] == [
        ("li" if i % 2 == 0 else "zhang", str(i), {"n": i}) for i in range(5)
    ]
    assert [r.target_id for r in rows[3:4] + rows[9:]] == ["9", "10"]


def test_record_many_refuses_personal_information_before_writing(db: Database) -> None:
    items = [
        AuditItem(OFFICER, "warning.raise", "credit_warning", "1", {"n": 1}),
        AuditItem(OFFICER, "warning.raise", "credit_warning", "2", {"电话": "13812345678"}),
    ]
    with db.unit_of_work() as s:
        with pytest.raises(ValueError, match="个人信息"):
            record_many(s, items)
        assert record_many(s, []) == 0
    with db.read() as s:
        assert head(s) is None
