"""Pushing credit records (信用信息报送) and following batches and their problem rows (问题数据)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from transport_credit.api import convert, schemas
from transport_credit.api.deps import ApiActor, Offset, SessionDep, SettingsDep, WholeNumber
from transport_credit.api.errors import PayloadTooLarge, error_responses
from transport_credit.auth.schema import SCOPE_READ, SCOPE_SUBMIT
from transport_credit.catalog.service import active_catalog
from transport_credit.ingest import service as ingest
from transport_credit.portal import repair_notice as notices
from transport_credit.subjects import service as subjects

MAX_JSON_BYTES = 32 * 1024 * 1024

router = APIRouter()

CategoryPath = Annotated[str, Path(description="信用信息类别代码（如 XZXK）或中文名称（如 行政许可）", max_length=64)]
BatchNoPath = Annotated[str, Path(description="批次号", max_length=64)]


def limit_json_body(request: Request) -> None:
    """Refuse a declared body over the limit before it is parsed (5,000 records fit well within it)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"请求体超过 {MAX_JSON_BYTES // (1024 * 1024)} MB，请分批提交")


@router.post(
    "/records/{category}",
    response_model=schemas.PushResult,
    summary="推送信用记录",
    description=(
        "业务系统推送一个类别的信用记录（一次最多 5000 条），作为一个批次处理，逐条返回处理结果。"
        "同一记录（业务主键相同）内容未变为 unchanged，内容变化则产生新版本（revised）。"
        "被拒收的记录进入问题数据，可下载更正模板修改后重新导入。需要 records:submit 权限。"
    ),
    tags=["records"],
    responses=error_responses(401, 403, 404, 413, 422),
    dependencies=[Depends(limit_json_body)],
)
def push_records(
    category: CategoryPath,
    body: schemas.PushRequest,
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
) -> schemas.PushResult:
    actor.require_scope(SCOPE_SUBMIT)
    cat = convert.resolve_category(session, category)
    summary = ingest.push_records(
        session,
        actor,
        settings,
        category=cat.code,
        records=convert.canonical_records(cat, body.records),
        department=body.department,
    )
    return convert.push_out(summary)


@router.get(
    "/records/{category}/{natural_key:path}/history",
    response_model=schemas.RecordHistory,
    summary="信用记录的全部版本",
    description="一条信用记录的全部版本（最新的在前），政务共享视图。需要 subjects:read 权限。",
    tags=["subjects"],
    responses=error_responses(401, 403, 404, 422),
)
def record_history(
    category: CategoryPath,
    natural_key: Annotated[str, Path(description="业务主键（如决定书文号）", max_length=500)],
    session: SessionDep,
    actor: ApiActor,
) -> schemas.RecordHistory:
    actor.require_scope(SCOPE_READ)
    cat = convert.resolve_category(session, category)
    views = subjects.record_history(session, actor, cat.code, natural_key)
    return schemas.RecordHistory(
        category=cat.code,
        natural_key=natural_key,
        revisions=[schemas.RecordOut.model_validate(v.__dict__) for v in views],
    )


@router.get(
    "/records/{category}/{natural_key:path}/repair-notice",
    response_model=schemas.RepairNoticeOut,
    summary="信用修复告知书（两书同达）",
    description=(
        "行政处罚信息的信用修复告知书：公示期限、可以申请信用修复的日期、条件和申请途径，"
        "由作出处罚决定的机关随行政处罚决定书一并送达（“两书同达”）。业务系统只能获取本单位报送的记录的告知书。"
        "需要 records:submit 权限。"
    ),
    tags=["records"],
    responses=error_responses(401, 403, 404, 422),
)
def repair_notice(
    category: CategoryPath,
    natural_key: Annotated[str, Path(description="业务主键（决定书文号）", max_length=500)],
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
) -> schemas.RepairNoticeOut:
    actor.require_scope(SCOPE_SUBMIT)
    cat = convert.resolve_category(session, category)
    notice = notices.notice_for_key(session, actor, settings, cat.code, natural_key)
    return schemas.RepairNoticeOut.model_validate(dataclasses.asdict(notice))


# --- batches ----------------------------------------------------------------------------------------------


@router.get(
    "/batches",
    response_model=schemas.BatchList,
    summary="本单位的批次",
    description="本单位的导入和推送批次，最新的在前。需要 records:submit 权限。",
    tags=["batches"],
    responses=error_responses(401, 403, 404, 422),
)
def list_batches(
    session: SessionDep,
    actor: ApiActor,
    category: Annotated[str | None, Query(description="类别代码或名称", max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="每页条数"), WholeNumber] = 50,
    offset: Offset = 0,
) -> schemas.BatchList:
    actor.require_scope(SCOPE_SUBMIT)
    code = convert.resolve_category(session, category).code if category else None
    batches = ingest.list_batches(session, actor, category=code, limit=limit, offset=offset)
    return schemas.BatchList(items=[convert.batch_out(b) for b in batches])


