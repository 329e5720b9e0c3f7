"""Early warnings (信用监测预警): the warning list and a feed other systems poll."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK, ApiActor, IsoDate, Offset, PathId, SessionDep, WholeNumber
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.db.base import MAX_ID
from transport_credit.warnings import service

router = APIRouter(tags=["warnings"])


class WarningOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    rule_code: str
    level: str = Field(description="red 红色 / orange 橙色 / yellow 黄色")
    subject_id: int
    subject_name: str
    region_code: str | None
    message: str
    details: dict[str, Any]
    status: str = Field(description="open 待处置 / handled 已处置 / dismissed 已排除")
    occurrences: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    handled_by: str | None
    handling_note: str | None


class WarningPage(BaseModel):
    items: list[WarningOut]
    total: int


class FeedOut(BaseModel):
    items: list[WarningOut]
    next_after_id: int = Field(description="下次轮询时作为 after_id 传入")


class HandleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: str = Field(pattern="^(handled|dismissed)$")
    note: str = Field(min_length=1, pattern=NON_BLANK, max_length=2000)


def _out(w: service.WarningView) -> WarningOut:
    return WarningOut.model_validate(dataclasses.asdict(w))


@router.get(
    "/warnings",
    response_model=WarningPage,
    summary="信用预警名单",
    description="按类型、级别、状态、地区、主体筛选的预警，最新在前。需要 subjects:read 权限。",
    responses=error_responses(401, 403, 422),
)
def warnings(
    session: SessionDep,
    actor: ApiActor,
    kind: Annotated[service.WarningKind | None, Query(description="预警类型")] = None,
    status: Annotated[service.WarningStatus | None, Query(description="处置状态")] = None,
    level: Annotated[service.WarningLevel | None, Query(description="预警级别")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=MAX_ID), WholeNumber] = None,
    since: IsoDate | None = None,
    limit: Annotated[int, Query(ge=1, le=500), WholeNumber] = 100,
    offset: Offset = 0,
) -> WarningPage:
    actor.require_scope(SCOPE_READ)
    items, total = service.list_warnings(
        session,
        actor,
        kind=kind,
        status=status,
        level=level,
        region_code=region_code,
        subject_id=subject_id,
        since=since,
        limit=limit,
        offset=offset,
    )
    return WarningPage(items=[_out(w) for w in items], total=total)


@router.get(
    "/warnings/feed",
    response_model=FeedOut,
    summary="预警订阅（轮询）",
    description="返回 after_id 之后产生的预警，按产生顺序；把返回的 next_after_id 作为下次的 after_id。",
    responses=error_responses(401, 403, 422),
)
def feed(
    session: SessionDep,
    actor: ApiActor,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID), WholeNumber] = 0,
    limit: Annotated[int, Query(ge=1, le=500), WholeNumber] = 100,
) -> FeedOut:
    items = service.feed(session, actor, after_id=after_id, limit=limit)
    return FeedOut(items=[_out(w) for w in items], next_after_id=items[-1].id if items else after_id)


@router.post(
    "/warnings/{warning_id}/handle",
    response_model=WarningOut,
    summary="处置预警",
    responses=error_responses(401, 403, 404, 409, 422),
)
def handle(warning_id: PathId, body: HandleIn, session: SessionDep, actor: ApiActor) -> WarningOut:
    actor.require_scope(SCOPE_SUBMIT)
    return _out(service.handle_warning(session, actor, warning_id, status=body.status, note=body.note))
