"""Tiered supervision and 双随机、一公开 for business systems (执法系统)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK, ApiActor, IsoDate, PathId, SessionDep, SettingsDep, WholeNumber
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.supervision import service
from transport_credit.supervision.models import InspectionTask

router = APIRouter(tags=["supervision"])


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, pattern=NON_BLANK, max_length=200)
    domain: str = Field(min_length=1, pattern=NON_BLANK, max_length=40, description="检查领域，如 道路运输")
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    size: int = Field(ge=1, le=service.MAX_TASK_SIZE, description="抽取检查对象数量")
    task_date: IsoDate
    seed: str | None = Field(default=None, max_length=64, description="随机种子；不填则随机生成并留存")


class TaskOut(BaseModel):
    id: int
    name: str
    domain: str
    region_code: str
    size: int
    task_date: dt.date
    model_code: str
    policy_code: str
    policy_version: str
    seed: str
    inputs_sha256: str
    strata: dict[str, Any]
    status: str
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None


class ItemOut(BaseModel):
    id: int
    position: int
    subject_id: int
    subject_name: str
    uscc: str | None
    region_code: str | None
    grade: str
    inspectors: list[str]
    result: str | None
    result_note: str | None
    inspected_on: dt.date | None


class TaskDetailOut(BaseModel):
    task: TaskOut
    items: list[ItemOut]


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    result: service.InspectionResult = Field(description="检查结果：" + "、".join(service.RESULTS))
    note: str = Field(default="", max_length=2000)
    inspected_on: IsoDate


class VerifyOut(BaseModel):
    task_id: int
    seed: str
    inputs_sha256: str
    inputs_intact: bool
    same: bool
    items: int


def _task(t: InspectionTask) -> TaskOut:
    return TaskOut.model_validate(t, from_attributes=True)


@router.post(
    "/supervision/tasks",
    response_model=TaskDetailOut,
    status_code=201,
    summary="创建双随机抽查任务并抽取",
    description="按分级分类监管策略分层随机抽取检查对象（等级越低抽查比例越高），并随机匹配无利害关系的执法人员；"
    "种子和全部输入留存，可复核。需要 records:submit 权限。",
    responses=error_responses(401, 403, 404, 422),
)
def create(body: TaskIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> TaskDetailOut:
    actor.require_scope(SCOPE_SUBMIT)
    task = service.create_task(
        session,
        actor,
        settings,
        name=body.name,
        domain=body.domain,
        region_code=body.region_code,
        size=body.size,
        task_date=body.task_date,
        seed=body.seed,
    )
    view = service.task_detail(session, actor, task.id)
    return TaskDetailOut(task=_task(view.task), items=[ItemOut.model_validate(i) for i in view.items])


@router.get(
    "/supervision/tasks",
    response_model=list[TaskOut],
    summary="抽查任务列表",
    responses=error_responses(401, 403, 422),
)
def tasks(
    session: SessionDep, actor: ApiActor, limit: Annotated[int, Query(ge=1, le=500), WholeNumber] = 50
) -> list[TaskOut]:
    actor.require_scope(SCOPE_READ)
    return [_task(t) for t in service.list_tasks(session, actor, limit=limit)]


@router.get(
    "/supervision/tasks/{task_id}",
    response_model=TaskDetailOut,
    summary="抽查任务详情",
    responses=error_responses(401, 403, 404, 422),
)
def task(task_id: PathId, session: SessionDep, actor: ApiActor) -> TaskDetailOut:
    actor.require_scope(SCOPE_READ)
    view = service.task_detail(session, actor, task_id)
    return TaskDetailOut(task=_task(view.task), items=[ItemOut.model_validate(i) for i in view.items])


@router.get(
    "/supervision/tasks/{task_id}/verify",
    response_model=VerifyOut,
    summary="复核抽取结果",
    description="用留存的种子和输入重新抽取，核对与留存结果是否一致。",
    responses=error_responses(401, 403, 404, 422),
)
def verify(task_id: PathId, session: SessionDep, actor: ApiActor) -> VerifyOut:
    actor.require_scope(SCOPE_READ)
    return VerifyOut.model_validate(service.verify_draw(session, actor, task_id))


@router.post(
    "/supervision/items/{item_id}/result",
    response_model=ItemOut,
    summary="录入检查结果",
    responses=error_responses(401, 403, 404, 409, 422),
)
def result(item_id: PathId, body: ResultIn, session: SessionDep, actor: ApiActor) -> ItemOut:
    actor.require_scope(SCOPE_SUBMIT)
    item = service.record_result(
        session, actor, item_id, result=body.result, note=body.note, inspected_on=body.inspected_on
    )
    view = service.task_detail(session, actor, item.task_id)
    return ItemOut.model_validate(next(i for i in view.items if i["id"] == item_id))


@router.post(
    "/supervision/tasks/{task_id}/publish",
    response_model=TaskOut,
    summary="公开抽查结果（一公开）",
    responses=error_responses(401, 403, 404, 409, 422),
)
def publish(task_id: PathId, session: SessionDep, actor: ApiActor) -> TaskOut:
    actor.require_scope(SCOPE_SUBMIT)
    return _task(service.publish_task(session, actor, task_id))


@router.get(
    "/supervision/linkage",
    summary="信用关联度",
    description="抽查中与信用等级关联的比例，以及各等级发现问题的比例。",
    responses=error_responses(401, 403, 422),
)
def linkage(
    session: SessionDep,
    actor: ApiActor,
    since: IsoDate | None = None,
    domain: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    actor.require_scope(SCOPE_READ)
    return service.credit_linkage(session, actor, since=since, domain=domain)
