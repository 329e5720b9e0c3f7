"""Console pages of the public website (信用办): policy documents and notices, and the application inbox.

Thin like the rest of the console: parse the form, check CSRF, call one portal service in a unit of work, render.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from transport_credit.common.errors import InvalidInput
from transport_credit.portal import rules
from transport_credit.portal import service as portal
from transport_credit.web.params import RowId
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _form, _text, page

router = APIRouter(prefix=PREFIX + "/portal", route_class=ConsoleRoute, include_in_schema=False)


def _content_input(form: FormData) -> portal.ContentInput:
    published = _text(form, "published_on")
    try:
        day = dt.date.fromisoformat(published) if published else None
    except ValueError as exc:
        raise InvalidInput("发布日期格式应为 YYYY-MM-DD", code="invalid_date") from exc
    return portal.ContentInput(
        kind=_text(form, "kind"),
        title=_text(form, "title"),
        body=_text(form, "body"),
        doc_no=_text(form, "doc_no") or None,
        issuer=_text(form, "issuer") or None,
        summary=_text(form, "summary") or None,
        published_on=day,
    )


def _content_page(request: Request, console: Any, status_code: int = 200, **ctx: Any) -> Response:
    def load() -> list[Any]:
        with console.db.read() as session:
            items = portal.all_content(session, console.actor)
            session.expunge_all()
            return items

    items = load()
    ctx.setdefault("values", {})
    ctx.setdefault("message", None)
    return page(
        request,
        console,
        "portal_content.html",
        "portal",
        status_code=status_code,
        items=items,
        kinds=rules.CONTENT_KINDS,
        statuses=rules.CONTENT_STATUSES,
        **ctx,
    )


@router.get("/content")
def content_list(request: Request, console: User) -> Response:
    return _content_page(request, console)


@router.post("/content")
async def content_create(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    publish = _text(form, "action") == "publish"

    def create() -> int:
        data = _content_input(form)
        with console.db.unit_of_work() as session:
            return portal.create_content(session, console.actor, data, publish=publish).id

    try:
        await run_in_threadpool(create)
    except InvalidInput as exc:
        message = exc.message
        values = {k: _text(form, k) for k in ("kind", "title", "doc_no", "issuer", "summary", "body", "published_on")}
        return await run_in_threadpool(lambda: _content_page(request, console, 422, values=values, message=message))
    return RedirectResponse(f"{PREFIX}/portal/content?saved=1", status_code=303)


@router.get("/content/{content_id}")
def content_edit(request: Request, console: User, content_id: RowId) -> Response:
    with console.db.read() as session:
        item = portal.get_content(session, console.actor, content_id)
        session.expunge_all()
    return page(
        request,
        console,
        "portal_content_edit.html",
        "portal",
        item=item,
        kinds=rules.CONTENT_KINDS,
        statuses=rules.CONTENT_STATUSES,
        message=None,
    )


@router.post("/content/{content_id}")
async def content_update(request: Request, console: User, content_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    action = _text(form, "action")

    def run() -> None:
        with console.db.unit_of_work() as session:
            if action in ("published", "withdrawn"):
                portal.set_content_status(session, console.actor, content_id, action)
            else:
                portal.update_content(session, console.actor, content_id, _content_input(form))

    await run_in_threadpool(run)
    return RedirectResponse(f"{PREFIX}/portal/content?saved=1", status_code=303)


@router.get("/applications")
def applications(
    request: Request,
    console: User,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    size = 50
    with console.db.read() as session:
        items, total = portal.application_inbox(
            session, console.actor, kind=kind or None, limit=size, offset=(page_no - 1) * size
        )
        session.expunge_all()
    return page(
        request,
        console,
        "portal_applications.html",
        "applications",
        items=items,
        total=total,
        kind=kind or "",
        kinds=rules.APPLICATION_KINDS,
        page_no=page_no,
        has_more=page_no * size < total,
    )


@router.get("/applications/{application_id}")
def application_detail(request: Request, console: User, application_id: RowId) -> Response:
    with console.db.read() as session:
        app = portal.application_detail(session, console.actor, application_id)
        session.expunge_all()
    return page(
        request,
        console,
        "portal_application.html",
        "applications",
        app=app,
        kinds=rules.APPLICATION_KINDS,
        contact=None,
    )


@router.post("/applications/{application_id}/contact")
async def application_contact(request: Request, console: User, application_id: RowId) -> Response:
    """Show the applicant's phone number in clear (POST: audited, never in a URL)."""
    form = await _form(request)
    _check_csrf(console, None, form)

    def run() -> tuple[Any, str]:
        with console.db.unit_of_work() as session:
            contact = portal.application_contact(session, console.actor, console.settings, application_id)
            return portal.application_detail(session, console.actor, application_id), contact

    app, contact = await run_in_threadpool(run)
    return page(
        request,
        console,
        "portal_application.html",
        "applications",
        app=app,
        kinds=rules.APPLICATION_KINDS,
        contact=contact,
    )
