"""Sending packages to the exchange directory (前置交换目录): the hand-over to the national and provincial platforms.

Exchanges between a province and the platforms run through a shared directory on an exchange front-end server (前置机)
that the receivers' software collects from. The platform writes each package there, per target, the way a collector
can rely on:

- ``<outbox>/<target>/<package>/`` holds the package's files (manifest and data), copied from the package as
  generated after checking them against their manifest (a damaged package is never sent);
- the files are written into ``.<package>.partial`` and the directory renamed when complete, then
  ``<package>.ready`` is written (holding the manifest's SHA-256): a collector takes a package only once its
  ``.ready`` file exists, so it never reads half a package;
- packages of a target are sent in their order: an increment is not sent before the packages before it, since a
  receiver applies them in sequence;
- sending again (a receiver asks for it) replaces the package's directory and marker.

UNCERTAIN: the receivers' collection conventions are not in our documents; the layout above is the common one and the
directory is configuration (``TRANSPORT_CREDIT_EXCHANGE_OUTBOX``). Receipts (回执) come back as files imported with
``exchange/receipts.py``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.exchange import rules
from transport_credit.exchange.models import ExchangePackage
from transport_credit.exchange.service import MANIFEST, sha256_of, verify_directory
from transport_credit.settings import Settings

READY_SUFFIX = ".ready"


@dataclass(frozen=True)
class SendResult:
    package_id: int
    target: str
    sequence: int
    destination: str
    sent: bool  # False: it had been sent before and was left as it is


def outbox(settings: Settings) -> Path:
    if settings.exchange_outbox is None:
        raise InvalidInput(
            "未配置前置交换目录（TRANSPORT_CREDIT_EXCHANGE_OUTBOX）：请下载交换包后按接收平台要求报送",
            code="outbox_not_configured",
        )
    root = Path(settings.exchange_outbox)
    if not root.is_dir():
        raise InvalidInput(f"前置交换目录 {root} 不存在或不可访问", code="outbox_unavailable")
    return root


def send_package(
    session: Session, actor: Actor, settings: Settings, package_id: int, *, again: bool = False
) -> SendResult:
    """Send one package to the exchange directory (credit office). Audited as ``exchange.send``."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    root = outbox(settings)
    package = session.get(ExchangePackage, package_id, with_for_update=True)
    if package is None:
        raise NotFound("未找到该交换包", code="package_not_found")
    P = ExchangePackage
    earlier = session.scalar(
        select(P.sequence)
        .where(P.target == package.target, P.sequence < package.sequence, P.sent_at.is_(None))
        .order_by(P.sequence)
        .limit(1)
    )
    if earlier is not None:
        raise Conflict(f"请先发送第 {earlier} 号交换包：接收平台按顺序处理交换包", code="earlier_unsent")
    source = Path(package.directory)
    destination = root / package.target / source.name
    if package.sent_at is not None and not again:
        return SendResult(package.id, package.target, package.sequence, str(destination), False)
    report = verify_directory(source)
    if not report.ok or report.manifest is None or sha256_of(source / MANIFEST) != package.manifest_sha256:
        raise Conflict("交换包文件缺失或已被改动，不能发送：" + "；".join(report.problems), code="package_damaged")
    _place(source, [str(f["name"]) for f in report.manifest["files"]], destination, package.manifest_sha256)
    package.sent_at = utcnow()
    package.sent_to = str(destination)[:500]
    package.sent_by = actor.label[:120]
    session.flush()
    audit(
        session,
        actor,
        "exchange.send",
        "exchange_package",
        f"{package.target}#{package.sequence}",
        {"destination": str(destination), "manifest_sha256": package.manifest_sha256, "again": again},
    )
    return SendResult(package.id, package.target, package.sequence, str(destination), True)


def _place(source: Path, names: list[str], destination: Path, manifest_sha256: str) -> None:
    """Copy the package's files to ``destination`` whole, then mark it ready."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    ready = destination.with_name(destination.name + READY_SUFFIX)
    partial = destination.with_name(f".{destination.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        for name in [*names, MANIFEST]:  # the manifest last
            shutil.copyfile(source / name, partial / name)
            with (partial / name).open("rb") as fh:
                os.fsync(fh.fileno())
        ready.unlink(missing_ok=True)  # sending again: the old copy stops being ready before it is replaced
        if destination.exists():
            shutil.rmtree(destination)
        partial.rename(destination)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    ready.write_text(manifest_sha256 + "\n", encoding="ascii")


def send_pending(session: Session, actor: Actor, settings: Settings, target: str) -> list[SendResult]:
    """Send every package of ``target`` not sent yet, in order (credit office)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    rules.target(settings.province, target)
    P = ExchangePackage
    ids = list(session.scalars(select(P.id).where(P.target == target, P.sent_at.is_(None)).order_by(P.sequence)))
    return [send_package(session, actor, settings, package_id) for package_id in ids]
