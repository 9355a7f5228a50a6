from celery import shared_task

from orders.email.security import signatures_purge


@shared_task(acks_late=True, ignore_result=True)
def inbound_signatures_purge() -> int:
    """Forget inbound webhook signatures too old to be replayed anyway (idempotent)."""
    return signatures_purge()
