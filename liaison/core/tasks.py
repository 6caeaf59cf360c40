from celery import shared_task

from . import notifications


@shared_task(acks_late=True, ignore_result=True)
def send_notification(pk: int) -> bool:
    """Send one recorded message; a second delivery of this task finds it sent and does nothing."""
    return notifications.deliver(pk)


@shared_task(acks_late=True, ignore_result=True)
def deliver_due_notifications() -> int:
    """Send what is pending: retries after failures, and anything queued while the broker was down."""
    return notifications.deliver_due()
