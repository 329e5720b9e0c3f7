"""The officials' console (政务端) under ``/console``: server-rendered pages over the same service functions.

Routes only parse the request, identify the signed-in user, call a service in a unit of work and render. Every
service error (``CreditError``) becomes a Chinese error page with the error's status; a missing or expired session
sends the browser to the sign-in page. Forms that change anything are POSTs carrying the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
import urllib.parse
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from transport_credit.audit import ChainReport, list_entries
from transport_credit.audit import verify as verify_chain
from transport_credit.auth import service as auth_service
from transport_credit.catalog.rules import Catalog
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import CreditError, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from transport_credit.db.base import MAX_ID
from transport_credit.db.uow import Database
from transport_credit.disclosure.rules import china_today
from transport_credit.ingest import service as ingest
from transport_credit.ingest.pipeline import CHINA, BatchSummary
from transport_credit.monitoring.worklist import worklist
from transport_credit.portal import repair_notice as notices
from transport_credit.portal import service as portal
from transport_credit.portal.handling import STATUS_LABELS
from transport_credit.portal.rules import APPLICATION_KINDS
from transport_credit.settings import Settings
from transport_credit.subjects import service as subjects
from transport_credit.web.params import Flag, PageNo, RowId, form_int
from transport_credit.web.render import STATIC_DIR, province, province_short_name, render
from transport_credit.web.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SessionData,
    SessionSigner,
    csrf_ok,
    new_session,
)

PREFIX = "/console"
ALLOWED_SUFFIXES = {".csv": "CSV", ".xlsx": "XLSX", ".xls": "XLS", ".jsonl": "JSONL", ".ndjson": "JSONL"}
QUARANTINE_PAGE = 50
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
_NAV = (
    ("home", "工作台", ""),
    ("import", "数据归集", "/import"),
    ("batches", "批次", "/batches"),
    ("quarantine", "问题数据", "/quarantine"),
    ("numbers", "文书号核查", "/quality/numbers"),
    ("subjects", "信用档案", "/subjects"),
    ("catalog", "信用信息目录", "/catalog"),
    ("portal", "门户内容", "/portal/content"),
    ("applications", "异议修复申请", "/portal/applications"),
    ("verifications", "异议核实", "/portal/verifications"),
    ("declarations", "自主申报", "/portal/declarations"),
    ("reminders", "信用提醒", "/reminders"),
    ("evaluation", "信用评价", "/evaluation"),
    ("supervision", "双随机抽查", "/supervision"),
    ("warnings", "信用预警", "/warnings"),
    ("campaigns", "专项治理", "/campaigns"),
    ("checks", "信用核查", "/checks"),
    ("lists", "红黑名单", "/lists"),
    ("measures", "奖惩措施", "/measures"),
    ("xinyi", "信易+", "/xinyi"),
    ("effects", "成效清单", "/effects"),
    ("cases", "典型案例", "/cases"),
    ("exchange", "共享交换", "/exchange"),
    ("report", "信用月报", "/report"),
    ("ledger", "工作台账", "/ledger"),
    ("analysis", "监测分析", "/analysis"),
    ("interfaces", "接口监测", "/admin/interfaces"),
    ("accounts", "用户管理", "/admin/accounts"),
    ("audit", "审计", "/audit"),
)


class LoginRequired(Exception):
    """No valid session: the route class answers with a redirect to the sign-in page."""


class PasswordChangeRequired(Exception):
    """A temporary or expired password: the route class sends the user to change it (nothing else is served)."""


# What a user whose password must be changed may still reach.
CREDENTIAL_PAGE = "/account/password"
_CREDENTIAL_EXEMPT = (PREFIX + CREDENTIAL_PAGE, PREFIX + "/logout")
# The session cookie is signed again (its idle time restarts) at most this often.
SESSION_REFRESH_SECONDS = 60


class CsrfRejected(PermissionDenied):
    status = 403
    code = "csrf_failed"


@dataclass
class Console:
    """The signed-in user of one request, with what every page needs."""

    request: Request
    settings: Settings
    db: Database
    session: SessionData
    actor: Actor
    credential_state: str = "ok"  # auth/policy.py PasswordState: anything else restricts the user to changing it
    password_expires_in: int | None = None  # days left when within the policy's warning time
    previous_login_at: dt.datetime | None = None  # 上次登录, shown on the 工作台
    failures_before_login: int = 0

    @property
    def is_manager(self) -> bool:
        """Credit office (信用办) or administrator: sees every department, the audit log."""
        return self.actor.has_role(ROLE_CREDIT_OFFICE, ROLE_ADMIN)


# --- plumbing ---------------------------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _signer(request: Request) -> SessionSigner:
    return SessionSigner(_settings(request).secret_key.get_secret_value())


def _cookie_session(request: Request) -> SessionData | None:
    return _signer(request).loads(request.cookies.get(SESSION_COOKIE))


def _set_session(request: Request, response: Response, data: SessionData) -> None:
    signer = _signer(request)
    response.set_cookie(
        SESSION_COOKIE,
        signer.dumps(data),
        max_age=signer.max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def current_console(request: Request) -> Console:
    """Dependency: the signed-in user, re-read from the database on every request (deactivation is immediate)."""
    data = _cookie_session(request)
    if data is None or data.username is None:
        raise LoginRequired
    db = _db(request)
    try:
        with db.read() as session:
            user = auth_service.session_user(session, data.username)
    except Unauthenticated as exc:
        raise LoginRequired from exc
    console = Console(
        request,
        _settings(request),
        db,
        data,
        user.actor,
        user.credential_state,
        user.expires_in_days,
        user.previous_login_at,
        user.failures_before_login,
    )
    request.state.console = console
    if user.credential_state != "ok" and request.url.path not in _CREDENTIAL_EXEMPT:
        raise PasswordChangeRequired
    return console


User = Annotated[Console, Depends(current_console)]


def _base_context(request: Request, console: Console | None, active: str) -> dict[str, Any]:
    settings = _settings(request)
    config = province(settings.province)
    nav = []
    if console is not None:
        for key, label, path in _NAV:
            if (
                key
                in ("audit", "portal", "applications", "declarations", "reminders", "exchange", "report", "interfaces")
                and not console.is_manager
            ):
                continue
            if key == "accounts" and ROLE_ADMIN not in console.actor.roles:
                continue
            if key == "verifications" and not console.actor.has_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE):
                continue
            if key == "analysis" and not console.actor.has_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER):
                continue
            nav.append({"key": key, "label": label, "href": PREFIX + path})
    return {
        "site_title": f"交通运输信用信息平台 · {province_short_name(config)}",
        "website_title": config.website_title,
        "authority_name": config.authority_name,
        "prefix": PREFIX,
        "nav": nav,
        "active": active,
        "user": console.actor if console is not None else None,
        "csrf_field": CSRF_FIELD,
        "csrf": console.session.csrf if console is not None else "",
        "password_expires_in": console.password_expires_in if console is not None else None,
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(body: bytes, filename: str) -> Response:
    """A workbook download (ASCII ``filename``), never cached."""
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def page(
    request: Request,
    console: Console | None,
    template: str,
    active: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    ctx = _base_context(request, console, active)
    ctx.update(context)
    response = HTMLResponse(render(template, ctx), status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(request: Request, status: int, message: str, code: str) -> HTMLResponse:
    console: Console | None = getattr(request.state, "console", None)
    titles = {400: "请求有误", 401: "需要登录", 403: "没有权限", 404: "未找到", 409: "操作冲突", 413: "文件过大"}
    title = titles.get(status, "无法完成操作" if status < 500 else "服务器错误")
    back = request.headers.get("referer") or ""
    # Only same-console back links: a Referer is user-controlled.
    back_link = back if urllib.parse.urlsplit(back).path.startswith(PREFIX) else PREFIX + "/import"
    return page(
        request,
        console,
        "error.html",
        "",
        status_code=status,
        title=title,
        message=message,
        code=code,
        status=status,
        back_link=back_link,
    )


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    query = urllib.parse.urlencode({"next": target}) if request.method == "GET" else ""
    return RedirectResponse(f"{PREFIX}/login" + (f"?{query}" if query else ""), status_code=303)


class ConsoleRoute(APIRoute):
    """Maps errors to pages for the console (the JSON handlers of the app stay for the API)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                return _login_redirect(request)
            except PasswordChangeRequired:
                return RedirectResponse(PREFIX + CREDENTIAL_PAGE, status_code=303)
            except CreditError as exc:
                return _error_page(request, exc.status, exc.message, exc.code)
            except RequestValidationError:
                return _error_page(request, 422, "提交的内容不完整或格式不正确，请检查后重试", "invalid_request")
            except StarletteHTTPException as exc:
                message = "页面不存在" if exc.status_code == 404 else "请求无法处理"
                return _error_page(request, exc.status_code, message, "http_error")
            _refresh_session(request, response)
            return response

        return console_handler


