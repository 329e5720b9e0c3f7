"""Demo step of the work ledger (创建工作台账): the responsible units' progress reports of last month and this
month on the province's shipped ledger (loaded by the initialisation), so the page shows every state: tasks done,
overdue, due this month, waiting for some units' reports."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.db.uow import Database
from transport_credit.ledger import service
from transport_credit.ledger.models import LedgerTask
from transport_credit.settings import Settings

NOTES = {
    "done": ("已按期完成，相关文件已印发。", "任务已完成，材料已报厅信用办备案。", "已完成并通过验收。"),
    "in_progress": (
        "按计划推进，本月完成阶段性工作。",
        "已制定工作方案，正在组织实施。",
        "已完成需求调研，进入实施阶段。",
    ),
    "not_started": ("已列入下月工作计划。",),
    "blocked": ("需与业务系统承建单位协调接口改造，已报请厅信用办协调。",),
}
REPORTED_SHARE = {0: 0.45, 1: 0.8}  # this month, last month
OFFICE = Actor("信用办演示经办人", "system", roles=frozenset({ROLE_CREDIT_OFFICE}))


def build_ledger_demo(db: Database, settings: Settings, *, today: dt.date, seed: int = 7) -> int:
    """Progress reports of last month and this month (as each unit's data officer, or the credit office for itself);
    returns how many."""
    rng = random.Random(seed * 31 + 5)
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    made = 0
    with db.unit_of_work() as s:
        tasks = list(s.scalars(select(LedgerTask).where(LedgerTask.year == today.year, LedgerTask.active.is_(True))))
        if not tasks:
            return 0
        view = service.ledger_view(s, OFFICE, settings, month=f"{today:%Y-%m}", today=today, with_indicators=False)
        units = {t.id: [u.department_code for u in t.units] for t in view.tasks}
        for back, month_start in ((1, last_month), (0, this_month)):
            month = f"{month_start:%Y-%m}"
            for task in tasks:
                for unit in units.get(task.id, []):
                    if rng.random() > REPORTED_SHARE[back]:
                        continue
                    status = _status(task, month_start, rng)
                    actor = Actor("演示报送员", "system", department_code=unit, roles=frozenset({ROLE_DATA_OFFICER}))
                    service.report_progress(
                        s, actor, task.id, month=month, status=status, note=rng.choice(NOTES[status])
                    )
                    made += 1
    return made


def _status(task: LedgerTask, month_start: dt.date, rng: random.Random) -> str:
    if task.due_on is not None and task.due_on < month_start:
        return "done" if rng.random() < 0.85 else "in_progress"  # the rest are overdue
    roll = rng.random()
    return "not_started" if roll < 0.1 else "blocked" if roll < 0.15 else "in_progress"
