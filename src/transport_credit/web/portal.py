"""Console pages of the public website (信用办): policy documents and notices, and the application inbox.

Thin like the rest of the console: parse the form, check CSRF, call one portal service in a unit of work, render.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from transport_credit import audit
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE
from transport_credit.common.errors import Conflict, CreditError, InvalidInput
from transport_credit.disclosure.rules import china_today
from transport_credit.portal import declarations, handling, rules, transfers
from transport_credit.portal import service as portal
from transport_credit.web.params import RowId, form_int
from transport_credit.web.routes import (
    PREFIX,
    ConsoleRoute,
    User,
    _check_csrf,
    _department_names,
    _form,
    _text,
    page,
)

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
    kind: Annotated[Literal["", "objection", "repair"], Query()] = "",
    view: Annotated[Literal["open", "overdue", "closed", "all"], Query()] = "open",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    size = 50
    today = china_today()
    with console.db.read() as session:
        items, total = portal.application_inbox(
            session, console.actor, kind=kind or None, view=view, limit=size, offset=(page_no - 1) * size, today=today
        )
        counts = portal.inbox_counts(session, console.actor, today=today)
        awaiting = transfers.awaiting_reply(session, console.actor)
        session.expunge_all()
    return page(
        request,
        console,
        "portal_applications.html",
        "applications",
        items=items,
        total=total,
        counts=counts,
        views=portal.INBOX_VIEWS,
        view=view,
        kind=kind,
        kinds=rules.APPLICATION_KINDS,
        statuses=handling.STATUS_LABELS,
        today=today,
        overdue=handling.is_overdue,
        page_no=page_no,
        has_more=page_no * size < total,
        sources=transfers.transfer_sources(console.settings.province),
        awaiting=awaiting,
    )


def _application_page(
    request: Request,
    console: Any,
    application_id: int,
    *,
    status_code: int = 200,
    contact: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    today = china_today()
    with console.db.read() as session:
        app = portal.application_detail(session, console.actor, application_id)
        choices = (
            portal.record_choices(session, console.actor, application_id)
            if app.status in ("received", "accepted") and app.record_id is None
            else []
        )
        links = portal.application_record_keys(session, console.actor, application_id)
        category_names = {c.code: c.name for c in active_catalog(session).categories()}
        trail = audit.list_entries(session, console.actor, target_type="portal_application", target_id=app.tracking_no)
        history = [(e.at, e.actor, _STEP_LABELS.get(e.action, e.action)) for e in reversed(trail)]
        session.expunge_all()
    return page(
        request,
        console,
        "portal_application.html",
        "applications",
        status_code=status_code,
        app=app,
        kinds=rules.APPLICATION_KINDS,
        statuses=handling.STATUS_LABELS,
        outcomes=[
            (o, handling.OUTCOME_LABELS[o])
            for o in handling.OUTCOMES.get(app.kind, ())
            if app.verification is None or o in handling.OUTCOMES_AFTER_FINDING[app.verification]
        ],
        findings=handling.FINDING_LABELS,
        departments=_department_names(console),
        overdue=handling.is_overdue(app.status, app.accept_due, app.decide_due, today),
        verification_overdue=handling.verification_overdue(app.status, app.verify_due, app.verification, today),
        choices=choices,
        links=links,
        category_names=category_names,
        history=history,
        contact=contact,
        error=error,
        values=values or {},
        done=request.query_params.get("done") in ("accept", "refuse", "decide"),
        registered=request.query_params.get("done") == "transfer",
        source_name=transfers.source_name(console.settings.province, app.source),
    )


_STEP_LABELS = {
    "portal.application.accept": "受理",
    "portal.application.refuse": "不予受理",
    "portal.application.verify": "信息提供单位反馈核实意见",
    "portal.application.decide": "办结",
    "portal.application.contact_view": "查看联系电话",
}


# --- transferred requests (转办) ----------------------------------------------------------------------------------

_TRANSFER_FIELDS = (
    "source",
    "source_ref",
    "received_on",
    "kind",
    "subject_code",
    "record_key",
    "applicant_name",
    "contact",
    "reason",
)


def _transfer_page(
    request: Request, console: Any, *, status_code: int = 200, error: str | None = None, values: dict[str, str]
) -> Response:
    console.actor.require_role(ROLE_CREDIT_OFFICE)
    return page(
        request,
        console,
        "portal_transfer.html",
        "applications",
        status_code=status_code,
        sources=transfers.transfer_sources(console.settings.province),
        kinds=rules.APPLICATION_KINDS,
        error=error,
        values=values,
        today=china_today(),
    )


@router.get("/applications/transfer")
def transfer_form(request: Request, console: User) -> Response:
    return _transfer_page(request, console, values={})


@router.post("/applications/transfer")
async def transfer_register(request: Request, console: User) -> Response:
    """登记转办申请: a request another platform transferred; a mistake shows the form again with what was typed."""
    form = await _form(request)
    _check_csrf(console, None, form)
    values = {k: _text(form, k) for k in _TRANSFER_FIELDS}

    def run() -> int:
        try:
            day = dt.date.fromisoformat(values["received_on"])
        except ValueError as exc:
            raise InvalidInput("收到日期格式应为 YYYY-MM-DD", code="invalid_date") from exc
        data = transfers.TransferInput(
            source=values["source"],
            source_ref=values["source_ref"],
            received_on=day,
            kind=values["kind"],
            subject_code=values["subject_code"],
            applicant_name=values["applicant_name"],
            contact=values["contact"],
            reason=values["reason"],
            record_key=values["record_key"] or None,
        )
        with console.db.unit_of_work() as session:
            return transfers.register_transfer(session, console.actor, console.settings, data).id

    try:
        application_id = await run_in_threadpool(run)
    except CreditError as exc:
        error, status = exc.message, exc.status
        return await run_in_threadpool(
            lambda: _transfer_page(request, console, status_code=status, error=error, values=values)
        )
    return RedirectResponse(f"{PREFIX}/portal/applications/{application_id}?done=transfer", status_code=303)


@router.post("/transfers/{source}/reply")
async def transfer_reply(request: Request, console: User, source: str) -> Response:
    """The reply file to a transferring platform (CSV, GB18030): the outcomes not yet replied, marked replied; with
    ``again=1`` the ones replied before."""
    form = await _form(request)
    _check_csrf(console, None, form)
    again = _text(form, "again") == "1"

    def run() -> transfers.ReplyFile:
        with console.db.unit_of_work() as session:
            return transfers.export_replies(session, console.actor, console.settings, source[:40], again=again)

    reply = await run_in_threadpool(run)
    return Response(
        reply.body,
        media_type="text/csv; charset=gb18030",
        headers={"Content-Disposition": f'attachment; filename="{reply.name}"', "Cache-Control": "no-store"},
    )


@router.get("/applications/{application_id}")
def application_detail(request: Request, console: User, application_id: RowId) -> Response:
    return _application_page(request, console, application_id)


@router.post("/applications/{application_id}/contact")
async def application_contact(request: Request, console: User, application_id: RowId) -> Response:
    """Show the applicant's phone number in clear (POST: audited, never in a URL)."""
    form = await _form(request)
    _check_csrf(console, None, form)

    def run() -> str:
        with console.db.unit_of_work() as session:
            return portal.application_contact(session, console.actor, console.settings, application_id)

    contact = await run_in_threadpool(run)
    return await run_in_threadpool(lambda: _application_page(request, console, application_id, contact=contact))


