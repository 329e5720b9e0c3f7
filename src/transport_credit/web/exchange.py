"""Console pages of sharing (信用信息共享交换, 信用办): the targets, their packages, the next package, downloads,
the receivers' receipts (回执) and the records they sent back (退回) until corrected.

Thin like the rest of the console: parse the form, check CSRF, call one exchange service in a unit of work, render.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from transport_credit.common.errors import InvalidInput
from transport_credit.disclosure.rules import china_today
from transport_credit.exchange import receipts, rules, service, transfer
from transport_credit.web.params import RowId
from transport_credit.web.routes import (
    PREFIX,
    Console,
    ConsoleRoute,
    User,
    _check_csrf,
    _department_names,
    _form,
    _safe_file_name,
    _text,
    page,
)

router = APIRouter(prefix=PREFIX + "/exchange", route_class=ConsoleRoute, include_in_schema=False)

# How long the 生成 button waits for imports still writing records (records/ids.py) before it says to try later;
# the CLI (cron) waits longer.
CONSOLE_WAIT_SECONDS = 20.0


@router.get("")
def exchange_page(
    request: Request,
    console: User,
    done: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    receipt: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    again: Annotated[int | None, Query(ge=0, le=1)] = None,
    sent: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    cfg = console.settings
    with console.db.read() as session:
        packages = service.list_packages(session, console.actor, cfg, limit=200)
        receipt_of = receipts.receipts_by_package(session, console.actor, [p.id for p in packages])
        rejections = receipts.list_rejections(session, console.actor, cfg, limit=200)
        open_counts = receipts.open_rejection_counts(session, console.actor)
    targets = list(rules.targets(cfg.province).values())
    latest = {t.code: next((p for p in packages if p.target == t.code), None) for t in targets}
    return page(
        request,
        console,
        "exchange.html",
        "exchange",
        targets=targets,
        latest=latest,
        packages=packages,
        kinds=rules.KIND_LABELS,
        done=next((p for p in packages if p.id == done), None),
        receipt_of=receipt_of,
        rejections=rejections,
        open_counts=open_counts,
        department_names=_department_names(console),
        receipt_done=next((r for r in receipt_of.values() if r.package_id == receipt), None),
        receipt_again=again,
        sent=next((p for p in packages if p.id == sent), None),
        outbox=cfg.exchange_outbox,
    )


@router.post("/{package_id}/receipt")
async def exchange_receipt(request: Request, console: User, package_id: RowId) -> Response:
    """The receiving platform's receipt (回执) for one package, uploaded by the credit office."""
    form = await _form(request)
    _check_csrf(console, None, form)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("请选择回执文件", code="file_required")
    file_name = _safe_file_name(upload.filename)

    def run() -> bool:
        with tempfile.NamedTemporaryFile(suffix=PurePath(file_name).suffix.lower()[:10]) as tmp:
            upload.file.seek(0)
            shutil.copyfileobj(upload.file, tmp, 1 << 20)
            tmp.flush()
            with console.db.unit_of_work() as session:
                view = receipts.import_receipt_for(
                    session,
                    console.actor,
                    console.settings,
                    package_id=package_id,
                    path=Path(tmp.name),
                    file_name=file_name,
                )
        return view.already_imported

    already = await run_in_threadpool(run)
    flag = "&again=1" if already else ""
    return RedirectResponse(f"{PREFIX}/exchange?receipt={package_id}{flag}#receipt-done", status_code=303)


@router.post("/{package_id}/send")
async def exchange_send(request: Request, console: User, package_id: RowId) -> Response:
    """Send a package to the exchange directory (前置交换目录); again when 重新发送 was pressed."""
    form = await _form(request)
    _check_csrf(console, None, form)
    again = _text(form, "again") == "1"

    def run() -> None:
        with console.db.unit_of_work() as session:
            transfer.send_package(session, console.actor, console.settings, package_id, again=again)

    await run_in_threadpool(run)
    return RedirectResponse(f"{PREFIX}/exchange?sent={package_id}#packages", status_code=303)


def _rejections(console: Console, show: str, department: str | None) -> list[receipts.RejectionView]:
    with console.db.read() as session:
        return receipts.list_rejections(
            session,
            console.actor,
            console.settings,
            department_code=department or None,
            include_settled=show == "all",
            limit=5000,
        )


@router.get("/rejections")
def rejections_page(
    request: Request,
    console: User,
    show: Annotated[Literal["open", "all"], Query()] = "open",
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Records the receiving platforms sent back (退回): a data officer's own department's, or (credit office) any."""
    items = _rejections(console, show, department)
    return page(
        request,
        console,
        "exchange_rejections.html",
        "exchange" if console.is_manager else "quarantine",
        items=items,
        show=show,
        department=department or "",
        department_names=_department_names(console),
        manager=console.is_manager,
    )


@router.get("/rejections.xlsx")
def rejections_workbook(
    console: User,
    show: Annotated[Literal["open", "all"], Query()] = "open",
    department: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The list of the page as an Excel workbook (the 通报 to the departments)."""
    body = receipts.rejections_xlsx(_rejections(console, show, department), _department_names(console))
    day = f"{china_today():%Y%m%d}"
    disposition = (
        f"attachment; filename=\"rejections-{day}.xlsx\"; filename*=UTF-8''{quote(f'被平台退回的记录-{day}.xlsx')}"
    )
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.post("/export")
async def exchange_export(request: Request, console: User) -> Response:
    form = await _form(request)
    _check_csrf(console, None, form)
    target, full = _text(form, "target"), _text(form, "full") == "1"

    def run() -> int:
        with console.db.unit_of_work() as session:
            return service.export_package(
                session, console.actor, console.settings, target, full=full, wait_seconds=CONSOLE_WAIT_SECONDS
            ).id

    package_id = await run_in_threadpool(run)
    return RedirectResponse(f"{PREFIX}/exchange?done={package_id}", status_code=303)


@router.post("/{package_id}/download")
async def exchange_download(request: Request, console: User, package_id: RowId) -> Response:
    """The package as a ZIP (POST: the files may hold personal data, so each download is audited)."""
    form = await _form(request)
    _check_csrf(console, None, form)

    def run() -> tuple[str, Path]:
        with console.db.unit_of_work() as session:
            name, paths = service.package_paths(session, console.actor, console.settings, package_id)
        fd, tmp = tempfile.mkstemp(prefix="exchange-", suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as fh:
                service.write_zip(paths, fh)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name, Path(tmp)

    name, path = await run_in_threadpool(run)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{name}.zip",
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
