"""Lists (红黑名单), the measure list (措施清单), the effect list (成效清单) and typical cases for business systems."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK, ApiActor, Offset, SessionDep, SettingsDep, WholeNumber
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.lists import cases, effects
from transport_credit.lists import service as lists
from transport_credit.lists.lifecycle import State
from transport_credit.lists.rules import list_rules

router = APIRouter(tags=["lists"])


class EntryOut(BaseModel):
    id: int
    entry_no: str
    list_code: str
    list_name: str
    list_type: str
    list_type_label: str
    subject_id: int
    subject_name: str
    domain: str | None
    origin: str = Field(description="auto 自动认定 / manual 人工提出 / national 部级下发")
    criterion_code: str | None
    state: str = Field(
        description="proposed 待审核 / notified 已告知 / listed 已公布 / removed 已移出 / rejected 不予列入"
    )
    state_label: str
    reason: str
    basis: str
    department_code: str
    proposed_by: str
    proposed_at: dt.datetime
    notice_no: str | None
    notified_at: dt.datetime | None
    objection_deadline: dt.date | None
    objection_status: str | None
    listed_at: dt.datetime | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    removed_at: dt.datetime | None
    removal_reason: str | None
    removal_basis: str | None
    evidence: list[str]


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject_code: str = Field(min_length=1, pattern=NON_BLANK, max_length=64)
    list_code: str = Field(
        min_length=1, pattern=NON_BLANK, max_length=40, description="名单类型：red、black、watch 或专项名单编码"
    )
    reason: str = Field(min_length=1, pattern=NON_BLANK, max_length=4000, description="列入事由")
    basis: str | None = Field(default=None, max_length=2000, description="认定依据（默认为该名单的依据）")
    domain: str | None = Field(default=None, max_length=40)


class MeasureOut(BaseModel):
    code: str
    name: str
    kind: str
    basis: str
    departments: list[str]
    lists: list[str]
    grades: list[dict[str, list[str]]]
    matters: list[str]
    matter_kinds: list[str]


class MeasureList(BaseModel):
    version: str
    items: list[MeasureOut]


class CaseOut(BaseModel):
    id: int
    title: str
    summary: str
    body: str
    kind: str
    domain: str | None
    region_code: str | None
    published_at: dt.datetime | None
    subject_name: str | None
    status: str


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int


@router.get(
    "/lists/entries",
    response_model=EntryPage,
    summary="名单条目",
    description="红名单、黑名单、重点关注名单及专项名单的条目（默认只列已公布的）。需要 subjects:read 权限。",
    responses=error_responses(401, 403, 404, 422),
)
def entries(
    session: SessionDep,
    actor: ApiActor,
    state: Annotated[State | None, Query(description="状态；默认 listed")] = "listed",
    list_code: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500), WholeNumber] = 100,
    offset: Offset = 0,
) -> EntryPage:
    actor.require_scope(SCOPE_READ)
    items, total = lists.list_entries(
        session, actor, state=state or None, list_code=list_code, limit=limit, offset=offset
    )
    return EntryPage(items=[EntryOut.model_validate(dataclasses.asdict(e)) for e in items], total=total)


@router.post(
    "/lists/entries",
    response_model=EntryOut,
    status_code=201,
    summary="提出列入名单建议",
    description="业务系统以本单位名义提出列入建议（待信用办审核、告知、异议期届满后公布）。需要 records:submit 权限。",
    responses=error_responses(401, 403, 404, 409, 422),
)
def propose(body: ProposalIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> EntryOut:
    actor.require_scope(SCOPE_SUBMIT)
    view = lists.propose_entry(
        session,
        actor,
        settings,
        subject_code=body.subject_code,
        list_code=body.list_code,
        reason=body.reason,
        basis=body.basis,
        domain=body.domain,
    )
    return EntryOut.model_validate(dataclasses.asdict(view))


@router.get(
    "/measures",
    response_model=MeasureList,
    summary="联合奖惩措施清单",
    description="措施、类型（激励/惩戒）、法律依据、实施部门、适用名单和等级、适用事项。",
    responses=error_responses(401),
)
def measures(settings: SettingsDep, actor: ApiActor) -> MeasureList:
    rules = list_rules(settings.province)
    return MeasureList(
        version=rules.version,
        items=[
            MeasureOut(
                code=m.code,
                name=m.name,
                kind=m.kind,
                basis=m.basis,
                departments=list(m.departments),
                lists=list(m.lists),
                grades=[{"grades": list(g.grades), "models": list(g.models)} for g in m.grades],
                matters=list(m.matters),
                matter_kinds=list(m.matter_kinds),
            )
            for m in rules.measures.values()
        ],
    )


@router.get(
    "/effects",
    response_class=Response,
    summary="导出联合奖惩成效清单",
    description=(
        "某月的成效清单（被执行主体、执行措施、执行部门、执行时间、具体事项），XLSX 或 CSV；接入系统只能导出本单位的。"
    ),
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
        **error_responses(401, 403, 422),
    },
)
def export_effects(
    session: SessionDep,
    actor: ApiActor,
    year: Annotated[int, Query(ge=2000, le=2100), WholeNumber],
    month: Annotated[int, Query(ge=1, le=12), WholeNumber],
    fmt: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
) -> Response:
    actor.require_scope(SCOPE_READ)
    lst = effects.effect_list(session, actor, year=year, month=month, department_code=actor.department_code)
    body = effects.export_effects(lst, fmt)
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"effects-{year}{month:02d}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/cases",
    response_model=CasePage,
    summary="联合奖惩典型案例",
    description="已发布的典型案例，最新的在前。",
    responses=error_responses(401, 422),
)
def published(
    session: SessionDep,
    actor: ApiActor,
    limit: Annotated[int, Query(ge=1, le=200), WholeNumber] = 20,
    offset: Offset = 0,
) -> CasePage:
    items = cases.published_cases(session, limit=limit, offset=offset)
    return CasePage(
        items=[CaseOut.model_validate(dataclasses.asdict(c)) for c in items], total=cases.count_published_cases(session)
    )
