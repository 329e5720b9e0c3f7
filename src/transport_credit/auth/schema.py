"""Input schemas of the auth package."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DepartmentLevel = Literal["province", "city", "county"]


class DepartmentSpec(BaseModel):
    """One department as a province configuration file lists it (keys exactly as below).

    ``categories`` are the catalog category codes the unit is a source for (数据来源单位).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40)  # 部门类型: office, highway, transport, enforcement, …
    level: DepartmentLevel
    region_code: str = Field(pattern=r"^\d{6}$")  # GB/T 2260
    parent_code: str | None = Field(default=None, max_length=64)
    uscc: str | None = Field(default=None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")  # 统一社会信用代码
    categories: tuple[str, ...] = ()


# Scopes an API client key may carry (接入系统权限范围).
SCOPE_SUBMIT = "records:submit"  # 推送许可、处罚等信用记录
SCOPE_CHECK = "credit:check"  # 逢批必查: 审批前的信用核查
SCOPE_READ = "subjects:read"  # 查询信用档案
SCOPE_TRANSFER = "applications:transfer"  # 转办: 信用中国等平台转来的异议、修复申请及答复
API_SCOPES = (SCOPE_SUBMIT, SCOPE_CHECK, SCOPE_READ, SCOPE_TRANSFER)
