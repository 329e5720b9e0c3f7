"""Console pages of the 专项治理 campaigns: the campaigns and opening one from a template (credit office); a campaign's
targets with the actions taken on each, by state and department; the responsible departments record actions and
close targets (整改销号); the office draws new targets, closes the campaign, downloads the 治理台账.

Thin like the rest of the console: parse, check CSRF, call one service in a unit of work, render.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.campaigns import rules, service
from transport_credit.common.actor import ROLE_CREDIT_OFFICE
from transport_credit.disclosure.rules import china_today
from transport_credit.web.params import Department, RowId
from transport_credit.web.routes import (
    PREFIX,
    ConsoleRoute,
    User,
    _check_csrf,
    _date,
    _department_names,
    _form,
    _text,
    page,
    xlsx_response,
)

router = APIRouter(prefix=PREFIX + "/campaigns", route_class=ConsoleRoute, include_in_schema=False)
State = Annotated[str | None, Query(pattern="^(pending|handling|overdue|done)$")]


@router.get("")
def campaigns_page(request: Request, console: User) -> Response:
    with console.db.read() as session:
        items = service.campaign_list(session)
    return page(
        request,
        console,
        "campaigns.html",
        "campaigns",
        campaigns=items,
        doc=service.templates(console.settings),
        may_open=console.actor.has_role(ROLE_CREDIT_OFFICE),
        today=china_today(),
    )


@router.post("")
async def open_campaign(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    starts, ends = _date(form, "starts_on", "开始日期"), _date(form, "ends_on", "结束日期")

    def save() -> int:
        with console.db.unit_of_work() as session:
            campaign = service.open_campaign(
                session,
                console.actor,
                console.settings,
                template_code=_text(form, "template"),
                starts_on=starts,
                ends_on=ends,
                name=_text(form, "name"),
            )
            return campaign.id

    campaign_id = await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1", status_code=303)


@router.get("/{campaign_id}")
def campaign_page(
    request: Request, console: User, campaign_id: RowId, department: Department = None, state: State = None
) -> Response:
    with console.db.read() as session:
        view = service.campaign_view(session, console.actor, console.settings, campaign_id, department_code=department)
    office = console.actor.has_role(ROLE_CREDIT_OFFICE)
    return page(
        request,
        console,
        "campaign.html",
        "campaigns",
        view=view,
        targets=[t for t in view.targets if state is None or t.state == state],
        state=state or "",
        department=department or "",
        department_names=_department_names(console) if console.is_manager else {},
        state_labels=rules.STATE_LABELS,
        actions=service.templates(console.settings).actions,
        office=office,
        all_departments=_department_names(console) if office else {},
        may_act=lambda t: (
            view.status == "open"
            and t.finished_on is None
            and (office or t.department_code == console.actor.department_code)
        ),
        today=china_today(),
        saved=request.query_params.get("saved") == "1",
    )


@router.get("/{campaign_id}/xlsx")
def campaign_xlsx(console: User, campaign_id: RowId, department: Department = None) -> Response:
    with console.db.read() as session:
        view = service.campaign_view(session, console.actor, console.settings, campaign_id, department_code=department)
    return xlsx_response(service.to_xlsx(view), f"campaign-{campaign_id}.xlsx")


@router.post("/{campaign_id}/draw")
async def draw(request: Request, console: User, campaign_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.draw_targets(session, console.actor, console.settings, campaign_id)

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1", status_code=303)


@router.post("/{campaign_id}/targets")
async def add(request: Request, console: User, campaign_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> int:
        with console.db.unit_of_work() as session:
            target = service.add_target(
                session,
                console.actor,
                console.settings,
                campaign_id,
                subject_code=_text(form, "subject_code"),
                reason=_text(form, "reason"),
                department_code=_text(form, "department"),
            )
            return target.id

    target_id = await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1#target-{target_id}", status_code=303)


@router.post("/targets/{target_id}/department")
async def reassign(request: Request, console: User, target_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> int:
        with console.db.unit_of_work() as session:
            target = service.reassign_target(
                session,
                console.actor,
                target_id,
                department_code=_text(form, "department"),
                reason=_text(form, "reason"),
            )
            return target.campaign_id

    campaign_id = await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1#target-{target_id}", status_code=303)


@router.post("/{campaign_id}/close")
async def close(request: Request, console: User, campaign_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.close_campaign(session, console.actor, campaign_id, summary=_text(form, "summary"))

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1", status_code=303)


@router.post("/targets/{target_id}/actions")
async def act(request: Request, console: User, target_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    taken = _date(form, "taken_on", "处置日期")
    deadline = _date(form, "deadline", "整改期限") if _text(form, "deadline") else None

    def save() -> int:
        with console.db.unit_of_work() as session:
            service.record_action(
                session,
                console.actor,
                console.settings,
                target_id,
                action=_text(form, "action"),
                taken_on=taken,
                note=_text(form, "note"),
                deadline=deadline,
            )
            return service.campaign_of_target(session, target_id)

    campaign_id = await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1#target-{target_id}", status_code=303)


@router.post("/targets/{target_id}/finish")
async def finish(request: Request, console: User, target_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    finished = _date(form, "finished_on", "销号日期")

    def save() -> int:
        with console.db.unit_of_work() as session:
            service.finish_target(session, console.actor, target_id, finished_on=finished, note=_text(form, "note"))
            return service.campaign_of_target(session, target_id)

    campaign_id = await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign_id}?saved=1#target-{target_id}", status_code=303)


@router.post("/actions/{action_id}/case")
async def exposure_case(request: Request, console: User, action_id: RowId) -> Response:
    """公开曝光 → a typical case draft, published from the 典型案例 page like any case."""
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> int:
        with console.db.unit_of_work() as session:
            return service.draft_exposure_case(session, console.actor, console.settings, action_id)

    case_id = await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/cases#case-{case_id}", status_code=303)
