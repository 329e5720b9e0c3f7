"""The console's work list (工作台): what waits for the signed-in official, with what is overdue.

One count per kind of work, each scoped like the page it links to: a data officer sees their own department's
rejected rows, the records the receiving platforms sent back (退回) and the objections sent to it for
verification; the credit office sees the same for every department, the applications to accept and decide, list
entries to review and to publish, open warnings, the quarter's typical cases against the indicator, the
month's exchange packages and the business systems' interfaces that need attention (接口状态监测); the administrator
also sees the accounts locked after wrong passwords. Counts only (a few grouped queries); the pages hold the detail.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from transport_credit.auth.admin import locked_accounts
from transport_credit.campaigns.service import attention as campaign_attention
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.disclosure.rules import china_today
from transport_credit.exchange import rules as exchange_rules
from transport_credit.exchange.models import ExchangePackage
from transport_credit.exchange.receipts import open_rejections_of
from transport_credit.ingest.models import QuarantineRow
from transport_credit.ledger.service import attention as ledger_attention
from transport_credit.lists.cases import published_in_quarter, quarter_of
from transport_credit.lists.models import ListEntry
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring.gaps import open_gap_count
from transport_credit.monitoring.interfaces import interface_report
from transport_credit.monitoring.service import count_rows
from transport_credit.portal.models import CreditDeclaration, PortalApplication
from transport_credit.reminders.service import attention as reminder_attention
from transport_credit.settings import Settings
from transport_credit.warnings.models import CreditWarning


@dataclass(frozen=True)
class Todo:
    """One kind of waiting work. ``key`` names the page the front door links to."""

    key: str
    label: str
    count: int
    urgent: int = 0  # of which overdue (or, for warnings, red-level)
    urgent_label: str = "已逾期"
    note: str = ""


def _counts(
    session: Session, model: Any, base: list[ColumnElement[bool]], urgent: ColumnElement[bool]
) -> tuple[int, int]:
    row = session.execute(select(func.count(), func.count().filter(urgent)).select_from(model).where(*base)).one()
    return int(row[0] or 0), int(row[1] or 0)


def worklist(session: Session, actor: Actor, settings: Settings, *, today: dt.date | None = None) -> list[Todo]:
    """The waiting work the actor's roles cover, in the order of the console's navigation."""
    day = today or china_today()
    manager = actor.has_role(ROLE_CREDIT_OFFICE, ROLE_ADMIN)
    own = None if manager else actor.department_code
    out: list[Todo] = []
    if actor.has_role(ROLE_DATA_OFFICER, ROLE_CREDIT_OFFICE):
        Q = QuarantineRow
        cond: list[ColumnElement[bool]] = [Q.status == "open"]
        if own is not None:
            cond.append(Q.department_code == own)
        out.append(Todo("quarantine", "待更正的问题数据（行）", count_rows(session, Q, *cond)))
        out.append(Todo("exchange_rejections", "被接收平台退回、待更正的记录", open_rejections_of(session, own)))
        gaps = open_gap_count(session, actor, day.year)
        note = "报送遗漏的决定，或说明作废、预留等原因" if gaps else ""
        out.append(Todo("numbering", "文书号断号、疑似漏报的决定（本年度）", gaps, note=note))
        A = PortalApplication
        cond = [A.verify_department.is_not(None), A.status == "accepted", A.verification.is_(None)]
        if own is not None:
            cond.append(A.verify_department == own)
        n, late = _counts(session, A, cond, A.verify_due < day)
        out.append(Todo("verifications", "待反馈核实意见的异议", n, late))
        ledger_overdue, ledger_waiting = ledger_attention(session, actor, settings, day)
        out.append(Todo("ledger", "本月待报进展的台账任务", ledger_waiting, ledger_overdue, "逾期未完成"))
        pending, overdue = campaign_attention(session, actor, day)
        out.append(Todo("campaigns", "专项治理中待处置的对象", pending + overdue, overdue, "整改逾期"))
    if not manager:
        return out

    A = PortalApplication
    n, late = _counts(session, A, [A.status == "received"], A.accept_due < day)
    out.append(Todo("applications_accept", "待受理的异议与修复申请", n, late))
    waiting = and_(A.verify_department.is_not(None), A.verification.is_(None))
    n, late = _counts(session, A, [A.status == "accepted", ~waiting], A.decide_due < day)
    out.append(Todo("applications_decide", "可办结的申请（核实意见已到或无需核实）", n, late))
    D = CreditDeclaration
    n, late = _counts(session, D, [D.status == "received"], D.decide_due < day)
    out.append(Todo("declarations", "待核实的信用信息自主申报", n, late))
    failed, stuck = reminder_attention(session, actor)
    out.append(Todo("reminders", "发送失败或到期未发出的提醒短信", failed + stuck, failed, "发送失败"))
    L = ListEntry
    out.append(Todo("lists_review", "待审核的名单认定建议", count_rows(session, L, L.state == "proposed")))
    out.append(
        Todo(
            "lists_publish",
            "异议期已满、可公布的名单",
            count_rows(session, L, L.state == "notified", L.objection_deadline < day),
        )
    )
    W = CreditWarning
    n, red = _counts(session, W, [W.status == "open"], W.level == "red")
    out.append(Todo("warnings", "待处置的信用预警", n, red, "红色"))
    published = published_in_quarter(session, *quarter_of(day))
    required = list_rules(settings.province).cases.min_per_quarter
    missing = max(required - published, 0)
    out.append(
        Todo("cases", "本季度还需公开的典型案例", missing, note=f"本季度已公开 {published} 件，至少 {required} 件")
    )
    targets = exchange_rules.targets(settings.province)
    period = f"{day:%Y-%m}"
    P = ExchangePackage
    sent = set(session.scalars(select(P.target).where(P.period == period).distinct()))
    due = [t.name for code, t in targets.items() if code not in sent]
    out.append(Todo("exchange", "本月尚未生成交换包的平台", len(due), note="、".join(due) if due else "本月均已生成"))
    if settings.exchange_outbox is not None:
        unsent = count_rows(session, P, P.sent_at.is_(None))
        out.append(Todo("exchange_unsent", "已生成、尚未发送到前置机的交换包", unsent))
    report = interface_report(session, actor, with_checks=False)
    states = Counter(i.health_label for i in report.interfaces if i.needs_attention)
    note = "、".join(f"{label} {n} 个" for label, n in sorted(states.items())) or "各接口正常"
    out.append(Todo("interfaces", "需要关注的数据接口", report.attention, note=note))
    if ROLE_ADMIN in actor.roles:
        out.append(Todo("accounts", "因连续登录失败被锁定的账号", locked_accounts(session, actor)))
    return out
