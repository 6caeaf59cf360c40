"""Filters for reception-day messages."""

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def days_until(day: dt.date) -> int:
    """Whole days from today (local, when the message is rendered, i.e. sent) to ``day``; 0 on
    the day itself or after. A reminder delivered late thus still counts right."""
    return max((day - timezone.localdate()).days, 0)
