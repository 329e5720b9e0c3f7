"""Credit evaluation (信用评价) for business systems: models, runs, dynamic re-evaluation, explanations."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK, ApiActor, PathId, SessionDep, SettingsDep
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.db.base import MAX_ID
from transport_credit.evaluation import service

router = APIRouter(tags=["evaluation"])


class ModelOut(BaseModel):
    code: str
    name: str
    version: str
    domain: str
    subject_kinds: list[str]
    period_kind: str = Field(description="annual 年度 / rolling 滚动 / cycle 证件周期")
    base_score: float
    grades: list[str]
    grade_labels: dict[str, str]
    basis: str
    configurable: list[str]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    model: str = Field(
        min_length=1, pattern=NON_BLANK, max_length=80, description="评价模型编码，如 road_transport_enterprise"
    )
    # No pattern: the form (year or end date) is the model's, and the service's invalid_period says which it wants.
    period: str = Field(
        min_length=4,
        max_length=10,
        description="评价周期：年度如 2025，或截止日期如 2025-12-31（哪一种由评价模型决定）",
    )
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    version: str | None = Field(default=None, max_length=40, description="模型版本（重算历史周期时使用）")
    publish: bool = Field(default=False, description="同时写入信用评价结果（XYPJ）记录")


class RunOut(BaseModel):
    run_id: int
    model_code: str
    model_name: str
    model_version: str
    kind: str
    period: str
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    subject_count: int
    grade_counts: dict[str, int]
    published: int
    warnings: int


class ReevaluateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=10_000)
    reason: str = Field(default="业务系统请求动态评价", max_length=200)


class HitOut(BaseModel):
    rule_code: str
    rule_name: str
    rule_kind: str = Field(description="deduction 扣分 / bonus 加分 / override 直接定级")
    match_count: int
    points: float
    records: list[dict[str, Any]]


class ExplanationOut(BaseModel):
    result_id: int
    run_id: int
    model_code: str
    model_name: str
    model_version: str
    period: str
    run_kind: str
    subject_id: int
    subject_name: str
    base_score: float
    score: float
    deducted: float
    bonus: float
    score_grade: str
    grade: str
    grade_label: str
    previous_grade: str | None
    adjustment: str | None
    adjustment_text: str | None
    valid_until: dt.date
    computed_at: dt.datetime
    reason: str | None
    hits: list[HitOut]


class DistributionOut(BaseModel):
    model_code: str
    total: dict[str, int]
    by_region: dict[str, dict[str, int]]


def _model_out(m: Any) -> ModelOut:
    return ModelOut(
        code=m.code,
        name=m.name,
        version=m.version,
        domain=m.domain,
        subject_kinds=list(m.population.subject_kinds),
        period_kind=m.period.kind,
        base_score=m.base_score,
        grades=list(m.grades),
        grade_labels=dict(m.grade_labels),
        basis=m.basis,
        configurable=list(m.configurable),
    )


@router.get(
    "/evaluation/models",
    response_model=list[ModelOut],
    summary="信用评价模型",
    description="在用的评价模型（每个编码的最高版本）。需要 subjects:read 权限。",
    responses=error_responses(401, 403),
)
def models(session: SessionDep, settings: SettingsDep, actor: ApiActor) -> list[ModelOut]:
    actor.require_scope(SCOPE_READ)
    return [_model_out(m) for m in service.list_models(session, actor, settings)]


@router.post(
    "/evaluation/runs",
    response_model=RunOut,
    status_code=201,
    summary="执行周期评价",
    description="对模型的全部主体按周期评价（集合运算，不逐个主体计算）。需要 records:submit 权限。",
    responses=error_responses(401, 403, 404, 409, 422),
)
def run(body: RunIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> RunOut:
    actor.require_scope(SCOPE_SUBMIT)
    summary = service.run_evaluation(
        session,
        actor,
        settings,
        body.model,
        body.period,
        version=body.version,
        region_code=body.region_code,
        publish=body.publish,
    )
    return RunOut.model_validate(dataclasses.asdict(summary))


@router.post(
    "/evaluation/reevaluate",
    response_model=list[RunOut],
    summary="动态评价",
    description="主体信用记录变化后立即重新评价（严重失信等直接定级规则以当日为准）。需要 records:submit 权限。",
    responses=error_responses(401, 403, 422),
)
def reevaluate(body: ReevaluateIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> list[RunOut]:
    actor.require_scope(SCOPE_SUBMIT)
    runs = service.reevaluate_subjects(session, actor, settings, body.subject_ids, reason=body.reason)
    return [RunOut.model_validate(dataclasses.asdict(r)) for r in runs]


@router.get(
    "/evaluation/subjects/{subject_id}",
    response_model=list[ExplanationOut],
    summary="主体评价结果及扣分说明",
    description="主体在各模型下的当前评价结果，逐条列出扣分、加分、直接定级规则及所依据的信用记录。",
    responses=error_responses(401, 403, 404, 422),
)
def explain(
    subject_id: PathId,
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    model: Annotated[str | None, Query(max_length=80)] = None,
) -> list[ExplanationOut]:
    actor.require_scope(SCOPE_READ)
    out = service.explain(session, actor, settings, subject_id, model_code=model)
    return [ExplanationOut.model_validate(dataclasses.asdict(e)) for e in out]


@router.get(
    "/evaluation/distribution",
    response_model=DistributionOut,
    summary="信用等级分布",
    description="某模型当前等级按地市的分布。",
    responses=error_responses(401, 403, 422),
)
def distribution(
    session: SessionDep,
    actor: ApiActor,
    model: Annotated[str, Query(min_length=1, pattern=NON_BLANK, max_length=80)],
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> DistributionOut:
    actor.require_scope(SCOPE_READ)
    return DistributionOut.model_validate(service.grade_distribution(session, actor, model, region_code=region_code))
