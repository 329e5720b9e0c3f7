"""Typed request parameters of the console: ids and page numbers bounded where they enter (a number beyond them
names nothing; the database would refuse it), so a hand-edited URL gets the 422 page; numbers typed into forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from transport_credit.common.errors import InvalidInput
from transport_credit.db.base import MAX_ID

MAX_PAGE_NO = 100_000

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
# YYYY-MM (ASCII digits); month_bounds checks the month itself
Month = Annotated[str | None, Query(max_length=7, pattern=r"^[0-9]{4}-[0-9]{2}$")]
Department = Annotated[str | None, Query(max_length=64)]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE_NO)]
Flag = Annotated[int, Query(ge=0, le=1)]


def form_int(value: str, label: str, *, high: int = MAX_ID) -> int | None:
    """A whole number typed into a form field, None when the field is empty. ASCII digits only: ``str.isdigit``
    also accepts "²" and other digits ``int`` refuses."""
    text = value.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > high:
        raise InvalidInput(f"「{label}」应为不超过 {high} 的整数", code="invalid_number")
    return int(text)
