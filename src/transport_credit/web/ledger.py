"""Console page of the work ledger (创建工作台账): the year's tasks with this month's progress from each responsible
unit, their states and measured indicators; each unit reports its progress; the Excel for the 领导小组.

Thin like the rest of the console: parse, check CSRF, call one service in a unit of work, render.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.common.actor import ROLE_CREDIT_OFFICE
from transport_credit.ledger import rules, service
from transport_credit.monitoring.report import this_month
from transport_credit.web.params import Department, Month, RowId
from transport_credit.web.routes import (
    PREFIX,
    ConsoleRoute,
    User,
    _check_csrf,
    _department_names,
    _form,
    _text,
    page,
    xlsx_response,
)

router = APIRouter(prefix=PREFIX + "/ledger", route_class=ConsoleRoute, include_in_schema=False)


@router.get("")
def ledger_page(
    request: Request,
    console: User,
    month: Month = None,
    department: Department = None,
    done: Annotated[int | None, Query(ge=1, le=1)] = None,
) -> Response:
    chosen = month or this_month()
    with console.db.read() as session:
        view = service.ledger_view(session, console.actor, console.settings, month=chosen, department_code=department)
        years = service.ledger_years(session)
    office = console.actor.has_role(ROLE_CREDIT_OFFICE)
    return page(
        request,
        console,
        "ledger.html",
        "ledger",
        view=view,
        month=chosen,
        years=years,
        department=department or "",
        department_names=_department_names(console) if console.is_manager else {},
        progress_labels=rules.PROGRESS_LABELS,
        state_labels=rules.STATE_LABELS,
        # the units this user may report for, per task: the credit office for every responsible unit
        reportable_units=lambda t: [u for u in t.units if office or u.department_code == console.actor.department_code],
        done=done,
    )


@router.get("/xlsx")
def ledger_xlsx(console: User, month: Month = None, department: Department = None) -> Response:
    with console.db.read() as session:
        view = service.ledger_view(
            session, console.actor, console.settings, month=month or this_month(), department_code=department
        )
    return xlsx_response(service.to_xlsx(view), f"ledger-{view.month}.xlsx")


@router.post("/{task_id}/progress")
async def report(request: Request, console: User, task_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    month = _text(form, "month") or this_month()
    department = _text(form, "department") or None

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.report_progress(
                session,
                console.actor,
                task_id,
                month=month,
                status=_text(form, "status"),
                note=_text(form, "note"),
                department_code=department,
            )

    await run_in_threadpool(save)
    back = f"{PREFIX}/ledger?month={quote(month)}&done=1"
    if console.is_manager and _text(form, "filter"):
        back += "&department=" + quote(_text(form, "filter"))
    return RedirectResponse(f"{back}#task-{task_id}", status_code=303)
