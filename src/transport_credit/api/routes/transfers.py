"""转办 over the API: the connector to 信用中国, 信用中国（<省>） or 信用交通 (a key with ``applications:transfer``)
registers the objection and repair requests those platforms transfer, reads where each stands, fetches the replies
waiting for a platform and acknowledges those it delivered. See docs/portal.md."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from transport_credit.api.deps import NON_BLANK, ApiActor, IsoDate, SessionDep, SettingsDep
from transport_credit.api.errors import error_responses
from transport_credit.portal import rules as portal_rules
from transport_credit.portal import transfers

router = APIRouter(tags=["transfers"])

SourceQuery = Annotated[
    str,
    Query(min_length=1, max_length=40, description="来源平台编码：creditchina、creditchina_local、transport_credit"),
]


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=40, description="来源平台编码（creditchina 等）")
    source_ref: str = Field(min_length=1, max_length=64, description="来源平台的转办单号")
    received_on: IsoDate = Field(description="收到转办的日期（办理期限自该日起算）")
    kind: Literal["objection", "repair"] = Field(description="objection 异议 / repair 信用修复")
    subject_code: str = Field(
        min_length=1, max_length=64, pattern=NON_BLANK, description="统一社会信用代码、旧代码或身份证号码"
    )
    applicant_name: str = Field(min_length=1, max_length=100, description="申请人")
    contact: str = Field(min_length=1, max_length=64, description="申请人联系电话")
    reason: str = Field(min_length=1, max_length=portal_rules.REASON_MAX, description="异议理由或修复申请事由")
    record_key: str | None = Field(default=None, max_length=200, description="涉及信息的文书号；主体整体的可不填")


class TransferOut(BaseModel):
    source: str
    source_name: str
    source_ref: str = Field(description="来源平台的转办单号")
    tracking_no: str = Field(description="本平台受理编号")
    kind: str
    kind_label: str
    subject_name: str
    subject_uscc: str | None
    record_title: str | None = Field(description="涉及信息；主体整体为空")
    received_on: dt.date | None
    status: str
    status_label: str
    closed: bool = Field(description="已办结或不予受理：答复可以发回来源平台")
    reply: str | None = Field(description="答复意见")
    decided_on: dt.date | None = Field(description="办结日期")
    replied_at: dt.datetime | None = Field(description="答复已送达来源平台的时间（确认后）")


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=40)
    tracking_nos: list[str] = Field(min_length=1, max_length=1000, description="已将答复送达来源平台的受理编号")


class AckOut(BaseModel):
    acknowledged: list[str] = Field(description="本次新标记为已答复的受理编号（此前已确认的不重复计入）")


def _out(view: transfers.TransferView) -> TransferOut:
    return TransferOut.model_validate(dataclasses.asdict(view))


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferOut,
    summary="登记转办的异议、修复申请",
    description="来源平台转来的申请按本平台的申请办理（受理、核实、办结），期限自收到之日起算。同一转办单号重复登记时"
    "返回 409，details.tracking_no 为已登记的受理编号。需要 applications:transfer 权限。",
    responses=error_responses(401, 403, 404, 409, 422),
)
def register(body: TransferIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> TransferOut:
    data = transfers.TransferInput(**body.model_dump())
    app = transfers.register_transfer(session, actor, settings, data)
    return _out(transfers.transfer_status(session, actor, settings, data.source, app.source_ref or ""))


@router.get(
    "/transfers",
    response_model=TransferOut,
    summary="转办申请的办理情况",
    description="按来源平台和转办单号查询。需要 applications:transfer 权限。",
    responses=error_responses(401, 403, 404, 422),
)
def status(
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    source: SourceQuery,
    source_ref: Annotated[str, Query(min_length=1, max_length=64, description="转办单号")],
) -> TransferOut:
    return _out(transfers.transfer_status(session, actor, settings, source, source_ref))


@router.get(
    "/transfers/replies",
    response_model=list[TransferOut],
    summary="待发回来源平台的答复",
    description="该平台转来、已办结或不予受理、尚未确认送达的申请及其答复（查询不改变状态；送达后请调用确认接口）。"
    "需要 applications:transfer 权限。",
    responses=error_responses(401, 403, 404, 422),
)
def replies(session: SessionDep, settings: SettingsDep, actor: ApiActor, source: SourceQuery) -> list[TransferOut]:
    return [_out(v) for v in transfers.pending_replies(session, actor, settings, source)]


@router.post(
    "/transfers/replies/ack",
    response_model=AckOut,
    summary="确认答复已送达",
    description="标记这些申请的答复已发回来源平台；不属于该平台已办结转办的编号使整个请求被拒绝（422）。"
    "需要 applications:transfer 权限。",
    responses=error_responses(401, 403, 404, 422),
)
def acknowledge(body: AckIn, session: SessionDep, settings: SettingsDep, actor: ApiActor) -> AckOut:
    return AckOut(acknowledged=transfers.acknowledge_replies(session, actor, settings, body.source, body.tracking_nos))
