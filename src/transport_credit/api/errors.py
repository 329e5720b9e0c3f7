"""The error shape of the API and the error responses each route declares.

Errors are raised as ``CreditError`` subclasses (the one hierarchy of the platform) and rendered by the single
handler in ``transport_credit.server`` as ``{code, message, details}``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from transport_credit.common.errors import CreditError


class ErrorResponse(BaseModel):
    """Every error response of the API."""

    code: str = Field(description="机器可读的错误码，如 invalid_api_key、subject_not_found、invalid_request")
    message: str = Field(description="面向用户的中文错误说明")
    details: dict[str, Any] = Field(default_factory=dict, description="附加信息（如参数校验错误列表）")


class PayloadTooLarge(CreditError):
    """The request body exceeds the API's limit."""

    status = 413
    code = "payload_too_large"


_DESCRIPTIONS: dict[int, str] = {
    401: "未提供或无效的 API 密钥（请求头 X-API-Key）",
    403: "密钥无此权限（权限范围、报送类别或部门不符）",
    404: "请求的对象不存在",
    409: "与现有数据冲突",
    413: "请求体过大",
    422: "请求参数不正确（含请求体格式错误、字段类型错误、记录数超限等）",
    503: "服务暂不可用",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` argument of a route: each status documented with ``ErrorResponse``."""
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses}


AUTH_ERRORS = (401, 403, 422)
