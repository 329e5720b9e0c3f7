"""Demo step of the lists issue: list entries in every state, checks with feedback, effects and typical cases.

Runs after the demo's records are imported: the entry criteria propose from the imported penalties; further
entries are proposed by hand where the criteria found too few, so every state of the lifecycle is on show.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from transport_credit.auth.models import Department
from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.lists import cases, checks, service
from transport_credit.lists.criteria import propose_automatic
from transport_credit.lists.models import CreditCheck, ListEntry
from transport_credit.lists.rules import list_rules
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

CST = dt.timezone(dt.timedelta(hours=8))
# 逢批必查 in the demo: the licensing offices checked most applicants in the days before deciding, so the
# 信用查询办率 page has the previous month and this one. Each department checks its own share of its licences (fixed
# per department by the seed), zero to five days before the decision; of the others, some are checked only after
# the decision (查询晚于决定).
APPROVAL_CHECK_SHARES = (0.55, 0.7, 0.8, 0.9, 0.95, 1.0, 1.0)


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


def build_approval_checks(db: Database, settings: Settings, *, today: dt.date, seed: int = 7) -> int:
    """Credit checks of the applicants of the licences decided since the first day of the previous month, made
    through the check service as of their day (before the lists demo: nobody is listed yet) and dated back to it;
    returns how many."""
    rng = random.Random(seed * 7919 + 13)
    since = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    licensing = [m for m in list_rules(settings.province).matters.values() if m.kind == "licensing"]
    R = CreditRecord
    made = 0
    with db.unit_of_work() as s:
        kinds = {str(code): str(kind) for code, kind in s.execute(select(Department.code, Department.kind))}
        rows = s.execute(
            select(R.decision_date, R.department_code, Subject.uscc)
            .join(Subject, Subject.id == R.subject_id)
            .where(
                R.category == "XZXK",
                R.is_current.is_(True),
                R.decision_date >= since,
                R.decision_date <= today,
                Subject.uscc.is_not(None),
            )
            .order_by(R.id)
        ).all()
        shares: dict[str, float] = {}
        for decided, dept, code in rows:
            if decided is None:  # not reached: the query bounds the decision date
                continue
            share = shares.setdefault(dept, rng.choice(APPROVAL_CHECK_SHARES))
            if rng.random() < share:
                day = decided - dt.timedelta(days=rng.randint(0, 5))
            elif rng.random() < 0.3:
                day = decided + dt.timedelta(days=rng.randint(1, 3))
            else:
                continue
            if day > today:
                continue
            matters = [m for m in licensing if kinds.get(dept) in m.department_kinds] or licensing
            result = checks.run_check(
                s,
                SYSTEM,
                settings,
                subject_code=str(code),
                matter_code=rng.choice(matters).code,
                department_code=dept,
                today=day,
            )
            at = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)), CST).astimezone(dt.UTC)
            s.execute(
                update(CreditCheck)
                .where(CreditCheck.check_no == result.check_id)
                .values(check_no=checks.check_no_floor(at) + result.check_id[14:], checked_at=at)
            )
            made += 1
    return made
