"""信用查询办率 (逢批必查 coverage): of the 行政许可 decided in a month, how many had their applicant checked (信用核查,
``lists/checks.py``) in the approval, that is in the ``check_window_days`` before the decision (indicator file),
the decision day included. Seeds 000 (逢批必查、逢办必查) and 004 (行业信用查询办率 100%, 15 个事项的信用查询办).

Counted: current revisions of the month's licences, revoked ones left out (as ``commitments.service.handling_counts``),
per the department that reported them. A check by any department counts: the approving office may check through
its business system's key, the window's console or the province's licensing system. The check log has one index,
its time-ordered check id, so the checks of the period are read as one range of it; nothing is kept between views.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.auth.models import Department
from transport_credit.auth.permissions import department_view_scope
from transport_credit.common.actor import Actor
from transport_credit.identifiers.citizen_id import mask_name
from transport_credit.lists.checks import check_no_floor, may_see_personal_data
from transport_credit.lists.models import CreditCheck
from transport_credit.lists.rules import list_rules
from transport_credit.monitoring import report as rules
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

LICENCE = "XZXK"
UNCHECKED_LISTED = 200  # licences listed on the page (the count is always whole)


@dataclass(frozen=True)
class CoverageLine:
    """One department's licences of the month and how many were checked before the decision."""

    department_code: str
    department_name: str
    licences: int
    checked: int

    @property
    def rate(self) -> float | None:
        return rules.rate(self.checked, self.licences)


@dataclass(frozen=True)
class MatterLine:
    code: str
    name: str
    checks: int


@dataclass(frozen=True)
class UncheckedLicence:
    """A licence decided without a check of its applicant in the window before the decision."""

    record_id: int
    decision_no: str
    decided_on: dt.date
    subject_id: int
    subject_name: str  # a natural person's masked for those without the right to personal data
    department_code: str
    department_name: str
    checked_after: dt.date | None  # the first check in the window after the decision (查询晚于决定), if any


@dataclass(frozen=True)
class CheckCoverage:
    month: str
    start: dt.date
    end: dt.date  # exclusive
    window_days: int
    department_code: str | None  # the department looked at (None: all)
    departments: list[CoverageLine]  # lowest rate first
    matters: list[MatterLine]  # matters checked in the month, most checks first
    unchecked: list[UncheckedLicence]  # oldest decision first (the first UNCHECKED_LISTED on the page)
    unchecked_total: int
    target: float | None

    @property
    def licences(self) -> int:
        return sum(d.licences for d in self.departments)

    @property
    def checked(self) -> int:
        return sum(d.checked for d in self.departments)

    @property
    def rate(self) -> float | None:
        return rules.rate(self.checked, self.licences)


@dataclass(frozen=True)
class _Licence:
    record_id: int
    decision_no: str
    decided_on: dt.date
    subject_id: int
    department_code: str
    checked: bool
    checked_after: dt.date | None


@dataclass(frozen=True)
class Measured:
    """What the monthly report and the page are built from."""

    licences: list[_Licence]
    matter_checks: dict[str, int]  # matter code → checks made in the month

    def by_department(self) -> dict[str, tuple[int, int]]:
        """Department → (licences checked before the decision, licences)."""
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for lic in self.licences:
            line = out[lic.department_code]
            line[0] += lic.checked
            line[1] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}


def measure(
    session: Session, start: dt.date, end: dt.date, window_days: int, department_code: str | None = None
) -> Measured:
    """The licences decided in ``[start, end)`` (of one department or all), each with whether its applicant was
    checked in the window before the decision, and the month's checks per matter."""
    R = CreditRecord
    stmt = select(R.id, R.natural_key, R.decision_date, R.subject_id, R.department_code).where(
        R.category == LICENCE,
        R.decision_date >= start,
        R.decision_date < end,
        R.is_current.is_(True),
        R.status != "revoked",
    )
    if department_code is not None:
        stmt = stmt.where(R.department_code == department_code)
    rows = session.execute(stmt).all()
    subjects = {int(r.subject_id) for r in rows}
    # a check after the decision is not counted, but shown (查询晚于决定) when made within the window after it
    window = dt.timedelta(days=window_days)
    days, matter_checks = _checks(session, (start - window, end + window), (start, end), subjects, department_code)
    licences = []
    for record_id, key, decided, subject_id, dept in rows:
        if decided is None:  # not reached: the query bounds the decision date
            continue
        checked_on = days.get(int(subject_id), [])
        checked = rules.checked_before(decided, checked_on, window_days)
        after = None if checked else next((d for d in checked_on if decided < d <= decided + window), None)
        licences.append(_Licence(int(record_id), str(key), decided, int(subject_id), str(dept), checked, after))
    return Measured(licences, matter_checks)


