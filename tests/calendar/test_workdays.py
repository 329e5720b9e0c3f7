"""Working-day arithmetic: built-in 2026 schedule, deadlines across holidays, fallback years, properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport_credit.calendar.workdays import WorkdayCalendar, WorkdayResult, builtin_years

D = dt.date
CAL = WorkdayCalendar()

# A hypothetical 2031 schedule for tests: 国庆 1–7 October, make-up days Sunday 28 Sep and Saturday 11 Oct.
ADMIN_2031 = {2031: ([D(2031, 10, d) for d in (1, 2, 3, 6, 7)], [D(2031, 9, 28), D(2031, 10, 11)])}


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        # 春节 2026: 15–23 February off; Saturdays 14 and 28 February are make-up working days
        (D(2026, 2, 13), True),
        (D(2026, 2, 14), True),
        (D(2026, 2, 15), False),
        (D(2026, 2, 16), False),
        (D(2026, 2, 20), False),
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),
        (D(2026, 3, 1), False),
        # 中秋 25 September and 国庆 1–7 October 2026; Sunday 20 September and Saturday 10 October worked
        (D(2026, 9, 20), True),
        (D(2026, 9, 25), False),
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),
        (D(2026, 10, 5), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),
        (D(2026, 10, 11), False),
        # an ordinary week
        (D(2026, 3, 2), True),
        (D(2026, 3, 7), False),
    ],
)
def test_is_workday_2026(day: dt.date, workday: bool) -> None:
    assert CAL.is_workday(day) == (workday, False)


@pytest.mark.parametrize(
    ("start", "n", "expected", "estimated"),
    [
        # 7 working days for 双公示 across 国庆 2026: Sep 30, Oct 8, 9, 10 (Sat, worked), 12, 13, 14
        (D(2026, 9, 29), 7, D(2026, 10, 14), False),
        (D(2026, 9, 30), 7, D(2026, 10, 15), False),
        (D(2026, 10, 1), 7, D(2026, 10, 15), False),  # decided on a holiday: day 1 is 8 October
        # across 春节 2026: Feb 14 (Sat, worked), 24, 25, 26, 27, 28 (Sat, worked), Mar 2
        (D(2026, 2, 13), 7, D(2026, 3, 2), False),
        (D(2026, 3, 2), 1, D(2026, 3, 3), False),
        (D(2026, 3, 6), 1, D(2026, 3, 9), False),  # Friday → Monday
        (D(2026, 3, 6), 0, D(2026, 3, 6), False),
        # into 2027, not in the built-in data: Dec 29, 30, 31, (1 Jan off), Jan 4, 5, 6, 7
        (D(2026, 12, 28), 7, D(2027, 1, 7), True),
        (D(2026, 12, 21), 3, D(2026, 12, 24), False),
        # fallback year 2031: only 1–3 October off (Wednesday–Friday)
        (D(2031, 9, 30), 7, D(2031, 10, 14), True),
        # fallback 劳动节 1–2 May 2031 (Thursday, Friday)
        (D(2031, 4, 30), 1, D(2031, 5, 5), True),
    ],
)
def test_add_workdays(start: dt.date, n: int, expected: dt.date, estimated: bool) -> None:
    assert CAL.add_workdays(start, n) == WorkdayResult(expected, estimated)


def test_fallback_year_is_flagged() -> None:
    assert 2031 not in CAL.known_years()
    assert CAL.is_workday(D(2031, 10, 1)) == (False, True)
    assert CAL.is_workday(D(2031, 10, 6)) == (True, True)  # unknown: the real schedule will likely say off
    assert CAL.is_workday(D(2031, 10, 4)) == (False, True)
    assert CAL.is_estimated(D(2026, 12, 1), D(2027, 1, 5))
    assert not CAL.is_estimated(D(2026, 1, 1), D(2026, 12, 31))


def test_admin_year_takes_over() -> None:
    cal = WorkdayCalendar(ADMIN_2031)
    assert 2031 in cal.known_years()
    assert cal.add_workdays(D(2031, 9, 30), 7) == WorkdayResult(D(2031, 10, 15), False)
    assert cal.is_workday(D(2031, 10, 11)) == (True, False)
    assert cal.is_workday(D(2031, 9, 28)) == (True, False)


def test_admin_year_overrides_builtin() -> None:
    extra_day_off = D(2026, 3, 2)
    cal = WorkdayCalendar({2026: ([extra_day_off], [])})
    assert cal.is_workday(extra_day_off) == (False, False)
    # the admin year replaces the built-in one entirely: 1 October is now a working day
    assert cal.is_workday(D(2026, 10, 1)) == (True, False)


def test_without_builtin_everything_is_estimated() -> None:
    cal = WorkdayCalendar(use_builtin=False)
    assert cal.known_years() == []
    assert cal.is_workday(D(2026, 2, 16)) == (True, True)


def test_builtin_years_cover_the_package_range() -> None:
    years = builtin_years()
    assert {2004, 2020, 2026} <= years
    assert CAL.known_years() == sorted(years)


def test_deadlines_for_distinct_dates() -> None:
    dates = [D(2026, 9, 29), D(2026, 9, 29), D(2026, 2, 13)]
    assert CAL.deadlines_for(dates, 7) == {
        D(2026, 9, 29): WorkdayResult(D(2026, 10, 14), False),
        D(2026, 2, 13): WorkdayResult(D(2026, 3, 2), False),
    }


def test_negative_n_rejected() -> None:
    with pytest.raises(ValueError, match="n must be"):
        CAL.add_workdays(D(2026, 1, 5), -1)


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        (D(2026, 9, 29), D(2026, 10, 14), 7),
        (D(2026, 10, 14), D(2026, 9, 29), -7),
        (D(2026, 10, 1), D(2026, 10, 7), 0),
        (D(2026, 3, 2), D(2026, 3, 2), 0),
        (D(2025, 12, 31), D(2026, 1, 5), 2),  # 1–3 January 2026 off; Sunday 4 January worked, and 5
    ],
)
def test_workdays_between(a: dt.date, b: dt.date, count: int) -> None:
    assert CAL.workdays_between(a, b) == count


days = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31))
counts = st.integers(min_value=1, max_value=300)
calendars = st.sampled_from([CAL, WorkdayCalendar(ADMIN_2031), WorkdayCalendar(use_builtin=False)])


@given(calendars, days, counts)
def test_deadline_is_a_workday_and_inverse(cal: WorkdayCalendar, start: dt.date, n: int) -> None:
    result = cal.add_workdays(start, n)
    assert result.date > start
    assert cal.is_workday(result.date)[0]
    assert cal.workdays_between(start, result.date) == n
    assert cal.workdays_between(start, result.date - dt.timedelta(days=1)) == n - 1
    assert result.estimated == cal.is_estimated(start + dt.timedelta(days=1), result.date)


@given(calendars, days, counts)
def test_deadline_strictly_increasing_in_n(cal: WorkdayCalendar, start: dt.date, n: int) -> None:
    assert cal.add_workdays(start, n).date < cal.add_workdays(start, n + 1).date


@given(calendars, days, days)
def test_between_is_antisymmetric(cal: WorkdayCalendar, a: dt.date, b: dt.date) -> None:
    assert cal.workdays_between(a, b) == -cal.workdays_between(b, a)
