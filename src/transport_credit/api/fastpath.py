"""The credit check's fast lane: ``POST /api/v1/checks`` served on the raw ASGI interface.

The check is called before every approval (逢批必查) and must answer in milliseconds under load, so its requests do
not go through the framework: the application (``server.PlatformApp``) hands them to :func:`serve_check` ahead
of its middleware stack, routing, dependency injection and response-model validation. The lane gives the answers
of the FastAPI route ``api/routes/checks.py: check`` (the same pydantic model validates the body, the same
``X-API-Key`` rules, the same JSON and error shape ``{code, message, details}``) through ``lists.checks.fast_check``:
the same service on the serving thread's own autocommit connection, without an ORM session, the check row handed to
the group-commit log (``lists/checklog.py``). The route stays the documented contract (OpenAPI).

The work runs synchronously on the event loop thread: a check is one indexed statement (well under a millisecond),
and one worker process serialising them avoids lock hand-offs between threads on SQLite.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from pydantic import ValidationError

from transport_credit.api.routes.checks import CheckIn
from transport_credit.common.errors import CreditError
from transport_credit.db.uow import Database
from transport_credit.lists import checks
from transport_credit.lists.checklog import close_log
from transport_credit.settings import Settings

log = logging.getLogger(__name__)

PATH = "/api/v1/checks"
MAX_BODY = 64 * 1024
_JSON = [(b"content-type", b"application/json")]

Scope = dict[str, Any]


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> tuple[int, bytes]:
    return status, orjson.dumps({"code": code, "message": message, "details": details or {}})


def handle_check(db: Database, settings: Settings, key: str | None, body: bytes) -> tuple[int, bytes]:
    """Status and JSON body of one check request: the same answers as the FastAPI route (a missing key is
    refused first, then the body is validated, then the key is verified)."""
    if not key or not key.strip():
        return _error(401, "api_key_missing", "缺少 API 密钥：请在请求头 X-API-Key 中提供接入密钥")
    try:
        req = CheckIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {
                "loc": ["body", *(str(x) for x in e.get("loc", ()))],
                "message": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        return _error(422, "invalid_request", "请求参数不正确", {"errors": errors})
    try:
        return 200, checks.fast_check(db, settings, key.strip(), req.subject_code, req.matter_code)
    except CreditError as exc:
        return _error(exc.status, exc.code, exc.message, exc.details)


async def serve_check(db: Database, settings: Settings, scope: Scope, receive: Any, send: Any) -> None:
    """Answer one ``POST /api/v1/checks`` on the raw ASGI interface."""
    key = None
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            key = value.decode("latin-1")
            break
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_BODY:
            status, payload = _error(413, "payload_too_large", "请求体过大")
            break
    else:
        try:
            status, payload = handle_check(db, settings, key, body)
        except Exception:  # a bug or the database away: the platform's JSON error, never a bare 500
            log.exception("credit check failed")
            status, payload = _error(500, "internal_error", "服务器内部错误，请稍后重试")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def is_check(scope: Scope) -> bool:
    """Whether the request is the one the fast lane serves."""
    return bool(scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST")


def shutdown(db: Database) -> None:
    """Write the pending check log (``lists/checklog.py``) and close the lane's connections (application shutdown,
    before the engine is disposed)."""
    close_log(db.engine)
    checks.close_fast_connections(db)
