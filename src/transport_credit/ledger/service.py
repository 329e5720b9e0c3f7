"""Use cases of the work ledger (创建工作台账): load a year's ledger, report a unit's monthly progress, view the
ledger with each task's state and, where the platform measures it, its indicator this month; export it for the
领导小组's meeting; count what needs attention on the 工作台."""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.auth.models import Department
from transport_credit.auth.permissions import department_view_scope
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.datafiles import load_yaml_model, shipped_path
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.ledger import rules
from transport_credit.ledger.models import LedgerProgress, LedgerTask
from transport_credit.monitoring import report as report_rules
from transport_credit.monitoring.service import monthly_report
from transport_credit.settings import Settings

NOTE_MAX = 1000


def read_ledger_file(path: Path) -> rules.LedgerDocument:
    return load_yaml_model(path, rules.LedgerDocument, "工作台账文件", "ledger_invalid")


@functools.cache
def shipped_ledger(province: str) -> rules.LedgerDocument | None:
    """The ledger shipped for the province (``data/ledger/<province>.yaml``), if there is one (read once: package
    data does not change while the platform runs)."""
    path = shipped_path("ledger", f"{province}.yaml")
    return read_ledger_file(path) if path.is_file() else None


@dataclass(frozen=True)
class LoadResult:
    year: int
    added: int
    updated: int
    retired: int  # tasks of the year no longer in the ledger (kept with their progress, not shown)


