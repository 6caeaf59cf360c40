"""The whole beat schedule. Every entry is an idempotent scan: running it late, twice or after
a worker was down for days does the missing work once. Times are Asia/Shanghai."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Reception days of this and the next two months (this month's even when its day has passed), with rosters.
    "generate-reception-days": {
        "task": "deputies.tasks.generate_reception_days",
        "schedule": crontab(minute=10, hour=1),
    },
    # Reminders to the roster 3 days and 1 day before (09:00) and that morning (07:30); record reminder the day after.
    "reception-reminders": {"task": "deputies.tasks.send_reception_reminders", "schedule": crontab(minute="*/15")},
    # Scheduled reception days past their grace with nothing recorded become missed (hourly: a late run catches up).
    "mark-missed-reception-days": {
        "task": "deputies.tasks.mark_missed_reception_days",
        "schedule": crontab(minute=40),
    },
    # 督办: raise overdue open requests to levels 1–3 and notify.
    "escalation-scan": {"task": "petitions.tasks.escalate_overdue", "schedule": crontab(minute=5)},
    # Weekly digest to point heads, from Monday 08:00; later runs that week only fill gaps.
    "weekly-digest": {"task": "petitions.tasks.send_weekly_digests", "schedule": crontab(minute=20)},
    # Deliveries to external platforms whose time has come: retries, and those queued while the broker was down.
    "drain-deliveries": {"task": "petitions.tasks.drain_deliveries", "schedule": crontab()},
    # Record deliveries for recent dispatches that have none (a process stopped right after dispatching).
    "record-missing-deliveries": {
        "task": "petitions.tasks.record_missing_deliveries",
        "schedule": crontab(minute="*/5"),
    },
    # Performance points for new source records (the sync inserts only what is missing).
    "sync-scores": {"task": "scoring.tasks.sync_scores", "schedule": crontab(minute="*/10")},
    # Daily roll-ups of request figures (statistics, chain page): the days of requests changed since the last run.
    "rollup-daily-figures": {"task": "petitions.tasks.rollup_daily_figures", "schedule": crontab(minute="*/10")},
    # Send what is pending: retries after failures and anything queued while the broker was down.
    "deliver-notifications": {"task": "liaison.core.tasks.deliver_due_notifications", "schedule": crontab()},
}
