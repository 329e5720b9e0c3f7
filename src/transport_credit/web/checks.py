"""Console pages of the credit check (信用核查, 逢批必查) for officials who handle an application at a window rather
than through an integrated business system: check an applicant for a matter, print the result for the case file,
report what was done with each measure (成效清单), and look a recorded check up again.

Thin like the rest of the console: parse, check CSRF, call one service in a unit of work, render.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.common.errors import CreditError
from transport_credit.lists import checks
from transport_credit.lists.rules import MATTER_KIND_LABELS, list_rules
from transport_credit.monitoring import coverage
from transport_credit.monitoring.report import percent, this_month
from transport_credit.web.params import Department, Month
from transport_credit.web.routes import (
    PREFIX,
    Console,
    ConsoleRoute,
    User,
    _check_csrf,
    _department_names,
    _form,
    _text,
    page,
    xlsx_response,
)

router = APIRouter(prefix=PREFIX + "/checks", route_class=ConsoleRoute, include_in_schema=False)


def _matters(console: Console) -> dict[str, list[tuple[str, str]]]:
    """Matters grouped by kind, for the form's select."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for m in list_rules(console.settings.province).matters.values():
        grouped.setdefault(MATTER_KIND_LABELS.get(m.kind, m.kind), []).append((m.code, m.name))
    return grouped


def _form_page(
    request: Request, console: Console, *, code: str = "", matter: str = "", status_code: int = 200, error: str = ""
) -> Response:
    with console.db.read() as session:
        recent = checks.recent_checks(session, console.actor, limit=30)
    matters = _matters(console)
    return page(
        request,
        console,
        "checks.html",
        "checks",
        status_code=status_code,
        matters=matters,
        recent=recent,
        code=code,
        matter=matter,
        error=error,
        matter_names={c: n for group in matters.values() for c, n in group},
        department_names=_department_names(console),
    )


@router.get("")
def checks_page(request: Request, console: User) -> Response:
    return _form_page(request, console)


@router.post("")
async def run(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    code, matter = _text(form, "subject_code"), _text(form, "matter_code")

    def check() -> checks.CheckResult:
        with console.db.unit_of_work() as session:
            return checks.run_check(session, console.actor, console.settings, subject_code=code, matter_code=matter)

    try:
        result = await run_in_threadpool(check)
    except CreditError as exc:  # shown on the form, with what was typed, so it can be corrected
        return _form_page(request, console, code=code, matter=matter, status_code=exc.status, error=exc.message)
    return page(request, console, "check_result.html", "checks", r=result, department_names=_department_names(console))


@router.get("/coverage")
def coverage_page(request: Request, console: User, month: Month = None, department: Department = None) -> Response:
    """信用查询办率: the month's licences whose applicant was checked before the decision, by department, and the
    licences decided without a check."""
    chosen = month or this_month()
    with console.db.read() as session:
        report = coverage.check_coverage(session, console.actor, console.settings, chosen, department or None)
    return page(
        request,
        console,
        "check_coverage.html",
        "checks",
        report=report,
        month=chosen,
        department=department or "",
        department_names=_department_names(console) if console.is_manager else {},
        percent=percent,
    )


@router.get("/coverage/xlsx")
def coverage_xlsx(console: User, month: Month = None, department: Department = None) -> Response:
    with console.db.read() as session:
        report = coverage.check_coverage(
            session, console.actor, console.settings, month or this_month(), department or None, listed=None
        )
    return xlsx_response(coverage.to_xlsx(report), f"check-coverage-{report.month}.xlsx")


@router.get("/{check_no}")
def recorded(
    request: Request, console: User, check_no: str, done: Annotated[int | None, Query(ge=1, le=1)] = None
) -> Response:
    with console.db.read() as session:
        record = checks.recorded_check(session, console.actor, console.settings, check_no[:40])
    return page(
        request,
        console,
        "check_record.html",
        "checks",
        c=record,
        done=done,
        department_names=_department_names(console),
    )


@router.post("/{check_no}/feedback")
async def feedback(request: Request, console: User, check_no: str) -> Response:
    """One line per offered measure: applied (1), not applied (0) or not reported now (empty), with the result."""
    form = await _form(request)
    _check_csrf(console, None, form)
    items = []
    for code in form.getlist("measure"):
        if not isinstance(code, str):
            continue
        applied = _text(form, f"applied-{code}")
        if applied not in ("0", "1"):
            continue
        items.append(checks.FeedbackItem(code, applied == "1", _text(form, f"result-{code}") or None))

    def save() -> None:
        with console.db.unit_of_work() as session:
            checks.report_feedback(session, console.actor, console.settings, check_no[:40], items)

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/checks/{check_no[:40]}?done=1", status_code=303)
