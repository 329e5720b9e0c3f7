"""Readers: turn a file (CSV in any office encoding, XLSX/XLS, JSON Lines) into a header and streamed rows.

Every reader yields lists of raw cell strings. Files are streamed: CSV and JSON Lines row by row; spreadsheets
sheet by sheet (calamine reads a sheet at once, which is fine for the sizes offices export to Excel).
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import orjson

from transport_credit.common.errors import InvalidInput

FileFormat = Literal["csv", "xlsx", "xls", "jsonl"]
_SNIFF = 1 << 20

# Excel stores days since 1899-12-30 (with the 1900 leap-year bug folded in).
EXCEL_EPOCH = dt.date(1899, 12, 30)


class FileRefused(InvalidInput):
    """The file as a whole cannot be read; nothing was imported."""

    code = "file_refused"


def detect_format(path: Path, head: bytes) -> FileFormat:
    """By content first (zip / OLE magic), then by extension."""
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix in {".xlsx", ".xlsm"}:
        raise FileRefused(
            "文件扩展名为 .xlsx，但内容不是有效的 Excel 文件（文件可能已损坏或不完整）", code="file_corrupt"
        )
    if suffix == ".xls":
        raise FileRefused("文件扩展名为 .xls，但内容不是有效的 Excel 文件", code="file_corrupt")
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes as such, else GB18030 (a superset of GBK and GB2312)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # The sample may end inside a multi-byte character: an incremental decoder tolerates that.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise FileRefused("无法识别文件编码（支持 UTF-8、GBK、GB18030）", code="unknown_encoding") from exc


@dataclass
class OpenedFile:
    format: FileFormat
    encoding: str | None
    rows: Iterator[list[str]]  # every row, header rows included, as raw cell text (spreadsheets, JSON Lines)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _sheet_rows(path: Path) -> Iterator[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        for row in rows:
            yield [_cell_text(v) for v in row]
    except FileRefused:
        raise
    except Exception as exc:  # calamine raises several error types for broken files
        raise FileRefused("Excel 文件已损坏或不完整，无法读取", code="file_corrupt") from exc


def _jsonl_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    """JSON Lines: objects; the union of keys in first-seen order becomes the header."""
    header: list[str] = []
    index: dict[str, int] = {}
    pending: list[dict[str, object]] = []
    emitted_header = False
    for lineno, line in enumerate(stream, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise FileRefused(f"第 {lineno} 行不是有效的 JSON", code="bad_json") from exc
        if not isinstance(obj, dict):
            raise FileRefused(f"第 {lineno} 行不是 JSON 对象", code="bad_json")
        for k in obj:
            if k not in index:
                if emitted_header:
                    raise FileRefused(f"第 {lineno} 行出现了前面没有的字段「{k}」", code="bad_json")
                index[k] = len(header)
                header.append(k)
        if not emitted_header:
            pending.append(obj)
            if len(pending) < 1000:
                continue
            yield list(header)
            emitted_header = True
            for p in pending:
                yield [_cell_text(p.get(h)) for h in header]
            pending.clear()
            continue
        yield [_cell_text(obj.get(h)) for h in header]
    if not emitted_header and header:
        yield list(header)
        for p in pending:
            yield [_cell_text(p.get(h)) for h in header]


def open_rows(path: Path, stream: IO[bytes]) -> OpenedFile:
    """Open ``stream`` (the content of ``path``) for reading rows."""
    head = stream.read(_SNIFF)
    stream.seek(0)
    if not head.strip():
        raise FileRefused("文件为空", code="empty_file")
    fmt = detect_format(path, head)
    if fmt == "csv":
        encoding = detect_encoding(head)
        # CSV bodies are read by ingest.sources.CsvSource (Polars, in blocks); no row iterator here.
        return OpenedFile("csv", encoding, iter(()))
    if fmt == "jsonl":
        return OpenedFile("jsonl", "utf-8", _jsonl_rows(stream))
    return OpenedFile(fmt, None, _sheet_rows(path))
