from celery import shared_task

from . import escalation


@shared_task(acks_late=True, ignore_result=True)
def escalate_overdue() -> dict:
    """Escalate overdue open requests; a second run in a row does nothing."""
    return escalation.escalation_scan()


@shared_task(acks_late=True, ignore_result=True)
def send_weekly_digests() -> int:
    """One digest per point head per week; re-runs fill gaps only."""
    return escalation.weekly_digest_scan()
