"""Typed request parameters of the console: ids and page numbers bounded where they enter (a number beyond them
names nothing; the database would refuse it), so a hand-edited URL gets the 422 page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from transport_credit.db.base import MAX_ID

MAX_PAGE_NO = 100_000

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE_NO)]
Flag = Annotated[int, Query(ge=0, le=1)]
