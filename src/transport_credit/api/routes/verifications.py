"""Verification of objections by the unit that provided the record (信息提供单位核实), for the unit's own system.

The system that reports a department's records (key with ``records:submit``) lists the objections sent to that
department and reports its finding; the credit office then decides. See docs/portal.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import ApiActor, Offset, PathId, SessionDep, WholeNumber, stripped_length_at_least
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_SUBMIT
from transport_credit.portal import handling
from transport_credit.portal import service as portal

router = APIRouter(tags=["verifications"])


class VerificationOut(BaseModel):
    id: int = Field(description="申请编号（反馈核实意见时使用）")
    tracking_no: str = Field(description="受理编号")
    status: str = Field(description="申请状态：accepted 办理中，其余为已办结")
    subject_id: int
    subject_name: str = Field(description="信用主体名称（自然人姓名已脱敏）")
    record_id: int | None = Field(description="异议涉及的记录版本")
    record_category: str | None
    record_title: str | None = Field(description="文书编号等记录编号")
    applicant: str = Field(description="申请人（已脱敏）")
    reason: str = Field(description="异议理由")
    accepted_at: dt.datetime | None
    department: str = Field(description="负责核实的单位代码")
    verify_due: dt.date | None = Field(description="核实期限")
    verification: str | None = Field(description="核实结论：accurate 信息准确 / inaccurate 信息有误；未反馈为空")
    verification_note: str | None
    verified_at: dt.datetime | None
    verified_by: str | None
    reply: str | None = Field(description="信用办的答复意见（办结后）")


class VerificationPage(BaseModel):
    items: list[VerificationOut]
    total: int


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    finding: Literal["accurate", "inaccurate"] = Field(description="accurate 信息准确 / inaccurate 信息有误")
    note: str = Field(
        min_length=handling.NOTE_MIN,
        max_length=handling.NOTE_MAX,
        pattern=stripped_length_at_least(handling.NOTE_MIN),
        description="核实说明：核实依据、过程与结果（至少 5 个字）",
    )


def _out(task: portal.VerificationTask) -> VerificationOut:
    return VerificationOut.model_validate(dataclasses.asdict(task))


@router.get(
    "/verifications",
    response_model=VerificationPage,
    summary="待核实的异议",
    description="信用办受理后交由本单位（接入系统所属单位）核实的异议：open 待核实（按期限），done 已反馈，all 全部。"
    "需要 records:submit 权限。",
    responses=error_responses(401, 403, 422),
)
def verifications(
    session: SessionDep,
    actor: ApiActor,
    view: Annotated[Literal["open", "done", "all"], Query(description="open 待核实 / done 已反馈 / all 全部")] = "open",
    limit: Annotated[int, Query(ge=1, le=500), WholeNumber] = 100,
    offset: Offset = 0,
) -> VerificationPage:
    actor.require_scope(SCOPE_SUBMIT)
    items, total = portal.verification_queue(session, actor, view=view, limit=limit, offset=offset)
    return VerificationPage(items=[_out(t) for t in items], total=total)


@router.post(
    "/verifications/{application_id}",
    response_model=VerificationOut,
    summary="反馈核实意见",
    description="本单位对异议信息的核实结论与说明，只能反馈一次；信用办据此办结（信息有误的应更正或撤销）。"
    "需要 records:submit 权限。",
    responses=error_responses(401, 403, 404, 409, 422),
)
def verify(application_id: PathId, body: FindingIn, session: SessionDep, actor: ApiActor) -> VerificationOut:
    actor.require_scope(SCOPE_SUBMIT)
    return _out(portal.submit_verification(session, actor, application_id, finding=body.finding, note=body.note))
