"""Console page of the monthly report (信用交通月报): the month's indicators, cities and departments, XLSX."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from transport_credit.monitoring import service
from transport_credit.monitoring.report import percent, this_month
from transport_credit.web.params import Month
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, page, xlsx_response

router = APIRouter(prefix=PREFIX + "/report", route_class=ConsoleRoute, include_in_schema=False)


@router.get("")
def report_page(request: Request, console: User, month: Month = None) -> Response:
    chosen = month or this_month()
    with console.db.read() as session:
        report = service.monthly_report(session, console.actor, console.settings, chosen)
    return page(request, console, "report.html", "report", report=report, month=chosen, percent=percent)


@router.get("/xlsx")
def report_xlsx(console: User, month: Month = None) -> Response:
    with console.db.read() as session:
        report = service.monthly_report(session, console.actor, console.settings, month or this_month())
    return xlsx_response(service.to_xlsx(report), f"monthly-report-{report.month}.xlsx")
