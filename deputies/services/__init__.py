"""Every write of the deputies' app, one service per step (see ``liaison.core.steps``)."""

from .activities import ACTIVITY, activity_cancel, activity_hold, activity_record, activity_rights
from .common import POINT, SCAN_ACTOR, SYSTEM
from .reception import (
    ON_DUTY,
    RECEPTION,
    REMINDERS,
    at_local,
    months_from,
    process_one_missed,
    process_one_record_reminder,
    process_one_reminder,
    reception_day_cancel,
    reception_day_hold,
    reception_day_miss,
    reception_day_record,
    reception_day_sign_in,
    reception_days_generate,
    reception_days_missed_scan,
    reception_reminders_scan,
    reception_rights,
    roster_for,
)
from .suggestions import (
    AUTHOR,
    SUGGESTION,
    suggestion_answer,
    suggestion_assign,
    suggestion_close,
    suggestion_rate,
    suggestion_rights,
    suggestion_submit,
)
from .visits import visit_check, visit_record

__all__ = [
    "visit_check", "visit_record",
    "ACTIVITY", "activity_cancel", "activity_hold", "activity_record", "activity_rights",
    "AUTHOR", "SUGGESTION", "suggestion_answer", "suggestion_assign", "suggestion_close", "suggestion_rate",
    "suggestion_rights", "suggestion_submit",
    "ON_DUTY", "POINT", "RECEPTION", "REMINDERS", "SCAN_ACTOR", "SYSTEM", "at_local", "months_from",
    "process_one_missed", "process_one_record_reminder", "process_one_reminder", "reception_day_cancel",
    "reception_day_hold", "reception_day_miss", "reception_day_record", "reception_day_sign_in",
    "reception_days_generate", "reception_days_missed_scan", "reception_reminders_scan", "reception_rights",
    "roster_for",
]  # fmt: skip