def _refresh_session(request: Request, response: Response) -> None:
    """Sign a signed-in user's cookie again, so that its idle time starts over (not when the response sets or
    clears the cookie itself: sign-in, sign-out)."""
    console: Console | None = getattr(request.state, "console", None)
    if console is None or "set-cookie" in response.headers:
        return
    if time.time() - console.session.issued_at >= SESSION_REFRESH_SECONDS:
        _set_session(request, response, console.session)


router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=4, max_fields=2000)
    except Exception as exc:  # malformed multipart body
        raise InvalidInput("提交的表单无法解析，请重试", code="invalid_form") from exc


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(form: FormData, name: str, label: str) -> dt.date:
    """A form's date field (YYYY-MM-DD); :class:`InvalidInput` naming the field (``label``) otherwise."""
    try:
        return dt.date.fromisoformat(_text(form, name))
    except ValueError as exc:
        raise InvalidInput(f"{label}格式应为 YYYY-MM-DD", code="invalid_date") from exc


def _check_csrf(console: Console | None, session: SessionData | None, form: FormData) -> None:
    data = console.session if console is not None else session
    if not csrf_ok(data, _text(form, CSRF_FIELD)):
        raise CsrfRejected("页面已过期或来源无法验证，请刷新页面后重试", code="csrf_failed")


