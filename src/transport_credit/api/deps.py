"""Request dependencies: settings, one unit of work per request, and the calling business system (API key).

Routes use the ``Annotated`` aliases (``SessionDep``, ``SettingsDep``, ``ApiActor``) and never open sessions or
read headers themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from transport_credit.auth.service import authenticate_api_key
from transport_credit.common.actor import Actor
from transport_credit.common.errors import Unauthenticated
from transport_credit.db.base import MAX_ID
from transport_credit.db.uow import Database
from transport_credit.settings import Settings

API_KEY_HEADER = "X-API-Key"

# Ids and offsets are bounded where they enter (``MAX_ID``, 32 bits like the columns): a clear 422 instead of a value
# the database refuses.
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _whole_number(value: Any) -> Any:
    """The document says ``integer``. Pydantic would also read "1.0", "1_000", " 1" or "+1" from a query string:
    refused, so what the document calls a bad request is one (schemathesis sent ``offset=0.0``)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return value
    raise ValueError("应为整数")


# An integer as a query or path parameter: decimal digits only. It goes after the parameter,
# ``Annotated[int, Query(...), WholeNumber]``: before it, the document loses the bounds.
WholeNumber = BeforeValidator(_whole_number)

PathId = Annotated[int, Path(ge=1, le=MAX_ID), WholeNumber]
# Text fields are stripped of surrounding spaces before their length is checked: the document says that a
# mandatory text must hold a character other than a space. Written for every reader of the pattern: ECMAScript's
# \s (the document's dialect) lacks U+0085, which the server strips, and has U+FEFF, which the server keeps; the
# validator's (Rust) \s lacks the separators U+001C..U+001F, which Python's ``str.strip`` removes.
NON_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"


def stripped_length_at_least(n: int) -> str:
    """A pattern for text whose stripped length is at least ``n`` (2 or more): two non-blank characters with at
    least ``n - 2`` of anything between. The document then accepts nothing the service's own check refuses."""
    return NON_BLANK + r"[\s\S]{" + str(n - 2) + ",}" + NON_BLANK


# What a search needs once stripped.
TWO_NON_BLANK = stripped_length_at_least(2)
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="偏移量"), WholeNumber]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """The document says ``format: date`` (YYYY-MM-DD). Pydantic would also take a number as a Unix timestamp
    (``since=1.29e-176`` read as 1970-01-01): refused, so a caller's slip is an error and not a silent date."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("日期应为 YYYY-MM-DD 格式")


# A date as the API receives it, in a query or a body: ISO 8601 calendar date only.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ApiKey",
    description="接入系统的 API 密钥（由信用办登记接入系统时发放，只显示一次）",
    auto_error=False,
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(db: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    with db.unit_of_work() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": the unit of work ends (commits) before the response is sent, so a failed commit is an
# error response, never a success for data that was not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_api_actor(session: SessionDep, key: Annotated[str | None, Security(api_key_scheme)]) -> Actor:
    """The business system calling with the ``X-API-Key`` header; 401 when missing or invalid."""
    if not key or not key.strip():
        raise Unauthenticated("缺少 API 密钥：请在请求头 X-API-Key 中提供接入密钥", code="api_key_missing")
    return authenticate_api_key(session, key.strip())


ApiActor = Annotated[Actor, Depends(get_api_actor)]
