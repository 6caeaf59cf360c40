from celery import shared_task

from . import escalation, platforms, rollups


@shared_task(acks_late=True, ignore_result=True)
def escalate_overdue() -> dict:
    """Escalate overdue open requests; a second run in a row does nothing."""
    return escalation.escalation_scan()


@shared_task(acks_late=True, ignore_result=True)
def send_weekly_digests() -> int:
    """One digest per point head per week; re-runs fill gaps only."""
    return escalation.weekly_digest_scan()


@shared_task(acks_late=True, ignore_result=True)
def drain_deliveries() -> int:
    """Send the deliveries to external platforms that are due (new ones, retries), each by one
    sender at a time; queued after every dispatch and run every minute. Any number may run at
    once; a run stops within its budget, well inside the task time limit."""
    return platforms.drain()


@shared_task(acks_late=True, ignore_result=True)
def record_missing_deliveries() -> int:
    """Record the deliveries of recent dispatches that have none (a process stopped between the
    dispatch and its recording), then drain. Re-runnable: nothing is recorded twice."""
    recorded = platforms.record_missing()
    platforms.drain()
    return recorded


@shared_task(acks_late=True, ignore_result=True)
def rollup_daily_figures() -> int:
    """Bring the daily roll-ups of request figures up to date (the days of requests with new
    timeline entries; everything on the first run). Re-runnable: rows are replaced, not added."""
    return rollups.rollup_changed()