@router.get(
    "/batches/{batch_no}",
    response_model=schemas.BatchOut,
    summary="批次详情",
    description="一个批次的统计。只能查看本单位的批次。需要 records:submit 权限。",
    tags=["batches"],
    responses=error_responses(401, 403, 404, 422),
)
def get_batch(batch_no: BatchNoPath, session: SessionDep, actor: ApiActor) -> schemas.BatchOut:
    actor.require_scope(SCOPE_SUBMIT)
    return convert.batch_out(ingest.get_batch(session, actor, batch_no))


@router.get(
    "/batches/{batch_no}/warnings",
    response_model=schemas.WarningList,
    summary="批次中有警告的记录",
    description="批次中已接收但有警告的记录（如统一社会信用代码校验位不符，需人工核实）。需要 records:submit 权限。",
    tags=["batches"],
    responses=error_responses(401, 403, 404, 422),
)
def batch_warnings(
    batch_no: BatchNoPath,
    session: SessionDep,
    actor: ApiActor,
    limit: Annotated[int, Query(ge=1, le=5000, description="最多返回条数"), WholeNumber] = 200,
) -> schemas.WarningList:
    actor.require_scope(SCOPE_SUBMIT)
    rows = ingest.batch_warnings(session, actor, batch_no, limit=limit)
    return schemas.WarningList(batch_no=batch_no, items=[schemas.WarnedRowOut.model_validate(r.__dict__) for r in rows])


# --- quarantine (问题数据) -------------------------------------------------------------------------------------


@router.get(
    "/quarantine",
    response_model=schemas.QuarantineList,
    summary="问题数据",
    description=(
        "本单位被拒收、等待更正的记录（问题数据），含错误说明和原始单元格（个人信息已脱敏）。需要 records:submit 权限。"
    ),
    tags=["quarantine"],
    responses=error_responses(401, 403, 404, 422),
)
def list_quarantine(
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    batch_no: Annotated[str | None, Query(description="批次号", max_length=64)] = None,
    category: Annotated[str | None, Query(description="类别代码或名称", max_length=64)] = None,
    status: Annotated[
        Literal["open", "resubmitted", "dismissed"],
        Query(description="状态：open 待更正、resubmitted 已重新报送、dismissed 已关闭"),
    ] = "open",
    limit: Annotated[int, Query(ge=1, le=1000, description="每页条数"), WholeNumber] = 100,
    offset: Offset = 0,
) -> schemas.QuarantineList:
    actor.require_scope(SCOPE_SUBMIT)
    code = convert.resolve_category(session, category).code if category else None
    total, items = ingest.list_quarantine(
        session, actor, settings, batch_no=batch_no, category=code, status=status, limit=limit, offset=offset
    )
    catalog = active_catalog(session)
    return schemas.QuarantineList(total=total, items=[convert.quarantine_out(catalog, i) for i in items])


_TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=gb18030",
}


def attachment(file_name: str) -> str:
    """A Content-Disposition header for a (Chinese) file name: ASCII fallback plus RFC 5987 ``filename*``."""
    suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
    return f"attachment; filename=\"quarantine.{suffix}\"; filename*=UTF-8''{quote(file_name, safe='')}"


@router.get(
    "/quarantine/template",
    response_class=Response,
    summary="下载问题数据更正模板",
    description=(
        "待更正的问题数据，按标准表头导出（首列「问题数据编号」，末列「错误说明」）。修改后通过 "
        "POST /api/v1/imports 重新导入，原问题数据即标记为已重新报送。需要 records:submit 权限。"
    ),
    tags=["quarantine"],
    responses={
        200: {
            "description": "更正模板文件",
            "content": {
                t.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for t in _TEMPLATE_TYPES.values()
            },
        },
        **error_responses(401, 403, 404, 422),
    },
)
def quarantine_template(
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    category: Annotated[str, Query(description="类别代码或名称", max_length=64)],
    batch_no: Annotated[str | None, Query(description="只导出该批次的问题数据", max_length=64)] = None,
    fmt: Annotated[
        Literal["xlsx", "csv"], Query(alias="format", description="文件格式：xlsx 或 csv（GB18030）")
    ] = "xlsx",
) -> Response:
    actor.require_scope(SCOPE_SUBMIT)
    cat = convert.resolve_category(session, category)
    name, content = ingest.quarantine_template(
        session, actor, settings, category=cat.code, batch_no=batch_no or None, fmt=fmt
    )
    return Response(
        content=content,
        media_type=_TEMPLATE_TYPES[fmt],
        headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"},
    )


@router.post(
    "/quarantine/dismiss",
    response_model=schemas.DismissResult,
    summary="关闭问题数据",
    description="关闭不再更正的问题数据（如测试数据），须填写原因。只能处理本单位的问题数据。"
    "需要 records:submit 权限。",
    tags=["quarantine"],
    responses=error_responses(401, 403, 422),
)
def dismiss_quarantine(body: schemas.DismissRequest, session: SessionDep, actor: ApiActor) -> schemas.DismissResult:
    actor.require_scope(SCOPE_SUBMIT)
    return schemas.DismissResult(dismissed=ingest.dismiss_quarantine(session, actor, body.ids, body.reason))
