"""The monthly effect list (联合奖惩成效清单): measures applied, per executing department, as XLSX or CSV.

Columns follow the seeds: 被执行主体, 执行措施, 执行部门, 执行时间, 具体事项, plus the measure's kind and basis, the
result and the check id; a second sheet (XLSX) / the summary rows counts effects by measure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.auth.models import Department
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import InvalidInput, PermissionDenied
from transport_credit.lists.checks import EffectView, effect_view
from transport_credit.lists.models import CreditCheck, Effect
from transport_credit.lists.rules import list_rules

ExportFormat = Literal["xlsx", "csv"]
HEADER = [
    "序号",
    "被执行主体",
    "执行措施",
    "措施类型",
    "措施依据",
    "执行部门",
    "执行时间",
    "具体事项",
    "执行结果",
    "核查编号",
]
KIND_LABELS = {"incentive": "守信激励", "punishment": "失信惩戒"}


@dataclass(frozen=True)
class MeasureCount:
    measure_code: str
    measure_name: str
    measure_kind: str
    count: int


@dataclass(frozen=True)
class EffectList:
    year: int
    month: int
    department_code: str | None
    department_names: dict[str, str]
    effects: list[EffectView]
    by_measure: list[MeasureCount]

    @property
    def title(self) -> str:
        scope = (
            self.department_names.get(self.department_code or "", "全部部门") if self.department_code else "全部部门"
        )
        return f"联合奖惩成效清单（{self.year}年{self.month}月，{scope}）"


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput("请指定正确的年份和月份", code="invalid_month")
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def effect_list(
    session: Session,
    actor: Actor,
    *,
    year: int,
    month: int,
    department_code: str | None = None,
    include_not_applied: bool = False,
) -> EffectList:
    """Effects executed in the month (applied measures; optionally also those reported as not applied).

    The credit office and viewers see every department; a data officer only their own."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER, ROLE_DATA_OFFICER)
    if not actor.has_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER):
        if department_code and department_code != actor.department_code:
            raise PermissionDenied("只能导出本部门的成效清单", code="other_department")
        department_code = actor.department_code
    start, end = month_bounds(year, month)
    stmt = (
        select(Effect, CreditCheck.check_no)
        .outerjoin(CreditCheck, CreditCheck.id == Effect.check_id)
        .where(Effect.executed_on >= start, Effect.executed_on < end)
        .order_by(Effect.department_code, Effect.executed_on, Effect.id)
    )
    if department_code:
        stmt = stmt.where(Effect.department_code == department_code)
    if not include_not_applied:
        stmt = stmt.where(Effect.applied.is_(True))
    effects = [effect_view(e, no) for e, no in session.execute(stmt)]
    counts = Counter((e.measure_code, e.measure_name, e.measure_kind) for e in effects if e.applied)
    by_measure = [MeasureCount(c, n, k, v) for (c, n, k), v in sorted(counts.items(), key=lambda x: (-x[1], x[0][0]))]
    names = {str(c): str(n) for c, n in session.execute(select(Department.code, Department.name))}
    return EffectList(year, month, department_code, names, effects, by_measure)


def _rows(lst: EffectList) -> list[list[str]]:
    rules = list_rules()
    out = []
    for i, e in enumerate(lst.effects, start=1):
        m = rules.measures.get(e.measure_code)
        out.append(
            [
                str(i),
                e.subject_name,
                e.measure_name + ("" if e.applied else "（未实施）"),
                KIND_LABELS.get(e.measure_kind, e.measure_kind),
                m.basis if m else "",
                lst.department_names.get(e.department_code, e.department_code),
                e.executed_on.isoformat(),
                e.matter_name + (f"：{e.details}" if e.details else ""),
                e.result or "",
                e.check_id or "",
            ]
        )
    return out


def export_effects(lst: EffectList, fmt: ExportFormat) -> bytes:
    """The effect list as XLSX (清单 + 按措施统计 sheets) or CSV (UTF-8 with BOM, opens in Excel)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(HEADER)
        w.writerows(_rows(lst))
        w.writerow([])
        w.writerow(["按措施统计", "措施编码", "执行措施", "措施类型", "次数"])
        for c in lst.by_measure:
            w.writerow(["", c.measure_code, c.measure_name, KIND_LABELS.get(c.measure_kind, c.measure_kind), c.count])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise InvalidInput("导出格式应为 xlsx 或 csv", code="invalid_format")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "成效清单"
    ws.append([lst.title])
    ws.append(HEADER)
    for r in _rows(lst):
        ws.append(r)
    for col, width in zip("ABCDEFGHIJ", (6, 30, 40, 10, 40, 24, 12, 40, 24, 34), strict=True):
        ws.column_dimensions[col].width = width
    ws2 = wb.create_sheet("按措施统计")
    ws2.append(["措施编码", "执行措施", "措施类型", "次数"])
    for c in lst.by_measure:
        ws2.append([c.measure_code, c.measure_name, KIND_LABELS.get(c.measure_kind, c.measure_kind), c.count])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
