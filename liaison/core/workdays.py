"""Working days of the mainland China calendar.

Order of authority for a date: the ``Holiday`` table office staff keep in the admin, then the
``chinese_calendar`` package for the years it knows, then plain weekends. Years the package
does not know never raise: deadlines keep counting on weekends plus the table.
"""

import datetime as dt
from functools import lru_cache

import chinese_calendar


# The package's answer for a date never changes while it is installed; each call of its own
# checks the date against the range of every year it knows (~40 µs), so answers are kept.
@lru_cache(maxsize=8192)
def _statutory(day: dt.date) -> bool | None:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


class WorkCalendar:
    """Answers ``is_workday`` for a span of dates with one query for the overrides."""

    def __init__(self, start: dt.date, end: dt.date):
        from .models import Holiday

        self.start, self.end = start, end
        self.overrides = dict(Holiday.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = _statutory(day)
        if known is not None:
            return known
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start``, from this calendar's overrides (one
        more query only if the answer lies beyond its span)."""
        day, left, calendar = start, days, self
        while left:
            day += dt.timedelta(days=1)
            if day > calendar.end:
                calendar = WorkCalendar(day, day + dt.timedelta(days=left * 3 + 14))
            if calendar.is_workday(day):
                left -= 1
        return day


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    # Longest run of rest days in the calendar is the 8–9 day Golden Week, so 3x+14 covers it.
    return WorkCalendar(start, start + dt.timedelta(days=days * 3 + 14)).add_workdays(start, days)


def is_workday(day: dt.date) -> bool:
    return WorkCalendar(day, day).is_workday(day)


def next_workday(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    return day if is_workday(day) else add_workdays(day, 1)


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; 0 when end is not after start."""
    if end <= start:
        return 0
    calendar = WorkCalendar(start, end)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += calendar.is_workday(day)
    return count
