"""Catalog use cases: store versioned catalog documents in the database and build the catalog in force.

Services take a ``Session`` and an ``Actor`` and never commit (the caller owns the transaction). Audit entries are
written by the caller.

Versioning: a document is identified by (kind, scope, name); each distinct content (sha256 of the file bytes) with
its own ``version`` is one row. Loading a new version deactivates the previous one and keeps it, so old versions
stay reproducible.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.catalog.loader import (
    DOCUMENT_KINDS,
    AnyDocument,
    LoadedDocument,
    load_document,
    shipped_documents,
)
from transport_credit.catalog.models import CatalogDocument
from transport_credit.catalog.rules import Catalog, merge_catalog, scope_rank
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import Conflict
from transport_credit.db.uow import innermost_transaction

_CACHE_SIZE = 8
_cache: OrderedDict[frozenset[tuple[int, str]], Catalog] = OrderedDict()
_cache_lock = threading.Lock()


def _store(session: Session, actor: Actor, loaded: LoadedDocument, *, reactivate: bool) -> CatalogDocument | None:
    """Store one document; None when nothing changed.

    Same sha256 already stored → nothing (with ``reactivate``, an inactive row is made active again: an explicit
    roll-back). Same version with other content → ``Conflict``. Otherwise a new active row; the other versions of
    the same (kind, scope, name) are deactivated.
    """
    session.info.pop(_TX_MEMO, None)
    rows = list(
        session.scalars(
            select(CatalogDocument).where(
                CatalogDocument.kind == loaded.kind,
                CatalogDocument.scope == loaded.scope,
                CatalogDocument.name == loaded.name,
            )
        )
    )
    same = next((r for r in rows if r.sha256 == loaded.sha256), None)
    if same is not None:
        if not reactivate or same.active:
            return None
        for r in rows:
            r.active = r.id == same.id
        session.flush()
        return same
    clash = next((r for r in rows if r.version == loaded.version), None)
    if clash is not None:
        raise Conflict(
            f"{loaded.source}: 目录文件 {loaded.kind}/{loaded.scope}/{loaded.name} 的版本 {loaded.version} "
            "已存在但内容不同，请修改版本号（version）后再加载",
            code="catalog_version_conflict",
            details={"kind": loaded.kind, "scope": loaded.scope, "name": loaded.name, "version": loaded.version},
        )
    for r in rows:
        r.active = False
    row = CatalogDocument(
        kind=loaded.kind,
        scope=loaded.scope,
        name=loaded.name,
        version=loaded.version,
        sha256=loaded.sha256,
        body=loaded.document.model_dump(mode="json"),
        active=True,
        loaded_by=actor.label,
    )
    session.add(row)
    session.flush()
    return row


def load_shipped(session: Session, actor: Actor, province: str) -> list[CatalogDocument]:
    """Store every shipped document of a province (national, provincial and its cities' catalogs, mappings,
    publicity rules). Idempotent: documents already stored (same sha256, active or not) are skipped, so an admin's
    explicit roll-back is not undone. Returns the rows created. Requires credit_office (or admin/system).
    """
    actor.require_role(ROLE_CREDIT_OFFICE)
    created: list[CatalogDocument] = []
    for loaded in shipped_documents(province):
        row = _store(session, actor, loaded, reactivate=False)
        if row is not None:
            created.append(row)
    return created


def load_file(session: Session, actor: Actor, path: str | Path) -> CatalogDocument | None:
    """Validate and store one document file (admin / credit_office). Returns the row created or re-activated,
    None when that exact content is already active. The merged catalog is validated before storing.
    """
    actor.require_role(ROLE_CREDIT_OFFICE)
    loaded = load_document(path)
    # Check the document merges with what is active (e.g. an extension of an unknown category fails here).
    active = [_document(r) for r in _active_rows(session) if (r.kind, r.scope, r.name) != _identity(loaded)]
    merge_catalog([*active, loaded.document])
    return _store(session, actor, loaded, reactivate=True)


def _identity(loaded: LoadedDocument) -> tuple[str, str, str]:
    return (loaded.kind, loaded.scope, loaded.name)


def _active_rows(session: Session) -> list[CatalogDocument]:
    rows = session.scalars(select(CatalogDocument).where(CatalogDocument.active.is_(True)))
    return sorted(rows, key=lambda r: (scope_rank(r.scope), r.kind, r.scope, r.name))


def _document(row: CatalogDocument) -> AnyDocument:
    model = DOCUMENT_KINDS[row.kind]
    document: AnyDocument = model.model_validate(row.body)
    return document


_TX_MEMO = "tc_active_catalog"


def active_catalog(session: Session) -> Catalog:
    """The catalog built from the active documents. Cached by the set of (row id, sha256): a repeated call costs
    one small query, and within one transaction none (one unit of work sees one catalog; storing a document in
    it drops the memo)."""
    memo = session.info.get(_TX_MEMO)
    transaction = innermost_transaction(session)
    if memo is not None and transaction is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    catalog = _active_catalog(session)
    if transaction is not None:
        session.info[_TX_MEMO] = (transaction, catalog)
    return catalog


def _active_catalog(session: Session) -> Catalog:
    ids = session.execute(
        select(CatalogDocument.id, CatalogDocument.sha256).where(CatalogDocument.active.is_(True))
    ).all()
    key = frozenset((int(i), str(s)) for i, s in ids)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    catalog = merge_catalog(_document(r) for r in _active_rows(session))
    with _cache_lock:
        _cache[key] = catalog
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return catalog


def list_documents(session: Session, *, active_only: bool = False) -> list[CatalogDocument]:
    """Stored documents, by kind, scope, name and newest first."""
    stmt = select(CatalogDocument)
    if active_only:
        stmt = stmt.where(CatalogDocument.active.is_(True))
    rows = list(session.scalars(stmt))
    return sorted(rows, key=lambda r: (r.kind, r.scope, r.name, -r.id))
