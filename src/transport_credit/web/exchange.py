"""Console pages of sharing (信用信息共享交换, 信用办): the targets, their packages, the next package, downloads.

Thin like the rest of the console: parse the form, check CSRF, call one exchange service in a unit of work, render.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from transport_credit.exchange import rules, service
from transport_credit.web.params import RowId
from transport_credit.web.routes import PREFIX, ConsoleRoute, User, _check_csrf, _form, _text, page

router = APIRouter(prefix=PREFIX + "/exchange", route_class=ConsoleRoute, include_in_schema=False)

# How long the 生成 button waits for imports still writing records (records/ids.py) before it says to try later;
# the CLI (cron) waits longer.
CONSOLE_WAIT_SECONDS = 20.0


@router.get("")
def exchange_page(
    request: Request, console: User, done: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
) -> Response:
    cfg = console.settings
    with console.db.read() as session:
        packages = service.list_packages(session, console.actor, cfg, limit=200)
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
