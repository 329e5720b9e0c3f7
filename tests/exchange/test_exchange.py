"""Sharing with the national and provincial platforms on the real database: the full set, then increments that
carry changes, repairs and revocations; packages verified as a receiver would, tampering found, personal data as
the target is configured. Records come through the real import pipeline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import threading
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lists"))

from ingest_kit import citizen_id, import_table, penalty_row, person_penalty_row
from lists_kit import OFFICE, OFFICER, VIEWER

from transport_credit import audit
from transport_credit.bootstrap import initialize
from transport_credit.common.errors import Conflict, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.exchange import rules, service
from transport_credit.identifiers.citizen_id import mask_id_number
from transport_credit.lists import cases
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import change_status
from transport_credit.settings import Settings

PERSON = citizen_id("410305", seq=41)


@pytest.fixture
def platform(db: Database, settings: Settings, tmp_path: Path) -> Database:
    initialize(db, settings)
    rows = [penalty_row(n) for n in range(1, 4)]
    rows.append(person_penalty_row(4, PERSON))
    summary = import_table(db, settings, tmp_path / "first.csv", rows)
    assert summary.accepted + summary.warned == 4, summary
    return db


def _export(db: Database, settings: Settings, target: str, tmp_path: Path, **kw: object) -> service.PackageView:
    with db.unit_of_work() as s:
        return service.export_package(s, OFFICE, settings, target, out_dir=tmp_path / "out", **kw)  # type: ignore[arg-type]


def _lines(package: service.PackageView) -> list[dict[str, object]]:
    return [orjson.loads(x) for x in (Path(package.directory) / "records.jsonl").read_bytes().splitlines()]


def test_full_then_increments(platform: Database, settings: Settings, tmp_path: Path) -> None:
    db = platform
    full = _export(db, settings, "ministry", tmp_path)
    assert (full.kind, full.sequence, full.from_record_id, full.rows) == ("full", 1, 0, 4)
    assert full.counts == {"XZCF": {"upsert": 4}}
    assert full.previous_sha256 is None
    lines = _lines(full)
    assert {line["natural_key"] for line in lines} == {penalty_row(n)["decision_no"] for n in range(1, 5)}
    first = next(line for line in lines if line["natural_key"] == penalty_row(1)["decision_no"])
    assert first["op"] == "upsert"
    assert first["subject"]["uscc"] == penalty_row(1)["uscc"]  # type: ignore[index]
    assert first["data"]["violation_type"] == "超限运输"  # type: ignore[index]
    assert service.verify_directory(Path(full.directory)).ok

    # Nothing changed: the month's increment is empty, and says so.
    empty = _export(db, settings, "ministry", tmp_path)
    assert (empty.kind, empty.sequence, empty.rows, empty.from_record_id) == ("increment", 2, 0, full.to_record_id)
    assert empty.previous_sha256 == full.manifest_sha256

    # A new penalty, a corrected one, a repaired one: the increment carries exactly these.
    changed = dict(penalty_row(2), violation_facts="当事人驾驶货运车辆超限运输（更正）。")
    import_table(db, settings, tmp_path / "second.csv", [penalty_row(5), changed])
    with db.read() as s:
        repaired_id = s.scalar(
            select(CreditRecord.id).where(
                CreditRecord.natural_key == penalty_row(3)["decision_no"], CreditRecord.is_current
            )
        )
    assert repaired_id is not None
    with db.unit_of_work() as s:
        change_status(
            s, OFFICE, record_id=repaired_id, status="repaired", note="信用修复", publicity_end=dt.date.today()
        )
    increment = _export(db, settings, "ministry", tmp_path)
    assert (increment.kind, increment.sequence) == ("increment", 3)
    assert increment.counts == {"XZCF": {"upsert": 2, "withdraw": 1}}
    by_key = {line["natural_key"]: line for line in _lines(increment)}
    assert set(by_key) == {penalty_row(n)["decision_no"] for n in (2, 3, 5)}
    assert by_key[penalty_row(2)["decision_no"]]["revision"] == 2
    withdrawn = by_key[penalty_row(3)["decision_no"]]
    assert (withdrawn["op"], withdrawn["withdraw_reason"], withdrawn["data"]) == ("withdraw", "repaired", {})
    assert increment.previous_sha256 == empty.manifest_sha256

    # A new full set re-baselines: only what is in force, the repaired record no longer.
    again = _export(db, settings, "ministry", tmp_path, full=True)
    assert (again.kind, again.sequence, again.rows) == ("full", 4, 4)
    assert penalty_row(3)["decision_no"] not in {line["natural_key"] for line in _lines(again)}

    with db.read() as s:
        listed = service.list_packages(s, VIEWER, settings, target="ministry")
        trail = audit.list_entries(s, OFFICE, action="exchange.export")
    assert [p.sequence for p in listed] == [4, 3, 2, 1]
    assert len(trail) == 4


def test_personal_data_as_the_target_is_configured(platform: Database, settings: Settings, tmp_path: Path) -> None:
    clear = _export(platform, settings, "ministry", tmp_path)  # personal_ids: clear (government sharing)
    person = next(line for line in _lines(clear) if line["subject"]["kind"] == "person")  # type: ignore[index]
    assert person["subject"]["id_number"] == PERSON  # type: ignore[index]
    assert oct(Path(clear.directory, "records.jsonl").stat().st_mode & 0o777) == "0o600"
    masked_target = rules.Target(code="masked", name="测试平台", categories=("XZCF",), personal_ids="masked")
    rules.targets(settings.province)["masked"] = masked_target
    try:
        masked = _export(platform, settings, "masked", tmp_path)
    finally:
        del rules.targets(settings.province)["masked"]
    text = (Path(masked.directory) / "records.jsonl").read_text(encoding="utf-8")
    assert PERSON not in text
    assert mask_id_number(PERSON) in text  # as stored


def test_csv_packages_for_the_provincial_platform(platform: Database, settings: Settings, tmp_path: Path) -> None:
    package = _export(platform, settings, "province", tmp_path)
    path = Path(package.directory) / "XZCF.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 4
    assert {r["op"] for r in rows} == {"upsert"}
    assert rows[0]["violation_type"] == "超限运输"
    manifest = json.loads((Path(package.directory) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == [{"name": "XZCF.csv", "rows": 4, "sha256": manifest["files"][0]["sha256"]}]
    assert [f["key"] for f in manifest["fields"]["XZCF"]][:2] == ["subject_name", "subject_kind"]
    assert service.verify_directory(Path(package.directory)).ok


def test_tampering_and_truncation_are_found(platform: Database, settings: Settings, tmp_path: Path) -> None:
    package = _export(platform, settings, "ministry", tmp_path)
    directory = Path(package.directory)
    data = directory / "records.jsonl"
    original = data.read_bytes()
    data.write_bytes(original.replace("超限运输".encode(), "超速行驶".encode(), 1))
    report = service.verify_directory(directory)
    assert not report.ok
    assert any("SHA-256" in p for p in report.problems)
    data.write_bytes(b"".join(original.splitlines(keepends=True)[:-1]))  # a line lost in transfer
    problems = service.verify_directory(directory).problems
    assert any("清单记载 4 行" in p for p in problems)
    assert any("条数与清单记载不符" in p for p in problems)
    data.unlink()
    assert service.verify_directory(directory).problems[0] == "缺少数据文件 records.jsonl"
    (directory / "manifest.json").write_text("{", encoding="utf-8")
    assert "无法读取清单文件" in service.verify_directory(directory).problems[0]


def test_only_the_credit_office_exports(platform: Database, settings: Settings, tmp_path: Path) -> None:
    with platform.unit_of_work() as s, pytest.raises(PermissionDenied):
        service.export_package(s, OFFICER, settings, "ministry", out_dir=tmp_path)
    with platform.unit_of_work() as s, pytest.raises(NotFound) as exc:
        service.export_package(s, OFFICE, settings, "nowhere", out_dir=tmp_path)
    assert exc.value.code == "unknown_exchange_target"
    assert "ministry" in exc.value.message
    assert not list(tmp_path.glob("**/*.jsonl"))


def test_a_failed_transaction_leaves_no_registered_package(
    platform: Database, settings: Settings, tmp_path: Path
) -> None:
    """The directory of an export whose transaction rolled back is replaced by the next export of that sequence."""

    def export_then_fail() -> None:
        with platform.unit_of_work() as s:
            service.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path / "out")
            raise RuntimeError("the caller fails after the export")

    with pytest.raises(RuntimeError):
        export_then_fail()
    assert (tmp_path / "out" / "ministry").is_dir()  # the files were written, the row was not
    package = _export(platform, settings, "ministry", tmp_path)
    assert (package.sequence, package.kind) == (1, "full")
    assert service.verify_directory(Path(package.directory)).ok
    assert not list((tmp_path / "out" / "ministry").glob(".*partial"))


def test_verification_never_breaks_on_damaged_files(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """Whatever a transfer does to a data file, verification answers with problems, never an exception."""
    import shutil

    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    packages = [_export(platform, settings, target, tmp_path) for target in ("ministry", "province")]

    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(which=st.sampled_from([0, 1]), cut=st.integers(min_value=0, max_value=4000), junk=st.binary(max_size=64))
    def damaged(which: int, cut: int, junk: bytes) -> None:
        source = Path(packages[which].directory)
        copy = tmp_path / "copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(source, copy)
        data = next(p for p in copy.iterdir() if p.name != "manifest.json")
        original = data.read_bytes()
        changed = original[:cut] + junk + original[cut + len(junk) :]
        data.write_bytes(changed)
        report = service.verify_directory(copy)
        assert report.ok is (changed == original)

    damaged()


def test_concurrent_exports_come_out_as_consecutive_packages(
    platform: Database, settings: Settings, tmp_path: Path
) -> None:
    """Two officials press 生成 at the same moment for a target that has no package yet: one gets the full set, the
    other the increment after it; both directories are intact (neither export removed the other's files)."""
    barrier = threading.Barrier(2)
    results: list[service.PackageView] = []
    failures: list[BaseException] = []

    def export() -> None:
        try:
            barrier.wait()
            results.append(_export(platform, settings, "ministry", tmp_path))
        except BaseException as exc:  # reported by the assertions below
            failures.append(exc)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    assert sorted((p.sequence, p.kind) for p in results) == [(1, "full"), (2, "increment")]
    for package in results:
        assert service.verify_directory(Path(package.directory)).problems == []


def _record_id(db: Database, n: int) -> int:
    with db.read() as s:
        found = s.scalar(
            select(CreditRecord.id).where(
                CreditRecord.natural_key == penalty_row(n)["decision_no"], CreditRecord.is_current
            )
        )
    assert found is not None
    return found


def test_an_increment_waits_for_records_still_being_written(
    platform: Database, settings: Settings, tmp_path: Path
) -> None:
    """A repair still being written holds a record id below that of a penalty imported and committed meanwhile.
    An increment that ended at the largest visible id covered the repair's id without seeing it, and the next one
    started above it: the repair never reached the national platform. The export now waits for the repair's
    transaction, and the increment carries both. (SQLite has one writer at a time: the import would wait for the
    repair instead, and an export too.)"""
    db = platform
    if db.dialect == "sqlite":
        pytest.skip("SQLite writes one transaction at a time: no record can commit below a visible id")
    full = _export(db, settings, "ministry", tmp_path)
    repaired_id = _record_id(db, 3)
    results: list[service.PackageView] = []
    failures: list[BaseException] = []

    def export() -> None:
        try:
            with db.unit_of_work() as s:
                results.append(
                    service.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path / "out", wait_seconds=60)
                )
        except BaseException as exc:  # reported by the assertions below
            failures.append(exc)

    exporter = threading.Thread(target=export)
    with db.unit_of_work() as slow:
        repair = change_status(
            slow, OFFICE, record_id=repaired_id, status="repaired", note="信用修复", publicity_end=dt.date.today()
        )
        import_table(db, settings, tmp_path / "meanwhile.csv", [penalty_row(5)])  # commits, with a larger id
        assert _record_id(db, 5) > repair.record_id
        exporter.start()
        exporter.join(timeout=1.0)
        assert exporter.is_alive(), "the export did not wait for the records still being written"
    exporter.join(timeout=60)
    assert failures == []
    (increment,) = results
    assert (increment.kind, increment.from_record_id) == ("increment", full.to_record_id)
    by_key = {line["natural_key"]: line["op"] for line in _lines(increment)}
    assert by_key == {penalty_row(3)["decision_no"]: "withdraw", penalty_row(5)["decision_no"]: "upsert"}
    assert increment.to_record_id >= _record_id(db, 5)
    assert _export(db, settings, "ministry", tmp_path).rows == 0  # nothing sent twice, nothing left behind


