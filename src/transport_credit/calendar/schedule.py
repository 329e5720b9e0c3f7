"""Schema of a year's holiday schedule (节假日安排) data file, validated by pydantic at load.

A schedule file transcribes one 国务院办公厅关于××年部分节假日安排的通知::

    year: 2026
    source: 国务院办公厅关于2026年部分节假日安排的通知
    holidays: [2026-01-01, 2026-01-02, …]   # days off (放假); weekend days may be listed, they change nothing
    workdays: [2026-01-04, …]               # make-up working days (调休上班); must be Saturdays or Sundays

The shipped ``data/calendar/2026.yaml`` is the 2026 schedule (the weekday holidays and weekend working days that
``chinesecalendar`` also knows); it is an example of the format and a cross-check of the built-in data.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import chinese_calendar
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class YearSchedule(BaseModel):
    """One year's schedule: the days off and the make-up working days."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=1949, le=9998)
    source: str = Field(min_length=1, max_length=200, description="the notice this schedule transcribes")
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()

    @field_validator("holidays", "workdays")
    @classmethod
    def _sorted_unique(cls, value: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _consistent(self) -> YearSchedule:
        outside = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if outside:
            raise ValueError(f"dates outside {self.year}: {', '.join(map(str, outside))}")
        weekdays = [d for d in self.workdays if d.weekday() < 5]
        if weekdays:
            raise ValueError(f"make-up working days must be Saturdays or Sundays: {', '.join(map(str, weekdays))}")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates both holiday and working day: {', '.join(map(str, both))}")
        return self

    def weekday_holidays(self) -> list[dt.date]:
        """The holidays that change something (those falling Monday–Friday)."""
        return [d for d in self.holidays if d.weekday() < 5]


def load_schedule(path: Path) -> YearSchedule:
    """Read and validate a schedule file (raises ``pydantic.ValidationError`` on a bad file)."""
    with path.open(encoding="utf-8") as fh:
        return YearSchedule.model_validate(yaml.safe_load(fh))


def shipped_schedule(year: int) -> YearSchedule:
    """A schedule file shipped in ``data/calendar/<year>.yaml`` (``FileNotFoundError`` if none)."""
    ref = resources.files("transport_credit") / "data" / "calendar" / f"{year}.yaml"
    return YearSchedule.model_validate(yaml.safe_load(ref.read_text(encoding="utf-8")))


def schedule_from_builtin(year: int, source: str) -> YearSchedule:
    """The ``chinesecalendar`` data of a year as a schedule (weekday holidays and weekend working days).

    Raises ``NotImplementedError`` for a year the package does not know.
    """
    first = dt.date(year, 1, 1)
    days = [first + dt.timedelta(days=i) for i in range((dt.date(year, 12, 31) - first).days + 1)]
    flags = {d: bool(chinese_calendar.is_workday(d)) for d in days}
    return YearSchedule(
        year=year,
        source=source,
        holidays=tuple(d for d in days if d.weekday() < 5 and not flags[d]),
        workdays=tuple(d for d in days if d.weekday() >= 5 and flags[d]),
    )
