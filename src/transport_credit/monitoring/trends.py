"""信用监测分析: pure rules — the months of a window, changes against an earlier period, the tendency of a frequent
problem (高发问题), the shade of a city on the 诚信地图, and the geometry of the page's bar charts. Thresholds are
data (``data/monitoring/analysis.yaml``)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.common.datafiles import load_yaml_model
from transport_credit.common.errors import InvalidInput
from transport_credit.monitoring.report import month_bounds


class AnalysisRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["monitoring_analysis"]
    version: str
    default_months: int = Field(ge=1, le=60)
    max_months: int = Field(ge=1, le=60)
    hotspot_top: int = Field(ge=1, le=100)
    compare_months: int = Field(ge=1, le=12)
    rising_ratio: float = Field(gt=1)
    falling_ratio: float = Field(gt=0, lt=1)
    min_cases: int = Field(ge=1)
    heat_levels: int = Field(ge=2, le=9)

    @model_validator(mode="after")
    def _window(self) -> AnalysisRules:
        if self.default_months > self.max_months:
            raise ValueError("default_months must not exceed max_months")
        return self


@functools.cache
def analysis_rules() -> AnalysisRules:
    path = Path(str(resources.files("transport_credit") / "data" / "monitoring" / "analysis.yaml"))
    return load_yaml_model(path, AnalysisRules, "监测分析规则文件", "analysis_file_invalid")


def shift_month(month: str, by: int) -> str:
    """``YYYY-MM`` moved by ``by`` months (negative: earlier)."""
    start, _ = month_bounds(month)
    index = start.year * 12 + start.month - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(month: str) -> dt.date:
    """The first day of a month this module derived (``shift_month``): ``YYYY-MM`` without the range check of
    user input (a window may reach back before 2000)."""
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def window_months(end_month: str, months: int, rules: AnalysisRules) -> list[str]:
    """The ``months`` calendar months ending with ``end_month``, oldest first; :class:`InvalidInput` for a window
    outside 1..``max_months``."""
    if not 1 <= months <= rules.max_months:
        raise InvalidInput(f"统计月数应在 1 至 {rules.max_months} 之间", code="invalid_window")
    month_bounds(end_month)  # the month's own form
    return [shift_month(end_month, -i) for i in range(months - 1, -1, -1)]


@dataclass(frozen=True)
class Change:
    """A figure against the same figure of an earlier period; ``previous`` is ``None`` when that period was not
    measured (shown as "—")."""

    current: int
    previous: int | None

    @property
    def delta(self) -> int | None:
        return None if self.previous is None else self.current - self.previous

    @property
    def ratio(self) -> float | None:
        """Relative change (+0.25 for a quarter more); ``None`` when there is nothing to compare with."""
        if self.previous is None or self.previous == 0:
            return None
        return (self.current - self.previous) / self.previous


def change_text(c: Change) -> str:
    """ "+25.0%", "-3.1%", "0.0%", "新增" (from none), or "—" (not measured)."""
    if c.previous is None:
        return "—"
    if c.ratio is None:
        return "—" if c.current == 0 else "新增"
    return f"{c.ratio * 100:+.1f}%"


Tendency = Literal["rising", "falling", "steady", "new"]
TENDENCY_LABELS: dict[str, str] = {"rising": "上升", "falling": "下降", "steady": "平稳", "new": "新出现"}


def tendency(recent: int, earlier: int, rules: AnalysisRules) -> Tendency:
    """A problem's tendency: its cases in the last ``compare_months`` against the months before. Too few cases in
    both periods (< ``min_cases``) is 平稳, whatever the ratio: three cases after one is not a trend."""
    if max(recent, earlier) < rules.min_cases:
        return "steady"
    if earlier == 0:
        return "new"
    ratio = recent / earlier
    if ratio >= rules.rising_ratio:
        return "rising"
    if ratio <= rules.falling_ratio:
        return "falling"
    return "steady"


def per_thousand(part: int, whole: int) -> float | None:
    """Cases per 1,000 subjects; ``None`` for a city without subjects (no rate, not zero)."""
    return None if whole <= 0 else part * 1000 / whole


def heat_levels(values: Sequence[float | None], levels: int) -> list[int | None]:
    """The shade of each value: ``levels`` equal intervals from 0 to the highest value, 0 the lightest. Equal
    intervals show magnitude honestly (cities with nearly equal rates get nearly the same shade; ranks would
    paint a difference of 2% as lightest against darkest). ``None`` stays ``None`` (no rate: not shaded); when
    every rate is 0, all are shade 0."""
    top = max((v for v in values if v is not None), default=0.0)
    if top <= 0:
        return [None if v is None else 0 for v in values]
    return [None if v is None else min(levels - 1, int(v / top * levels)) for v in values]


def nice_ticks(maximum: int, target: int = 4) -> list[int]:
    """Axis ticks from 0 to at least ``maximum`` in steps of 1, 2 or 5 × 10^k, about ``target`` of them."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    top = math.ceil(maximum / step) * step
    return list(range(0, top + 1, step))


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: int
    part: int  # the highlighted part of the bar (严重), drawn at its foot
    x: float
    width: float
    y: float  # top of the bar
    height: float
    part_y: float
    part_height: float
    show_label: bool  # with many bars only every k-th label is drawn (and the last), so they never overlap


@dataclass(frozen=True)
class ChartTick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int  # the plot area: x from ``left`` to ``width - right``, y from ``top`` to ``bottom``
    right: int
    top: int
    bottom: int
    bars: list[ChartBar]
    ticks: list[ChartTick]


def bar_chart(
    points: Sequence[tuple[str, int, int]],
    *,
    width: int = 720,
    height: int = 240,
    gap: float = 0.25,
    max_labels: int = 18,
) -> BarChart:
    """The geometry of a bar chart of ``(label, value, part)`` points in SVG coordinates (y grows downwards): one
    bar per point, ``part`` (≤ value) as a darker foot, a 0-based axis with :func:`nice_ticks`, and at most
    ``max_labels`` labels under the bars (every k-th, counted back from the last bar, which is always labelled)."""
    left, right, top, bottom = 48, 8, 12, height - 28
    ticks = nice_ticks(max((v for _, v, _ in points), default=0))
    scale = (bottom - top) / ticks[-1]
    slot = (width - left - right) / max(len(points), 1)
    every = max(1, math.ceil(len(points) / max_labels))
    bars = []
    for i, (label, value, part) in enumerate(points):
        value = max(value, 0)
        part = min(max(part, 0), value)
        h, ph = value * scale, part * scale
        bars.append(
            ChartBar(
                label=label,
                value=value,
                part=part,
                x=round(left + i * slot + slot * gap / 2, 2),
                width=round(slot * (1 - gap), 2),
                y=round(bottom - h, 2),
                height=round(h, 2),
                part_y=round(bottom - ph, 2),
                part_height=round(ph, 2),
                show_label=(len(points) - 1 - i) % every == 0,
            )
        )
    return BarChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bars=bars,
        ticks=[ChartTick(t, round(bottom - t * scale, 2)) for t in ticks],
    )