@router.post("/applications/{application_id}/{action}")
async def application_action(
    request: Request, console: User, application_id: RowId, action: Literal["accept", "refuse", "decide"]
) -> Response:
    """受理 / 不予受理 / 办结. A refused step shows the page again with the message and what was typed."""
    form = await _form(request)
    _check_csrf(console, None, form)
    actor, cfg = console.actor, console.settings

    def run() -> None:
        with console.db.unit_of_work() as session:
            if action == "accept":
                record_id = form_int(_text(form, "record_id"), "涉及的信息")
                portal.accept_application(session, actor, cfg, application_id, record_id=record_id)
            elif action == "refuse":
                portal.refuse_application(session, actor, cfg, application_id, reply=_text(form, "reply"))
            else:
                portal.decide_application(
                    session,
                    actor,
                    cfg,
                    application_id,
                    outcome=_text(form, "outcome"),
                    reply=_text(form, "reply"),
                    record_id=form_int(_text(form, "record_id"), "涉及的信息"),
                    obligations_met=_text(form, "obligations_met") == "1",
                    commitment_made=_text(form, "commitment_made") == "1",
                )

    try:
        await run_in_threadpool(run)
    except (InvalidInput, Conflict) as exc:
        values = {k: _text(form, k) for k in ("outcome", "reply", "record_id", "obligations_met", "commitment_made")}
        values["action"] = action
        error = exc.message
        status = exc.status
        return await run_in_threadpool(
            lambda: _application_page(request, console, application_id, status_code=status, error=error, values=values)
        )
    return RedirectResponse(f"{PREFIX}/portal/applications/{application_id}?done={action}", status_code=303)


# --- verification by the providing unit (信息提供单位核实) ---------------------------------------------------------


