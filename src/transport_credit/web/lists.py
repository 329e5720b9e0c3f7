"""Console pages of lists (名单审核), measures (措施清单), effects (成效清单) and typical cases (典型案例).

Thin like the rest of the console: read the query or form, check CSRF on posts, call one service in a unit of work,
render a template or redirect.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER
from transport_credit.common.errors import InvalidInput
from transport_credit.lists import cases, checks, effects, lifecycle
from transport_credit.lists import service as lists
from transport_credit.lists.rules import LIST_TYPE_LABELS, MATTER_KIND_LABELS, list_rules
from transport_credit.web.params import PageNo, RowId, form_int
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _form, _text, page

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
PAGE = 50


@router.get("/lists")
def lists_index(
    request: Request, console: User, state: str | None = "proposed", list_code: str | None = None, p: PageNo = 1
) -> Response:
    p = max(1, p)
    rules = list_rules(console.settings.province)
    with console.db.read() as s:
        items, total = lists.list_entries(
            s, console.actor, state=state or None, list_code=list_code or None, limit=PAGE, offset=(p - 1) * PAGE
        )
        counts = lists.state_counts(s, console.actor)
    return page(
        request,
        console,
        "lists_index.html",
        "lists",
        items=items,
        total=total,
        counts=counts,
        states=lifecycle.STATE_LABELS,
        kinds=[k for k in rules.list_kinds.values() if not k.national],
        all_kinds=list(rules.list_kinds.values()),
        f={"state": state or "", "list_code": list_code or ""},
        p=p,
        pages=max(1, (total + PAGE - 1) // PAGE),
        can_propose=console.actor.has_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER),
    )


@router.post("/lists/propose")
async def lists_propose(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    with console.db.unit_of_work() as s:
        dept = console.actor.department_code or lists.office_department(s)
        view = lists.propose_entry(
            s,
            console.actor,
            console.settings,
            subject_code=_text(form, "code"),
            list_code=_text(form, "list_code"),
            reason=_text(form, "reason"),
            basis=_text(form, "basis") or None,
            department_code=dept,
        )
    return RedirectResponse(f"{PREFIX}/lists/{view.id}", status_code=303)


@router.get("/lists/{entry_id}")
def lists_entry(request: Request, console: User, entry_id: RowId) -> Response:
    with console.db.read() as s:
        detail = lists.get_entry(s, console.actor, entry_id)
    e = detail.entry
    today = lists.today_cst()
    return page(
        request,
        console,
        "lists_entry.html",
        "lists",
        d=detail,
        e=e,
        can_decide=console.actor.has_role(ROLE_CREDIT_OFFICE),
        window_open=e.state == "notified" and e.objection_deadline is not None and today <= e.objection_deadline,
        reasons={k: lifecycle.REMOVAL_LABELS[k] for k in lifecycle.MANUAL_REMOVAL_REASONS},
        removal_labels=lifecycle.REMOVAL_LABELS,
    )


@router.post("/lists/{entry_id}/{action}")
async def lists_action(request: Request, console: User, entry_id: RowId, action: str) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    actor, cfg = console.actor, console.settings
    with console.db.unit_of_work() as s:
        if action == "notify":
            lists.notify_entry(s, actor, cfg, entry_id)
        elif action == "object":
            lists.file_objection(s, actor, entry_id, _text(form, "text"))
        elif action == "resolve":
            lists.resolve_objection(s, actor, entry_id, upheld=_text(form, "upheld") == "1", note=_text(form, "note"))
        elif action == "publish":
            months = form_int(_text(form, "months"), "有效期（月）", high=1200)  # the service allows 1–120
            lists.publish_entry(s, actor, cfg, entry_id, period_months=months)
        elif action == "reject":
            lists.reject_entry(s, actor, entry_id, _text(form, "note"))
        elif action == "remove":
            lists.remove_entry(s, actor, cfg, entry_id, reason=_text(form, "reason"), basis=_text(form, "basis"))
        else:
            raise InvalidInput("未知的操作", code="unknown_action")
    return RedirectResponse(f"{PREFIX}/lists/{entry_id}", status_code=303)


@router.get("/measures")
def measures_page(request: Request, console: User) -> Response:
    rules = list_rules(console.settings.province)
    with console.db.read() as s:
        recent = checks.recent_checks(s, console.actor, limit=20)
    return page(
        request,
        console,
        "lists_measures.html",
        "measures",
        rules=rules,
        list_labels={**LIST_TYPE_LABELS, **{k.code: k.name for k in rules.list_kinds.values()}},
        matter_kinds=MATTER_KIND_LABELS,
        recent=recent,
    )


@router.get("/effects")
def effects_page(request: Request, console: User, month: str | None = None, department: str | None = None) -> Response:
    year, mon = _month(month)
    with console.db.read() as s:
        lst = effects.effect_list(s, console.actor, year=year, month=mon, department_code=department or None)
    return page(
        request,
        console,
        "lists_effects.html",
        "effects",
        lst=lst,
        month=f"{year:04d}-{mon:02d}",
        department=department or "",
    )


@router.get("/effects/export")
def effects_export(
    console: User, month: str | None = None, department: str | None = None, fmt: Literal["xlsx", "csv"] = "xlsx"
) -> Response:
    year, mon = _month(month)
    with console.db.read() as s:
        lst = effects.effect_list(s, console.actor, year=year, month=mon, department_code=department or None)
    body = effects.export_effects(lst, fmt)
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    # The department is what was typed in the URL: only its code's characters go into the header (anything else in
    # a header is an encoding error or an injected quote).
    unit = re.sub(r"[^0-9A-Za-z_-]", "", department or "")[:64]
    name = f"effects-{year}{mon:02d}{'-' + unit if unit else ''}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _month(value: str | None) -> tuple[int, int]:
    if not value:
        today = lists.today_cst()
        return today.year, today.month
    try:
        y, m = value.split("-")
        return int(y), int(m)
    except ValueError:
        raise InvalidInput("月份格式应为 YYYY-MM", code="invalid_month") from None


@router.get("/cases")
def cases_page(
    request: Request, console: User, year: Annotated[int | None, Query(ge=cases.MIN_YEAR, le=cases.MAX_YEAR)] = None
) -> Response:
    y = year or lists.today_cst().year
    with console.db.read() as s:
        items = cases.list_cases(s, console.actor, limit=200)
        indicators = cases.quarter_indicators(s, console.actor, y)
        month = lists.today_cst()
        lst = effects.effect_list(s, console.actor, year=month.year, month=month.month)
    return page(
        request,
        console,
        "lists_cases.html",
        "cases",
        items=items,
        indicators=indicators,
        year=y,
        effects=lst.effects[:50],
        can_edit=console.actor.has_role(ROLE_CREDIT_OFFICE),
    )


@router.post("/cases")
async def cases_draft(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    effect = _text(form, "effect_id")
    entry = _text(form, "entry_id")
    with console.db.unit_of_work() as s:
        cases.draft_case(
            s,
            console.actor,
            title=_text(form, "title"),
            summary=_text(form, "summary"),
            body=_text(form, "body"),
            kind=_text(form, "kind") or None,
            effect_id=form_int(effect, "成效编号"),
            entry_id=form_int(entry, "名单条目编号"),
        )
    return RedirectResponse(f"{PREFIX}/cases", status_code=303)


@router.post("/cases/{case_id}/{action}")
async def cases_action(request: Request, console: User, case_id: RowId, action: str) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    with console.db.unit_of_work() as s:
        if action == "publish":
            cases.publish_case(s, console.actor, case_id)
        elif action == "withdraw":
            cases.withdraw_case(s, console.actor, case_id, _text(form, "reason"))
        else:
            raise InvalidInput("未知的操作", code="unknown_action")
    return RedirectResponse(f"{PREFIX}/cases", status_code=303)


__all__ = ["router"]
