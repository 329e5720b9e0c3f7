"""Console page of the 信易+ scenarios: which cities each family covers (设区市“信易行”应用覆盖率), where each
scenario runs and since when, what the providers granted in a month; the credit office records a launch or its end.

Thin like the rest of the console: parse, check CSRF, call one service in a unit of work, render.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import ROLE_CREDIT_OFFICE
from transport_credit.incentives import rules, service
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring.report import indicator_targets, this_month
from transport_credit.web.params import Month, RowId
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _date, _form, _text, page

router = APIRouter(prefix=PREFIX + "/xinyi", route_class=ConsoleRoute, include_in_schema=False)


@router.get("")
def xinyi_page(request: Request, console: User, month: Month = None) -> Response:
    chosen = month or this_month()
    settings = console.settings
    with console.db.read() as session:
        coverage = service.coverage(session, settings)
        launches = service.launches(session, settings, day=coverage.day)
        usage = service.usage(session, settings, chosen)
        reach = {r.scenario.code: r for r in service.reach(session, settings, day=coverage.day)}
    doc = service.scenarios(settings)
    config = load_province(settings.province)
    lrules = list_rules(settings.province)
    return page(
        request,
        console,
        "xinyi.html",
        "xinyi",
        doc=doc,
        coverage=coverage,
        launches=launches,
        usage=usage,
        reach=reach,
        month=chosen,
        target=indicator_targets(settings.province).xinyi_city_coverage,
        conditions={s.code: rules.conditions(lrules, s) for s in doc.scenarios},
        regions=[(config.code, f"{config.name}（全省）"), *coverage.city_names.items()],
        may_record=console.actor.has_role(ROLE_CREDIT_OFFICE),
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/launches")
async def launch(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    started = _date(form, "started_on", "上线日期")

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.launch(
                session,
                console.actor,
                console.settings,
                scenario_code=_text(form, "scenario"),
                region_code=_text(form, "region"),
                provider=_text(form, "provider"),
                started_on=started,
                note=_text(form, "note"),
            )

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/xinyi?saved=1#launches", status_code=303)


@router.post("/launches/{launch_id}/end")
async def end(request: Request, console: User, launch_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    ended = _date(form, "ended_on", "结束日期")

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.end_launch(session, console.actor, launch_id, ended_on=ended, reason=_text(form, "reason"))

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/xinyi?saved=1#launch-{launch_id}", status_code=303)
