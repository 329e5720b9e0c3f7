"""Cells of files people open in a spreadsheet (Excel workbooks, CSV downloads)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@")


def spreadsheet_text(value: object) -> str:
    """Text from imported or received data as a cell: a leading = + - @ would make the spreadsheet read a formula
    (openpyxl writes a string starting with = as one, and Excel evaluates such a CSV cell), so it is quoted."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