def _checks(
    session: Session,
    read: tuple[dt.date, dt.date],
    month: tuple[dt.date, dt.date],
    subjects: set[int],
    department_code: str | None,
) -> tuple[dict[int, list[dt.date]], dict[str, int]]:
    """(subject → sorted China-time days of its checks in the days ``read`` (start, end exclusive), matter → checks
    in the days ``month`` made by ``department_code`` or, with None, by anyone):
    one range of the check log's time-ordered id, a day wider each side (the id's clock and ``checked_at`` are
    read microseconds apart), then the days themselves."""
    since, until = read
    t0, t1 = rules.utc_bounds(since - dt.timedelta(days=1), until + dt.timedelta(days=1))
    C = CreditCheck
    stmt = select(C.subject_id, C.checked_at, C.matter_code, C.department_code).where(
        C.check_no >= check_no_floor(t0), C.check_no < check_no_floor(t1)
    )
    days: dict[int, set[dt.date]] = defaultdict(set)
    matters: dict[str, int] = defaultdict(int)
    for subject_id, at, matter, dept in session.execute(stmt.execution_options(yield_per=20_000)):
        day = at.astimezone(rules.CST).date()
        if not since <= day < until:
            continue
        if month[0] <= day < month[1] and department_code in (None, dept):
            matters[str(matter)] += 1
        if subject_id in subjects:
            days[int(subject_id)].add(day)
    return {k: sorted(v) for k, v in days.items()}, dict(matters)


def check_coverage(
    session: Session,
    actor: Actor,
    settings: Settings,
    month: str,
    department_code: str | None = None,
    *,
    listed: int | None = UNCHECKED_LISTED,
) -> CheckCoverage:
    """The month's 信用查询办率 by department, the licences decided without a check (the first ``listed``, or all
    with None), and the matters checked: the credit office, administrators and viewers see every department, a data
    officer their own."""
    scope = department_view_scope(actor, department_code, "信用查询办情况")
    start, end = rules.month_bounds(month)
    goals = rules.indicator_targets(settings.province)
    measured = measure(session, start, end, goals.check_window_days, scope)
    names = {str(c): str(n) for c, n in session.execute(select(Department.code, Department.name))}
    lines = [
        CoverageLine(code, names.get(code, code), licences, checked)
        for code, (checked, licences) in measured.by_department().items()
    ]
    lines.sort(key=lambda x: (x.rate if x.rate is not None else 2.0, -x.licences, x.department_code))
    missed = sorted((x for x in measured.licences if not x.checked), key=lambda x: (x.decided_on, x.record_id))
    shown = missed if listed is None else missed[:listed]
    visible = may_see_personal_data(actor)
    who = {
        int(i): (str(name) if visible or kind != "person" else mask_name(str(name)))
        for i, name, kind in session.execute(
            select(Subject.id, Subject.name, Subject.kind).where(Subject.id.in_({x.subject_id for x in shown}))
        )
    }
    matters = list_rules(settings.province).matters
    return CheckCoverage(
        month=f"{start:%Y-%m}",
        start=start,
        end=end,
        window_days=goals.check_window_days,
        department_code=scope,
        departments=lines,
        matters=sorted(
            (
                MatterLine(code, matters[code].name if code in matters else code, n)
                for code, n in measured.matter_checks.items()
            ),
            key=lambda m: (-m.checks, m.code),
        ),
        unchecked=[
            UncheckedLicence(
                x.record_id,
                x.decision_no,
                x.decided_on,
                x.subject_id,
                who.get(x.subject_id, ""),
                x.department_code,
                names.get(x.department_code, x.department_code),
                x.checked_after,
            )
            for x in shown
        ],
        unchecked_total=len(missed),
        target=goals.check_coverage_rate,
    )


def to_xlsx(coverage: CheckCoverage) -> bytes:
    """The month's figures by department and every licence decided without a check, as a workbook to send to the
    departments for follow-up."""
    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    assert ws is not None
    ws.title = "未核查的许可"
    ws.append(["许可决定文书号", "决定日期", "申请人", "报送单位", "决定后才核查（日期）"])
    for x in coverage.unchecked:
        ws.append(
            [
                x.decision_no,
                x.decided_on.isoformat(),
                x.subject_name,
                x.department_name,
                x.checked_after.isoformat() if x.checked_after else "",
            ]
        )
    by_dept = wb.create_sheet("各单位查询办率")
    by_dept.append(["单位", "许可决定", "决定前已核查", "查询办率"])
    for d in coverage.departments:
        by_dept.append([d.department_name, d.licences, d.checked, rules.percent(d.rate)])
    by_dept.append(["合计", coverage.licences, coverage.checked, rules.percent(coverage.rate)])
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = bold
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
