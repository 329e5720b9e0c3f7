"""Receipts (回执) from the receiving platforms: the records they send back become rejections for the source
department, settled when the record is corrected (and the next increment carries the correction). Real files: a
GB18030 CSV, an .xlsx, JSON Lines; the real database; the command line and the console."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lists"))

from ingest_kit import import_table, penalty_row, write_csv, write_xlsx
from lists_kit import OFFICE, OFFICER, VIEWER

from transport_credit import audit
from transport_credit.bootstrap import initialize
from transport_credit.common.actor import SYSTEM
from transport_credit.common.errors import Conflict, InvalidInput, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.exchange import receipts, rules, service
from transport_credit.exchange.models import ExchangeReceipt, ExchangeRejection
from transport_credit.ingest.readers import FileRefused
from transport_credit.settings import Settings

FMT = rules.ReceiptFormat()


@pytest.mark.parametrize(
    ("word", "outcome"),
    [
        ("成功", "accepted"),
        (" 已入库 ", "accepted"),
        ("OK", "accepted"),
        ("失败", "rejected"),
        ("退回", "rejected"),
        ("Rejected", "rejected"),
        ("", None),
        ("待处理", None),
    ],
)
def test_result_words(word: str, outcome: str | None) -> None:
    assert rules.receipt_outcome(FMT, word) == outcome


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["记录编号", "处理结果", "原因"], {"record_id": 0, "result": 1, "reason": 2}),
        (["\ufeffrecord_id", "Result"], {"record_id": 0, "result": 1}),
        (["序号", "记录 ID", "状态", "退回原因"], {"record_id": 1, "result": 2, "reason": 3}),
    ],
)
def test_receipt_columns(header: list[str], expected: dict[str, int]) -> None:
    assert rules.receipt_columns(FMT, header) == expected


def test_receipt_columns_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="record_id/记录编号/记录ID"):
        rules.receipt_columns(FMT, ["处理结果", "原因"])


@pytest.fixture
def sent(db: Database, settings: Settings, tmp_path: Path) -> tuple[Database, service.PackageView, dict[str, int]]:
    """Four penalties sent to the ministry in the full package; natural key → record id."""
    initialize(db, settings)
    summary = import_table(db, settings, tmp_path / "penalties.csv", [penalty_row(n) for n in range(1, 5)])
    assert summary.accepted + summary.warned == 4, summary
    with db.unit_of_work() as s:
        package = service.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path / "out")
    ids = {
        str(line["natural_key"]): int(line["record_id"])
        for line in (json.loads(x) for x in (Path(package.directory) / "records.jsonl").read_text().splitlines())
    }
    return db, package, ids


def _receipt(
    path: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = ("记录编号", "处理结果", "原因")
) -> Path:
    cells = [list(header), *[list(r) for r in rows]]
    if path.suffix == ".xlsx":
        return write_xlsx(path, cells)
    return write_csv(path, [[str(c) for c in r] for r in cells])


def _import(db: Database, settings: Settings, path: Path, sequence: int = 1) -> receipts.ReceiptView:
    with db.unit_of_work() as s:
        return receipts.import_receipt(s, OFFICE, settings, target="ministry", sequence=sequence, path=path)


def test_a_rejected_record_waits_for_its_correction_and_the_next_increment_carries_it(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, _, ids = sent
    bad = penalty_row(2)["decision_no"]
    rows = [[rid, "成功", ""] for key, rid in ids.items() if key != bad]
    rows.append([ids[bad], "失败", "处罚决定日期晚于公示日期"])
    view = _import(db, settings, _receipt(tmp_path / "回执.csv", rows))  # GB18030
    assert (view.lines, view.accepted, view.rejected, view.already_imported) == (4, 3, 1, False)

    with db.read() as s:
        [open_one] = receipts.list_rejections(s, OFFICE, settings)
        counts = receipts.open_rejection_counts(s, VIEWER)
        actions = [e.action for e in audit.list_entries(s, SYSTEM, target_type="exchange_package")]
    assert (open_one.record_id, open_one.natural_key, open_one.category) == (ids[bad], bad, "XZCF")
    assert open_one.reason == "处罚决定日期晚于公示日期"
    assert open_one.settled is False
    assert counts == {open_one.department_code: 1}
    assert actions == ["exchange.receipt", "exchange.export"]

    # The department corrects the record: the rejection is settled, and the increment sends the new revision.
    import_table(db, settings, tmp_path / "fix.csv", [dict(penalty_row(2), violation_facts="更正后的违法事实。")])
    with db.read() as s:
        assert receipts.list_rejections(s, OFFICE, settings) == []
        [settled] = receipts.list_rejections(s, OFFICE, settings, include_settled=True)
        assert receipts.open_rejection_counts(s, OFFICE) == {}
    assert settled.corrected_by is not None
    assert settled.corrected_by > ids[bad]
    with db.unit_of_work() as s:
        increment = service.export_package(s, OFFICE, settings, "ministry", out_dir=tmp_path / "out")
    lines = [json.loads(x) for x in (Path(increment.directory) / "records.jsonl").read_text().splitlines()]
    assert [(x["natural_key"], x["record_id"]) for x in lines] == [(bad, settled.corrected_by)]


def test_a_receipt_listing_only_the_rejected_records(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    """An .xlsx with the receiver's own column names, naming only what it sent back (no reason for one)."""
    db, package, ids = sent
    keys = sorted(ids)
    path = _receipt(
        tmp_path / "receipt.xlsx",
        [[ids[keys[0]], "退回", "当事人名称与统一社会信用代码不一致"], [ids[keys[1]], "退回", ""]],
        header=("记录ID", "状态", "退回原因"),
    )
    view = _import(db, settings, path)
    assert (view.lines, view.accepted, view.rejected) == (2, package.rows - 2, 2)
    with db.read() as s:
        got = {x.natural_key: x.reason for x in receipts.list_rejections(s, OFFICE, settings)}
    assert got == {keys[0]: "当事人名称与统一社会信用代码不一致", keys[1]: receipts.NO_REASON}


