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
import uuid
from functools import lru_cache

import chinese_calendar
from django.utils.translation import gettext as _

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


# The ``Holiday`` table (a few dozen rows a year) is kept in each process, with the version it
# was read at. The version lives in the shared cache: a change in the admin (any process) sets
# a new one (signals below), and every process reads it before using its copy, so a change is
# seen at once everywhere for the price of one cache read instead of a query. No version in
# the cache (emptied, evicted, Redis away): the table is read again.
VERSION_KEY = "holidays:version"
_copy: dict = {"version": None, "overrides": {}}


def overrides() -> dict[dt.date, bool]:
    """Every date of the ``Holiday`` table → its ``is_workday``."""
    from django.core.cache import cache

    from .models import Holiday

    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, None)
            version = cache.get(VERSION_KEY)
    except Exception:  # noqa: BLE001 — a cache away costs a query, never a deadline
        version = None  # read every time
    if version is None or version != _copy["version"]:
        _copy["overrides"] = dict(Holiday.objects.values_list("date", "is_workday"))
        _copy["version"] = version
    return _copy["overrides"]


def holidays_changed(**kwargs) -> None:
    """A ``Holiday`` row was saved or deleted: drop this process's copy and give the table a new
    version now and again after commit (a process reading between the two may have read the
    table before the change)."""
    from django.core.cache import cache
    from django.db import transaction

    def bump():
        _copy["version"] = None
        try:
            cache.set(VERSION_KEY, uuid.uuid4().hex, None)
        except Exception:  # noqa: BLE001 — without the cache every process reads the table anyway
            log.warning("holiday calendar version not stored: the cache is away")

    bump()
    transaction.on_commit(bump)


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
