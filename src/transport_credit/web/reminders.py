"""Console page of the reminder service (信用提醒服务): the outbox (what was sent to whom, masked; what waits; what
failed and why), the subscriptions, and the credit office's actions: send what is due now, retry, cancel, end a
subscription. Thin like the rest of the console."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from transport_credit.common.errors import InvalidInput
from transport_credit.reminders import rules, scan, service
from transport_credit.reminders.channels import CHANNEL_LABELS, channel_for
from transport_credit.web.params import RowId
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _form, _text, page

router = APIRouter(prefix=PREFIX + "/reminders", route_class=ConsoleRoute, include_in_schema=False)


@router.get("")
def reminders_page(request: Request, console: User, state: str = "", kind: str = "", subs: str = "active") -> Response:
    if state and state not in rules.STATES:
        raise InvalidInput(f"未知的发送状态「{state}」", code="invalid_state")
    if kind:
        rules.require_kind(kind)
    if subs and subs not in rules.SUBSCRIPTION_STATES:
        raise InvalidInput(f"未知的订阅状态「{subs}」", code="invalid_state")
    settings = console.settings
    with console.db.read() as session:
        counts = service.outbox_counts(session, console.actor)
        rows = service.outbox(session, console.actor, state=state or None, kind=kind or None)
        subscriptions = service.subscriptions(session, console.actor, state=subs or None)
    doc = rules.reminder_rules(settings.province)
    done = request.query_params.get("done")
    return page(
        request,
        console,
        "reminders.html",
        "reminders",
        doc=doc,
        labels=doc.labels(),
        states=rules.STATES,
        subscription_states=rules.SUBSCRIPTION_STATES,
        counts=counts,
        rows=rows,
        subscriptions=subscriptions,
        state=state,
        kind=kind,
        subs=subs,
        channel=settings.reminder_channel,
        channel_label=CHANNEL_LABELS[settings.reminder_channel],
        done=done,
        sent=request.query_params.get("sent"),
        retrying=request.query_params.get("retrying"),
        failed=request.query_params.get("failed"),
        queued=request.query_params.get("queued"),
    )


@router.post("/run")
async def run(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    found, run_ = await run_in_threadpool(
        scan.run, console.db, console.actor, console.settings, channel_for(console.settings)
    )
    queued = found.published + found.repair + found.expiring
    return RedirectResponse(
        f"{PREFIX}/reminders?done=run&queued={queued}&sent={run_.sent}&retrying={run_.retrying}&failed={run_.failed}",
        status_code=303,
    )


@router.post("/{reminder_id}/retry")
async def retry(request: Request, console: User, reminder_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.retry(session, console.actor, reminder_id)

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/reminders?done=retry#reminder-{reminder_id}", status_code=303)


@router.post("/{reminder_id}/cancel")
async def cancel(request: Request, console: User, reminder_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.cancel(session, console.actor, reminder_id)

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/reminders?done=cancel#reminder-{reminder_id}", status_code=303)


@router.post("/subscriptions/{subscription_id}/end")
async def end_subscription(request: Request, console: User, subscription_id: RowId) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)

    def save() -> None:
        with console.db.unit_of_work() as session:
            service.end_subscription(session, console.actor, subscription_id, reason=_text(form, "reason"))

    await run_in_threadpool(save)
    return RedirectResponse(f"{PREFIX}/reminders?done=end#subscriptions", status_code=303)
