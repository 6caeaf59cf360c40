"""办理时限: the one place a request's deadlines are computed.

A stage's time limit comes from the ``DeadlineRule`` table the reference keepers (基础数据管理员)
keep in the admin: the rule for the request's category at its urgency wins over the rule for any
category; with no rule at all the stage falls back to the ``PETITION_*_WORKDAYS`` settings.

- Working days count the mainland calendar (``liaison.core.workdays``: holidays and 调休); the
  start day does not count, and the deadline is the end of the last working day, so a request
  due on a day is overdue from the next midnight.
- Hours are clock hours around the clock, holidays and nights included, as 12345 hotlines
  count their 特急/紧急 calls: an urgent matter does not wait for the holiday to end.

``due_fields`` returns the fields a service saves (``due_at`` and its local date
``due_date``), so that every caller keeps both in step.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from liaison.core.tablecopy import TableCopy
from liaison.core.workdays import add_workdays, end_of_day

from .models import DeadlineRule, Stage, Status, Urgency

FALLBACK_WORKDAYS = {
    Stage.ACCEPT: "PETITION_ACCEPT_WORKDAYS",
    Stage.HANDLE: "PETITION_DISPATCH_WORKDAYS",
    Stage.SIGN: "PETITION_SIGN_WORKDAYS",
    Stage.REPLY: "PETITION_REPLY_WORKDAYS",
}


def _load_rules() -> dict[tuple[str, str, str], tuple[int, str]]:
    return {
        (category, urgency, stage): (amount, unit)
        for category, urgency, stage, amount, unit in DeadlineRule.objects.values_list(
            "category", "urgency", "stage", "amount", "unit"
        )
    }


# The rule table (a few dozen rows) is kept in each process, like the holiday calendar: every
# submission and step reads it, the admin seldom changes it (signals in apps.py).
rules = TableCopy("deadline-rules:version", _load_rules)


def limit(*, category: str, urgency: str, stage: str) -> tuple[int, str]:
    """The time limit of ``stage`` as (amount, unit): the category's own rule, else the rule for
    any category, else the settings' working days."""
    table, urgency = rules.get(), urgency or Urgency.NORMAL
    rule = table.get((category, urgency, stage)) or table.get(("", urgency, stage))
    if rule:
        return rule
    return getattr(settings, FALLBACK_WORKDAYS[stage]), DeadlineRule.Unit.WORKDAYS


def add_limit(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """``start`` plus ``amount`` clock hours, or the end of the ``amount``-th working day after
    ``start``'s local date."""
    if unit == DeadlineRule.Unit.HOURS:
        return start + dt.timedelta(hours=amount)
    return end_of_day(add_workdays(timezone.localdate(start), amount))


def deadline(*, category: str, urgency: str, stage: str, start: dt.datetime) -> dt.datetime:
    """When ``stage``, started at ``start``, is due for a request of ``category`` at ``urgency``."""
    return add_limit(start, *limit(category=category, urgency=urgency, stage=stage))


def due_fields(when: dt.datetime | None, *, prefix: str = "due") -> dict:
    """The deadline ``when`` as the fields stored on a request: ``due_at``/``due_date`` (or,
    with ``prefix="reply_due"``, ``reply_due_at``/``reply_due``); both None to clear it."""
    date_field = "due_date" if prefix == "due" else prefix
    return {f"{prefix}_at": when, date_field: timezone.localdate(when) if when else None}


def deadline_text(when: dt.datetime) -> str:
    """A deadline as people read it: the day for the end of a day, else to the minute."""
    local = timezone.localtime(when)
    if local.time() == dt.time.max:
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M}"


def stage_of(status: str) -> str | None:
    """The stage a request in ``status`` is in (None once it waits for nobody's deadline)."""
    return {
        Status.SUBMITTED: Stage.ACCEPT,
        Status.ACCEPTED: Stage.HANDLE,
        Status.DISPATCHED: Stage.SIGN,
        Status.IN_PROGRESS: Stage.REPLY,
    }.get(status)
