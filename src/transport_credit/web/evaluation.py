"""Console pages of credit evaluation, tiered supervision and early warning.

Thin like the rest of the console: read the query or form, check CSRF on posts, call one service in a unit of work,
render a template.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from transport_credit.common.errors import InvalidInput
from transport_credit.evaluation import review as evaluation_review
from transport_credit.evaluation import service as evaluation
from transport_credit.supervision import service as supervision
from transport_credit.warnings import service as warnings
from transport_credit.web.params import Flag, PageNo, RowId
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _form, _text, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

ADJUSTMENTS = {"newcomer": "首次评价", "rise_cap": "升级限制", "escalation": "连续较差", None: ""}


@router.get("/evaluation")
def evaluation_index(request: Request, console: User, model: str | None = None, region: str | None = None) -> Response:
    with console.db.read() as s:
        models = evaluation.list_models(s, console.actor, console.settings)
        codes = [m.code for m in models]
        chosen = model if model in codes else (codes[0] if codes else None)
        if region and not (len(region) == 6 and region.isdigit()):
            raise InvalidInput("行政区划代码应为6位数字", code="invalid_region")
        dist = evaluation.grade_distribution(s, console.actor, chosen, region_code=region) if chosen else None
        runs = evaluation.list_runs(s, console.actor, model_code=chosen, limit=20)
        s.expunge_all()
    current = next((m for m in models if m.code == chosen), None)
    grades = list(current.grades) if current else []
    rows = []
    if dist:
        for code, counts in dist["by_region"].items():
            total = sum(counts.values())
            rows.append({"region": code, "counts": [counts.get(g, 0) for g in grades], "total": total})
    totals = [dist["total"].get(g, 0) for g in grades] if dist else []
    return page(
        request,
        console,
        "evaluation_index.html",
        "evaluation",
        models=models,
        current=current,
        grades=grades,
        rows=rows,
        totals=totals,
        total=sum(totals),
        runs=runs,
        region=region or "",
        can_run=console.actor.has_role("credit_office", "data_officer"),
        default_period=str(dt.date.today().year - 1),
    )


@router.post("/evaluation/run")
async def evaluation_run(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    model = _text(form, "model")
    period = _text(form, "period")
    publish = _text(form, "publish") == "1"
    with console.db.unit_of_work() as s:
        summary = evaluation.run_evaluation(s, console.actor, console.settings, model, period, publish=publish)
    return RedirectResponse(f"{PREFIX}/evaluation/runs/{summary.run_id}", status_code=303)


@router.get("/evaluation/runs/{run_id}")
def evaluation_run_page(
    request: Request, console: User, run_id: RowId, grade: str | None = None, p: PageNo = 1
) -> Response:
    limit = 50
    p = max(1, p)
    with console.db.read() as s:
        run, rows, total = evaluation.run_results(
            s, console.actor, run_id, grade=grade or None, limit=limit, offset=(p - 1) * limit
        )
        model = evaluation.get_model(s, console.actor, console.settings, run.model_code, run.model_version).model
        review = evaluation_review.run_review(s, console.actor, console.settings, run_id)
        s.expunge_all()
    return page(
        request,
        console,
        "evaluation_run.html",
        "evaluation",
        run=run,
        model=model,
        review=review,
        rows=[{"r": r, "name": n, "adjustment": ADJUSTMENTS.get(r.adjustment, "直接定级")} for r, n in rows],
        total=total,
        grade=grade or "",
        p=p,
        pages=max(1, (total + limit - 1) // limit),
    )


@router.get("/evaluation/subjects/{subject_id}")
def evaluation_subject(request: Request, console: User, subject_id: RowId) -> Response:
    with console.db.read() as s:
        items = evaluation.explain(s, console.actor, console.settings, subject_id)
        from transport_credit.subjects.models import Subject

        subject = s.get(Subject, subject_id)
        name = subject.name if subject else ""
    kinds = {"deduction": "扣分", "bonus": "加分", "override": "直接定级"}
    return page(
        request,
        console,
        "evaluation_subject.html",
        "evaluation",
        items=items,
        subject_id=subject_id,
        subject_name=name,
        kinds=kinds,
    )


# --- supervision ---------------------------------------------------------------------------------------------


@router.get("/supervision")
def supervision_index(request: Request, console: User) -> Response:
    with console.db.read() as s:
        tasks = supervision.list_tasks(s, console.actor)
        link = supervision.credit_linkage(s, console.actor)
        s.expunge_all()
    return page(
        request,
        console,
        "evaluation_tasks.html",
        "supervision",
        tasks=tasks,
        link=link,
        policies=supervision.list_policies(),
        today=dt.date.today().isoformat(),
        can_draw=console.actor.has_role("credit_office", "data_officer"),
        message=None,
    )


@router.post("/supervision/draw")
async def supervision_draw(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    try:
        size = int(_text(form, "size"))
        day = dt.date.fromisoformat(_text(form, "task_date"))
    except ValueError as exc:
        raise InvalidInput("抽查数量应为整数，任务日期格式应为 YYYY-MM-DD", code="invalid_form") from exc
    with console.db.unit_of_work() as s:
        task = supervision.create_task(
            s,
            console.actor,
            console.settings,
            name=_text(form, "name"),
            domain=_text(form, "domain"),
            region_code=_text(form, "region_code"),
            size=size,
            task_date=day,
            seed=_text(form, "seed") or None,
        )
        task_id = task.id
    return RedirectResponse(f"{PREFIX}/supervision/tasks/{task_id}", status_code=303)


@router.get("/supervision/tasks/{task_id}")
def supervision_task(request: Request, console: User, task_id: RowId, verify: Flag = 0) -> Response:
    with console.db.read() as s:
        view = supervision.task_detail(s, console.actor, task_id)
        check: dict[str, Any] | None = supervision.verify_draw(s, console.actor, task_id) if verify else None
        s.expunge_all()
    return page(
        request,
        console,
        "evaluation_task.html",
        "supervision",
        task=view.task,
        items=view.items,
        check=check,
        results=supervision.RESULTS,
    )


@router.post("/supervision/items/{item_id}")
async def supervision_result(request: Request, console: User, item_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    try:
        day = dt.date.fromisoformat(_text(form, "inspected_on"))
    except ValueError as exc:
        raise InvalidInput("检查日期格式应为 YYYY-MM-DD", code="invalid_date") from exc
    with console.db.unit_of_work() as s:
        item = supervision.record_result(
            s, console.actor, item_id, result=_text(form, "result"), note=_text(form, "note"), inspected_on=day
        )
        task_id = item.task_id
    return RedirectResponse(f"{PREFIX}/supervision/tasks/{task_id}", status_code=303)


@router.post("/supervision/tasks/{task_id}/publish")
async def supervision_publish(request: Request, console: User, task_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    with console.db.unit_of_work() as s:
        supervision.publish_task(s, console.actor, task_id)
    return RedirectResponse(f"{PREFIX}/supervision/tasks/{task_id}", status_code=303)


# --- warnings ------------------------------------------------------------------------------------------------


@router.get("/warnings")
def warnings_page(
    request: Request,
    console: User,
    kind: str | None = None,
    status: str | None = "open",
    level: str | None = None,
    region: str | None = None,
    p: PageNo = 1,
) -> Response:
    limit = 50
    p = max(1, p)
    if region and not (len(region) == 6 and region.isdigit()):
        raise InvalidInput("行政区划代码应为6位数字", code="invalid_region")
    with console.db.read() as s:
        items, total = warnings.list_warnings(
            s,
            console.actor,
            kind=kind or None,
            status=status or None,
            level=level or None,
            region_code=region or None,
            limit=limit,
            offset=(p - 1) * limit,
        )
    return page(
        request,
        console,
        "evaluation_warnings.html",
        "warnings",
        items=items,
        total=total,
        kinds=warnings.WARNING_KINDS,
        levels=warnings.LEVELS,
        statuses=warnings.STATUSES,
        f={"kind": kind or "", "status": status or "", "level": level or "", "region": region or ""},
        p=p,
        pages=max(1, (total + limit - 1) // limit),
        can_handle=console.actor.has_role("credit_office", "data_officer"),
    )


@router.post("/warnings/{warning_id}")
async def warnings_handle(request: Request, console: User, warning_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    with console.db.unit_of_work() as s:
        warnings.handle_warning(s, console.actor, warning_id, status=_text(form, "status"), note=_text(form, "note"))
    return RedirectResponse(f"{PREFIX}/warnings", status_code=303)
