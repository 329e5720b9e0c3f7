"""Demo step of the lists issue: list entries in every state, checks with feedback, effects and typical cases.

Runs after the demo's records are imported: the entry criteria propose from the imported penalties; further
entries are proposed by hand where the criteria found too few, so every state of the lifecycle is on show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.lists import cases, checks, service
from transport_credit.lists.criteria import propose_automatic
from transport_credit.lists.models import ListEntry
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject


@dataclass
class ListsDemoReport:
    states: dict[str, int] = field(default_factory=dict)
    checks: int = 0
    effects: int = 0
    cases: int = 0


def build_lists_demo(db: Database, settings: Settings) -> ListsDemoReport:
    today = service.today_cst()
    long_ago = today - dt.timedelta(days=40)
    with db.unit_of_work() as s:
        propose_automatic(s, SYSTEM, settings)
        have = int(s.scalar(select(func.count()).select_from(ListEntry)) or 0)
        orgs = s.scalars(
            select(Subject.id)
            .where(
                Subject.kind == "org",
                Subject.id.in_(select(CreditRecord.subject_id).where(CreditRecord.category == "XZCF")),
            )
            .order_by(Subject.id)
            .limit(12)
        ).all()
        dept = service.office_department(s)
        taken = set(s.scalars(select(ListEntry.subject_id)))
        plan = [
            ("black", "多次超限运输且拒不改正"),
            ("red", "连续三年信用评价 AA 级"),
            ("watch", "一年内两次受到较重行政处罚"),
        ]
        for i, subject_id in enumerate(o for o in orgs if o not in taken):
            if have + i >= 12:
                break
            list_code, reason = plan[i % len(plan)]
            service.propose_entry(
                s, SYSTEM, settings, subject_id=subject_id, list_code=list_code, reason=reason, department_code=dept
            )
    with db.unit_of_work() as s:
        ids = list(s.scalars(select(ListEntry.id).where(ListEntry.state == "proposed").order_by(ListEntry.id)))
    # proposed (left as is) · notified (window open) · listed · removed (repaired) · rejected
    for n, entry_id in enumerate(ids):
        with db.unit_of_work() as s:
            role = n % 6
            if role == 0:
                continue
            if role == 1:
                service.notify_entry(s, SYSTEM, settings, entry_id)
                continue
            if role == 5:
                service.reject_entry(s, SYSTEM, entry_id, "证据不足，不予列入")
                continue
            service.notify_entry(s, SYSTEM, settings, entry_id, today=long_ago)
            service.publish_entry(s, SYSTEM, settings, entry_id)
            if role == 4:
                service.remove_entry(
                    s, SYSTEM, settings, entry_id, reason="repaired", basis="已履行处罚决定并作出信用承诺，准予修复"
                )
    report = ListsDemoReport()
    with db.unit_of_work() as s:
        listed = s.execute(
            select(ListEntry.id, Subject.uscc, ListEntry.list_type)
            .join(Subject, Subject.id == ListEntry.subject_id)
            .where(ListEntry.state == "listed", Subject.uscc.is_not(None))
            .order_by(ListEntry.id)
        ).all()
        dept = service.office_department(s)
        effects = []
        for _entry_id, code, list_type in listed[:6]:
            matter = "XK-DLYS-JY" if list_type != "red" else "XK-DLHY"
            result = checks.run_check(
                s, SYSTEM, settings, subject_code=str(code), matter_code=matter, department_code=dept
            )
            report.checks += 1
            if result.measures:
                m = result.measures[0]
                items = [checks.FeedbackItem(m.code, True, "已按措施办理", today, f"{result.matter_name}申请")]
                effects += checks.report_feedback(s, SYSTEM, settings, result.check_id, items)
        report.effects = len(effects)
        for e in effects[:2]:
            kind = "守信激励" if e.measure_kind == "incentive" else "失信惩戒"
            case = cases.draft_case(
                s,
                SYSTEM,
                title=f"{e.subject_name}{kind}案例",
                summary=f"在办理「{e.matter_name}」时，依据联合奖惩措施清单对其实施「{e.measure_name}」。",
                body=(
                    f"{e.executed_on:%Y年%m月%d日}，办理「{e.matter_name}」时经信用核查，{e.subject_name}"
                    f"适用「{e.measure_name}」。执行部门依法实施，结果：{e.result or '已办理'}。"
                ),
                effect_id=e.id,
            )
            cases.publish_case(s, SYSTEM, case.id)
            report.cases += 1
        report.states = {
            k: int(v) for k, v in s.execute(select(ListEntry.state, func.count()).group_by(ListEntry.state))
        }
    return report
