"""Row sources: the header rows as lists of cells, then the body as Polars frames of raw cell text.

Every frame has string columns ``c0 … c{width-1}`` and ``_row`` (the 1-based row number in the file). CSV bodies
are parsed by Polars' native reader (no Python per cell) in blocks cut at record boundaries, transcoded to UTF-8
on the fly; spreadsheets, JSON Lines and API pushes are built from row lists.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import polars as pl

from transport_credit.ingest.readers import FileRefused

HEAD_ROWS = 15


class RowSource(Protocol):
    def head(self) -> list[list[str]]:
        """The first rows (the header is among them)."""
        ...

    def frames(self, header_index: int, width: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
        """The rows after ``header_index`` in frames of at most ``chunk_rows`` rows."""
        ...


def rows_to_frame(rows: list[list[str]], first_row_number: int, width: int) -> pl.DataFrame:
    padded = [r if len(r) == width else (r + [""] * width)[:width] for r in rows]
    columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    data = {f"c{j}": pl.Series(f"c{j}", columns[j], dtype=pl.String) for j in range(width)}
    data["_row"] = pl.Series("_row", range(first_row_number, first_row_number + len(rows)), dtype=pl.Int64)
    return pl.DataFrame(data)


class ListSource:
    """Rows from an iterator of cell lists (spreadsheets, JSON Lines, API pushes)."""

    def __init__(self, rows: Iterator[list[str]]) -> None:
        self._rows = rows
        self._head = list(itertools.islice(rows, HEAD_ROWS))

    def head(self) -> list[list[str]]:
        return self._head

    def frames(self, header_index: int, width: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
        pending = self._head[header_index + 1 :]
        number = header_index + 2
        while True:
            need = chunk_rows - len(pending)
            if need > 0:
                pending.extend(itertools.islice(self._rows, need))
            if not pending:
                return
            chunk, pending = pending[:chunk_rows], pending[chunk_rows:]
            yield rows_to_frame(chunk, number, width)
            number += len(chunk)


class CsvSource:
    """A CSV file in any supported encoding; the body is read by Polars from a UTF-8 copy."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.encoding = encoding
        with path.open("rb") as fh:
            raw = fh.read(256 * 1024)
        sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=False)
        sample = sample.removeprefix("\ufeff")
        self._sample_bytes = len(raw)
        self._sample_rows = max(1, sample.count("\n"))
        try:
            self.delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] or ",", delimiters=",\t;|").delimiter
        except csv.Error:
            self.delimiter = ","
        reader = csv.reader(io.StringIO(sample), delimiter=self.delimiter)
        try:
            self._head = list(itertools.islice(reader, HEAD_ROWS))
        except csv.Error as exc:
            raise FileRefused(f"CSV 格式错误：{exc}", code="bad_csv") from exc

    def head(self) -> list[list[str]]:
        return self._head

    def _utf8_blocks(self, block_bytes: int) -> Iterator[bytes]:
        """The file as UTF-8 in blocks that end on a record boundary (a newline outside quotes)."""
        decoder = codecs.getincrementaldecoder("utf-8-sig" if self.encoding.startswith("utf-8") else self.encoding)(
            errors="strict"
        )
        pending = b""
        offset = 0
        with self.path.open("rb") as src:
            while True:
                raw = src.read(block_bytes)
                try:
                    text = decoder.decode(raw, final=not raw)
                except UnicodeDecodeError as exc:
                    raise FileRefused(
                        f"文件中有无法按 {self.encoding} 解码的内容"
                        f"（约第 {offset + exc.start} 字节处），请检查文件编码",
                        code="bad_encoding",
                    ) from exc
                offset += len(raw)
                data = pending + text.encode("utf-8")
                if not raw:
                    if data.strip():
                        yield data
                    return
                cut = _record_boundary(data)
                if cut < 0:
                    pending = data
                    continue
                yield data[: cut + 1]
                pending = data[cut + 1 :]

    def frames(self, header_index: int, width: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
        """Parsed by Polars block by block: memory stays bounded by the block size, not the file size."""
        row_bytes = max(64, self._sample_bytes // self._sample_rows)
        block_bytes = min(max(row_bytes * chunk_rows, 1 << 20), 256 << 20)
        schema = {f"c{j}": pl.String for j in range(width)}
        skip = header_index + 1
        number = header_index + 2
        for block in self._utf8_blocks(block_bytes):
            try:
                frame = pl.read_csv(
                    block,
                    has_header=False,
                    separator=self.delimiter,
                    skip_rows=skip,
                    schema=schema,
                    missing_columns="insert",  # a short first row in a block must not narrow the frame
                    truncate_ragged_lines=True,
                    raise_if_empty=False,
                )
            except pl.exceptions.ComputeError as exc:
                raise FileRefused(f"CSV 格式错误：{str(exc).splitlines()[0]}", code="bad_csv") from exc
            skip = 0
            if frame.height == 0:
                continue
            frame = frame.with_columns(pl.int_range(number, number + frame.height, dtype=pl.Int64).alias("_row"))
            number += frame.height
            for start in range(0, frame.height, chunk_rows):
                yield frame.slice(start, chunk_rows)


def _record_boundary(data: bytes) -> int:
    """Index of the last newline of ``data`` that ends a CSV record (an even number of quotes before it), or -1."""
    pos = data.rfind(b"\n")
    if pos < 0:
        return -1
    quotes = data.count(b'"', 0, pos)
    while quotes % 2:
        prev = data.rfind(b"\n", 0, pos)
        if prev < 0:
            return -1
        quotes -= data.count(b'"', prev, pos)
        pos = prev
    return pos
