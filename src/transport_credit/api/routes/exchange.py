"""Records the national and provincial platforms sent back (退回), for the system of the department that provided
them: it lists them, corrects the records (a new revision through ``POST /records/{category}``, or a repair or
revocation), and the next monthly increment carries the correction. See docs/exchange.md.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from transport_credit.api.deps import ApiActor, SessionDep, SettingsDep, WholeNumber
from transport_credit.api.errors import error_responses
from transport_credit.auth.schema import SCOPE_SUBMIT
from transport_credit.exchange import receipts

router = APIRouter(tags=["exchange"])


class RejectionOut(BaseModel):
    target: str = Field(
        description="接收平台代码（ministry 全国交通运输信用信息共享平台，province 省公共信用信息平台）"
    )
    target_name: str = Field(description="接收平台名称")
    sequence: int = Field(description="交换包序号")
    period: str = Field(description="交换包所属月份（YYYY-MM）")
    record_id: int = Field(description="被退回的记录版本")
    category: str = Field(description="信用信息类别代码")
    natural_key: str = Field(description="业务主键（如决定书文号）")
    department_code: str = Field(description="信息提供单位代码")
    reason: str = Field(description="退回原因（接收平台回执所载）")
    settled: bool = Field(description="是否已更正：记录已有更新的版本（随下一期增量报送）")
    corrected_by: int | None = Field(description="更正后的记录版本；未更正为空")


class RejectionList(BaseModel):
    items: list[RejectionOut] = Field(description="最新交换包的在前")


@router.get(
    "/exchange/rejections",
    response_model=RejectionList,
    summary="被接收平台退回的本单位记录",
    description="全国、省级平台在回执中退回的、本单位（接入系统所属单位）提供的记录及退回原因："
    "open 待更正，all 含已更正。更正后的记录随下一期月度增量报送。需要 records:submit 权限。",
    responses=error_responses(401, 403, 422),
)
def rejections(
    session: SessionDep,
    settings: SettingsDep,
    actor: ApiActor,
    view: Annotated[Literal["open", "all"], Query(description="open 待更正 / all 含已更正")] = "open",
    limit: Annotated[int, Query(ge=1, le=5000, description="最多条数"), WholeNumber] = 500,
) -> RejectionList:
    actor.require_scope(SCOPE_SUBMIT)
    items = receipts.list_rejections(
        session,
        actor,
        settings,
        department_code=actor.department_code,
        include_settled=view == "all",
        limit=limit,
    )
    return RejectionList(items=[RejectionOut(**dataclasses.asdict(x), settled=x.settled) for x in items])
