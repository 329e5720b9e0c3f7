"""Platform initialisation (``tcredit init``): schema, the province's shipped configuration, first accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from transport_credit.audit.events import record as audit
from transport_credit.auth.models import Account
from transport_credit.auth.schema import DepartmentSpec
from transport_credit.auth.service import create_account, sync_departments
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.province import ProvinceConfig
from transport_credit.catalog.service import active_catalog, load_shipped
from transport_credit.common.actor import ROLE_ADMIN, SYSTEM, Actor
from transport_credit.db import migrate
from transport_credit.db.uow import Database
from transport_credit.ledger.service import load_shipped_ledger
from transport_credit.monitoring import facts as analysis_facts
from transport_credit.settings import Settings


@dataclass
class InitReport:
    province: str
    province_name: str
    documents_loaded: int
    departments_created: int
    departments_updated: int
    categories: int
    catalog_version: str
    admin_created: bool


def initialize(
    db: Database, settings: Settings, *, actor: Actor = SYSTEM, admin_password: str | None = None
) -> InitReport:
    """Create or migrate the schema and load the province's shipped configuration. Idempotent.

    ``admin_password``: when given and no account exists yet, an ``admin`` account is created with it.
    """
    migrate.upgrade(db.engine)
    province = load_province(settings.province)
    with db.unit_of_work() as session:
        loaded = load_shipped(session, actor, settings.province)
        specs = [DepartmentSpec(**d.model_dump()) for d in province.departments]
        sync = sync_departments(session, actor, specs)
        load_shipped_ledger(session, actor, settings)  # 创建工作台账: the province's, when its year has none yet
        catalog = active_catalog(session)
        admin_created = False
        if admin_password and session.scalar(select(Account.id).limit(1)) is None:
            credit_office = next(d for d in province.departments if d.kind == "credit_office")
            create_account(session, actor, "admin", "系统管理员", admin_password, credit_office.code, [ROLE_ADMIN])
            admin_created = True
        audit(
            session,
            actor,
            "platform.init",
            "province",
            province.code,
            {"documents_loaded": len(loaded), "catalog_version": catalog.version},
        )
        report = InitReport(
            province=province.code,
            province_name=province.name,
            documents_loaded=len(loaded),
            departments_created=len(sync.created),
            departments_updated=len(sync.updated),
            categories=len(catalog.categories()),
            catalog_version=catalog.version,
            admin_created=admin_created,
        )
    with db.unit_of_work() as session:  # the analysis facts of records already stored (derived data; built once)
        analysis_facts.refresh(session, province.cities)
    return report


def province_config(settings: Settings) -> ProvinceConfig:
    return load_province(settings.province)
