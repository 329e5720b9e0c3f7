"""Working days (工作日) under the State Council holiday schedule, including make-up working days (调休上班).

Sources, in order of precedence for a year:

1. admin-loaded years (``CalendarYear`` rows, see ``service.load_year``): a newly published schedule
   (国务院办公厅关于××年部分节假日安排的通知, published each November) can be loaded without a release;
2. the built-in data of the ``chinesecalendar`` package (``chinese_calendar``) for the years it was built with;
3. **fallback** for any other year: Monday–Friday are working days except the fixed-date statutory holidays of
   《全国年节及纪念日放假办法》 (as revised 2024, in force 2025): 1 January (元旦), 1–2 May (劳动节) and
   1–3 October (国庆节). Holidays on lunar dates (春节, 清明, 端午, 中秋) and the 调休 swaps are unknown, so every
   answer that depends on a fallback day carries ``estimated=True``. Once the year's schedule is loaded, the same
   question gives an exact answer; callers that stored an estimated deadline should recompute it.

Deadlines: ``add_workdays(start, n)`` is the n-th working day *after* ``start`` (the decision day itself does not
count, whether or not it is a working day). ``workdays_between(a, b)`` counts working days in ``(a, b]`` and is its
inverse: ``workdays_between(d, add_workdays(d, n).date) == n``.

Each year is computed once into a sorted tuple of working-day ordinals, so look-ups are a bisection.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import chinese_calendar

# (month, day) of the fixed-date statutory holidays used for years without a published schedule.
FALLBACK_FIXED_HOLIDAYS: Final = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

AdminYears = Mapping[int, tuple[Iterable[dt.date], Iterable[dt.date]]]  # year → (holidays, make-up workdays)


@dataclass(frozen=True)
class WorkdayResult:
    """A computed date; ``estimated`` when any day counted lies in a year without a known schedule."""

    date: dt.date
    estimated: bool


@dataclass(frozen=True)
class _Year:
    first_ordinal: int
    workdays: tuple[int, ...]  # sorted ordinals of the working days of the year
    workday_set: frozenset[int]
    estimated: bool


def builtin_years() -> frozenset[int]:
    """The years the installed ``chinesecalendar`` package has schedules for."""
    return frozenset(d.year for d in chinese_calendar.holidays)


class WorkdayCalendar:
    """Working-day arithmetic over built-in, admin-loaded and fallback years (see the module docstring)."""

    def __init__(self, admin_years: AdminYears | None = None, *, use_builtin: bool = True) -> None:
        self._admin: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]] = {
            year: (frozenset(holidays), frozenset(workdays))
            for year, (holidays, workdays) in (admin_years or {}).items()
        }
        self._builtin = builtin_years() if use_builtin else frozenset()
        self._years: dict[int, _Year] = {}

    # --- per-year data -------------------------------------------------------------------------------------

    def known_years(self) -> list[int]:
        """Years with a real schedule (built-in or admin-loaded); any other year is estimated."""
        return sorted(self._builtin | self._admin.keys())

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        first = dt.date(year, 1, 1)
        days = [first + dt.timedelta(days=i) for i in range((dt.date(year, 12, 31) - first).days + 1)]
        estimated = False
        if year in self._admin:
            holidays, workdays = self._admin[year]
            flags = [(d.weekday() < 5 and d not in holidays) or d in workdays for d in days]
        elif year in self._builtin:
            flags = [bool(chinese_calendar.is_workday(d)) for d in days]
        else:
            estimated = True
            flags = [d.weekday() < 5 and (d.month, d.day) not in FALLBACK_FIXED_HOLIDAYS for d in days]
        ordinals = tuple(d.toordinal() for d, flag in zip(days, flags, strict=True) if flag)
        return _Year(first.toordinal(), ordinals, frozenset(ordinals), estimated)

    # --- queries -------------------------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """``(is a working day, estimated)``."""
        year = self._year(day.year)
        return day.toordinal() in year.workday_set, year.estimated

    def add_workdays(self, start: dt.date, n: int) -> WorkdayResult:
        """The n-th working day after ``start`` (``start`` itself never counts); ``n == 0`` gives ``start``."""
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return WorkdayResult(start, False)
        remaining = n
        ordinal = start.toordinal()
        year_no = start.year
        estimated = False
        while True:
            year = self._year(year_no)
            estimated = estimated or year.estimated
            index = bisect.bisect_right(year.workdays, ordinal)  # first working day after ``ordinal``
            available = len(year.workdays) - index
            if remaining <= available:
                return WorkdayResult(dt.date.fromordinal(year.workdays[index + remaining - 1]), estimated)
            remaining -= available
            year_no += 1

    def workdays_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in ``(a, b]``; negative (``-workdays_between(b, a)``) when ``b < a``."""
        if b < a:
            return -self.workdays_between(b, a)
        total = 0
        for year_no in range(a.year, b.year + 1):
            days = self._year(year_no).workdays
            low = bisect.bisect_right(days, a.toordinal()) if year_no == a.year else 0
            high = bisect.bisect_right(days, b.toordinal()) if year_no == b.year else len(days)
            total += high - low
        return total

    def is_estimated(self, a: dt.date, b: dt.date) -> bool:
        """True when any day between ``a`` and ``b`` (inclusive) lies in a year without a known schedule."""
        low, high = min(a, b), max(a, b)
        return any(self._year(y).estimated for y in range(low.year, high.year + 1))

    def deadlines_for(self, dates: Iterable[dt.date], n: int) -> dict[dt.date, WorkdayResult]:
        """``add_workdays(d, n)`` for each distinct date (bulk use: one computation per distinct date)."""
        return {d: self.add_workdays(d, n) for d in set(dates)}
