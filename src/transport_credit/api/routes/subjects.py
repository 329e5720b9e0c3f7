"""Credit files (信用档案) for business systems: 政务共享 view, personal identifiers masked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from transport_credit.api import convert, schemas
from transport_credit.api.deps import TWO_NON_BLANK, ApiActor, SessionDep, SettingsDep, WholeNumber
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_READ
from transport_credit.subjects import service as subjects

router = APIRouter()


@router.get(
    "/subjects",
    response_model=schemas.SubjectSearch,
    summary="查找信用主体",
    description="按统一社会信用代码前缀或名称片段查找信用主体。需要 subjects:read 权限。",
    tags=["subjects"],
    responses=error_responses(401, 403, 422),
)
def search_subjects(
    session: SessionDep,
    actor: ApiActor,
    q: Annotated[
        str,
        Query(min_length=2, max_length=100, pattern=TWO_NON_BLANK, description="代码前缀或名称片段（至少 2 个字符）"),
    ],
    limit: Annotated[int, Query(ge=1, le=100, description="最多返回条数"), WholeNumber] = 20,
) -> schemas.SubjectSearch:
    actor.require_scope(SCOPE_READ)
    hits = subjects.search_subjects(session, actor, q, limit=limit)
    return schemas.SubjectSearch(items=[schemas.SubjectHitOut.model_validate(h.__dict__) for h in hits])


@router.get(
    "/subjects/{code}",
    response_model=schemas.SubjectFileOut,
    summary="信用档案",
    description=(
        "按统一社会信用代码、旧代码（工商注册号、组织机构代码等）或身份证号码查询信用主体的信用档案"
        "（政务共享视图：社会公开和政务共享的数据项；证件号码只返回脱敏形式）。需要 subjects:read 权限。"
    ),
    tags=["subjects"],
    responses=error_responses(401, 403, 404, 422),
)
def subject_file(
    code: Annotated[str, Path(max_length=64, description="统一社会信用代码、旧代码或身份证号码")],
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    category: Annotated[str | None, Query(description="只看该类别（代码或名称）", max_length=64)] = None,
    history: Annotated[bool, Query(description="是否包含历史版本")] = False,
    limit: Annotated[int, Query(ge=1, le=2000, description="最多返回的记录数"), WholeNumber] = 500,
) -> schemas.SubjectFileOut:
    actor.require_scope(SCOPE_READ)
    cat = convert.resolve_category(session, category).code if category else None
    found = subjects.subject_file(session, actor, settings, code, category=cat, include_history=history, limit=limit)
    data = dict(found.__dict__)
    data["records"] = [schemas.RecordOut.model_validate(r.__dict__) for r in found.records]
    return schemas.SubjectFileOut.model_validate(data)
