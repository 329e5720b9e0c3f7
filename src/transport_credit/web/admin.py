"""Console pages of administration: accounts (用户管理, administrator), business systems' interfaces with their
state (接口状态监测, administrator and credit office), and every user's own password (修改密码).

Thin like the rest of the console: parse the form, check CSRF, call one service in a unit of work, render. A new
password or key is shown in the response to the POST that made it, once, never in a URL.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from transport_credit.auth import admin
from transport_credit.auth import policy as security
from transport_credit.auth import service as auth_service
from transport_credit.auth.schema import API_SCOPES
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ALL_ROLES
from transport_credit.monitoring import interfaces
from transport_credit.web.params import RowId
from transport_credit.web.routes import (
    CREDENTIAL_PAGE,
    PREFIX,
    Console,
    ConsoleRoute,
    User,
    _check_csrf,
    _form,
    _text,
    page,
)

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

SCOPE_LABELS = {
    "records:submit": "报送信用记录",
    "credit:check": "信用核查（逢批必查）",
    "subjects:read": "查询信用档案",
    "applications:transfer": "转办对接（信用中国等平台转来的异议、修复申请及答复）",
}
CREDENTIAL_NOTES = {
    "temporary": "这是系统管理员设置的初始密码或重置密码，请先设置您自己的密码，然后才能使用平台。",
    "expired": "您的密码已超过规定的使用期限，请修改后继续使用平台。",
}


def _departments(console: Console) -> list[tuple[str, str]]:
    with console.db.read() as session:
        return [(d.code, d.name) for d in auth_service.list_departments(session)]


# --- own password --------------------------------------------------------------------------------------------


@router.get(CREDENTIAL_PAGE)
def password_form(request: Request, console: User, done: Annotated[int | None, Query(ge=1, le=1)] = None) -> Response:
    return _password_page(request, console, done=bool(done))


def _password_page(
    request: Request, console: Console, *, done: bool = False, error: str | None = None, status_code: int = 200
) -> Response:
    rules = security.security_policy()
    return page(
        request,
        console,
        "account_password.html",
        "",
        status_code=status_code,
        note=CREDENTIAL_NOTES.get(console.credential_state),
        done=done,
        error=error,
        max_age_days=rules.password.max_age_days,
    )


@router.post(CREDENTIAL_PAGE)
async def change_password(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    current, new, again = (form.get(k) for k in ("current", "new", "again"))
    if not all(isinstance(v, str) and v for v in (current, new, again)):
        return _password_page(request, console, error="请填写当前密码和两次新密码", status_code=422)
    if new != again:
        return _password_page(request, console, error="两次输入的新密码不一致", status_code=422)
    assert isinstance(current, str)
    assert isinstance(new, str)

    def change() -> None:
        with console.db.unit_of_work() as session:
            admin.change_own_password(session, console.actor, current, new)

    await run_in_threadpool(change)
    return RedirectResponse(f"{PREFIX}{CREDENTIAL_PAGE}?done=1", status_code=303)


# --- accounts (administrator) ----------------------------------------------------------------------------------


@router.get("/admin/accounts")
def accounts_page(
    request: Request,
    console: User,
    q: Annotated[str | None, Query(max_length=64)] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    with console.db.read() as session:
        items = admin.list_accounts(session, console.actor, query=q, department_code=department or None)
    return _accounts_page(request, console, items, q=q or "", department=department or "")


def _accounts_page(
    request: Request,
    console: Console,
    items: list[admin.AccountView],
    *,
    q: str = "",
    department: str = "",
    created: tuple[admin.AccountView, str] | None = None,
) -> Response:
    return page(
        request,
        console,
        "admin_accounts.html",
        "accounts",
        items=items,
        q=q,
        department=department,
        departments=_departments(console),
        roles=ALL_ROLES,
        states=admin.STATE_LABELS,
        created=created,
        temporary_hours=security.security_policy().password.temporary_hours,
    )


def _roles(form: FormData) -> list[str]:
    return [r for r in form.getlist("roles") if isinstance(r, str)]


@router.post("/admin/accounts")
async def create_account(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def create() -> tuple[admin.AccountView, str]:
        with console.db.unit_of_work() as session:
            return admin.open_account(
                session,
                console.actor,
                username=_text(form, "username"),
                display_name=_text(form, "display_name"),
                department_code=_text(form, "department") or None,
                roles=_roles(form),
            )

    created = await run_in_threadpool(create)
    with console.db.read() as session:
        items = admin.list_accounts(session, console.actor)
    return _accounts_page(request, console, items, created=created)


@router.get("/admin/accounts/{account_id}")
def account_page(
    request: Request, console: User, account_id: RowId, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    with console.db.read() as session:
        account = admin.get_account(session, console.actor, account_id)
    return _account_page(request, console, account, done=done)


def _account_page(
    request: Request,
    console: Console,
    account: admin.AccountView,
    *,
    done: str | None = None,
    new_password: str | None = None,
) -> Response:
    return page(
        request,
        console,
        "admin_account.html",
        "accounts",
        a=account,
        departments=_departments(console),
        roles=ALL_ROLES,
        states=admin.STATE_LABELS,
        done=done,
        new_password=new_password,
        is_self=account.username == console.actor.name,
        temporary_hours=security.security_policy().password.temporary_hours,
    )


@router.post("/admin/accounts/{account_id}")
async def update_account(request: Request, console: User, account_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def update() -> None:
        with console.db.unit_of_work() as session:
            admin.update_account(
                session,
                console.actor,
                account_id,
                display_name=_text(form, "display_name"),
                department_code=_text(form, "department") or None,
                roles=_roles(form),
            )

    await run_in_threadpool(update)
    return RedirectResponse(f"{PREFIX}/admin/accounts/{account_id}?done=saved", status_code=303)


AccountAction = Literal["unlock", "reset", "deactivate", "activate"]


@router.post("/admin/accounts/{account_id}/{action}")
async def account_action(request: Request, console: User, account_id: RowId, action: AccountAction) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def act() -> tuple[admin.AccountView, str | None]:
        with console.db.unit_of_work() as session:
            if action == "reset":
                return admin.reset_password(session, console.actor, account_id)
            if action == "unlock":
                return admin.unlock_account(session, console.actor, account_id), None
            return admin.set_account_active(session, console.actor, account_id, action == "activate"), None

    account, password = await run_in_threadpool(act)
    if password is not None:  # shown once, in this response only
        return _account_page(request, console, account, done="reset", new_password=password)
    return RedirectResponse(f"{PREFIX}/admin/accounts/{account_id}?done={action}", status_code=303)


# --- interfaces (administrator, credit office) -----------------------------------------------------------------


@router.get("/admin/interfaces")
def interfaces_page(request: Request, console: User) -> Response:
    return _interfaces_page(request, console)


def _interfaces_page(request: Request, console: Console) -> Response:
    with console.db.read() as session:
        report = interfaces.interface_report(session, console.actor)
        categories = {c.code: c.name for c in active_catalog(session).categories()}
    rules = security.security_policy().interfaces
    return page(
        request,
        console,
        "admin_interfaces.html",
        "interfaces",
        report=report,
        rules=rules,
        departments=_departments(console),
        categories=categories,
        scopes=SCOPE_LABELS,
    )


@router.post("/admin/interfaces")
async def register_interface(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str) and s in API_SCOPES]
    categories = [c for c in form.getlist("categories") if isinstance(c, str) and c]

    def create() -> tuple[int, str]:
        with console.db.unit_of_work() as session:
            client, key = auth_service.create_api_client(
                session, console.actor, _text(form, "name"), _text(form, "department"), categories, scopes
            )
            return client.id, key

    client_id, key = await run_in_threadpool(create)
    return _interface_page(request, console, client_id, done="created", new_key=key)


@router.get("/admin/interfaces/{client_id}")
def interface_page(
    request: Request, console: User, client_id: RowId, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    return _interface_page(request, console, client_id, done=done)


def _interface_page(
    request: Request, console: Console, client_id: int, *, done: str | None = None, new_key: str | None = None
) -> Response:
    with console.db.read() as session:
        status = interfaces.interface_status(session, console.actor, client_id)
        catalog = {c.code: c.name for c in active_catalog(session).categories()}
        sourced = auth_service.get_department(session, status.department_code).categories
    return page(
        request,
        console,
        "admin_interface.html",
        "interfaces",
        i=status,
        rules=security.security_policy().interfaces,
        categories=catalog,
        sourced=[c for c in catalog if c in sourced],
        scopes=SCOPE_LABELS,
        done=done,
        new_key=new_key,
    )


@router.post("/admin/interfaces/{client_id}")
async def update_interface(request: Request, console: User, client_id: RowId) -> Response:
    """Change the key's scopes and categories (the key stays)."""
    form = await _form(request)
    _check_csrf(console, None, form)
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    categories = [c for c in form.getlist("categories") if isinstance(c, str) and c]

    def save() -> None:
        with console.db.unit_of_work() as session:
            auth_service.update_api_client_rights(
                session, console.actor, client_id, categories=categories, scopes=scopes
            )

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/admin/interfaces/{client_id}?done=updated", status_code=303)


InterfaceAction = Literal["rotate", "deactivate", "activate"]


@router.post("/admin/interfaces/{client_id}/{action}")
async def interface_action(request: Request, console: User, client_id: RowId, action: InterfaceAction) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def act() -> str | None:
        with console.db.unit_of_work() as session:
            if action == "rotate":
                return auth_service.rotate_api_key(session, console.actor, client_id)[1]
            if action == "activate":
                auth_service.activate_api_client(session, console.actor, client_id)
            else:
                auth_service.deactivate_api_client(session, console.actor, client_id)
            return None

    key = await run_in_threadpool(act)
    if key is not None:  # shown once, in this response only
        return _interface_page(request, console, client_id, done="rotated", new_key=key)
    return RedirectResponse(f"{PREFIX}/admin/interfaces/{client_id}?done={action}", status_code=303)
