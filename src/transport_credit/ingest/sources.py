"""Row sources: the header rows as lists of cells, then the body as Polars frames of raw cell text.

Every frame has string columns ``c0 … c{width-1}`` and ``_row`` (the 1-based row number in the file). CSV bodies
are parsed by Polars' native reader (multi-threaded, no Python per cell) after the file is transcoded to UTF-8
in a streamed pass; spreadsheets, JSON Lines and API pushes are built from row lists.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import tempfile
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

    def __init__(self, path: Path, encoding: str, workdir: Path | None = None) -> None:
        self.path = path
        self.encoding = encoding
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.utf8_path = self._as_utf8(workdir)
        with self.utf8_path.open("r", encoding="utf-8", newline="") as fh:
            sample = fh.read(64 * 1024)
        try:
            self.delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] or ",", delimiters=",\t;|").delimiter
        except csv.Error:
            self.delimiter = ","
        reader = csv.reader(io.StringIO(sample), delimiter=self.delimiter)
        try:
            self._head = list(itertools.islice(reader, HEAD_ROWS))
        except csv.Error as exc:
            raise FileRefused(f"CSV 格式错误：{exc}", code="bad_csv") from exc

    def _as_utf8(self, workdir: Path | None) -> Path:
        if self.encoding == "utf-8":
            return self.path
        self._tmp = tempfile.TemporaryDirectory(prefix="tcredit-import-", dir=workdir)
        target = Path(self._tmp.name) / "body.csv"
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        offset = 0
        try:
            with self.path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
                for block in iter(lambda: src.read(4 << 20), b""):
                    dst.write(decoder.decode(block))
                    offset += len(block)
                dst.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as exc:
            raise FileRefused(
                f"文件中有无法按 {self.encoding} 解码的内容（约第 {offset + exc.start} 字节处），请检查文件编码",
                code="bad_encoding",
            ) from exc
        return target

    def head(self) -> list[list[str]]:
        return self._head

    def frames(self, header_index: int, width: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
        try:
            lazy = pl.scan_csv(
                self.utf8_path,
                has_header=False,
                separator=self.delimiter,
                skip_rows=header_index + 1,
                infer_schema=False,
                new_columns=[f"c{j}" for j in range(width)],
                truncate_ragged_lines=True,
                row_index_name="_row",
                row_index_offset=header_index + 2,
                encoding="utf8",
                raise_if_empty=False,
            )
            for frame in lazy.collect_batches(chunk_size=chunk_rows):
                missing = [
                    pl.lit("", dtype=pl.String).alias(f"c{j}") for j in range(width) if f"c{j}" not in frame.columns
                ]
                if missing:
                    frame = frame.with_columns(missing)
                yield frame.select([*(f"c{j}" for j in range(width)), pl.col("_row").cast(pl.Int64)])
        except pl.exceptions.ComputeError as exc:
            first = str(exc).splitlines()[0]
            if "utf-8" in first.lower():  # bytes past the sniffed sample that are not UTF-8
                raise FileRefused(
                    f"文件中有无法按 {self.encoding} 解码的内容，请检查文件编码", code="bad_encoding"
                ) from exc
            raise FileRefused(f"CSV 格式错误：{first}", code="bad_csv") from exc
        finally:
            self.close()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
