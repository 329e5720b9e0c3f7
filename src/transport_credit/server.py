"""The ASGI application: REST API under /api/v1, officials' console under /console, OpenAPI at /api/docs.

Front doors stay thin: they parse input, identify the caller, call one service function and render. Errors from
the services (``CreditError``) are mapped to responses in one handler.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from transport_credit import __version__
from transport_credit.api import fastpath
from transport_credit.common.errors import CreditError
from transport_credit.db.engine import make_engine
from transport_credit.db.uow import Database
from transport_credit.logs import configure_logging
from transport_credit.settings import Settings, get_settings
from transport_credit.site.routes import router_error_page


class PlatformApp(FastAPI):
    """The platform's application: ``POST /api/v1/checks`` (the credit check inside every approval) goes to the
    fast lane (``api/fastpath.py``) before the framework's telemetry, middleware and routing, which cost more per
    request than the check itself; every other request is FastAPI's."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if fastpath.is_check(scope):
            await fastpath.serve_check(self.state.db, self.state.settings, scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


API_PREFIX = "/api/"
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _is_api(path: str) -> bool:
    return path == API_PREFIX.rstrip("/") or path.startswith(API_PREFIX)


def allowed_methods(document: Mapping[str, Any], path: str) -> list[str]:
    """The methods the API document lists for ``path`` (the ``Allow`` header of a 405): every operation of the
    path, not only the first route the router met (a path with a GET and a POST route is two routes)."""
    allowed: set[str] = set()
    for template, operations in document.get("paths", {}).items():
        if _template_regex(template).fullmatch(path):
            allowed |= {m.upper() for m in operations if m.upper() in _METHODS}
    return sorted(allowed)


@functools.lru_cache(maxsize=512)
def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _api_error(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The API's one error shape, ``{code, message, details}``."""
    return JSONResponse(
        {"code": code, "message": message, "details": dict(details or {})}, status_code=status, headers=headers
    )


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    db = database or Database(make_engine(settings.effective_database_url))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        fastpath.shutdown(db)  # the pending check log is written before the engine goes
        if database is None:
            db.engine.dispose()

    app = PlatformApp(
        title="交通运输信用信息平台 API",
        version=__version__,
        description=(
            "信用信息归集、信用档案查询等接口。业务系统使用 API 密钥（请求头 `X-API-Key`）访问；"
            "错误响应统一为 `{code, message, details}`，其中 `code` 为机器可读的错误码。"
        ),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db

    @app.exception_handler(CreditError)
    async def _credit_error(_request: Request, exc: CreditError) -> JSONResponse:
        return _api_error(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "message": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        return _api_error(422, "invalid_request", "请求参数不正确", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Errors the framework raises before any route runs. API callers get the API's error shape; everyone
        else the website's error page."""
        if not _is_api(request.url.path):
            if exc.status_code in (404, 405):  # the website's error page, not the framework's JSON
                response = router_error_page(request, exc.status_code)
                response.headers.update(exc.headers or {})  # Allow of a 405
                return response
            return await http_exception_handler(request, exc)
        if exc.status_code == 400:  # a body that cannot be parsed (bytes that are not UTF-8, a broken form)
            return _api_error(422, "invalid_request", "请求体无法解析，请检查格式与编码（JSON 须为 UTF-8）")
        if exc.status_code == 404:
            return _api_error(404, "not_found", "接口不存在")
        if exc.status_code == 405:
            return _method_not_allowed(request)
        return _api_error(exc.status_code, "http_error", str(exc.detail), headers=dict(exc.headers or {}))

    def _method_not_allowed(request: Request) -> JSONResponse:
        allowed = allowed_methods(request.app.openapi(), request.url.path)
        return _api_error(
            405,
            "method_not_allowed",
            f"接口不支持 {request.method} 方法（支持：{'、'.join(allowed)}）",
            headers={"Allow": ", ".join(allowed)},
        )

    from transport_credit.api import router as api_router
    from transport_credit.site import router as site_router
    from transport_credit.web import router as web_router
    from transport_credit.web.admin import router as admin_console_router
    from transport_credit.web.analysis import router as analysis_console_router
    from transport_credit.web.campaigns import router as campaigns_console_router
    from transport_credit.web.checks import router as checks_console_router
    from transport_credit.web.evaluation import router as evaluation_console_router
    from transport_credit.web.exchange import router as exchange_console_router
    from transport_credit.web.ledger import router as ledger_console_router
    from transport_credit.web.portal import router as portal_console_router
    from transport_credit.web.quality import router as quality_console_router
    from transport_credit.web.reminders import router as reminders_console_router
    from transport_credit.web.report import router as report_console_router
    from transport_credit.web.xinyi import router as xinyi_console_router

    app.include_router(api_router)

    @app.api_route("/api/{rest:path}", methods=_METHODS, include_in_schema=False)
    async def _api_fallback(request: Request, rest: str) -> Response:
        """Any other request under /api: 405 with every method the path answers, or 404. Without it a GET on a
        POST-only endpoint would reach the website's catch-all page (404), and a PUT on a path with GET and POST
        routes would be refused naming the first route's method only."""
        if allowed_methods(request.app.openapi(), request.url.path):
            return _method_not_allowed(request)
        return _api_error(404, "not_found", "接口不存在")

    app.include_router(portal_console_router)  # before the console's catch-all
    app.include_router(exchange_console_router)
    app.include_router(admin_console_router)
    app.include_router(quality_console_router)
    app.include_router(checks_console_router)
    app.include_router(ledger_console_router)
    app.include_router(xinyi_console_router)
    app.include_router(campaigns_console_router)
    app.include_router(reminders_console_router)
    app.include_router(report_console_router)
    app.include_router(analysis_console_router)
    app.include_router(evaluation_console_router)
    from transport_credit.web.lists import router as lists_console_router

    app.include_router(lists_console_router)
    app.include_router(web_router)
    app.include_router(site_router)  # the public website at /, last: it ends with a catch-all 404 page
    return app


def create_served_app(settings: Settings | None = None) -> FastAPI:
    """The application for a long-running server process (``tcredit serve``, the demo): :func:`create_app`, then
    everything that exists after start-up (modules, the framework's and SQLAlchemy's structures, the catalog: about a
    quarter of a million objects) moved out of the garbage collector's reach with ``gc.freeze()``. A full collection
    over them took about 150 ms, a pause for every request in flight; objects created while serving are collected
    as usual."""
    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app
