"""Console page of the credit monitoring analysis (信用监测分析): trend, frequent problems, 诚信地图."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from transport_credit.monitoring import analysis, trends
from transport_credit.monitoring.report import percent, this_month
from transport_credit.web.params import Month
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, page, xlsx_response

router = APIRouter(prefix=PREFIX + "/analysis", route_class=ConsoleRoute, include_in_schema=False)
Months = Annotated[int | None, Query(ge=1, le=60)]
Domain = Annotated[str | None, Query(max_length=40)]


@router.get("")
def analysis_page(
    request: Request, console: User, end_month: Month = None, months: Months = None, domain: Domain = None
) -> Response:
    chosen = end_month or this_month()
    with console.db.unit_of_work() as session:  # the analysis refreshes its facts (derived data) first
        result = analysis.credit_analysis(
            session, console.actor, console.settings, end_month=chosen, months=months, domain=domain
        )
    penalties = trends.bar_chart([(p.month[2:], p.penalties, p.serious) for p in result.trend])
    licences = trends.bar_chart([(p.month[2:], p.licences, 0) for p in result.trend])
    return page(
        request,
        console,
        "analysis.html",
        "analysis",
        a=result,
        penalties_chart=penalties,
        licences_chart=licences,
        grid=_grid(result.regions),
        percent=percent,
        change_text=trends.change_text,
        window_choices=(3, 6, 12, 24, trends.analysis_rules().max_months, len(result.months)),
    )


@router.get("/xlsx")
def analysis_xlsx(console: User, end_month: Month = None, months: Months = None, domain: Domain = None) -> Response:
    chosen = end_month or this_month()
    with console.db.unit_of_work() as session:
        result = analysis.credit_analysis(
            session, console.actor, console.settings, end_month=chosen, months=months, domain=domain
        )
    return xlsx_response(analysis.to_xlsx(result), f"credit-analysis-{result.end_month}.xlsx")


def _grid(regions: list[analysis.RegionFigures]) -> list[list[analysis.RegionFigures | None]]:
    """The tile map as rows of cells (``None``: sea of blank tiles), from the province's ``map_tiles``."""
    placed = [r for r in regions if r.tile is not None]
    if not placed:
        return []
    rows = max(r.tile[0] for r in placed if r.tile) + 1
    cols = max(r.tile[1] for r in placed if r.tile) + 1
    grid: list[list[analysis.RegionFigures | None]] = [[None] * cols for _ in range(rows)]
    for r in placed:
        assert r.tile is not None
        grid[r.tile[0]][r.tile[1]] = r
    return grid
