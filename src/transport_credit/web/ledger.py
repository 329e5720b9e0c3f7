"""Console page of the work ledger (创建工作台账): the year's tasks with this month's progress from each responsible
unit, their states and measured indicators; each unit reports its progress; the Excel for the 领导小组.

Thin like the rest of the console: parse, check CSRF, call one service in a unit of work, render.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.common.actor import ROLE_CREDIT_OFFICE
from transport_credit.ledger import rules, service
from transport_credit.monitoring.report import CST
from transport_credit.web.params import RowId
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _department_names, _form, _text, page

router = APIRouter(prefix=PREFIX + "/ledger", route_class=ConsoleRoute, include_in_schema=False)
Month = Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")]
Department = Annotated[str | None, Query(max_length=64)]


def _month(month: str | None) -> str:
    return month or f"{dt.datetime.now(CST):%Y-%m}"


@router.get("")
def ledger_page(
    request: Request,
    console: User,
    month: Month = None,
    department: Department = None,
    done: Annotated[int | None, Query(ge=1, le=1)] = None,
) -> Response:
    chosen = _month(month)
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
    chosen = _month(month)
    with console.db.read() as session:
        view = service.ledger_view(session, console.actor, console.settings, month=chosen, department_code=department)
    return Response(
        service.to_xlsx(view),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="ledger-{view.month}.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/{task_id}/progress")
async def report(request: Request, console: User, task_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    month = _month(_text(form, "month") or None)
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