def test_json_lines_receipt(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, _, ids = sent
    path = tmp_path / "receipt.jsonl"
    path.write_text(
        "\n".join(json.dumps({"record_id": rid, "result": "accepted"}) for rid in ids.values()), encoding="utf-8"
    )
    view = _import(db, settings, path)
    assert (view.accepted, view.rejected) == (len(ids), 0)


def test_a_faulty_receipt_is_refused_whole_with_every_problem_by_line(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, package, ids = sent
    first, second = sorted(ids.values())[:2]
    path = _receipt(
        tmp_path / "bad.csv",
        [
            [first, "失败", "字段缺失"],
            [package.to_record_id + 50, "失败", "不存在"],  # line 3: not a record of this package
            ["ABC", "成功", ""],  # line 4
            [second, "待核实", ""],  # line 5: a word the format does not know
            [first, "成功", ""],  # line 6: contradicts line 2
        ],
    )
    with pytest.raises(InvalidInput) as caught:
        _import(db, settings, path)
    assert caught.value.code == "receipt_invalid"
    problems = caught.value.details["problems"]
    assert [(p["line"], p["code"]) for p in problems] == [
        (3, "not_in_package"),
        (4, "bad_record_id"),
        (5, "unknown_result"),
        (6, "conflicting_result"),
    ]
    assert "第 3 行" in caught.value.message
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeReceipt)) == 0
        assert s.scalar(select(func.count()).select_from(ExchangeRejection)) == 0


def test_files_that_are_no_receipt(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, _, _ = sent
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileRefused) as caught:
        _import(db, settings, empty)
    assert caught.value.code == "empty_file"
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(128, 256)) * 40)
    with pytest.raises(FileRefused) as caught:
        _import(db, settings, junk)
    assert caught.value.code == "unknown_encoding"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(FileRefused) as caught:
        _import(db, settings, broken)
    assert caught.value.code == "file_corrupt"
    no_ids = _receipt(tmp_path / "cols.csv", [["成功"]], header=("处理结果",))
    with pytest.raises(FileRefused) as caught:
        _import(db, settings, no_ids)
    assert caught.value.code == "receipt_columns_missing"
    assert "记录编号" in caught.value.message


def test_the_same_receipt_twice_and_a_second_receipt(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, _, ids = sent
    rid = min(ids.values())
    first = _import(db, settings, _receipt(tmp_path / "r1.csv", [[rid, "失败", "原因一"]]))
    again = _import(db, settings, _receipt(tmp_path / "r1-copy.csv", [[rid, "失败", "原因一"]]))
    assert again.already_imported is True
    assert again.id == first.id
    with pytest.raises(Conflict) as caught:
        _import(db, settings, _receipt(tmp_path / "r2.csv", [[rid, "成功", ""]]))
    assert caught.value.code == "receipt_exists"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeRejection)) == 1


