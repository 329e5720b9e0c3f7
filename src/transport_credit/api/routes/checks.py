"""The credit check (逢批必查) for business systems: one subject or a batch, and feedback on a check id.

The single check is the hot path: the route returns the serialised answer directly (orjson) instead of running
the response model's validation again; ``response_model`` still documents the shape in OpenAPI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK, ApiActor, IsoDate, SessionDep, SettingsDep
from transport_credit.api.errors import error_responses
from transport_credit.lists import checks
from transport_credit.lists.rules import MATTER_KIND_LABELS, list_rules

router = APIRouter(tags=["checks"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CheckIn(_In):
    subject_code: str = Field(
        min_length=1,
        pattern=NON_BLANK,
        max_length=64,
        description="统一社会信用代码、旧代码（工商注册号等）或身份证号码",
    )
    matter_code: str = Field(
        min_length=1,
        pattern=NON_BLANK,
        max_length=40,
        description="核查事项编码（见 GET /api/v1/matters），如 XK-DLYS-JY",
    )


class BatchIn(_In):
    items: list[CheckIn] = Field(min_length=1, max_length=checks.MAX_BATCH, description="最多 1000 个主体")


class FeedbackItemIn(_In):
    measure_code: str = Field(min_length=1, pattern=NON_BLANK, max_length=60, description="本次核查返回的措施编码")
    applied: bool = Field(description="是否实施了该措施")
    result: str | None = Field(
        default=None, max_length=2000, description="执行结果，如「不予许可」「列为重点审查对象」"
    )
    executed_on: IsoDate | None = Field(default=None, description="执行时间（默认今天）")
    details: str | None = Field(default=None, max_length=5000, description="具体事项说明（如申请事项、项目名称）")


class FeedbackIn(_In):
    items: list[FeedbackItemIn] = Field(min_length=1, max_length=100)


class SubjectOut(BaseModel):
    id: int
    name: str = Field(description="名称；无个人信息查看权限的调用方看到的自然人姓名为脱敏形式")
    kind: str
    kind_label: str
    uscc: str | None
    id_masked: str | None = Field(description="脱敏证件号码，仅对有 subjects:read 权限的调用方返回")
    region_code: str | None
    legal_representative: str | None


class GradeOut(BaseModel):
    domain: str | None
    model: str
    grade: str
    score: float | None
    evaluated_on: str | None
    valid_until: str | None
    authority: str | None


class ListEntryOut(BaseModel):
    list_type: str = Field(description="red 红名单 / black 黑名单 / watch 重点关注名单")
    list_type_label: str
    list_name: str | None
    decision_no: str
    reason: str | None
    basis: str | None
    authority: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None


class MeasureOut(BaseModel):
    code: str
    name: str
    kind: str = Field(description="incentive 守信激励 / punishment 失信惩戒")
    basis: str = Field(description="法律、法规、政策依据")
    departments: list[str]
    reasons: list[str] = Field(description="适用原因，如「列入黑名单」「信用等级 D」")


class CommitmentOut(BaseModel):
    commitment_no: str
    commitment_type: str | None
    matter: str | None
    valid_until: str | None
    fulfilment: str | None


class RouteMatterOut(BaseModel):
    code: str = Field(description="告知承诺制事项清单中的编号")
    mode: str = Field(description="证明事项告知承诺 或 容缺受理")
    certificate: str = Field(description="可以承诺代替的证明事项，或可以容缺的材料")


class CommitmentRouteOut(BaseModel):
    available: bool = Field(description="该申请人是否可以采用告知承诺、容缺受理方式办理")
    matters: list[RouteMatterOut]
    reason: str | None = Field(description="不适用的原因（列入黑名单、重点关注名单，或有未履约的信用承诺）")


class CheckOut(BaseModel):
    check_id: str = Field(description="核查编号：反馈实施情况时使用")
    checked_at: dt.datetime
    matter_code: str
    matter_name: str
    matter_kind: str
    department_code: str
    subject: SubjectOut
    grades: list[GradeOut]
    list_entries: list[ListEntryOut]
    measures: list[MeasureOut]
    commitments: list[CommitmentOut]
    warning_raised: bool = Field(description="是否已向信用办发出重大失信主体警示")
    personal_data_visible: bool
    rules_version: str
    conclusion: str
    notes: list[str]
    commitment_route: CommitmentRouteOut | None = Field(
        default=None,
        description="本事项的告知承诺、容缺受理办理方式及该申请人是否适用；事项不在告知承诺制事项清单中时为空",
    )


class BatchItemOut(BaseModel):
    index: int
    result: CheckOut | None
    error_code: str | None = None
    error_message: str | None = None


class BatchOut(BaseModel):
    items: list[BatchItemOut]
    checked: int
    failed: int


class EffectOut(BaseModel):
    id: int
    check_id: str | None
    subject_id: int
    subject_name: str
    measure_code: str
    measure_name: str
    measure_kind: str
    applied: bool
    result: str | None
    department_code: str
    executed_on: dt.date
    matter_code: str
    matter_name: str
    details: str | None


class FeedbackOut(BaseModel):
    effects: list[EffectOut]


class MatterOut(BaseModel):
    code: str
    name: str
    kind: str
    kind_label: str


class MatterList(BaseModel):
    items: list[MatterOut]


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


def _asdict(value: Any) -> Any:
    return dataclasses.asdict(value)


@router.post(
    "/checks",
    response_model=CheckOut,
    summary="信用核查（逢批必查）",
    description=(
        "审批、招投标、采购、评优、资金、检查等事项办理前，按主体代码和事项编码核查申请人信用："
        "返回主体身份、各领域信用等级、名单情况、本事项适用的联合奖惩措施及依据、有效的信用承诺和核查编号。"
        "每次核查都有记录；核查黑名单主体会向信用办发出重大失信主体警示。需要 credit:check 权限。"
    ),
    responses=error_responses(401, 403, 404, 422),
)
def check(body: CheckIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> Response:
    result = checks.run_check(session, actor, settings, subject_code=body.subject_code, matter_code=body.matter_code)
    return _json(result)


@router.post(
    "/checks/batch",
    response_model=BatchOut,
    summary="批量信用核查",
    description="一次核查最多 1000 个主体；单个主体的错误（代码格式、未找到、事项未知）在该项中返回，不影响其他主体。",
    responses=error_responses(401, 403, 422),
)
def check_batch(body: BatchIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> Response:
    items = [checks.BatchItem(i.subject_code, i.matter_code) for i in body.items]
    outcomes = checks.run_batch(session, actor, settings, items)
    failed = sum(1 for o in outcomes if o.result is None)
    return _json({"items": outcomes, "checked": len(outcomes) - failed, "failed": failed})


@router.post(
    "/checks/{check_id}/feedback",
    response_model=FeedbackOut,
    summary="反馈措施实施情况",
    description="核查单位对本次核查给出的措施逐项反馈是否实施及结果，形成联合奖惩成效清单。需要 credit:check 权限。",
    responses=error_responses(401, 403, 404, 409, 422),
)
def feedback(
    check_id: Annotated[str, Path(min_length=1, pattern=NON_BLANK, max_length=64, description="核查编号")],
    body: FeedbackIn,
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
) -> FeedbackOut:
    items = [checks.FeedbackItem(i.measure_code, i.applied, i.result, i.executed_on, i.details) for i in body.items]
    effects = checks.report_feedback(session, actor, settings, check_id, items)
    return FeedbackOut(effects=[EffectOut.model_validate(_asdict(e)) for e in effects])


@router.get(
    "/matters",
    response_model=MatterList,
    summary="核查事项清单",
    description="可用于信用核查的事项编码（行政许可事项、招标投标、政府采购、评优评先、财政资金、日常检查等）。",
    responses=error_responses(401),
)
def matters(settings: SettingsDep, actor: ApiActor) -> MatterList:
    rules = list_rules(settings.province)
    return MatterList(
        items=[
            MatterOut(code=m.code, name=m.name, kind=m.kind, kind_label=MATTER_KIND_LABELS[m.kind])
            for m in rules.matters.values()
        ]
    )
