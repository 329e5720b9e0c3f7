"""The 信用交通省 work ledger (创建工作台账; seeds 000, 002, 003: 建立/修订完善创建工作台帐，明确时间表、任务分工和
责任目标，每月更新进展情况) — the ledger file's schema and the pure rules of a task's state.

A ledger is data (``data/ledger/<province>.yaml``, or a file an administrator loads with ``tcredit ledger load``):
one year's tasks under their 一级/二级指标, each with its due month (or 持续推进), the departments that lead and
support it, and optionally the monthly-report indicator that measures it. The responsible departments report
progress each month; the state of a task follows from its due month and those reports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CITY_BUREAUS = "city_bureaus"  # in lead/support: every city bureau (市交通运输局) of the province
CONTINUOUS = "持续推进"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

ProgressStatus = Literal["not_started", "in_progress", "done", "blocked"]
PROGRESS_LABELS: dict[str, str] = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "done": "已完成",
    "blocked": "遇到困难",
}
TaskState = Literal["done", "overdue", "due_soon", "on_track", "unreported", "continuous"]
STATE_LABELS: dict[str, str] = {
    "done": "已完成",
    "overdue": "逾期未完成",
    "due_soon": "本月到期",
    "on_track": "按计划推进",
    "unreported": "本月未报进展",
    "continuous": "持续推进",
}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LedgerItem(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9\-]{1,19}$")  # stable within the ledger, e.g. B03
    level1: str = Field(min_length=2, max_length=200)  # 一级指标
    level2: str = Field(min_length=2, max_length=200)  # 二级指标
    score: float | None = Field(default=None, ge=0, le=100)  # 分值, where the ledger gives one
    task: str = Field(min_length=4, max_length=2000)  # 具体任务 / 目标任务
    due: str  # YYYY-MM (done by the end of that month) or 持续推进
    lead: tuple[str, ...] = Field(min_length=1)  # department codes that lead (牵头), or city_bureaus
    support: tuple[str, ...] = ()  # department codes that support (配合 / 分别负责)
    responsible_text: str = Field(min_length=2, max_length=500)  # 责任部门 as the ledger writes it
    indicator: str | None = None  # a monthly-report indicator code measuring the task (monitoring/report.py)

    @field_validator("due")
    @classmethod
    def _due(cls, value: str) -> str:
        if value == CONTINUOUS:
            return value
        m = _MONTH_RE.match(value)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"完成时限应为 YYYY-MM 或「{CONTINUOUS}」：{value}")
        return value

    @property
    def due_month_end(self) -> dt.date | None:
        """The last day of the due month; None for a continuous task."""
        if self.due == CONTINUOUS:
            return None
        year, month = int(self.due[:4]), int(self.due[5:])
        first_next = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return first_next - dt.timedelta(days=1)


class LedgerDocument(_Strict):
    kind: Literal["work_ledger"]
    version: str
    province: str
    year: int = Field(ge=2000, le=2100)
    name: str
    basis: str | None = None
    items: tuple[LedgerItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> LedgerDocument:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("台账任务编号重复")
        return self


def responsible(lead: Sequence[str], support: Sequence[str], city_bureaus: Sequence[str]) -> tuple[str, ...]:
    """The departments that report on a task: its lead and support units, city_bureaus expanded, in order."""
    out: list[str] = []
    for code in (*lead, *support):
        for c in city_bureaus if code == CITY_BUREAUS else (code,):
            if c not in out:
                out.append(c)
    return tuple(out)


def task_state(
    due_month_end: dt.date | None, reports: Mapping[str, str], responsible_units: Sequence[str], today: dt.date
) -> TaskState:
    """The state of a task this month, from the latest status each responsible unit reported for the month
    (``reports``: department → status; a unit that has not reported is absent).

    - done: every responsible unit reported it done (a continuous task is never done);
    - overdue: the due month has ended and it is not done;
    - due_soon: due this month and not done;
    - unreported: some responsible unit has not reported this month;
    - continuous / on_track: otherwise.
    """
    all_done = bool(responsible_units) and all(reports.get(u) == "done" for u in responsible_units)
    if due_month_end is not None:
        if all_done:
            return "done"
        if today > due_month_end:
            return "overdue"
        if (today.year, today.month) == (due_month_end.year, due_month_end.month):
            return "due_soon"
    if any(u not in reports for u in responsible_units):
        return "unreported"
    return "continuous" if due_month_end is None else "on_track"