def test_who_may_do_what(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, _, ids = sent
    path = _receipt(tmp_path / "r.csv", [[min(ids.values()), "失败", "原因"]])
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        receipts.import_receipt(s, OFFICER, settings, target="ministry", sequence=1, path=path)
    view = _import(db, settings, path)
    assert view.rejected == 1
    elsewhere = dataclasses.replace(OFFICER, name="郑州报送员", department_code="410100-jtj")
    with db.read() as s:
        [seen] = receipts.list_rejections(s, VIEWER, settings)
        own = receipts.list_rejections(s, OFFICER, settings)
        asked_for_another = receipts.list_rejections(s, OFFICER, settings, department_code="410100-jtj")
        theirs = receipts.list_rejections(s, elsewhere, settings, department_code=seen.department_code)
    # A data officer sees their own department's records only, whatever they ask for.
    assert seen.department_code == OFFICER.department_code
    assert own == [seen]
    assert asked_for_another == [seen]
    assert theirs == []
    with pytest.raises(Exception, match="第 9 号交换包"), db.unit_of_work() as s:
        receipts.import_receipt(s, OFFICE, settings, target="ministry", sequence=9, path=path)


def test_receipts_on_the_command_line(
    sent: tuple[Database, service.PackageView, dict[str, int]], cli_env: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from transport_credit.cli.main import app

    _, _, ids = sent
    runner = CliRunner()
    rid = max(ids.values())
    path = _receipt(tmp_path / "回执.csv", [[rid, "退回", "决定书文号重复"]])
    done = runner.invoke(app, ["exchange", "receipt", str(path), "--target", "ministry", "--sequence", "1", "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert (body["rejected"], body["sequence"], body["already_imported"]) == (1, 1, False)
    listed = runner.invoke(app, ["exchange", "rejections", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["record_id"], row["reason"], row["settled"]) == (rid, "决定书文号重复", False)
    book = tmp_path / "通报.xlsx"
    saved = runner.invoke(app, ["exchange", "rejections", "--xlsx", str(book)])
    assert saved.exit_code == 0, saved.output
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("退回记录").to_python()
    assert [(row[3], row[7]) for row in rows[1:]] == [(rid, "决定书文号重复")]
    table = runner.invoke(app, ["exchange", "rejections"])
    assert "决定书文号重复" in table.stdout
    assert "待更正" in table.stdout
    refused = runner.invoke(
        app, ["exchange", "receipt", str(tmp_path / "missing.csv"), "--target", "ministry", "--sequence", "1"]
    )
    assert refused.exit_code != 0
    assert "找不到回执文件" in refused.output


def test_a_departments_system_reads_what_was_sent_back(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path, cheap_hashing: None
) -> None:
    from fastapi.testclient import TestClient

    from transport_credit.auth import service as auth
    from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
    from transport_credit.server import create_app

    db, _, ids = sent
    rid = min(ids.values())
    _import(db, settings, _receipt(tmp_path / "r.csv", [[rid, "退回", "决定日期有误"]]))
    with db.unit_of_work() as s:
        _, own = auth.create_api_client(s, SYSTEM, "执法系统", str(OFFICER.department_code), [], [SCOPE_SUBMIT])
        _, other = auth.create_api_client(s, SYSTEM, "郑州系统", "410100-jtj", [], [SCOPE_SUBMIT])
        _, reader = auth.create_api_client(s, SYSTEM, "查询系统", str(OFFICER.department_code), [], [SCOPE_READ])
    with TestClient(create_app(settings, db)) as client:
        r = client.get("/api/v1/exchange/rejections", headers={"X-API-Key": own})
        assert r.status_code == 200, r.text
        [item] = r.json()["items"]
        assert (item["record_id"], item["reason"], item["settled"], item["corrected_by"]) == (
            rid,
            "决定日期有误",
            False,
            None,
        )
        assert item["target_name"] == "全国交通运输信用信息共享平台"
        assert client.get("/api/v1/exchange/rejections", headers={"X-API-Key": other}).json() == {"items": []}
        refused = client.get("/api/v1/exchange/rejections", headers={"X-API-Key": reader})
        assert refused.status_code == 403
        bad = client.get("/api/v1/exchange/rejections", params={"view": "x"}, headers={"X-API-Key": own})
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_request"


def test_a_long_receipt_is_checked_a_chunk_at_a_time(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    """Lines past the first chunk are checked against the lines before them; full-width digits are digits."""
    db, _, ids = sent
    first, *others = sorted(ids.values())
    rows: list[list[object]] = [[first, "退回", "缺少处罚依据"]]
    rows += [[others[i % len(others)], "成功", ""] for i in range(2 * receipts._LOOKUP + 500)]
    rows.append([str(first).translate(str.maketrans("0123456789", "０１２３４５６７８９")), "退回", "重复"])
    ok = _import(db, settings, _receipt(tmp_path / "long.csv", rows))
    assert (ok.lines, ok.rejected, ok.accepted) == (len(rows), 1, len(ids) - 1)
    with db.read() as s:
        [back] = receipts.list_rejections(s, OFFICE, settings)
    assert (back.record_id, back.reason) == (first, "缺少处罚依据")  # the first line naming it


def test_a_contradiction_far_down_a_receipt_names_the_earlier_line(
    sent: tuple[Database, service.PackageView, dict[str, int]], settings: Settings, tmp_path: Path
) -> None:
    db, _, ids = sent
    first, second = sorted(ids.values())[:2]
    rows: list[list[object]] = [[first, "成功", ""]]
    rows += [[second, "成功", ""] for _ in range(receipts._LOOKUP + 10)]
    rows += [[first, "失败", "前后矛盾"], ["①", "成功", ""]]
    with pytest.raises(InvalidInput) as caught:
        _import(db, settings, _receipt(tmp_path / "contradiction.csv", rows))
    problems = caught.value.details["problems"]
    end = len(rows) + 1  # the header is line 1
    assert [(p["line"], p["code"]) for p in problems] == [(end - 1, "conflicting_result"), (end, "bad_record_id")]
    assert "第 2 行" in str(problems[0]["message"])
