from celery import shared_task

from liaison.core.webhooks import WebhookError

from . import escalation, platforms


@shared_task(acks_late=True, ignore_result=True)
def escalate_overdue() -> dict:
    """Escalate overdue open requests; a second run in a row does nothing."""
    return escalation.escalation_scan()


@shared_task(acks_late=True, ignore_result=True)
def send_weekly_digests() -> int:
    """One digest per point head per week; re-runs fill gaps only."""
    return escalation.weekly_digest_scan()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(WebhookError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=10,
)
def push_to_platform(event_id: int) -> bool:
    """Send one dispatch to its external platform; retried with backoff while it fails."""
    return platforms.push_dispatch(event_id)


@shared_task(acks_late=True, ignore_result=True)
def queue_unpushed_dispatches() -> int:
    """Queue again every recent dispatch whose push is not on the timeline yet."""
    ids = list(platforms.unpushed_dispatches())
    for event_id in ids:
        platforms.queue_push(event_id)
    return len(ids)
