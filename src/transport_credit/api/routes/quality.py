"""文书号核查 for the system of the department that decides: the holes in its yearly decision-number sequences
(疑似漏报), and its explanations of numbers it did not report (a case system knows which numbers it voided or
reserved). See docs/monitoring.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from transport_credit.api.deps import ApiActor, SessionDep, WholeNumber
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_SUBMIT
from transport_credit.disclosure.rules import china_today
from transport_credit.monitoring import gaps

router = APIRouter(tags=["quality"])


class RangeOut(BaseModel):
    start: int = Field(description="起始序号")
    end: int = Field(description="截止序号（含）")


class NoteOut(BaseModel):
    id: int = Field(description="说明编号（撤回时使用）")
    serial_from: int = Field(description="起始序号")
    serial_to: int = Field(description="截止序号（含）")
    reason: str = Field(description="原因代码")
    reason_label: str = Field(description="原因")
    note: str | None = Field(description="补充说明")


class SequenceOut(BaseModel):
    category: str = Field(description="信用信息类别代码（XZCF 行政处罚、XZXK 行政许可）")
    prefix: str = Field(description="文书号前缀（机关代字），如「豫郑交罚」")
    year: int = Field(description="文书号年度")
    numbers: int = Field(description="已报送的序号个数")
    first: int = Field(description="已报送的第一个序号")
    last: int = Field(description="已报送的最后一个序号")
    missing: list[RangeOut] = Field(description="疑似漏报的序号段（未报送、未说明，不含待更正的）")
    missing_count: int = Field(description="疑似漏报的序号个数")
    rejected: int = Field(description="在问题数据中待更正的序号个数（已报送被拒收）")
    explained: int = Field(description="已说明的序号个数")
    jumps: list[RangeOut] = Field(description="跳号（相邻序号相差过大，可能录入有误），不计入疑似漏报")
    notes: list[NoteOut] = Field(description="本单位对该序列的说明")


class NumberReport(BaseModel):
    year: int = Field(description="年度")
    checked: int = Field(description="核查的文书号序列数")
    missing: int = Field(description="疑似漏报的序号总数")
    unrecognised: int = Field(description="文书号无法识别编号、未参与核查的记录数")
    sequences: list[SequenceOut] = Field(description="有断号或跳号的序列，疑似漏报多的在前")


class ExplanationIn(BaseModel):
    category: str = Field(min_length=1, max_length=40, description="信用信息类别代码")
    prefix: str = Field(min_length=1, max_length=120, description="文书号前缀，与核查结果中的 prefix 相同")
    year: int = Field(ge=2000, le=2100, description="文书号年度")
    serial_from: int = Field(ge=1, le=999_999_999, description="起始序号")
    serial_to: int = Field(ge=1, le=999_999_999, description="截止序号（含）；单个序号与起始相同")
    reason: str = Field(
        min_length=1,
        max_length=20,
        description="原因代码：voided 文书作废，reserved 预留号，not_public 依法不予公示，"
        "misnumbered 已报送（文书号录入有误），other 其他（须写明 note）",
    )
    note: str | None = Field(default=None, max_length=500, description="补充说明")


@router.get(
    "/quality/numbers",
    response_model=NumberReport,
    summary="本单位文书号断号（疑似漏报）",
    description="本单位（接入系统所属单位）某年度行政处罚、行政许可决定文书号序列中，已报送的第一个与最后一个序号之间"
    "缺少的序号：疑似漏报的（未报送、未说明）、在问题数据中待更正的、已说明的，以及跳号。需要 records:submit 权限。",
    responses=error_responses(401, 403, 422),
)
def numbers(
    session: SessionDep,
    actor: ApiActor,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度，默认本年"), WholeNumber] = None,
) -> NumberReport:
    actor.require_scope(SCOPE_SUBMIT)
    report = gaps.number_gaps(session, actor, year=year or china_today().year, department_code=actor.department_code)
    return NumberReport(
        year=report.year,
        checked=report.checked,
        missing=report.missing,
        unrecognised=sum(report.unrecognised.values()),
        sequences=[
            SequenceOut(
                category=s.category,
                prefix=s.prefix,
                year=s.year,
                numbers=s.numbers,
                first=s.first,
                last=s.last,
                missing=[RangeOut(start=g.start, end=g.end) for g in s.missing],
                missing_count=s.missing_count,
                rejected=s.rejected,
                explained=s.explained,
                jumps=[RangeOut(start=g.start, end=g.end) for g in s.jumps],
                notes=[_note_out(n) for n in s.notes],
            )
            for s in report.sequences
        ],
    )


@router.post(
    "/quality/numbers/notes",
    response_model=NoteOut,
    status_code=201,
    summary="说明未报送的文书号",
    description="本单位说明某序列中未报送的序号（作废、预留、依法不予公示等），说明后不再计入疑似漏报；序号须在该序列"
    "已报送的第一个与最后一个之间。记入审计日志。需要 records:submit 权限。",
    responses=error_responses(401, 403, 404, 422),
)
def explain(body: ExplanationIn, session: SessionDep, actor: ApiActor) -> NoteOut:
    actor.require_scope(SCOPE_SUBMIT)
    note = gaps.explain_gap(
        session,
        actor,
        department_code=actor.department_code or "",
        category=body.category,
        prefix=body.prefix,
        year=body.year,
        serial_from=body.serial_from,
        serial_to=body.serial_to,
        reason=body.reason,
        note=body.note,
    )
    return _note_out(note)


def _note_out(n: gaps.NoteView) -> NoteOut:
    return NoteOut(
        id=n.id,
        serial_from=n.serial_from,
        serial_to=n.serial_to,
        reason=n.reason,
        reason_label=n.reason_label,
        note=n.note,
    )