def test_an_export_gives_up_clearly_while_records_are_being_written(
    platform: Database, settings: Settings, tmp_path: Path
) -> None:
    db = platform
    if db.dialect == "sqlite":
        pytest.skip("SQLite writes one transaction at a time: the export waits for the write lock instead")
    with db.unit_of_work() as slow:
        change_status(slow, OFFICE, record_id=_record_id(db, 2), status="revoked", note="异议成立")
        with db.unit_of_work() as s, pytest.raises(Conflict) as exc:
            service.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path / "out", wait_seconds=0.3)
    assert exc.value.code == "records_being_written"
    assert "正在写入" in exc.value.message
    with db.read() as s:
        assert service.list_packages(s, VIEWER, settings) == []
    assert not list((tmp_path / "out").glob("**/*.jsonl"))
    package = _export(db, settings, "ministry", tmp_path)  # the writer is done: the export goes through
    assert (package.sequence, package.rows) == (1, 3)  # the revoked record is not in force


def _case(db: Database, title: str) -> int:
    with db.unit_of_work() as s:
        drafted = cases.draft_case(
            s,
            OFFICE,
            title=title,
            summary="依据联合奖惩措施清单实施惩戒。",
            body="经信用核查，对该企业依法实施联合惩戒。",
            kind="punishment",
            domain="道路运输",
        )
        cases.publish_case(s, OFFICE, drafted.id)
        return drafted.id


