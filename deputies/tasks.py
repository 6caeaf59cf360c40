from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def generate_reception_days() -> int:
    """Create the coming reception days and rosters; existing ones are left alone."""
    return services.reception_days_generate()


@shared_task(acks_late=True, ignore_result=True)
def send_reception_reminders() -> int:
    """Record (once each) the reminders that are due; sending follows through notifications."""
    return services.reception_reminders_scan()


@shared_task(acks_late=True, ignore_result=True)
def mark_missed_reception_days() -> int:
    """Mark missed the scheduled days whose grace passed with nothing recorded."""
    return services.reception_days_missed_scan()