def load_ledger(session: Session, actor: Actor, settings: Settings, doc: rules.LedgerDocument) -> LoadResult:
    """Load a year's ledger: tasks are matched by code, so a revised ledger (修订完善) keeps their progress."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    if doc.province != settings.province:
        raise InvalidInput(f"该台账属于 {doc.province}，本平台为 {settings.province}", code="ledger_other_province")
    known = {str(c) for c in session.scalars(select(Department.code))}
    unknown = sorted(
        {c for i in doc.items for c in (*i.lead, *i.support) if c != rules.CITY_BUREAUS and c not in known}
    )
    if unknown:
        raise InvalidInput(f"台账中的责任单位编码不存在：{'、'.join(unknown)}", code="ledger_unknown_department")
    bad = sorted({i.indicator for i in doc.items if i.indicator and not _indicator_known(i.indicator)})
    if bad:
        raise InvalidInput(f"台账中的衡量指标不存在：{'、'.join(bad)}", code="ledger_unknown_indicator")
    existing = {t.code: t for t in session.scalars(select(LedgerTask).where(LedgerTask.year == doc.year))}
    added = updated = 0
    for position, item in enumerate(doc.items):
        values = {
            "level1": item.level1,
            "level2": item.level2,
            "score": item.score,
            "task": item.task,
            "due": item.due,
            "due_on": item.due_month_end,
            "lead": list(item.lead),
            "support": list(item.support),
            "responsible_text": item.responsible_text,
            "indicator": item.indicator,
            "position": position,
            "active": True,
            "ledger_name": doc.name[:200],
            "ledger_version": doc.version[:40],
            "loaded_at": utcnow(),
        }
        task = existing.pop(item.code, None)
        if task is None:
            session.add(LedgerTask(year=doc.year, code=item.code, **values))
            added += 1
        else:
            for k, v in values.items():
                setattr(task, k, v)
            updated += 1
    retired = 0
    for task in existing.values():
        if task.active:
            task.active = False
            retired += 1
    session.flush()
    result = LoadResult(doc.year, added, updated, retired)
    audit(
        session,
        actor,
        "ledger.load",
        "ledger",
        str(doc.year),
        {"version": doc.version, "added": added, "updated": updated, "retired": retired},
    )
    return result


def load_shipped_ledger(session: Session, actor: Actor, settings: Settings) -> LoadResult | None:
    """The province's shipped ledger, loaded when its year has none yet (a loaded ledger is the office's own)."""
    doc = shipped_ledger(settings.province)
    if doc is None or session.scalar(select(LedgerTask.id).where(LedgerTask.year == doc.year).limit(1)):
        return None
    return load_ledger(session, actor, settings, doc)


def _indicator_known(code: str) -> bool:
    return code.split(":", 1)[0] in report_rules.INDICATOR_CODES


# --- the view -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitProgress:
    department_code: str
    department_name: str
    role: str  # 牵头 / 配合
    status: str | None  # this month's (or done in an earlier month: done stays done); None: not reported
    note: str
    reported_at: dt.datetime | None
    month: str | None = None  # the month of the report shown, when earlier than the month viewed (done before)


@dataclass(frozen=True)
class TaskView:
    id: int
    code: str
    level1: str
    level2: str
    score: float | None
    task: str
    due: str
    responsible_text: str
    units: list[UnitProgress]
    state: str
    state_label: str
    indicator: report_rules.Indicator | None
    previous_note: str  # the latest note before this month, when nothing is reported yet (what was said last)


@dataclass
class LedgerView:
    year: int
    month: str
    name: str
    version: str
    department_code: str | None
    tasks: list[TaskView]
    states: dict[str, int] = field(default_factory=dict)

    def groups(self) -> list[tuple[str, list[TaskView]]]:
        out: dict[str, list[TaskView]] = {}
        for t in self.tasks:
            out.setdefault(t.level1, []).append(t)
        return list(out.items())


def _city_bureaus(session: Session) -> list[str]:
    return [
        str(c)
        for c in session.scalars(
            select(Department.code).where(Department.kind == "city_bureau", Department.active.is_(True))
        )
    ]


def ledger_years(session: Session) -> list[int]:
    return sorted({int(y) for y in session.scalars(select(LedgerTask.year).where(LedgerTask.active.is_(True)))})


def ledger_view(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    month: str,
    department_code: str | None = None,
    today: dt.date | None = None,
    with_indicators: bool = True,
) -> LedgerView:
    """The ledger of ``month``'s year with every task's state this month: the credit office, administrators and
    viewers see every task (or one department's), a data officer the tasks their department answers for."""
    scope = department_view_scope(actor, department_code, "工作台账")
    start, _end = report_rules.month_bounds(month)
    day = today or dt.datetime.now(report_rules.CST).date()
    year = start.year
    tasks = list(
        session.scalars(
            select(LedgerTask).where(LedgerTask.year == year, LedgerTask.active.is_(True)).order_by(LedgerTask.position)
        )
    )
    names = {str(c): str(n) for c, n in session.execute(select(Department.code, Department.name))}
    cities = _city_bureaus(session)
    ids = [t.id for t in tasks]
    this_month: dict[int, dict[str, LedgerProgress]] = defaultdict(dict)
    earlier: dict[int, LedgerProgress] = {}  # the latest report before the month, of any unit
    done_before: dict[int, dict[str, LedgerProgress]] = defaultdict(dict)  # a unit's latest earlier report, if done
    if ids:
        for p in session.scalars(
            select(LedgerProgress)
            .where(LedgerProgress.task_id.in_(ids), LedgerProgress.month <= month)
            .order_by(LedgerProgress.month, LedgerProgress.reported_at)
        ):
            if p.month == month:
                this_month[p.task_id][p.department_code] = p
            else:
                earlier[p.task_id] = p
                if p.status == "done":
                    done_before[p.task_id][p.department_code] = p
                else:
                    done_before[p.task_id].pop(p.department_code, None)
    measured = with_indicators and any(t.indicator for t in tasks)
    indicators = _month_indicators(session, actor, settings, month) if measured else {}
    # the month's state is judged on its last day for a month that has ended, on today for the month under way
    as_of = min(day, _end - dt.timedelta(days=1))
    views: list[TaskView] = []
    for t in tasks:
        item_units = _units(t, cities)
        if scope is not None and scope not in item_units:
            continue
        # a unit that reported the task done in an earlier month need not report again: done stays done
        reports = {**done_before.get(t.id, {}), **this_month.get(t.id, {})}
        lead = set(cities) if rules.CITY_BUREAUS in t.lead else set()
        lead |= {str(c) for c in t.lead}
        state = rules.task_state(t.due_on, {d: p.status for d, p in reports.items()}, item_units, as_of)
        before = earlier.get(t.id)
        views.append(
            TaskView(
                id=t.id,
                code=t.code,
                level1=t.level1,
                level2=t.level2,
                score=t.score,
                task=t.task,
                due=t.due,
                responsible_text=t.responsible_text,
                units=[
                    UnitProgress(
                        u,
                        names.get(u, u),
                        "牵头" if u in lead else "配合",
                        reports[u].status if u in reports else None,
                        reports[u].note if u in reports else "",
                        reports[u].reported_at if u in reports else None,
                        reports[u].month if u in reports and reports[u].month != month else None,
                    )
                    for u in item_units
                ],
                state=state,
                state_label=rules.STATE_LABELS[state],
                indicator=indicators.get(t.indicator) if t.indicator else None,
                previous_note=before.note if before is not None and not reports else "",
            )
        )
    first = tasks[0] if tasks else None
    return LedgerView(
        year=year,
        month=f"{start:%Y-%m}",
        name=first.ledger_name if first else "",
        version=first.ledger_version if first else "",
        department_code=scope,
        tasks=views,
        states=dict(Counter(v.state for v in views)),
    )


def _units(task: LedgerTask, cities: list[str]) -> tuple[str, ...]:
    return rules.responsible([str(c) for c in task.lead], [str(c) for c in task.support], cities)


def _month_indicators(
    session: Session, actor: Actor, settings: Settings, month: str
) -> dict[str, report_rules.Indicator]:
    """The monthly report's indicators of the month, for those who may read the report (others see none)."""
    if not actor.has_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER, ROLE_ADMIN):
        return {}
    return {i.code: i for i in monthly_report(session, actor, settings, month).indicators}


