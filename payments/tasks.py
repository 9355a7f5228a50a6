from celery import shared_task

from payments import idempotency


@shared_task(acks_late=True)
def idempotency_records_purge() -> int:
    """Hourly: forget Idempotency-Keys past their lifetime. Safe to run twice."""
    return idempotency.idempotency_records_purge()
