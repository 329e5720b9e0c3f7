"""Rendering for the CLI: JSON for scripts, aligned tables and key/value blocks for people."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import typer
from pydantic import BaseModel


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, bytes):
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> str:
    return orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON (UTF-8, Chinese kept readable) on stdout."""
    typer.echo(to_json(data))


def width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\n", " ")
    return text if width(text) <= 60 else text[:58] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """An aligned text table (no borders, two spaces between columns)."""
    cells = [[_cell(v) for v in row] for row in rows]
    sizes = [width(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            sizes[i] = max(sizes[i], width(text))
    typer.echo("  ".join(_pad(h, sizes[i]) for i, h in enumerate(headers)).rstrip())
    typer.echo("  ".join("-" * s for s in sizes))
    for row in cells:
        typer.echo("  ".join(_pad(t, sizes[i]) for i, t in enumerate(row)).rstrip())


def pairs(items: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> None:
    """Label: value lines with aligned values."""
    seq = list(items.items()) if isinstance(items, Mapping) else list(items)
    size = max((width(k) for k, _ in seq), default=0)
    for key, value in seq:
        typer.echo(f"{_pad(key, size)}  {_cell(value)}")


def heading(text: str) -> None:
    typer.echo("")
    typer.echo(text)