# --- progress -------------------------------------------------------------------------------------------------------


def report_progress(
    session: Session,
    actor: Actor,
    task_id: int,
    *,
    month: str,
    status: str,
    note: str,
    department_code: str | None = None,
) -> LedgerProgress:
    """A responsible unit's progress this month (进展情况): its data officer reports for it, the credit office for any
    responsible unit. Reported again in the month, it replaces the earlier report; the caller commits."""
    task = session.get(LedgerTask, task_id)
    if task is None or not task.active:
        raise NotFound("没有该台账任务", code="ledger_task_not_found")
    report_rules.month_bounds(month)
    if status not in rules.PROGRESS_LABELS:
        raise InvalidInput("请选择进展状态", code="invalid_progress_status")
    text = (note or "").strip()
    if "\x00" in text or not 2 <= len(text) <= NOTE_MAX:
        raise InvalidInput(f"请填写进展情况（2–{NOTE_MAX} 个字）", code="progress_note_required")
    if actor.has_role(ROLE_CREDIT_OFFICE):
        dept = department_code or actor.department_code
    elif actor.has_role(ROLE_DATA_OFFICER) and actor.department_code:
        if department_code not in (None, actor.department_code):
            raise PermissionDenied("只能报送本单位的台账进展", code="other_department")
        dept = actor.department_code
    else:
        raise PermissionDenied("当前用户无权报送台账进展", code="role_required")
    if not dept or dept not in _units(task, _city_bureaus(session)):
        raise PermissionDenied("该单位不是这项任务的责任单位", code="not_responsible")
    row = session.scalar(
        select(LedgerProgress).where(
            LedgerProgress.task_id == task.id, LedgerProgress.month == month, LedgerProgress.department_code == dept
        )
    )
    if row is None:
        row = LedgerProgress(task_id=task.id, month=month, department_code=dept, status=status, note=text)
        session.add(row)
    row.status, row.note = status, text
    row.reported_by, row.reported_at = actor.label[:120], utcnow()
    session.flush()
    audit(
        session,
        actor,
        "ledger.progress",
        "ledger_task",
        f"{task.year}-{task.code}",
        {"month": month, "department": dept, "status": status},
    )
    return row


def attention(session: Session, actor: Actor, settings: Settings, today: dt.date) -> tuple[int, int]:
    """(tasks overdue, tasks awaiting this month's report) that the actor answers for: the 工作台's card."""
    view = ledger_view(session, actor, settings, month=f"{today:%Y-%m}", today=today, with_indicators=False)
    mine = actor.department_code if not actor.has_role(ROLE_CREDIT_OFFICE) else None
    waiting = sum(
        1
        for t in view.tasks
        if t.state != "done" and any(u.status is None and (mine is None or u.department_code == mine) for u in t.units)
    )
    return view.states.get("overdue", 0), waiting


# --- export ---------------------------------------------------------------------------------------------------------


def to_xlsx(view: LedgerView) -> bytes:
    """The ledger with the month's progress, for the 领导小组's meeting."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{view.month}进展"
    ws.append([f"{view.name}（{view.month} 进展）"])
    headers = ["编号", "一级指标", "二级指标", "具体任务", "完成时限", "责任单位", "本月进展", "状态", "衡量指标"]
    ws.append(headers)
    for t in view.tasks:
        progress = "\n".join(
            f"{u.department_name}（{u.role}）：{rules.PROGRESS_LABELS.get(u.status or '', '未报送')}"
            + (f"，{u.note}" if u.note else "")
            + (f"（{u.month} 报送）" if u.month else "")
            for u in t.units
        )
        measured = f"{t.indicator.name}：{t.indicator.value}" if t.indicator else ""
        ws.append([t.code, t.level1, t.level2, t.task, t.due, t.responsible_text, progress, t.state_label, measured])
    bold = Font(bold=True)
    for cell in ws[2]:
        cell.font = bold
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEFGHI", (8, 20, 22, 50, 10, 30, 50, 12, 30), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
