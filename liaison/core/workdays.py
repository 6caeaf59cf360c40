"""Working days of the mainland China calendar.

Order of authority for a date: the ``Holiday`` table office staff keep in the admin, then the
``chinese_calendar`` package for the years it knows (holidays and 调休 working weekends, as the
State Council published them), then — for a year it does not know yet — the statutory
holidays of the ``holidays`` package (updated monthly; it has the festival dates but not the
make-up working days), then plain weekends. Nothing here ever raises for an unknown year.
``calendar_warnings`` tells office staff, from 1 November, that next year's official schedule
is still to be entered.
"""

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar
from django.utils.translation import gettext as _

from .tablecopy import TableCopy

log = logging.getLogger(__name__)

WARN_FROM_MONTH = 11  # the State Council publishes next year's schedule around November


@lru_cache(maxsize=64)
def library_knows(year: int) -> bool:
    """Does ``chinese_calendar`` carry the official schedule of ``year``?"""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def _festivals(year: int) -> frozenset:
    """Statutory holidays of ``year`` from the ``holidays`` package (days off only)."""
    import holidays  # ~5 MB of every country's calendar: only for a year chinese_calendar lacks

    return frozenset(holidays.country_holidays("CN", years=year))


# The packages' answers for a date never change while they are installed; each call of
# chinese_calendar checks the date against the range of every year it knows (~40 µs), so
# answers are kept.
@lru_cache(maxsize=8192)
def _statutory(day: dt.date) -> bool | None:
    if library_knows(day.year):
        return chinese_calendar.is_workday(day)
    if day in _festivals(day.year):
        return False
    return None


def _load_holidays() -> dict[dt.date, bool]:
    from .models import Holiday

    return dict(Holiday.objects.values_list("date", "is_workday"))


# The ``Holiday`` table (a few dozen rows a year), kept in each process (``tablecopy``).
VERSION_KEY = "holidays:version"
_holidays = TableCopy(VERSION_KEY, _load_holidays)
holidays_changed = _holidays.changed


def overrides() -> dict[dt.date, bool]:
    """Every date of the ``Holiday`` table → its ``is_workday``."""
    return _holidays.get()


class WorkCalendar:
    """Answers ``is_workday`` for a span of dates from the overrides (``overrides``)."""

    def __init__(self, start: dt.date, end: dt.date):
        self.start, self.end = start, end
        self.overrides = overrides()

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


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the portal's time zone: a deadline "by that day"."""
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


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


def calendar_warnings(today: dt.date) -> list[str]:
    """What office staff must be told about the calendar on ``today``: a year in use (this one,
    and from 1 November the next) whose official schedule neither the library nor the
    ``Holiday`` table has. Empty when all is known."""
    from .models import Holiday

    years = [today.year] + ([today.year + 1] if today.month >= WARN_FROM_MONTH else [])
    warnings = []
    for year in years:
        if library_knows(year) or Holiday.objects.filter(date__year=year).exists():
            continue
        warnings.append(
            _(
                "The official holiday schedule (调休) of %(year)d has not been entered: deadlines count only the "
                "statutory holidays and weekends. Enter it under Holidays once it is published."
            )
            % {"year": year}
        )
    return warnings
