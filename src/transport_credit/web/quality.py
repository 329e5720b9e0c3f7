"""Console page of the decision-number check (文书号核查, 疑似漏报): the holes in each department's 双公示 decision
numbers of a year, the numbers waiting for correction in 问题数据, and the departments' explanations.

Thin like the rest of the console: parse, check CSRF, call one service in a unit of work, render.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.common.errors import InvalidInput
from transport_credit.disclosure.rules import china_today
from transport_credit.monitoring import gaps
from transport_credit.monitoring.numbering import numbering_rules
from transport_credit.web.params import RowId, form_int
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _department_names, _form, _text, page

router = APIRouter(prefix=PREFIX + "/quality", route_class=ConsoleRoute, include_in_schema=False)
Year = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/numbers")
def numbers_page(
    request: Request,
    console: User,
    year: Year = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    done: Annotated[int | None, Query(ge=1, le=2)] = None,
) -> Response:
    chosen = year or china_today().year
    with console.db.read() as session:
        report = gaps.number_gaps(session, console.actor, year=chosen, department_code=department or None)
    return page(
        request,
        console,
        "quality_numbers.html",
        "numbers",
        report=report,
        year=chosen,
        this_year=china_today().year,
        department=department or "",
        department_names=_department_names(console) if console.is_manager else {},
        reasons=numbering_rules().reasons,
        can_explain=lambda code: gaps.may_explain(console.actor, code),
        done=done,
    )


@router.post("/numbers/explain")
async def explain(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    year = form_int(_text(form, "year"), "年份", high=2100)
    first = form_int(_text(form, "serial_from"), "起始序号")
    last = form_int(_text(form, "serial_to"), "截止序号") or first
    if year is None or first is None or last is None:
        raise InvalidInput("请填写要说明的文书号序号", code="invalid_range")
    department = _text(form, "department")

    def save() -> None:
        with console.db.unit_of_work() as session:
            gaps.explain_gap(
                session,
                console.actor,
                department_code=department,
                category=_text(form, "category"),
                prefix=_text(form, "prefix"),
                year=year,
                serial_from=first,
                serial_to=last,
                reason=_text(form, "reason"),
                note=_text(form, "note"),
            )

    await run_in_threadpool(save)
    back = f"{PREFIX}/quality/numbers?year={year}&done=1"
    if console.is_manager:
        back += "&department=" + quote(department)
    return RedirectResponse(back, status_code=303)


@router.post("/numbers/notes/{note_id}/withdraw")
async def withdraw(request: Request, console: User, note_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    year = form_int(_text(form, "year"), "年份", high=2100)

    def save() -> None:
        with console.db.unit_of_work() as session:
            gaps.withdraw_note(session, console.actor, note_id)

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/quality/numbers?year={year or china_today().year}&done=2", status_code=303)
