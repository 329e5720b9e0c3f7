"""Use cases: load a year's holiday schedule (admin), build the working-day calendar from built-in data + DB.

Services take a ``Session`` and an ``Actor`` and never commit: the caller owns the transaction. They write no
audit entries themselves; ``load_year`` returns a ``CalendarYearLoaded`` event carrying what an audit entry needs
(the year, the new and the previous schedule), for the caller to record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.calendar.models import CalendarYear
from transport_credit.calendar.schedule import YearSchedule
from transport_credit.calendar.workdays import WorkdayCalendar
from transport_credit.common.actor import ROLE_ADMIN, Actor


@dataclass(frozen=True)
class CalendarYearLoaded:
    """Outcome of ``load_year``: the audit hook (event ``calendar.year_loaded``)."""

    year: int
    source: str
    holidays: tuple[str, ...]  # ISO dates, as stored
    workdays: tuple[str, ...]
    replaced: bool  # an earlier admin-loaded schedule of the year was overwritten
    previous_source: str | None = None
    previous_holidays: tuple[str, ...] | None = None
    previous_workdays: tuple[str, ...] | None = None

    event: str = "calendar.year_loaded"


def load_year(session: Session, actor: Actor, schedule: YearSchedule) -> CalendarYearLoaded:
    """Insert or replace the admin-loaded schedule of ``schedule.year`` (role: admin). Flushes, never commits.

    Only weekday holidays are stored (weekend days off change nothing); the loaded year takes precedence over the
    built-in data in ``build_calendar``.
    """
    actor.require_role(ROLE_ADMIN)
    holidays = [d.isoformat() for d in schedule.weekday_holidays()]
    workdays = [d.isoformat() for d in schedule.workdays]
    row = session.get(CalendarYear, schedule.year)
    if row is None:
        session.add(
            CalendarYear(
                year=schedule.year,
                holidays=holidays,
                workdays=workdays,
                source=schedule.source,
                loaded_by=actor.label,
            )
        )
        session.flush()
        return CalendarYearLoaded(schedule.year, schedule.source, tuple(holidays), tuple(workdays), replaced=False)
    event = CalendarYearLoaded(
        schedule.year,
        schedule.source,
        tuple(holidays),
        tuple(workdays),
        replaced=True,
        previous_source=row.source,
        previous_holidays=tuple(row.holidays),
        previous_workdays=tuple(row.workdays),
    )
    row.holidays = holidays
    row.workdays = workdays
    row.source = schedule.source
    row.loaded_by = actor.label
    row.loaded_at = dt.datetime.now(dt.UTC)
    session.flush()
    return event


def build_calendar(session: Session) -> WorkdayCalendar:
    """The working-day calendar: built-in ``chinesecalendar`` data overridden by every admin-loaded year."""
    rows = session.scalars(select(CalendarYear)).all()
    return WorkdayCalendar(
        {
            row.year: (
                [dt.date.fromisoformat(d) for d in row.holidays],
                [dt.date.fromisoformat(d) for d in row.workdays],
            )
            for row in rows
        }
    )
