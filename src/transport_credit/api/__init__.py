"""REST API for business systems (业务系统接口), under ``/api/v1``.

Routers only parse input, identify the caller (``X-API-Key``), check the key's scope and call one service function;
the services check permissions and the caller's unit of work owns the transaction. Errors are ``CreditError``s,
rendered by the one handler in ``transport_credit.server``.
"""

from __future__ import annotations

from fastapi import APIRouter

from transport_credit.api.routes import (
    checks,
    evaluation,
    exchange,
    imports,
    lists,
    public,
    quality,
    records,
    reference,
    subjects,
    supervision,
    transfers,
    verifications,
    warnings,
)

router = APIRouter(prefix="/api/v1")
router.include_router(records.router)
router.include_router(imports.router)
router.include_router(subjects.router)
router.include_router(reference.router)
router.include_router(public.router)
router.include_router(checks.router)
router.include_router(lists.router)
router.include_router(evaluation.router)
router.include_router(supervision.router)
router.include_router(warnings.router)
router.include_router(verifications.router)
router.include_router(transfers.router)
router.include_router(exchange.router)
router.include_router(quality.router)

__all__ = ["router"]