def _safe_next(value: str | None) -> str:
    """Only paths inside the console: an open redirect would help phishing."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX


# --- static files -----------------------------------------------------------------------------------------------


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    suffix = PurePath(name).suffix
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or suffix not in STATIC_TYPES or not path.is_file():
        raise NotFound("文件不存在", code="static_not_found")
    return FileResponse(path, media_type=STATIC_TYPES[suffix], headers={"Cache-Control": "public, max-age=3600"})


# --- sign-in ----------------------------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    data = _cookie_session(request)
    if data is not None and data.username is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    if data is None:
        data = new_session()
    response = page(
        request, None, "login.html", "login", next=_safe_next(next), csrf=data.csrf, error=None, username=""
    )
    _set_session(request, response, data)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    data = _cookie_session(request)
    _check_csrf(None, data, form)
    assert data is not None
    username = _text(form, "username")
    password = form.get("password")
    next_url = _safe_next(_text(form, "next"))
    if not username or not isinstance(password, str) or not password:
        return page(
            request,
            None,
            "login.html",
            "login",
            status_code=422,
            next=next_url,
            csrf=data.csrf,
            error="请输入用户名和密码",
            username=username,
        )

    def sign_in() -> auth_service.SignIn:
        with _db(request).unit_of_work() as session:  # commits a failure's count and lock too
            return auth_service.sign_in(session, username, password)

    result = await run_in_threadpool(sign_in)
    if result.actor is None:
        return page(
            request,
            None,
            "login.html",
            "login",
            status_code=401,
            next=next_url,
            csrf=data.csrf,
            error=result.message,
            username=username,
        )
    actor = result.actor
    target = next_url if result.credential_state == "ok" else PREFIX + CREDENTIAL_PAGE
    response = RedirectResponse(target, status_code=303)
    _set_session(request, response, new_session(actor.name, actor.department_code, tuple(sorted(actor.roles))))
    return response


@router.post("/logout")
async def logout(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# Where each kind of waiting work is handled (monitoring/worklist.py names them).
_WORK_PAGES = {
    "quarantine": "/quarantine",
    "verifications": "/portal/verifications",
    "applications_accept": "/portal/applications?view=open",
    "applications_decide": "/portal/applications?view=open",
    "declarations": "/portal/declarations",
    "reminders": "/reminders?state=failed",
    "lists_review": "/lists?state=proposed",
    "lists_publish": "/lists?state=notified",
    "warnings": "/warnings?status=open",
    "cases": "/cases",
    "numbering": "/quality/numbers",
    "exchange_unsent": "/exchange#packages",
    "interfaces": "/admin/interfaces",
    "accounts": "/admin/accounts",
    "exchange": "/exchange",
    "exchange_rejections": "/exchange/rejections",
    "ledger": "/ledger",
    "campaigns": "/campaigns",
}


@router.get("")
@router.get("/")
def home(request: Request, console: User) -> Response:
    """工作台: the waiting work of the signed-in official, each count linking to its page."""
    today = china_today()
    with console.db.read() as session:
        items = worklist(session, console.actor, console.settings, today=today)
    code = console.actor.department_code
    department_name = _department_names(console).get(code) if code else None
    return page(
        request,
        console,
        "home.html",
        "home",
        items=items,
        links={key: PREFIX + path for key, path in _WORK_PAGES.items()},
        today=today,
        manager=console.is_manager,
        department_name=department_name,
        previous_login_at=console.previous_login_at,
        failures_before_login=console.failures_before_login,
    )


# --- import (数据归集) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentChoice:
    code: str
    name: str
    categories: tuple[str, ...]


def _submit_choices(console: Console, catalog: Catalog) -> tuple[list[Any], list[DepartmentChoice]]:
    """Categories the user may submit and the departments they may submit for."""
    with console.db.read() as session:
        departments = [
            DepartmentChoice(d.code, d.name, tuple(d.categories)) for d in auth_service.list_departments(session)
        ]
    if console.is_manager:
        allowed = [d for d in departments if d.categories]
    else:
        allowed = [d for d in departments if d.code == console.actor.department_code]
    sourced = {c for d in allowed for c in d.categories}
    categories = [c for c in catalog.categories() if c.code in sourced]
    return categories, allowed


@router.get("/import")
def import_form(request: Request, console: User, category: str | None = None) -> Response:
    with console.db.read() as session:
        catalog = active_catalog(session)
    categories, departments = _submit_choices(console, catalog)
    can_submit = console.actor.has_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE)
    return page(
        request,
        console,
        "import.html",
        "import",
        categories=categories,
        departments=departments,
        selected_category=category or (categories[0].code if categories else ""),
        selected_department=console.actor.department_code or "",
        can_submit=can_submit,
        formats="、".join(dict.fromkeys(ALLOWED_SUFFIXES.values())),
    )


def _safe_file_name(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f]", "", base).strip()
    return base[-200:] or "upload"


@router.post("/import")
async def import_upload(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    category = _text(form, "category")
    department = _text(form, "department")
    upload = form.get("file")
    if not category:
        raise InvalidInput("请选择信用信息类别", code="category_required")
    if not department:
        raise InvalidInput("请选择报送部门", code="department_required")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请选择要上传的文件", code="file_required")
    file_name = _safe_file_name(upload.filename)
    suffix = PurePath(file_name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        shown = suffix or "无扩展名"
        raise InvalidInput(
            f"不支持的文件类型（{shown}）：请上传 CSV、XLSX、XLS 或 JSONL 文件", code="unsupported_file_type"
        )
    summary = await run_in_threadpool(_import, console, upload, file_name, suffix, category, department)
    flag = "already" if summary.already_imported else "imported"
    return RedirectResponse(f"{PREFIX}/batches/{summary.batch_no}?{flag}=1", status_code=303)


def _import(
    console: Console, upload: UploadFile, file_name: str, suffix: str, category: str, department: str
) -> BatchSummary:
    """Keep the uploaded file under data_dir/uploads (as received: the batch's source) and import it."""
    uploads = console.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    path = uploads / f"{stamp}-{uuid.uuid4().hex[:12]}{suffix}"
    with path.open("wb") as out:
        upload.file.seek(0)
        shutil.copyfileobj(upload.file, out, 1 << 20)
    if path.stat().st_size == 0:
        path.unlink(missing_ok=True)
        raise InvalidInput("上传的文件是空文件", code="empty_file")
    try:
        with console.db.unit_of_work() as session:
            summary = ingest.import_file(
                session,
                console.actor,
                console.settings,
                path,
                category=category,
                department=department,
                file_name=file_name,
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if summary.already_imported:
        path.unlink(missing_ok=True)  # the first import already keeps this file
    else:
        path.rename(uploads / f"{summary.batch_no}{suffix}")
    return summary


# --- batches (批次) ---------------------------------------------------------------------------------------------


def _batch_time(summary: BatchSummary) -> str:
    """When the batch began, in Beijing time."""
    if summary.started_at is None:
        return "—"
    return summary.started_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _category_names(catalog: Catalog) -> dict[str, str]:
    return {c.code: c.name for c in catalog.categories()}


def _department_names(console: Console) -> dict[str, str]:
    with console.db.read() as session:
        return {d.code: d.name for d in auth_service.list_departments(session, include_inactive=True)}


@router.get("/batches")
def batches(request: Request, console: User, category: str | None = None, page_no: PageNo = 1) -> Response:
    page_no = max(page_no, 1)
    with console.db.read() as session:
        catalog = active_catalog(session)
        items = ingest.list_batches(
            session, console.actor, category=category or None, limit=51, offset=(page_no - 1) * 50
        )
    return page(
        request,
        console,
        "batches.html",
        "batches",
        batches=items[:50],
        has_more=len(items) > 50,
        page_no=page_no,
        category=category or "",
        categories=catalog.categories(),
        category_names=_category_names(catalog),
        department_names=_department_names(console),
        batch_time=_batch_time,
    )


@router.get("/batches/{batch_no}")
def batch_detail(request: Request, console: User, batch_no: str, imported: Flag = 0, already: Flag = 0) -> Response:
    with console.db.read() as session:
        catalog = active_catalog(session)
        summary = ingest.get_batch(session, console.actor, batch_no)
        warned = ingest.batch_warnings(session, console.actor, batch_no)
        rejected_total, rejected = 0, list[ingest.QuarantineItem]()
        if console.actor.has_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE):
            rejected_total, rejected = ingest.list_quarantine(
                session, console.actor, console.settings, batch_no=batch_no, limit=500, with_raw=False
            )
    category = catalog.category(summary.category)
    field_names = {f.key: f.name for f in category.fields}
    return page(
        request,
        console,
        "batch.html",
        "batches",
        batch=summary,
        category=category,
        field_names=field_names,
        warned=warned,
        rejected=rejected,
        rejected_total=rejected_total,
        just_imported=bool(imported),
        already=bool(already) or summary.already_imported,
        department_names=_department_names(console),
        batch_time=_batch_time(summary),
    )


# --- quarantine (问题数据) -------------------------------------------------------------------------------------


@router.get("/quarantine")
def quarantine(
    request: Request,
    console: User,
    category: str | None = None,
    batch: str | None = None,
    status: str = "open",
    page_no: PageNo = 1,
    done: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    if status not in {"open", "resubmitted", "dismissed"}:
        status = "open"
    page_no = max(page_no, 1)
    with console.db.read() as session:
        catalog = active_catalog(session)
        if category and not catalog.has_category(category):
            raise NotFound(f"信用信息目录中没有类别「{category}」", code="unknown_category")
        total, items = ingest.list_quarantine(
            session,
            console.actor,
            console.settings,
            batch_no=batch or None,
            category=category or None,
            status=status,
            limit=QUARANTINE_PAGE,
            offset=(page_no - 1) * QUARANTINE_PAGE,
            with_raw=False,
        )
    field_names = {c.code: {f.key: f.name for f in c.fields} for c in catalog.categories()}
    return page(
        request,
        console,
        "quarantine.html",
        "quarantine",
        items=items,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // QUARANTINE_PAGE)),
        category=category or "",
        batch=batch or "",
        status=status,
        categories=catalog.categories(),
        category_names=_category_names(catalog),
        department_names=_department_names(console),
        field_names=field_names,
        done=done,
        query=lambda **kw: _query({"category": category, "batch": batch, "status": status, **kw}),
    )


def _query(params: Mapping[str, object]) -> str:
    return urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})


