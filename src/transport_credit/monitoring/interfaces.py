"""接口状态监测: the state of each business system's interface (seed 004: "做好行业内外信用数据资源的归集和相关接口状态
监测，夯实信用数据共享通道基础").

For every registered business system (接入系统): its key (prefix only), what it pushed over the policy's window
(batches, records, rejected records), how often it called the credit check, when it was last heard from, and its
state (auth/policy.py ``interface_health``: 正常, 待接入, 未接入, 接口静默, 拒收偏高, 已停用). The credit office and the
administrator see the page, and the states that need someone's attention on their 工作台.

A client's batches and checks are recognised by the label of the actor it acts as (``auth.service.client_actor``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transport_credit.auth import policy
from transport_credit.auth.models import ApiClient, Department
from transport_credit.auth.service import client_actor
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import NotFound
from transport_credit.db.base import utcnow
from transport_credit.ingest.models import Batch
from transport_credit.lists.models import CreditCheck


@dataclass(frozen=True)
class InterfaceStatus:
    """One business system's interface over the window."""

    client_id: int
    name: str
    key_prefix: str
    department_code: str
    department_name: str
    scopes: tuple[str, ...]
    categories: tuple[str, ...]
    active: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    batches: int
    records: int
    rejected: int
    last_batch_at: dt.datetime | None
    checks: int | None  # None: not counted (the 工作台 does not need them)
    health: policy.InterfaceHealth

    @property
    def health_label(self) -> str:
        return policy.HEALTH_LABELS[self.health]

    @property
    def needs_attention(self) -> bool:
        return self.health in policy.HEALTH_ALERTS

    @property
    def reject_rate(self) -> float | None:
        return self.rejected / self.records if self.records else None


@dataclass(frozen=True)
class InterfaceReport:
    window_days: int
    since: dt.datetime
    interfaces: list[InterfaceStatus]

    @property
    def attention(self) -> int:
        return sum(1 for i in self.interfaces if i.needs_attention)


def interface_report(
    session: Session,
    actor: Actor,
    *,
    with_checks: bool = True,
    client_id: int | None = None,
    now: dt.datetime | None = None,
) -> InterfaceReport:
    """Every business system's interface state (admin, credit office), those needing attention first, then by
    department and name. ``with_checks=False`` skips counting the credit checks (a scan of the check log over the
    window, like the monthly report's)."""
    actor.require_role(ROLE_ADMIN, ROLE_CREDIT_OFFICE)
    rules = policy.security_policy().interfaces
    moment = now or utcnow()
    since = moment - dt.timedelta(days=rules.window_days)
    stmt = select(ApiClient, Department.code, Department.name).join(
        Department, Department.id == ApiClient.department_id
    )
    if client_id is not None:
        stmt = stmt.where(ApiClient.id == client_id)
    clients = list(session.execute(stmt))
    by_label = {client_actor(c, code).label: c.id for c, code, _ in clients}

    pushed: dict[int, tuple[int, int, int, dt.datetime | None]] = {}
    for label, batches, records, rejected, last in session.execute(
        select(
            Batch.actor,
            func.count(),
            func.coalesce(func.sum(Batch.total), 0),
            func.coalesce(func.sum(Batch.rejected), 0),
            func.max(Batch.started_at),
        )
        .where(Batch.channel == "api", Batch.started_at >= since)
        .group_by(Batch.actor)
    ):
        if (cid := by_label.get(label)) is not None:
            pushed[cid] = (int(batches), int(records), int(rejected), last)
    checks: dict[int, int] = {}
    if with_checks:
        for caller, n in session.execute(
            select(CreditCheck.caller, func.count()).where(CreditCheck.checked_at >= since).group_by(CreditCheck.caller)
        ):
            if (cid := by_label.get(caller)) is not None:
                checks[cid] = int(n)

    out = []
    for client, dept_code, dept_name in clients:
        batches, records, rejected, last_batch = pushed.get(client.id, (0, 0, 0, None))
        out.append(
            InterfaceStatus(
                client_id=client.id,
                name=client.name,
                key_prefix=client.key_prefix,
                department_code=dept_code,
                department_name=dept_name,
                scopes=tuple(client.scopes),
                categories=tuple(client.categories),
                active=client.active,
                created_at=client.created_at,
                last_used_at=client.last_used_at,
                batches=batches,
                records=records,
                rejected=rejected,
                last_batch_at=last_batch,
                checks=checks.get(client.id, 0) if with_checks else None,
                health=policy.interface_health(
                    active=client.active,
                    created_at=client.created_at,
                    last_used_at=client.last_used_at,
                    records=records,
                    rejected=rejected,
                    now=moment,
                    policy=rules,
                ),
            )
        )
    out.sort(key=lambda i: (not i.needs_attention, not i.active, i.department_code, i.name, i.client_id))
    return InterfaceReport(rules.window_days, since, out)


def interface_status(
    session: Session, actor: Actor, client_id: int, *, now: dt.datetime | None = None
) -> InterfaceStatus:
    """One business system's interface state (admin, credit office)."""
    for status in interface_report(session, actor, client_id=client_id, now=now).interfaces:
        return status
    raise NotFound(f"接入系统 {client_id} 不存在", code="api_client_not_found")