@router.get("/verifications")
def verifications(
    request: Request,
    console: User,
    view: Annotated[Literal["open", "done", "all"], Query()] = "open",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    size = 50
    today = china_today()
    with console.db.read() as session:
        items, total = portal.verification_queue(
            session, console.actor, view=view, limit=size, offset=(page_no - 1) * size
        )
        category_names = {c.code: c.name for c in active_catalog(session).categories()}
    return page(
        request,
        console,
        "portal_verifications.html",
        "verifications",
        items=items,
        total=total,
        views=portal.VERIFICATION_VIEWS,
        view=view,
        findings=handling.FINDING_LABELS,
        departments=_department_names(console),
        category_names=category_names,
        late=lambda t: handling.verification_overdue(t.status, t.verify_due, t.verification, today),
        page_no=page_no,
        has_more=page_no * size < total,
    )


def _verification_page(
    request: Request,
    console: Any,
    application_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    today = china_today()
    with console.db.read() as session:
        task = portal.verification_task(session, console.actor, application_id)
        category_names = {c.code: c.name for c in active_catalog(session).categories()}
    return page(
        request,
        console,
        "portal_verification.html",
        "verifications",
        status_code=status_code,
        task=task,
        findings=handling.FINDING_LABELS,
        statuses=handling.STATUS_LABELS,
        departments=_department_names(console),
        category_names=category_names,
        late=handling.verification_overdue(task.status, task.verify_due, task.verification, today),
        can_answer=task.verification is None
        and task.status == "accepted"
        and (console.actor.department_code == task.department or console.actor.has_role(ROLE_ADMIN)),
        error=error,
        values=values or {},
        done=request.query_params.get("done") == "1",
    )


@router.get("/verifications/{application_id}")
def verification_detail(request: Request, console: User, application_id: RowId) -> Response:
    return _verification_page(request, console, application_id)


@router.post("/verifications/{application_id}")
async def verification_submit(request: Request, console: User, application_id: RowId) -> Response:
    """核实意见. A refused submission shows the page again with the message and what was typed."""
    form = await _form(request)
    _check_csrf(console, None, form)
    actor = console.actor

    def run() -> None:
        with console.db.unit_of_work() as session:
            portal.submit_verification(
                session, actor, application_id, finding=_text(form, "finding"), note=_text(form, "note")
            )

    try:
        await run_in_threadpool(run)
    except (InvalidInput, Conflict) as exc:
        values = {k: _text(form, k) for k in ("finding", "note")}
        error, status = exc.message, exc.status
        return await run_in_threadpool(
            lambda: _verification_page(request, console, application_id, status_code=status, error=error, values=values)
        )
    return RedirectResponse(f"{PREFIX}/portal/verifications/{application_id}?done=1", status_code=303)


# --- 信用信息自主申报 (self-declared information) ----------------------------------------------------------------


@router.get("/declarations")
def declaration_list(
    request: Request, console: User, view: Annotated[Literal["open", "closed", "all"], Query()] = "open"
) -> Response:
    with console.db.read() as session:
        items = declarations.list_declarations(session, console.actor, view)
    return page(
        request,
        console,
        "portal_declarations.html",
        "declarations",
        items=items,
        view=view,
        views=declarations.VIEWS,
        today=china_today(),
    )


def _declaration_page(
    request: Request, console: Any, declaration_id: int, status_code: int = 200, **ctx: Any
) -> Response:
    with console.db.read() as session:
        d = declarations.get_declaration(session, console.actor, declaration_id)
    return page(
        request,
        console,
        "portal_declaration.html",
        "declarations",
        status_code,
        d=d,
        can_decide=console.is_manager and d.status == "received",
        done=request.query_params.get("done") in ("adopt", "reject"),
        **{"error": None, "values": {}, **ctx},
    )


@router.get("/declarations/{declaration_id}")
def declaration_detail(request: Request, console: User, declaration_id: RowId) -> Response:
    return _declaration_page(request, console, declaration_id)


@router.post("/declarations/{declaration_id}/{action}")
async def declaration_action(
    request: Request, console: User, declaration_id: RowId, action: Literal["adopt", "reject"]
) -> Response:
    """核实采纳 / 不予采纳. A refused step shows the page again with the message and what was typed."""
    form = await _form(request)
    _check_csrf(console, None, form)
    actor, cfg, reply = console.actor, console.settings, _text(form, "reply")

    def run() -> None:
        with console.db.unit_of_work() as session:
            if action == "adopt":
                declarations.adopt_declaration(session, actor, cfg, declaration_id, reply=reply)
            else:
                declarations.reject_declaration(session, actor, cfg, declaration_id, reply=reply)

    try:
        await run_in_threadpool(run)
    except (InvalidInput, Conflict) as exc:
        error, status = exc.message, exc.status
        return await run_in_threadpool(
            lambda: _declaration_page(
                request, console, declaration_id, status_code=status, error=error, values={"reply": reply}
            )
        )
    return RedirectResponse(f"{PREFIX}/portal/declarations/{declaration_id}?done={action}", status_code=303)
