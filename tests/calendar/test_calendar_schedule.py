"""Year schedule files: the shipped 2026 file and the schema's checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from transport_credit.calendar.schedule import YearSchedule, load_schedule, schedule_from_builtin, shipped_schedule
from transport_credit.calendar.workdays import WorkdayCalendar

D = dt.date


def test_shipped_2026_matches_builtin_data() -> None:
    shipped = shipped_schedule(2026)
    assert shipped.source == "国务院办公厅关于2026年部分节假日安排的通知"
    assert shipped == schedule_from_builtin(2026, shipped.source)
    assert D(2026, 2, 16) in shipped.holidays
    assert shipped.workdays == (
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    )


def test_shipped_2026_as_admin_year_gives_the_same_calendar() -> None:
    shipped = shipped_schedule(2026)
    admin = WorkdayCalendar({2026: (shipped.holidays, shipped.workdays)}, use_builtin=False)
    builtin = WorkdayCalendar()
    day = D(2026, 1, 1)
    while day.year == 2026:
        assert admin.is_workday(day) == builtin.is_workday(day)
        day += dt.timedelta(days=1)


def test_no_shipped_file_for_unknown_year() -> None:
    with pytest.raises(FileNotFoundError):
        shipped_schedule(1999)


def test_weekend_holidays_allowed_and_sorted() -> None:
    schedule = YearSchedule(
        year=2031, source="测试", holidays=[D(2031, 10, 4), D(2031, 10, 1), D(2031, 10, 1)], workdays=[D(2031, 10, 11)]
    )
    assert schedule.holidays == (D(2031, 10, 1), D(2031, 10, 4))
    assert schedule.weekday_holidays() == [D(2031, 10, 1)]


@pytest.mark.parametrize(
    ("holidays", "workdays", "error"),
    [
        ([D(2030, 12, 31)], [], "outside 2031"),
        ([], [D(2032, 1, 3)], "outside 2031"),
        ([], [D(2031, 10, 8)], "Saturdays or Sundays"),  # a Wednesday
        ([D(2031, 10, 11)], [D(2031, 10, 11)], "both"),
    ],
)
def test_invalid_schedules(holidays: list[dt.date], workdays: list[dt.date], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        YearSchedule(year=2031, source="测试", holidays=holidays, workdays=workdays)


def test_load_schedule_file(tmp_path: Path) -> None:
    path = tmp_path / "2031.yaml"
    path.write_text(
        "year: 2031\nsource: 国务院办公厅关于2031年部分节假日安排的通知\n"
        "holidays: [2031-10-01, 2031-10-02]\nworkdays: [2031-10-11]\n",
        encoding="utf-8",
    )
    assert load_schedule(path).holidays == (D(2031, 10, 1), D(2031, 10, 2))
    path.write_text("year: 2031\nsource: x\nholiday: []\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="holiday"):
        load_schedule(path)
