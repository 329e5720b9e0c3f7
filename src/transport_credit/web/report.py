"""Console page of the monthly report (信用交通月报): the month's indicators, cities and departments, XLSX."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from transport_credit.monitoring import service
from transport_credit.monitoring.report import CST, percent
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, page

router = APIRouter(prefix=PREFIX + "/report", route_class=ConsoleRoute, include_in_schema=False)
Month = Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")]


def _default_month() -> str:
    return f"{dt.datetime.now(CST):%Y-%m}"


@router.get("")
def report_page(request: Request, console: User, month: Month = None) -> Response:
    chosen = month or _default_month()
    with console.db.read() as session:
        report = service.monthly_report(session, console.actor, console.settings, chosen)
    return page(request, console, "report.html", "report", report=report, month=chosen, percent=percent)


@router.get("/xlsx")
def report_xlsx(console: User, month: Month = None) -> Response:
    chosen = month or _default_month()
    with console.db.read() as session:
        report = service.monthly_report(session, console.actor, console.settings, chosen)
    return Response(
        service.to_xlsx(report),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="monthly-report-{report.month}.xlsx"',
            "Cache-Control": "no-store",
        },
    )