def test_typical_cases_go_to_the_shared_platforms(platform: Database, settings: Settings, tmp_path: Path) -> None:
    first, second = _case(platform, "超限运输失信惩戒案例"), _case(platform, "违法分包失信惩戒案例")
    full = _export(platform, settings, "ministry", tmp_path)
    lines = [orjson.loads(x) for x in (Path(full.directory) / "typical_cases.jsonl").read_bytes().splitlines()]
    assert [(x["op"], x["case_id"], x["kind"]) for x in lines] == [
        ("upsert", first, "失信惩戒"),
        ("upsert", second, "失信惩戒"),
    ]
    assert lines[0]["title"] == "超限运输失信惩戒案例"
    assert lines[0]["body"] == "经信用核查，对该企业依法实施联合惩戒。"
    assert full.counts["DXAL"] == {"upsert": 2}
    assert full.rows == 6  # four records, two cases
    assert service.verify_directory(Path(full.directory)).ok
    # the next package: the case withdrawn since (sent before) and a new one; an unchanged case is not sent again
    with platform.unit_of_work() as s:
        cases.withdraw_case(s, OFFICE, first, "案例信息有误")
    third = _case(platform, "红名单企业守信激励案例")
    nxt = _export(platform, settings, "ministry", tmp_path)
    lines = [orjson.loads(x) for x in (Path(nxt.directory) / "typical_cases.jsonl").read_bytes().splitlines()]
    assert [(x["op"], x["case_id"]) for x in lines] == [("upsert", third), ("withdraw", first)]
    assert nxt.counts == {"DXAL": {"upsert": 1, "withdraw": 1}}
    assert service.verify_directory(Path(nxt.directory)).ok
    # nothing new: no cases file
    quiet = _export(platform, settings, "ministry", tmp_path)
    assert not (Path(quiet.directory) / "typical_cases.jsonl").exists()
    # the provincial platform's CSV package carries them too; a case drafted but not published never goes
    with platform.unit_of_work() as s:
        cases.draft_case(s, OFFICE, title="草稿案例", summary="草稿", body="草稿", kind="reward")
    province = _export(platform, settings, "province", tmp_path)
    raw = (Path(province.directory) / "DXAL.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["op"], r["category"], r["title"]) for r in rows] == [
        ("upsert", "DXAL", "违法分包失信惩戒案例"),
        ("upsert", "DXAL", "红名单企业守信激励案例"),
    ]
    assert service.verify_directory(Path(province.directory)).ok
