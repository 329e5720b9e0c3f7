"""Read-only public API (开放数据接口) under ``/api/v1/public``: no key, rate-limited per client address.

Everything returned has passed the disclosure rules (:mod:`transport_credit.disclosure`): only 社会公开 fields,
personal identifiers masked, only records on public display — the same data as the website and its downloads.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import IsoDate, PathId, SessionDep, SettingsDep, WholeNumber
from transport_credit.api.errors import ErrorResponse
from transport_credit.commitments import rules as commitment_rules
from transport_credit.common.errors import InvalidInput
from transport_credit.disclosure import service as disclosure
from transport_credit.disclosure.rules import china_today, load_policy
from transport_credit.disclosure.service import ListFilter
from transport_credit.lists.rules import list_rules
from transport_credit.portal import service as portal
from transport_credit.search import service as search
from transport_credit.site import limits
from transport_credit.supervision import service as supervision


def _rate_limit(request: Request) -> None:
    limits.enforce(request, "api")


router = APIRouter(prefix="/public", tags=["public"], dependencies=[Depends(_rate_limit)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "对象不存在或已不在公示期内"},
    422: {"model": ErrorResponse, "description": "请求参数不正确"},
    429: {"model": ErrorResponse, "description": "访问过于频繁（按客户端地址限流），details.retry_after 为等待秒数"},
}


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PublicHit(_Out):
    id: int = Field(description="主体标识（用于 /public/subjects/{id}）")
    name: str = Field(description="主体名称（自然人不公开检索）")
    kind: str = Field(description="主体类别：org 法人及非法人组织、individual_business 个体工商户")
    uscc: str | None = Field(description="统一社会信用代码")
    region_code: str | None
    region_name: str | None
    rank: str = Field(description="匹配方式：code 代码、exact 名称完全一致、prefix 名称前缀、substring 名称包含")


class PublicHits(BaseModel):
    items: list[PublicHit]


class PublicRecordOut(_Out):
    id: int
    category: str = Field(description="信息类别代码，如 XZCF 行政处罚")
    category_name: str
    title: str = Field(description="文书号或编号")
    subject_id: int
    subject_name: str = Field(description="主体名称（自然人姓名已脱敏）")
    subject_kind: str
    uscc: str | None
    decision_date: dt.date | None
    publicity_start: dt.date | None
    publicity_end: dt.date | None
    severity: str | None = Field(description="失信程度：minor 轻微、general 一般、serious 严重")
    department_code: str
    department_name: str | None
    domain: str | None = Field(description="行业领域")
    fields: dict[str, Any] = Field(description="社会公开的数据项（中文名称 → 值；证件号码等已脱敏）")
    under_objection: bool = Field(
        default=False, description="异议处理中：信用主体对该信息提出的异议已受理、尚未办结（处理结果以答复为准）"
    )


def _outs(records: list[disclosure.PublicRecord], disputed: set[int]) -> list[PublicRecordOut]:
    return [PublicRecordOut.model_validate(r).model_copy(update={"under_objection": r.id in disputed}) for r in records]


class PublicSection(BaseModel):
    code: str
    title: str
    count: int = Field(description="公示中的条数")
    records: list[PublicRecordOut]


class PublicSubjectOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    name: str
    uscc: str | None
    region_code: str | None
    region_name: str | None
    sections: list[PublicSection]


class RecordPageOut(BaseModel):
    items: list[PublicRecordOut]
    offset: int
    limit: int
    has_more: bool = Field(description="是否还有下一页")


class ReportCheck(BaseModel):
    code: str
    found: bool
    genuine: bool = Field(description="验证码有效且登记信息签名校验通过")
    message: str
    subject_name: str | None = None
    subject_code: str | None = None
    issued_at: dt.datetime | None = None
    as_of: dt.date | None = None
    sha256: str | None = Field(default=None, description="报告 PDF 文件的 SHA-256，可自行比对")


CATEGORY_HELP = (
    "信息类别：XZXK 行政许可、XZCF 行政处罚、HMD 红名单、HEIMD 黑名单、ZDGZ 重点关注名单、XYCN 信用承诺、"
    "XYPJ 信用评价结果"
)


class ListQuery:
    def __init__(
        self,
        category: Annotated[
            str,
            Query(
                max_length=20,
                description=CATEGORY_HELP,
            ),
        ],
        domain: Annotated[str | None, Query(max_length=40, description="行业领域，如 道路运输")] = None,
        department: Annotated[str | None, Query(max_length=64, description="决定部门编码")] = None,
        region: Annotated[
            str | None, Query(pattern=r"^[0-9]{6}$", description="决定部门所在行政区划代码（市级代码包含其所辖县区）")
        ] = None,
        date_from: Annotated[IsoDate | None, Query(description="决定日期起（含）")] = None,
        date_to: Annotated[IsoDate | None, Query(description="决定日期止（含）")] = None,
        field: Annotated[
            list[str] | None,
            Query(
                max_length=10,
                description=(
                    "按公开数据项筛选，形如 commitment_type:证明事项告知承诺型，可重复。"
                    "可筛选的数据项由社会公开规则规定（信用承诺：commitment_type 承诺类型、fulfilment 履约状态；"
                    "信用评价结果：grade 信用等级）"
                ),
            ),
        ] = None,
    ) -> None:
        pairs: list[tuple[str, str]] = []
        for item in field or []:
            key, sep, value = item.partition(":")
            if not sep or not key.strip() or not value.strip():
                raise InvalidInput(
                    "筛选条件应为「数据项:取值」，如 commitment_type:证明事项告知承诺型", code="invalid_field_filter"
                )
            pairs.append((key.strip(), value.strip()))
        self.filter = ListFilter(
            categories=(category.upper(),),
            domain=domain or None,
            department=department or None,
            region=region,
            date_from=date_from,
            date_to=date_to,
            fields=tuple(sorted(dict(pairs).items())),
        )


ListDep = Annotated[ListQuery, Depends()]


@router.get(
    "/subjects",
    response_model=PublicHits,
    summary="查询信用主体",
    description=(
        "名称中任意 2 个以上连续字符或统一社会信用代码（完整或前缀）。结果按 代码 > 名称完全一致 > 前缀 > 包含 排序。"
    ),
    responses=_ERRORS,
)
def search_subjects(
    session: SessionDep,
    q: Annotated[str, Query(min_length=2, max_length=60, description="名称片段或代码")],
    limit: Annotated[int, Query(ge=1, le=50), WholeNumber] = 10,
) -> PublicHits:
    return PublicHits(items=[PublicHit.model_validate(h) for h in search.search(session, q, limit=limit)])


@router.get(
    "/subjects/{subject_id}",
    response_model=PublicSubjectOut,
    summary="信用主体公示信息（一户式）",
    description="行政许可、行政处罚、信用评价、红黑名单、信用承诺等公示中的信息，每类最多 100 条。",
    responses=_ERRORS,
)
def subject(session: SessionDep, subject_id: PathId) -> PublicSubjectOut:
    s = disclosure.public_subject(session, subject_id, per_section=100)
    disputed = portal.records_under_objection(session, [r.id for _c, _t, records in s.sections for r in records])
    return PublicSubjectOut(
        id=s.id,
        kind=s.kind,
        kind_label=s.kind_label,
        name=s.name,
        uscc=s.uscc,
        region_code=s.region_code,
        region_name=s.region_name,
        sections=[
            PublicSection(
                code=code,
                title=title,
                count=s.counts.get(code, 0),
                records=_outs(records, disputed),
            )
            for code, title, records in s.sections
        ],
    )


@router.get(
    "/records",
    response_model=RecordPageOut,
    summary="双公示、红黑名单、信用承诺与信用评价结果列表",
    description=(
        "公示中的记录，按决定日期从新到旧；可按行业领域、决定部门、地区、决定日期筛选，"
        "信用承诺还可按承诺类型、履约状态筛选，信用评价结果可按信用等级筛选（field 参数）。"
    ),
    responses=_ERRORS,
)
def records(
    session: SessionDep,
    query: ListDep,
    offset: Annotated[int, Query(ge=0, le=100_000), WholeNumber] = 0,
    limit: Annotated[int, Query(ge=1, le=200), WholeNumber] = 20,
) -> RecordPageOut:
    page = disclosure.public_records(session, query.filter, offset=offset, limit=limit)
    return RecordPageOut(
        items=_outs(page.items, portal.records_under_objection(session, [r.id for r in page.items])),
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.get(
    "/records/{record_id}",
    response_model=PublicRecordOut,
    summary="一条公示信息",
    responses=_ERRORS,
)
def record(session: SessionDep, record_id: PathId) -> PublicRecordOut:
    found = disclosure.public_record(session, record_id)
    return _outs([found], portal.records_under_objection(session, [found.id]))[0]


@router.get(
    "/export",
    summary="下载开放数据（CSV 或 JSON）",
    description="与列表相同的筛选条件，最多 50000 条。CSV 为带 BOM 的 UTF-8（Excel 可直接打开）。",
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}, "description": "数据文件"},
        **_ERRORS,
    },
    response_class=Response,
)
def export(
    request: Request,
    session: SessionDep,
    query: ListDep,
    format: Annotated[Literal["csv", "json"], Query(description="文件格式")] = "csv",
) -> Response:
    limits.enforce(request, "download")
    rows = disclosure.export_records(session, query.filter)
    disputed = portal.open_data_disputed(session, rows)
    name = f"{query.filter.categories[0]}-{china_today():%Y%m%d}.{format}"
    if format == "csv":
        body, media = portal.to_csv(rows, disputed), "text/csv; charset=utf-8"
    else:
        body, media = portal.to_json(rows, disputed), "application/json"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/reports/{code}",
    response_model=ReportCheck,
    summary="核验信用报告验证码",
    description="返回报告登记信息和 PDF 文件的 SHA-256；上传文件比对请使用网站的报告核验页面。",
    responses=_ERRORS,
)
def verify_report(session: SessionDep, settings: SettingsDep, code: Annotated[str, Path(max_length=40)]) -> ReportCheck:
    v = portal.verify_report(session, settings, code)
    r = v.report
    return ReportCheck(
        code=v.code,
        found=v.found,
        genuine=v.genuine,
        message=v.message,
        subject_name=r.subject_name if r else None,
        subject_code=r.subject_code if r else None,
        issued_at=r.issued_at if r else None,
        as_of=r.as_of if r else None,
        sha256=r.sha256 if r else None,
    )


class WorkflowStepOut(BaseModel):
    step: str
    text: str


class CommitmentMatterOut(BaseModel):
    code: str = Field(description="清单编号")
    check_matter: str = Field(description="核查事项编码（与信用核查的 matter_code 相同）")
    matter_name: str
    mode: str = Field(description="证明事项告知承诺 或 容缺受理")
    certificate: str = Field(description="可以承诺代替的证明事项，或可以容缺的材料")
    content: str
    basis: str
    verification: str
    consequence: str
    letter: str = Field(description="承诺书格式文本（已填入本事项的内容）")


class CommitmentMattersOut(BaseModel):
    name: str
    version: str
    basis: str
    workflow: list[WorkflowStepOut]
    not_applicable: str = Field(description="不适用告知承诺制、容缺受理的情形")
    items: list[CommitmentMatterOut]


@router.get(
    "/commitment-matters",
    response_model=CommitmentMattersOut,
    summary="证明事项告知承诺制和容缺受理事项清单",
    description="本省公布的告知承诺、容缺受理事项，工作流程、不适用情形和各事项的承诺书格式文本，无需密钥。",
    responses=_ERRORS,
)
def commitment_matters(settings: SettingsDep) -> CommitmentMattersOut:
    doc, rules = commitment_rules.commitment_matters(settings.province), list_rules(settings.province)
    return CommitmentMattersOut(
        name=doc.name,
        version=doc.version,
        basis=doc.basis,
        workflow=[WorkflowStepOut(step=w.step, text=w.text) for w in doc.workflow],
        not_applicable=doc.not_applicable,
        items=[
            CommitmentMatterOut(
                **m.model_dump(),
                matter_name=commitment_rules.matter_name(rules, m),
                letter=commitment_rules.filled_template(doc, rules, m),
            )
            for m in doc.matters
        ],
    )


@router.get("/policy", summary="社会公开规则版本", responses=_ERRORS)
def policy() -> dict[str, Any]:
    p = load_policy()
    return {"version": p.version, "name": p.name, "basis": p.basis, "sections": [s.model_dump() for s in p.sections]}


@router.get(
    "/inspections/{task_id}",
    summary="公开的双随机抽查结果",
    description="已公开的双随机抽查任务的检查结果（自然人姓名脱敏），无需密钥。",
    responses=_ERRORS,
)
def public_inspections(task_id: PathId, session: SessionDep) -> dict[str, Any]:
    return supervision.public_results(session, task_id)
