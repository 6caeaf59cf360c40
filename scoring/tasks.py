from celery import shared_task

from .services import score_sync


@shared_task(acks_late=True, ignore_result=True)
def sync_scores() -> int:
    """Add the score events new source records call for; a replay adds nothing."""
    return score_sync()
