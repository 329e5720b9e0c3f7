"""Loading a year's schedule through the service, on the real database, and building the calendar from it."""

from __future__ import annotations

import datetime as dt

import pytest

from transport_credit.calendar.models import CalendarYear
from transport_credit.calendar.schedule import YearSchedule, shipped_schedule
from transport_credit.calendar.service import build_calendar, load_year
from transport_credit.calendar.workdays import WorkdayResult
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import PermissionDenied
from transport_credit.db.uow import Database

D = dt.date
ADMIN = Actor(name="admin", kind="account", roles=frozenset({ROLE_ADMIN}))
OFFICE = Actor(name="xinyongban", kind="account", roles=frozenset({ROLE_CREDIT_OFFICE}))

SCHEDULE_2031 = YearSchedule(
    year=2031,
    source="国务院办公厅关于2031年部分节假日安排的通知（测试）",
    holidays=[D(2031, 10, d) for d in range(1, 8)],  # 4 and 5 October are a weekend: stored without them
    workdays=[D(2031, 9, 28), D(2031, 10, 11)],
)


def test_loaded_year_takes_over_from_fallback(db: Database) -> None:
    with db.read() as session:
        before = build_calendar(session)
    assert before.add_workdays(D(2031, 9, 30), 7) == WorkdayResult(D(2031, 10, 14), True)

    with db.unit_of_work() as session:
        event = load_year(session, ADMIN, SCHEDULE_2031)
    assert (event.year, event.replaced, event.event) == (2031, False, "calendar.year_loaded")
    assert event.holidays == ("2031-10-01", "2031-10-02", "2031-10-03", "2031-10-06", "2031-10-07")

    with db.read() as session:
        row = session.get(CalendarYear, 2031)
        assert row is not None
        assert (row.loaded_by, row.workdays) == ("account:admin", ["2031-09-28", "2031-10-11"])
        after = build_calendar(session)
    assert 2031 in after.known_years()
    assert after.add_workdays(D(2031, 9, 30), 7) == WorkdayResult(D(2031, 10, 15), False)
    assert after.is_workday(D(2031, 10, 11)) == (True, False)


def test_reload_replaces_and_reports_previous(db: Database) -> None:
    with db.unit_of_work() as session:
        load_year(session, ADMIN, SCHEDULE_2031)
    corrected = SCHEDULE_2031.model_copy(update={"workdays": (D(2031, 10, 11),), "source": "更正"})
    with db.unit_of_work() as session:
        event = load_year(session, ADMIN, corrected)
    assert event.replaced
    assert event.previous_workdays == ("2031-09-28", "2031-10-11")
    assert event.previous_source == SCHEDULE_2031.source
    with db.read() as session:
        cal = build_calendar(session)
        row = session.get(CalendarYear, 2031)
        assert row is not None
        assert row.source == "更正"
    assert cal.is_workday(D(2031, 9, 28)) == (False, False)


def test_loaded_year_overrides_builtin(db: Database) -> None:
    shipped = shipped_schedule(2026)
    extra = shipped.model_copy(update={"holidays": (*shipped.holidays, D(2026, 3, 2))})
    with db.unit_of_work() as session:
        load_year(session, ADMIN, extra)
    with db.read() as session:
        cal = build_calendar(session)
    assert cal.is_workday(D(2026, 3, 2)) == (False, False)
    assert cal.is_workday(D(2026, 10, 10)) == (True, False)


def test_only_admins_load_years(db: Database) -> None:
    with pytest.raises(PermissionDenied), db.unit_of_work() as session:
        load_year(session, OFFICE, SCHEDULE_2031)
    with db.read() as session:
        assert session.get(CalendarYear, 2031) is None


def test_service_does_not_commit(db: Database) -> None:
    with db.read() as session:
        load_year(session, ADMIN, SCHEDULE_2031)  # flushed, then rolled back by the read session
    with db.read() as session:
        assert session.get(CalendarYear, 2031) is None
