"""The credit check's fast lane: ``POST /api/v1/checks`` served by a pure ASGI middleware.

The check is called before every approval (逢批必查) and must answer in milliseconds under load, so its requests do
not go through the framework's routing, dependency injection and response-model validation. The middleware does
exactly what the FastAPI route ``api/routes/checks.py: check`` does — validate the body with the same pydantic model,
authenticate the ``X-API-Key``, open one unit of work, call ``lists.checks.run_check``, commit — and answers with the
same JSON and the same error shape ``{code, message, details}``. The check row is written by the group-commit log
(``lists/checklog.py``) (``lists.checks.fast_check``: the same
service on a raw pooled connection, without an ORM session). The route stays the documented contract (OpenAPI);
every other path passes straight through to the application.

The work runs synchronously on the event loop thread: a check is a handful of indexed statements (well under a
millisecond), and one worker process serialising them avoids lock hand-offs between threads on SQLite.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from transport_credit.api.routes.checks import CheckIn
from transport_credit.common.errors import CreditError
from transport_credit.db.uow import Database
from transport_credit.lists import checks
from transport_credit.lists.checklog import close_log
from transport_credit.settings import Settings

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
        result = checks.fast_check(db, settings, key.strip(), req.subject_code, req.matter_code)
    except CreditError as exc:
        return _error(exc.status, exc.code, exc.message, exc.details)
    return 200, orjson.dumps(result)


class CheckFastPath:
    """ASGI middleware: serves ``POST /api/v1/checks``, passes everything else to ``app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, _flush_on_shutdown(scope, receive), send)
            return
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
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
            state = scope["app"].state
            status, payload = handle_check(state.db, state.settings, key, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*_JSON, (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _flush_on_shutdown(scope: Scope, receive: Any) -> Any:
    """Write the pending check log (``lists/checklog.py``) when the server shuts down, before the app's own
    shutdown (which disposes the engine)."""

    async def wrapped() -> Any:
        message = await receive()
        if message.get("type") == "lifespan.shutdown":
            app = scope.get("app")
            if app is not None:
                close_log(app.state.db.engine)
                checks.close_fast_connections(app.state.db)
        return message

    return wrapped