@router.get("/quarantine/template")
def quarantine_download(
    request: Request, console: User, category: str, batch: str | None = None, fmt: str = "xlsx"
) -> Response:
    if fmt not in {"xlsx", "csv"}:
        raise InvalidInput("下载格式只能是 xlsx 或 csv", code="invalid_format")
    with console.db.unit_of_work() as session:  # the download is audited
        name, body = ingest.quarantine_template(
            session,
            console.actor,
            console.settings,
            category=category,
            batch_no=batch or None,
            fmt="csv" if fmt == "csv" else "xlsx",
        )
    media = (
        "text/csv; charset=gb18030"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    ascii_name = "quarantine." + fmt
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@router.post("/quarantine/dismiss")
async def quarantine_dismiss(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    ids: list[int] = []
    for value in form.getlist("ids"):
        number = form_int(value, "问题数据编号") if isinstance(value, str) else None
        if number is not None:
            ids.append(number)
    if not ids:
        raise InvalidInput("请至少选择一条问题数据", code="nothing_selected")
    reason = _text(form, "reason")

    def dismiss() -> int:
        with console.db.unit_of_work() as session:
            return ingest.dismiss_quarantine(session, console.actor, ids, reason)

    closed = await run_in_threadpool(dismiss)
    back = _query({"category": _text(form, "category"), "batch": _text(form, "batch"), "done": closed})
    return RedirectResponse(f"{PREFIX}/quarantine?{back}", status_code=303)


# --- subjects (信用档案) ----------------------------------------------------------------------------------------


@router.get("/subjects")
def subject_search_form(request: Request, console: User) -> Response:
    return page(request, console, "subjects.html", "subjects", q="", hits=None, message=None)


@router.post("/subjects")
async def subject_search(request: Request, console: User) -> Response:
    """POST, not GET: a citizen ID number typed here must not end up in URLs, history or access logs."""
    form = await _form(request)
    _check_csrf(console, None, form)
    q = _text(form, "q")[:100]

    def search() -> tuple[int | None, list[subjects.SubjectHit]]:
        with console.db.read() as session:
            if not q:
                raise InvalidInput("请输入统一社会信用代码、证件号码或名称", code="query_required")
            try:
                found = subjects.subject_file(session, console.actor, console.settings, q, limit=1)
            except NotFound:
                pass
            else:
                return found.id, []
            return None, subjects.search_subjects(session, console.actor, q, limit=50)

    try:
        subject_id, hits = await run_in_threadpool(search)
    except InvalidInput as exc:
        return page(request, console, "subjects.html", "subjects", status_code=422, q=q, hits=None, message=exc.message)
    if subject_id is not None:
        return RedirectResponse(f"{PREFIX}/subjects/{subject_id}", status_code=303)
    return page(request, console, "subjects.html", "subjects", q=q, hits=hits, message=None)


@router.get("/subjects/{subject_id}")
def subject_page(request: Request, console: User, subject_id: RowId) -> Response:
    with console.db.read() as session:
        catalog = active_catalog(session)
        file = subjects.subject_file_by_id(session, console.actor, subject_id)
        disputed = portal.keys_under_objection(session, subject_id)
        applications = portal.subject_applications(session, console.actor, subject_id) if console.is_manager else []
        session.expunge_all()
    by_category: dict[str, list[subjects.RecordView]] = {}
    for record in file.records:
        by_category.setdefault(record.category, []).append(record)
    categories = [c for c in catalog.categories() if c.code in by_category or c.code in file.counts]
    key_fields = {c.code: _key_field_names(c) for c in categories}
    return page(
        request,
        console,
        "subject.html",
        "subjects",
        file=file,
        categories=categories,
        by_category=by_category,
        key_fields=key_fields,
        department_names=_department_names(console),
        disputed=disputed,
        applications=applications,
        application_kinds=APPLICATION_KINDS,
        application_statuses=STATUS_LABELS,
    )


def _key_field_names(category: Any) -> list[str]:
    """The few fields shown in the table of a category; the rest are behind 「全部字段」."""
    keys = [*category.natural_key]
    wanted = ("penalty_type", "penalty_content", "violation_type", "license_content", "certificate_name", "authority")
    names = {f.key: f.name for f in category.fields}
    keys += [k for k in wanted if k in names and k not in keys]
    if len(keys) < 3:
        keys += [f.key for f in category.fields if f.mandatory and f.key not in keys][: 3 - len(keys)]
    return [names[k] for k in keys[:4] if k in names]


@router.get("/records")
def record_history_page(request: Request, console: User, category: str, key: str) -> Response:
    with console.db.read() as session:
        catalog = active_catalog(session)
        revisions = subjects.record_history(session, console.actor, category, key)
    return page(
        request,
        console,
        "record.html",
        "subjects",
        category=catalog.category(category),
        natural_key=key,
        revisions=revisions,
        department_names=_department_names(console),
    )


@router.get("/records/repair-notice")
def repair_notice_download(request: Request, console: User, category: str, key: str) -> Response:
    """信用修复告知书 of a penalty, to serve with the decision (两书同达): a text file to print or attach."""
    base = console.settings.public_base_url or str(request.base_url)
    with console.db.read() as session:
        notice = notices.notice_for_key(session, console.actor, console.settings, category, key, base_url=base)
    return Response(
        notices.notice_file(notice),
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="repair-notice-{notice.record_id}.txt"',
            "Cache-Control": "no-store",
        },
    )


# --- catalog (信用信息目录) ------------------------------------------------------------------------------------


@router.get("/catalog")
def catalog_page(request: Request, console: User) -> Response:
    with console.db.read() as session:
        catalog = active_catalog(session)
    return page(
        request,
        console,
        "catalog.html",
        "catalog",
        catalog=catalog,
        categories=catalog.categories(),
        mappings=catalog.mappings(),
        category_names=_category_names(catalog),
    )


# --- audit (审计) -----------------------------------------------------------------------------------------------


def _audit_page(request: Request, console: Console, report: ChainReport | None) -> Response:
    with console.db.read() as session:
        entries = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "department_code": e.department_code,
                "action": e.action,
                "target": f"{e.target_type}:{e.target_id}",
                "algorithm": e.algorithm,
            }
            for e in list_entries(session, console.actor, limit=100)
        ]
    return page(request, console, "audit.html", "audit", entries=entries, report=report)


@router.get("/audit")
def audit_page(request: Request, console: User) -> Response:
    console.actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)
    return _audit_page(request, console, None)


@router.post("/audit/verify")
async def audit_verify_chain(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    console.actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)

    def run() -> ChainReport:
        with console.db.read() as session:
            return verify_chain(session)

    report = await run_in_threadpool(run)
    return await run_in_threadpool(_audit_page, request, console, report)


# --- anything else under /console ---------------------------------------------------------------------------------


@router.get("/{rest:path}")
def not_found(console: User, rest: str) -> Response:
    raise NotFound("页面不存在", code="page_not_found")
