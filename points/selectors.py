"""Reads over points alone: the date a point's rule gives its reception day."""

import calendar
import datetime as dt

from liaison.core.workdays import next_workday

from .models import LiaisonPoint


def reception_date_in_month(point: LiaisonPoint, month: dt.date) -> dt.date:
    """The point's reception day in ``month`` by its rule: the day of the month (the 15th by
    default), moved to the next working day if the rule says so and it is a rest day."""
    last = calendar.monthrange(month.year, month.month)[1]
    date = dt.date(month.year, month.month, min(point.reception_day, last))
    if point.reception_rule == LiaisonPoint.ReceptionRule.NEXT_WORKDAY:
        date = next_workday(date)
    return date
