from celery import shared_task

from .chains import chain_data_refresh


@shared_task(acks_late=True, ignore_result=True)
def refresh_chain_figures(chain_id: int, year: int) -> None:
    """Recompute the chain page's figures (queued by the page when they are stale). Re-running
    is harmless: it stores the latest figures."""
    chain_data_refresh(chain_id, year)
