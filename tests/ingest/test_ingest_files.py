"""Reading real files: encodings, formats, header recognition and file-level refusals (nothing written)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ingest_kit import (
    XZCF_HEADERS,
    XZXK_HEADERS,
    counts,
    licence_row,
    penalty_row,
    records,
    run_import,
    stored,
    table,
    write_csv,
    write_jsonl,
    write_xlsx,
)

from transport_credit.db.uow import Database
from transport_credit.ingest.models import Batch
from transport_credit.ingest.readers import FileRefused
from transport_credit.settings import Settings

# GBK-only characters that are not in GB2312 (镕, 堃, 喆) and a GB18030-only one (𠀀 is 4-byte in GB18030).
GBK_NAME = "郑州朱镕堃喆物流有限公司"
GB18030_NAME = "郑州𠀀达物流有限公司"


def _stored(db: Database) -> list[dict[str, object]]:
    with db.read() as session:
        return [dict(r.data) for r in records(session)]


@pytest.mark.parametrize(
    ("encoding", "name", "expected"),
    [
        ("gb18030", GB18030_NAME, "gb18030"),
        ("gbk", GBK_NAME, "gb18030"),
        ("utf-8", GB18030_NAME, "utf-8"),
        ("utf-8-sig", GB18030_NAME, "utf-8-sig"),
    ],
)
def test_csv_encodings_read_the_same_rows(
    platform: Database, settings: Settings, tmp_path: Path, encoding: str, name: str, expected: str
) -> None:
    rows = [penalty_row(1, subject_name=name), penalty_row(2)]
    path = write_csv(tmp_path / "处罚.csv", table(XZCF_HEADERS, rows), encoding)
    summary = run_import(platform, settings, path)
    assert (summary.encoding, summary.file_format) == (expected, "csv")
    assert (summary.total, summary.accepted, summary.rejected) == (2, 2, 0)
    names = sorted(str(d["subject_name"]) for d in _stored(platform))
    assert names == sorted([name, rows[1]["subject_name"]])


def test_all_formats_store_identical_data(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """The same rows as CSV (GB18030), XLSX and JSON Lines give the same stored data (unchanged the 2nd time)."""
    rows = [penalty_row(n) for n in range(1, 6)]
    first = run_import(platform, settings, write_csv(tmp_path / "a.csv", table(XZCF_HEADERS, rows)))
    assert first.accepted == 5
    before = _stored(platform)
    xlsx = run_import(platform, settings, write_xlsx(tmp_path / "a.xlsx", table(XZCF_HEADERS, rows)))
    jsonl = run_import(platform, settings, write_jsonl(tmp_path / "a.jsonl", XZCF_HEADERS, rows))
    assert (xlsx.file_format, xlsx.unchanged, xlsx.total) == ("xlsx", 5, 5)
    assert (jsonl.file_format, jsonl.unchanged, jsonl.total) == ("jsonl", 5, 5)
    assert _stored(platform) == before


@pytest.mark.parametrize(
    ("content", "code"),
    [
        # Valid UTF-8 up to the sample's end, then a byte that is neither UTF-8 nor GB18030.
        ("header+ok+bad", {"bad_encoding", "unknown_encoding"}),
        ("only-bad", {"unknown_encoding"}),
    ],
)
def test_invalid_bytes_are_refused_and_nothing_written(
    platform: Database, settings: Settings, tmp_path: Path, content: str, code: set[str]
) -> None:
    cells = table(XZCF_HEADERS, [penalty_row(n) for n in range(1, 4)])
    good = "\n".join(",".join(r) for r in cells).encode("utf-8")
    if content == "header+ok+bad":
        raw = good + ("\n" + ",".join(penalty_row(9).values()) * 2000).encode("utf-8") + b"\xff\xfe\x80\n"
    else:
        raw = b"\x80\xff\x81\xfe" * 100
    path = tmp_path / "bad.csv"
    path.write_bytes(raw)
    before = counts(platform)
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, path)
    assert err.value.code in code
    assert "编码" in err.value.message
    assert counts(platform) == before
    assert before["batches"] == 0


def test_invalid_bytes_after_the_sniffed_sample(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """Bad bytes beyond the first megabyte (past the encoding sniff) still refuse the whole file."""
    rows = [penalty_row(n) for n in range(1, 3001)]
    path = write_csv(tmp_path / "big.csv", table(XZCF_HEADERS, rows), "utf-8")
    assert path.stat().st_size > 1 << 20
    path.write_bytes(path.read_bytes() + b"\xff\xfe\x80,x\n")
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, path)
    assert err.value.code == "bad_encoding"
    assert counts(platform)["batches"] == 0
    assert counts(platform)["credit_records"] == 0


# --- headers -------------------------------------------------------------------------------------------------


def test_xlsx_with_merged_title_row(platform: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "t.xlsx", table(XZCF_HEADERS, [penalty_row(1), penalty_row(2)]), title="2026年行政处罚信息汇总表"
    )
    summary = run_import(platform, settings, path)
    assert (summary.header_row, summary.accepted, summary.total) == (2, 2, 2)


def test_blank_rows_above_and_between(platform: Database, settings: Settings, tmp_path: Path) -> None:
    cells = table(XZCF_HEADERS, [penalty_row(1), penalty_row(2)])
    blank = [""] * len(cells[0])
    content = [blank, ["行政处罚信息报送表"], blank, cells[0], cells[1], blank, blank, cells[2]]
    summary = run_import(platform, settings, write_csv(tmp_path / "b.csv", content))
    assert summary.header_row == 4
    assert (summary.total, summary.accepted) == (2, 2)
    with platform.read() as session:
        assert sorted(r.source_row for r in records(session)) == [5, 8]


def test_mandatory_markers_and_full_width_parentheses(platform: Database, settings: Settings, tmp_path: Path) -> None:
    headers = {}
    for key, name in XZCF_HEADERS.items():
        name = name.replace("（", "(").replace("）", ")")  # half-width where the standard has full-width
        headers[key] = f"*{name}" if key in {"subject_name", "decision_no", "decision_date"} else name
    headers["fine_amount"] = "罚款金额（万元）(必填)"
    summary = run_import(platform, settings, write_csv(tmp_path / "m.csv", table(headers, [penalty_row(1)])))
    assert summary.accepted == 1
    assert summary.ignored_columns == []
    with platform.read() as session:
        assert records(session)[0].data["fine_amount"] == 0.2


def test_legacy_headers_are_mapped_and_recorded(platform: Database, settings: Settings, tmp_path: Path) -> None:
    legacy = {
        "subject_name": "被处罚单位或个人",
        "subject_kind": "行政相对人类别",
        "uscc": "统一社会信用代码",
        "legal_rep": "法定代表人姓名",
        "decision_no": "处罚决定书文号",
        "violation_type": "处罚名称",
        "violation_facts": "处罚事由",
        "penalty_basis": "处罚依据",
        "penalty_type": "处罚类别1",
        "penalty_content": "处罚结果",
        "fine_amount": "罚款金额(万元)",
        "decision_date": "处罚生效期",
        "valid_until": "处罚截止期",
        "authority": "处罚机关",
        "authority_uscc": "处罚机关统一社会信用代码",
        "region_code": "地方编码",
    }
    row = penalty_row(1)
    summary = run_import(platform, settings, write_csv(tmp_path / "old.csv", table(legacy, [row])))
    assert summary.mapping == "xzcf-legacy"
    assert summary.accepted == 1
    with platform.read() as session:
        batch = session.query(Batch).one()
        assert batch.mapping == "xzcf-legacy"
        data = records(session)[0].data
    assert data["violation_facts"] == row["violation_facts"]
    assert data["penalty_content"] == row["penalty_content"]
    assert data["region_code"] == "410100"
    # 数据来源单位 defaults to the submitting department when the file has no such column.
    assert data["source_unit"] == "河南省交通运输厅执法局"


def test_unknown_columns_are_ignored_and_reported(platform: Database, settings: Settings, tmp_path: Path) -> None:
    headers = dict(XZCF_HEADERS) | {"x1": "内部流水号", "x2": "经办人"}
    row = penalty_row(1) | {"x1": "LS-0001", "x2": "赵六"}
    summary = run_import(platform, settings, write_csv(tmp_path / "x.csv", table(headers, [row])))
    assert summary.accepted == 1
    assert summary.ignored_columns == ["内部流水号", "经办人"]
    with platform.read() as session:
        batch = session.query(Batch).one()
        assert batch.notes["ignored_columns"] == ["内部流水号", "经办人"]
        assert "LS-0001" not in str(records(session)[0].data)


def test_wrong_category_names_the_right_one(platform: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "许可.csv", table(XZXK_HEADERS, [licence_row(1)]))
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, path, category="行政处罚")
    assert err.value.code == "wrong_category"
    assert "行政许可" in err.value.message
    assert counts(platform)["batches"] == 0


def test_missing_mandatory_column(platform: Database, settings: Settings, tmp_path: Path) -> None:
    headers = {k: v for k, v in XZCF_HEADERS.items() if k != "decision_date"}
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, write_csv(tmp_path / "m.csv", table(headers, [penalty_row(1)])))
    assert err.value.code == "missing_columns"
    assert "处罚决定日期" in err.value.message
    assert err.value.details["missing"] == ["decision_date"]
    assert counts(platform)["batches"] == 0


def test_header_only_file_is_refused(platform: Database, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, write_csv(tmp_path / "h.csv", table(XZCF_HEADERS, [])))
    assert err.value.code == "no_rows"
    assert "没有数据行" in err.value.message
    assert counts(platform)["batches"] == 0


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.csv", b"", "empty_file"),
        ("spaces.csv", b"  \r\n\r\n  ", "empty_file"),
        ("commas.csv", b",,,\r\n,,,\r\n", "empty_file"),
        ("empty.jsonl", b"\n\n", "empty_file"),
        ("no-header.csv", "甲,乙,丙\n1,2,3\n".encode(), "no_header"),
        ("fake.xlsx", b"this is not a spreadsheet", "file_corrupt"),
        ("fake.xls", b"this is not a spreadsheet", "file_corrupt"),
        ("bad.jsonl", b'{"a": 1}\n{not json\n', "bad_json"),
    ],
)
def test_unusable_files_are_refused(
    platform: Database, settings: Settings, tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = counts(platform)
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, path)
    assert err.value.code == code
    assert err.value.message  # Chinese text for the user
    assert counts(platform) == before


def test_truncated_xlsx_is_corrupt(platform: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "full.xlsx", table(XZCF_HEADERS, [penalty_row(n) for n in range(1, 200)]))
    raw = path.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FileRefused) as err:
        run_import(platform, settings, cut)
    assert err.value.code == "file_corrupt"
    assert counts(platform)["batches"] == 0


def test_xlsx_saved_under_a_csv_name_is_read_as_xlsx(platform: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", table(XZCF_HEADERS, [penalty_row(1)]))
    renamed = tmp_path / "导出.csv"
    renamed.write_bytes(path.read_bytes())
    summary = run_import(platform, settings, renamed)
    assert (summary.file_format, summary.accepted) == ("xlsx", 1)


def test_xls_file(platform: Database, settings: Settings, tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("处罚")
    for i, row in enumerate(table(XZCF_HEADERS, [penalty_row(1)])):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    path = tmp_path / "old.xls"
    wb.save(str(path))
    summary = run_import(platform, settings, path)
    assert (summary.file_format, summary.accepted) == ("xls", 1)


def test_jsonl_with_field_keys(platform: Database, settings: Settings, tmp_path: Path) -> None:
    keys = {k: k for k in XZCF_HEADERS}
    summary = run_import(platform, settings, write_jsonl(tmp_path / "k.jsonl", keys, [penalty_row(1)]))
    assert (summary.file_format, summary.accepted) == ("jsonl", 1)


def test_batch_records_who_what_and_counts(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [penalty_row(1), penalty_row(2, decision_date="2025/13/45")]
    path = write_csv(tmp_path / "计数.csv", table(XZCF_HEADERS, rows))
    summary = run_import(platform, settings, path)
    with platform.read() as session:
        batch = session.query(Batch).one()
        session.expunge(batch)
    assert batch.batch_no == summary.batch_no
    assert batch.actor == "cli:tester"
    assert batch.department_code == "410000-zfj"
    assert batch.category == "XZCF"
    assert batch.file_name == "计数.csv"
    assert batch.file_sha256 == summary.file_sha256
    assert len(batch.file_sha256 or "") == 64
    assert batch.status == "completed"
    assert (batch.total, batch.accepted, batch.rejected) == (2, 1, 1)
    assert batch.finished_at is not None
    assert batch.finished_at >= batch.started_at - dt.timedelta(seconds=1)


def test_control_characters_are_removed_with_a_warning(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """A NUL or another invisible control character in a cell (an old export, a copy from a terminal) is removed;
    the row is accepted with a ``control_characters`` warning naming the fields. PostgreSQL cannot store NUL at all:
    such a file used to end in an internal error there."""
    rows = [
        penalty_row(1, subject_name="郑州\x00顺达运输有限公司", violation_facts="超限\x1f运输\x7f"),
        penalty_row(2, violation_facts="换行\n保留\t制表符"),
        penalty_row(3),
    ]
    path = write_csv(tmp_path / "处罚.csv", table(XZCF_HEADERS, rows))
    summary = run_import(platform, settings, path)
    assert (summary.total, summary.accepted, summary.warned, summary.rejected) == (3, 2, 1, 0)
    stored_rows = stored(platform)
    dirty = stored_rows[rows[0]["decision_no"]]
    assert dirty.data["subject_name"] == "郑州顺达运输有限公司"
    assert dirty.data["violation_facts"] == "超限运输"
    [warning] = dirty.warnings or []
    assert warning["code"] == "control_characters"
    assert warning["field"] == "subject_name"
    assert "「行政相对人名称」" in warning["message"]
    assert "「违法事实」" in warning["message"]
    kept = stored_rows[rows[1]["decision_no"]]
    assert kept.data["violation_facts"] == "换行\n保留\t制表符"
    assert not kept.warnings
